from django.urls import path

from . import agency_views

app_name = "agency"

urlpatterns = [
    path("", agency_views.AgencyHomeView.as_view(), name="home"),
    path("enroll/", agency_views.EnrollView.as_view(), name="enroll"),
    path("pidsls/add/", agency_views.AddPidSlView.as_view(), name="add_pidsl"),
    path("letters/", agency_views.LettersView.as_view(), name="letters"),
    path("change-requests/", agency_views.ChangeRequestsView.as_view(), name="change_requests"),
    path("recovery/", agency_views.RecoveryQueueView.as_view(), name="recovery"),
    path("provider-types/", agency_views.ProviderTypesView.as_view(), name="provider_types"),
    path("provider-types/<int:org>/", agency_views.ProviderTypeView.as_view(), name="provider_type"),
    path("users/", agency_views.UsersView.as_view(), name="users"),
    path("users/<int:user_id>/", agency_views.UserActionView.as_view(), name="user_action"),
    # Issue 18: Deactivate's confirmation (GET); it posts to user_action.
    path("users/<int:user_id>/deactivate/", agency_views.UserDeactivateConfirmView.as_view(), name="user_deactivate"),
    path("broadcasts/", agency_views.BroadcastsView.as_view(), name="broadcasts"),
]
