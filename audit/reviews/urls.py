from django.urls import path

from . import first
from . import views as v

app_name = "reviews"

urlpatterns = [
    path("", v.ReviewsIndexView.as_view(), name="index"),
    path("go-on/", first.ReviewFirstContinueView.as_view(), name="go_on"),  # AR-07
    path("<int:org>/", v.OrganizationReviewsView.as_view(), name="organization"),
    path("<int:org>/schedule/", v.ReviewActionView.as_view(action="schedule"), name="schedule"),
    path("<int:org>/start/", v.ReviewActionView.as_view(action="start"), name="start"),
    path(
        "<int:org>/default-decision/",
        v.ReviewActionView.as_view(action="default_decision"),
        name="default_decision",
    ),
    path("program/", v.ProgramSettingsView.as_view(), name="program"),
    path(
        "<int:org>/user-access-report/",
        v.ReviewActionView.as_view(action="user_access_report"),
        name="user_access_report",
    ),
    path("<int:org>/reports/<int:report>/download/", v.ReportDownloadView.as_view(), name="download"),
    path("<int:org>/reports/<int:report>/status/", v.ReportStatusView.as_view(), name="report_status"),
    path("<int:org>/<int:review>/", v.ReviewDetailView.as_view(), name="detail"),
    path("<int:org>/<int:review>/evidence/", v.EvidenceDownloadView.as_view(), name="evidence"),
    path(
        "<int:org>/<int:review>/items/<int:item>/",
        v.ReviewActionView.as_view(action="decide"),
        name="decide",
    ),
    path(
        "<int:org>/<int:review>/keep-remaining/",
        v.ReviewActionView.as_view(action="keep_remaining"),
        name="keep_remaining",
    ),
    path("<int:org>/<int:review>/decide/", v.ReviewActionView.as_view(action="decide_many"), name="decide_many"),
    path("<int:org>/<int:review>/complete/", v.ReviewActionView.as_view(action="complete"), name="complete"),
]
