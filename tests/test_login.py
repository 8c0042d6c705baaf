"""Sign-in and sign-out: audited (AU-01, ASVS 16.3.1), generic on failure, refused when deactivated (US-06)."""

from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import DEMO_PASSWORD

LOGIN = reverse("accounts:login")


def test_it_signs_in_and_rotates_the_session_key(client, cast):
    client.get(LOGIN)
    before = client.session.session_key
    response = client.post(LOGIN, {"username": "alice", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session.session_key != before
    assert AuditEvent.objects.filter(action="sign_in", actor=cast.alice).count() == 1


def test_a_wrong_password_gets_a_generic_message_and_is_audited(client, cast):
    response = client.post(LOGIN, {"username": "alice", "password": "not-the-password"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="sign_in_failed")
    assert event.actor_username == "alice"
    assert "not-the-password" not in str(event.before) + str(event.after) + event.detail


def test_an_unknown_user_gets_the_same_message(client, db):
    response = client.post(LOGIN, {"username": "nobody", "password": "whatever-password"})
    assert b"correct username and password" in response.content


def test_us06_a_deactivated_user_cannot_sign_in(client, cast):
    cast.carol.is_active = False
    cast.carol.save()
    response = client.post(LOGIN, {"username": "carol", "password": DEMO_PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_us06_a_session_ends_when_the_user_is_deactivated(client, cast):
    client.force_login(cast.carol)
    cast.carol.is_active = False
    cast.carol.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_sign_out_ends_the_session_on_the_server(client, cast):
    client.force_login(cast.alice)
    key = client.session.session_key
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(action="sign_out", actor=cast.alice).exists()


def test_sign_out_refuses_get(client, cast):
    client.force_login(cast.alice)
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_next_is_never_an_open_redirect(client, cast):
    for target in ("https://evil.example/", "//evil.example/", "http:///evil.example/"):
        response = client.post(f"{LOGIN}?next={target}", {"username": "alice", "password": DEMO_PASSWORD})
        assert response.status_code == 302
        assert "evil.example" not in response["Location"]
        client.logout()
