"""PU-08: a Primary User who cannot sign in asks for recovery from the sign-in page; agency staff
verify and reset the password or issue a new PIN letter for a replacement; every step audited, the
backup and the Primary User told; the same answer whatever was typed, and throttled."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from posc.policy import NotAuthorized, PolicyViolation
from providers import authority, recovery
from providers.models import Designation, Notification, RecoveryRequest
from tests.snapshots import db_snapshot
from tests.view_helpers import field_errors

FILE_URL = reverse("providers:recovery")
QUEUE_URL = reverse("agency:recovery")


@pytest.fixture(autouse=True)
def alice_named(cast):
    """A first name a person types (the factory's "First1" is no name the form takes)."""
    cast.alice.first_name = "Alice"
    cast.alice.save(update_fields=["first_name"])


def alice_as_typed(cast, **changes) -> dict:
    alice = cast.alice
    data = {
        "pidsl": cast.pidsl_a.code,
        "first_name": alice.first_name,
        "last_name": alice.last_name,
        "birth_date": f"{alice.birth_month:02d}/{alice.birth_day:02d}",
        "pin": alice.pin,
        "contact": "617-555-0100",
    }
    data.update(changes)
    return data


def _filed(client, data):
    response = client.post(FILE_URL, data, REMOTE_ADDR="198.51.100.7")
    return response, RecoveryRequest.objects.order_by("-pk").first()


def test_the_sign_in_page_offers_it(client, cast):
    assert FILE_URL in client.get(reverse("accounts:login")).content.decode()
    assert client.get(FILE_URL).status_code == 200


def test_a_matching_request_is_filed_audited_and_told_to_the_backup_and_primary(client, cast):
    response, filed = _filed(client, alice_as_typed(cast))
    assert response.status_code == 200
    assert filed.matched_user == cast.alice and filed.status == RecoveryRequest.Status.OPEN
    record = AuditEvent.objects.get(action=AuditEvent.Action.RECOVERY_REQUEST)
    assert record.after == {"request": filed.pk, "identity_matched": True} and record.pidsl == cast.pidsl_a
    told = set(Notification.objects.filter(kind=Notification.Kind.RECOVERY).values_list("recipient_id", flat=True))
    assert told == {cast.alice.pk, cast.bob.pk}
    assert not hasattr(filed, "pin")  # the PIN typed is never kept


@pytest.mark.parametrize(
    "changes",
    [{}, {"pin": "0000"}, {"last_name": "Someone"}, {"pidsl": "999999999Z"}],
    ids=["matching", "wrong-pin", "wrong-name", "no-such-pidsl"],
)
def test_the_answer_is_the_same_whatever_was_typed(client, cast, changes):
    response, filed = _filed(client, alice_as_typed(cast, **changes))
    assert response.status_code == 200
    assert "MassHealth received your request" in response.content.decode()
    assert cast.alice.username not in response.content.decode()
    assert (filed.matched_user is not None) == (not changes)


def test_requests_are_throttled_per_pidsl(client, cast):
    for _ in range(recovery.PIDSL_FREE):
        assert _filed(client, alice_as_typed(cast))[0].status_code == 200
    before = RecoveryRequest.objects.count()
    response = client.post(FILE_URL, alice_as_typed(cast), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert RecoveryRequest.objects.count() == before


def test_bad_input_is_named_next_to_the_field_and_files_nothing(client, cast):
    response = client.post(FILE_URL, alice_as_typed(cast, birth_date="02/30", pin="12", pidsl="x"))
    assert response.status_code == 400
    assert field_errors(response, "birth_date") and field_errors(response, "pin") and field_errors(response, "pidsl")
    assert not RecoveryRequest.objects.exists()


@pytest.fixture
def filed(client, cast):
    return _filed(client, alice_as_typed(cast))[1]


def test_agency_resets_the_password_of_the_matched_primary(client, cast, filed):
    client.force_login(cast.agency)
    assert "Matches" in client.get(QUEUE_URL).content.decode()
    response = client.post(QUEUE_URL, {"request_id": filed.pk, "decision": "reset", "note": "called the office"})
    assert response.status_code == 200
    assert "one-time password" in response.content.decode()
    cast.alice.refresh_from_db()
    assert cast.alice.must_change_password  # US-04: temporary, changed at the next sign-in
    filed.refresh_from_db()
    assert filed.status == RecoveryRequest.Status.PASSWORD_RESET and filed.decided_by == cast.agency
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RECOVERY_DECISION, target_user=cast.alice).exists()


def test_agency_ends_the_primary_role_and_issues_a_letter_for_the_replacement(client, cast, filed):
    client.force_login(cast.agency)
    data = {
        "request_id": filed.pk,
        "decision": "letter",
        "designee_first_name": "Nora",
        "designee_last_name": "Quinn",
        "designee_email": "nora@example.org",
        "note": "Alice left; the office confirmed Nora",
    }
    response = client.post(QUEUE_URL, data)
    assert response.status_code == 200
    assert authority.holder_id(cast.pidsl_a, authority.PRIMARY) is None
    assert authority.holder_id(cast.pidsl_a, authority.BACKUP) == cast.bob.pk  # the backup administers meanwhile
    letter = Designation.objects.get(pidsl=cast.pidsl_a, registered_at__isnull=True, voided_at__isnull=True)
    assert (letter.first_name, letter.last_name) == ("Nora", "Quinn")
    filed.refresh_from_db()
    assert filed.status == RecoveryRequest.Status.LETTER_ISSUED
    decision = AuditEvent.objects.get(action=AuditEvent.Action.RECOVERY_DECISION)
    assert decision.after["primary_ended"] == "alice"


def test_a_letter_needs_the_replacement_named_next_to_the_fields(client, cast, filed):
    client.force_login(cast.agency)
    before = db_snapshot()
    response = client.post(QUEUE_URL, {"request_id": filed.pk, "decision": "letter"})
    assert response.status_code == 400
    assert f'id="first-{filed.pk}-error"' in response.content.decode()
    assert db_snapshot() == before


def test_no_password_reset_when_the_identity_did_not_match(client, cast):
    mismatch = _filed(client, alice_as_typed(cast, pin="0000"))[1]
    with pytest.raises(PolicyViolation, match="does not match"):
        recovery.recovery_reset_password(actor=cast.agency, request=mismatch)
    mismatch.refresh_from_db()
    assert mismatch.status == RecoveryRequest.Status.OPEN


def test_declining_needs_a_reason_and_a_decided_request_is_decided_once(client, cast, filed):
    with pytest.raises(PolicyViolation, match="Say why"):
        recovery.recovery_decline(actor=cast.agency, request=filed, note=" ")
    recovery.recovery_decline(actor=cast.agency, request=filed, note="Not confirmed by the office")
    with pytest.raises(PolicyViolation, match="already decided"):
        recovery.recovery_reset_password(actor=cast.agency, request=filed)


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "erin", "compliance", "biller"])
def test_only_agency_staff_decide(client, cast, filed, who):
    client.force_login(getattr(cast, who))
    assert client.get(QUEUE_URL).status_code == 403
    before = db_snapshot()
    response = client.post(QUEUE_URL, {"request_id": filed.pk, "decision": "decline", "note": "x"})
    assert response.status_code == 403
    assert db_snapshot() == before
    with pytest.raises(NotAuthorized):
        recovery.recovery_decline(actor=getattr(cast, who), request=filed, note="x")


def test_the_queue_offers_only_the_decisions_the_request_allows(client, cast):
    mismatch = _filed(client, alice_as_typed(cast, pin="0000"))[1]
    client.force_login(cast.agency)
    html = client.get(QUEUE_URL).content.decode()
    section = html[html.index(f'id="recovery-{mismatch.pk}"') :]
    section = section[: section.index("</section>")]
    assert 'value="reset"' not in section and 'value="letter"' in section
    assert recovery.decisions_open(mismatch) == {"reset": False, "letter": True, "decline": True}
