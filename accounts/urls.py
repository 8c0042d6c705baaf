from django.contrib.auth import views as auth_views
from django.urls import path

from . import mfa_views, views

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", authentication_form=views.SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.ChangePasswordView.as_view(), name="password_change"),
    path("terms/", views.TermsView.as_view(), name="terms"),
    path("keepalive/", views.KeepAliveView.as_view(), name="keepalive"),
    path("two-step/", mfa_views.TotpVerifyView.as_view(), name="mfa_verify"),
    path("two-step/setup/", mfa_views.TotpSetupView.as_view(), name="mfa_setup"),
]
