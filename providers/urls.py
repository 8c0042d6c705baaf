from django.urls import path

from . import views

app_name = "providers"

urlpatterns = [
    path("search/", views.provider_search, name="search"),
]
