from django.urls import path

from . import portal_views, views

app_name = "providers"

urlpatterns = [
    path("search/", views.provider_search, name="search"),
    path("register/", portal_views.RegisterView.as_view(), name="register"),
    path("recovery/", portal_views.RecoveryView.as_view(), name="recovery"),
    path("messages/", portal_views.broadcast_messages, name="broadcasts"),
]
