from django.urls import path

from . import views as compliance_views

app_name = "compliance"

urlpatterns = [
    path("", compliance_views.ComplianceIndexView.as_view(), name="index"),
    path("program/", compliance_views.ProgramView.as_view(), name="program"),
    path("program.csv", compliance_views.ProgramExportView.as_view(), name="program_csv"),
    path("<int:org>/", compliance_views.ComplianceView.as_view(), name="organization"),
    path("<int:org>/rules/<str:rule>/", compliance_views.ComplianceRuleView.as_view(), name="rule"),
]
