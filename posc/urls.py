from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = "POSC agency administration"
admin.site.site_title = "POSC agency administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("rules/", views.rules, name="rules"),
    path("area/<slug:slug>/", views.area, name="area"),
    path("accounts/", include("accounts.urls")),
    path("administer/", include("subordinates.urls")),
    path("providers/", include("providers.urls")),
    path("agency/admin/", admin.site.urls),
    path("agency/", include("providers.agency_urls")),
    path("compliance/", include("audit.compliance.urls")),
    path("audit/", include("audit.trail.urls")),
    path("reviews/", include("audit.reviews.urls")),
]
