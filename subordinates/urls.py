from django.urls import path

from posc import converters

from . import organization_views, primary_views, views

app_name = "subordinates"
# PID/SL segments are codes (9 digits, a letter); anything else is a 404 (posc/converters.py).
converters.register()

urlpatterns = [
    path("subordinates/", views.ManageSubordinatesView.as_view(), name="manage"),
    path("users/", organization_views.OrganizationUsersView.as_view(), name="users"),
    path(
        "users/<int:user_id>/deactivate/",
        organization_views.UserStatusView.as_view(action="deactivate"),
        name="deactivate",
    ),
    path(
        "users/<int:user_id>/reactivate/",
        organization_views.UserStatusView.as_view(action="reactivate"),
        name="reactivate",
    ),
    path(
        "users/<int:user_id>/unlock/",
        organization_views.UserStatusView.as_view(action="unlock"),
        name="unlock",
    ),
    path("users/<int:user_id>/offboard/", organization_views.OffboardView.as_view(), name="offboard"),
    path(
        "users/<int:user_id>/compliance/",
        organization_views.ComplianceOfficerView.as_view(),
        name="compliance_officer",
    ),
    path("notifications/", organization_views.NotificationsView.as_view(), name="notifications"),
    path("users/dormant/", organization_views.DormantUsersView.as_view(), name="dormant"),  # US-09
    path("<pidsl:pidsl>/subordinates/", views.SearchResultsView.as_view(), name="results"),
    path("<pidsl:pidsl>/subordinates/add/", views.AddSubordinateView.as_view(), name="add"),
    path("<pidsl:pidsl>/subordinates/link/", views.LinkView.as_view(), name="link"),
    path("<pidsl:pidsl>/subordinates/<int:access_id>/", views.UpdateSubordinateView.as_view(), name="update"),
    path(
        "<pidsl:pidsl>/subordinates/<int:access_id>/reset-password/",
        views.ResetPasswordView.as_view(),
        name="reset_password",
    ),
    path("<pidsl:pidsl>/subordinates/<int:access_id>/remove/", views.RemoveView.as_view(), name="remove"),
    path("<pidsl:pidsl>/backup/", primary_views.BackupView.as_view(), name="backup"),
    path("<pidsl:pidsl>/primary-change/", primary_views.ChangePrimaryView.as_view(), name="change_primary"),
]
