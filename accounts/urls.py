from django.contrib.auth import views as auth_views
from django.urls import path

from . import mfa_views, passkey_views, views

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        views.SignInView.as_view(
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
    path("two-step/passkeys/", passkey_views.PasskeysView.as_view(), name="passkeys"),
    path("two-step/passkeys/<int:pk>/remove/", passkey_views.PasskeyRemoveView.as_view(), name="passkey_remove"),
    path(
        "two-step/passkeys/register/begin/",
        passkey_views.PasskeyRegisterBeginView.as_view(),
        name="passkey_register_begin",
    ),
    path(
        "two-step/passkeys/register/complete/",
        passkey_views.PasskeyRegisterCompleteView.as_view(),
        name="passkey_register_complete",
    ),
    path("two-step/passkey/begin/", passkey_views.PasskeyVerifyBeginView.as_view(), name="passkey_verify_begin"),
    path(
        "two-step/passkey/complete/",
        passkey_views.PasskeyVerifyCompleteView.as_view(),
        name="passkey_verify_complete",
    ),
]
