"""US-03: the current Terms and Conditions come before any other page, at first sign-in and
again when the terms change; acceptance is recorded with its time and audited."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import Terms
from audit.models import AuditEvent
from tests import factories

TERMS = reverse("accounts:terms")


def new_user(cast):
    return factories.UserFactory(home_organization=cast.eddys, terms_version="", terms_accepted_at=None)


def test_us03_a_first_sign_in_sees_the_terms_before_anything_else(client, cast):
    user = new_user(cast)
    client.force_login(user)
    for url in (reverse("home"), reverse("providers:search"), reverse("accounts:password_change")):
        assert client.get(url)["Location"] == TERMS
    page = client.get(TERMS)
    assert page.status_code == 200
    assert b"I Accept" in page.content


def test_us03_accepting_records_version_time_and_audit(client, cast):
    user = new_user(cast)
    client.force_login(user)
    current = Terms.current()
    response = client.post(TERMS, {"version": current.version, "decision": "accept"})
    assert response["Location"] == reverse("home")
    user.refresh_from_db()
    assert user.terms_version == current.version
    assert user.terms_accepted_at is not None
    assert AuditEvent.objects.filter(action="terms_accept", actor=user).exists()
    assert client.get(reverse("home")).status_code == 200


def test_us03_declining_signs_out_and_records_nothing(client, cast):
    user = new_user(cast)
    client.force_login(user)
    response = client.post(TERMS, {"version": Terms.current().version, "decision": "decline"})
    assert "declined=1" in response["Location"]
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.terms_accepted_at is None


def test_us03_new_terms_must_be_accepted_again(client, cast):
    client.force_login(cast.carol)
    assert client.get(reverse("home")).status_code == 200
    Terms.objects.create(
        version="2027-01", title="Terms", text="New terms.", published_at=timezone.now() + timedelta(1)
    )
    assert client.get(reverse("home"))["Location"] == TERMS


def test_us03_accepting_a_version_that_is_no_longer_current_changes_nothing(client, cast):
    user = new_user(cast)
    client.force_login(user)
    client.post(TERMS, {"version": "1999-01", "decision": "accept"})
    user.refresh_from_db()
    assert user.terms_accepted_at is None
