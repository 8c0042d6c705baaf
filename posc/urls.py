from django.contrib import admin
from django.db import transaction
from django.urls import include, path

from . import views

admin.site.site_header = "POSC agency administration"
admin.site.site_title = "POSC agency administration"
# The admin's sign-in is a sign-in like the portal's: one transaction per attempt, so the
# per-user-ID lock of accounts/throttle.py holds until the attempt is counted (ASVS 6.3.1).
admin.site.login = transaction.atomic(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
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
