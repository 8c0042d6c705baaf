from django.urls import path

from . import compliance_views

app_name = "compliance"

urlpatterns = [
    path("", compliance_views.ComplianceIndexView.as_view(), name="index"),
    path("<int:org>/", compliance_views.ComplianceView.as_view(), name="organization"),
]
