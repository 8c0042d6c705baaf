"""Sessions (ASVS 7.2.4, 7.3.1, 7.3.2, HIPAA automatic logoff) and the lock after repeated
failures (django-axes; ASVS 6.3.1, NIST SP 800-63B-4 §3.2.2). The waits before it, the client
address and the address throttle are tests/test_sign_in_throttle.py's."""

import time
from datetime import timedelta

from django.conf import settings
from django.urls import reverse

from accounts.middleware import SESSION_STARTED
from tests.factories import DEMO_PASSWORD
from tests.helpers import sign_in_failures

LOGIN = reverse("accounts:login")


def test_idle_timeout_defaults_to_fifteen_minutes():
    assert settings.SESSION_COOKIE_AGE == 15 * 60


def test_activity_renews_the_idle_timer_at_most_once_a_minute(client, cast):
    from django.contrib.sessions.models import Session

    client.force_login(cast.carol)
    client.get(reverse("home"))
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    client.get(reverse("home"))  # within the minute: no write
    assert Session.objects.get(session_key=key).expire_date == first
    session = client.session
    session["posc_session_touched"] = int(time.time()) - settings.POSC_SESSION_TOUCH_SECONDS
    session.save()
    saved = Session.objects.get(session_key=key).expire_date
    client.get(reverse("home"))
    assert Session.objects.get(session_key=key).expire_date >= saved


def test_pages_carry_the_idle_warning(client, cast):
    client.force_login(cast.carol)
    page = client.get(reverse("home")).content.decode()
    assert 'data-idle-seconds="900"' in page
    assert 'id="idle-warning"' in page


def test_keepalive_renews_the_session(client, cast):
    client.force_login(cast.carol)
    assert client.post(reverse("accounts:keepalive")).json() == {"idle_seconds": 900}
    assert client.get(reverse("accounts:keepalive")).status_code == 405


def test_a_session_ends_after_its_absolute_lifetime(client, cast):
    client.force_login(cast.carol)
    session = client.session
    session[SESSION_STARTED] = int(time.time()) - settings.POSC_SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get(reverse("home"))
    assert "ended=1" in response["Location"]
    assert "_auth_user_id" not in client.session


def _locked(username):
    # As if the user ID had failed POSC_LOCKOUT_FAILURES times in a row, waits and all (the waits
    # themselves are tests/test_sign_in_throttle.py's).
    sign_in_failures(username, settings.AXES_FAILURE_LIMIT)


def test_lockout_after_repeated_failures_even_with_the_right_password(client, cast):
    # NIST SP 800-63B-4 §3.2.2: at most 100 consecutive failures; ours lock at 50 (ASVS 6.3.1).
    assert settings.AXES_FAILURE_LIMIT == 50
    _locked("carol")
    response = client.post(LOGIN, {"username": "carol", "password": DEMO_PASSWORD})
    assert response.status_code == 429
    assert b"Sign-in locked" in response.content
    assert b"reset your password" in response.content
    assert "_auth_user_id" not in client.session


def test_the_lockout_message_is_the_same_for_unknown_user_ids(client, cast):
    _locked("carol")
    _locked("nobody-here")
    known = client.post(LOGIN, {"username": "carol", "password": "wrong-password-here"})
    unknown = client.post(LOGIN, {"username": "nobody-here", "password": "wrong-password-here"})
    assert known.status_code == unknown.status_code == 429
    assert known.content.replace(b"carol", b"") == unknown.content.replace(b"nobody-here", b"")


def test_durations_read_as_words():
    from posc.humane import duration_words

    assert duration_words(timedelta(minutes=15)) == "15 minutes"
    assert duration_words(timedelta(minutes=1)) == "1 minute"
    assert duration_words(timedelta(minutes=90)) == "1 hour 30 minutes"
    assert duration_words(timedelta(hours=2)) == "2 hours"
    assert duration_words("PT15M") == ""
    # A wait shorter than a minute reads in seconds, rounded up (accounts/throttle.py).
    assert duration_words(timedelta(seconds=2)) == "2 seconds"
    assert duration_words(timedelta(seconds=1)) == "1 second"
    assert duration_words(timedelta(seconds=61)) == "2 minutes"
