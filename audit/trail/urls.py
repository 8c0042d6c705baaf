from django.urls import path

from . import views as trail_views

app_name = "audit"

urlpatterns = [
    path("", trail_views.AuditTrailView.as_view(), name="trail"),
    path("export/", trail_views.AuditTrailExportView.as_view(), name="export"),
]
