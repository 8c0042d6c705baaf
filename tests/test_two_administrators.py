"""Issue 15: two administrators at once lose nothing.

Each test plays both people through the views with two browsers (two Django test clients): both
open the same page, one submits, then the other submits the form of the page they opened before.
Submit applies the change the person made to what the page showed (Update Subordinate's services,
a review's Modify, contact and PID/SL details), or refuses with 409 Conflict and the present state
when the very same thing was changed or decided meanwhile (a review item, a change request).
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent, ReviewItem
from audit.reviews import services as reviews
from posc.policy import Conflict
from providers.models import Access, PidSl
from providers.services import pidsl_update
from subordinates import services as subordinate_services
from tests import factories
from tests.helpers import fresh, guardian_codes, held, services
from tests.view_helpers import access_url, db_state, hidden_fields, text, top_errors

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def update_url(cast) -> str:
    return access_url("update", cast.access(cast.carol, cast.pidsl_a))


@pytest.fixture
def carol_as_in_the_issue(cast):
    """DOE, JOHN of the issue: Primary Portal User and View Provider Reports, no Claims Submission."""
    subordinate_services.access_services_set(
        actor=cast.alice,
        access=cast.access(cast.carol, cast.pidsl_a),
        services=services("portal_services", "provider_reports"),
    )
    return cast.carol


# --- Update Subordinate (SV-03: services per user per PID/SL) --------------------------------------


@pytest.mark.parametrize("javascript", [False, True], ids=["no-javascript", "javascript"])
def test_sv03_a_service_the_backup_unassigned_is_not_granted_again_by_the_primarys_older_page(
    cast, carol_as_in_the_issue, javascript
):
    alice, bob = browser(cast.alice), browser(cast.bob)
    url = update_url(cast)
    alices_page, bobs_page = alice.get(url), bob.get(url)

    # The backup unassigns View Provider Reports and submits.
    step = bob.post(url, {**hidden_fields(bobs_page), "assigned": ["provider_reports"], "action": "unassign"})
    assert bob.post(url, {**hidden_fields(step), "action": "submit"}).status_code == 200
    assert held(cast.carol, cast.pidsl_a) == {"portal_services"}

    # The Primary User, on the page loaded before, assigns Claims Submission and submits.
    form = hidden_fields(alices_page)
    if javascript:  # services.js moves the option and rewrites the hidden "services" inputs in place
        form["services"] = [*form["services"], "claims"]
    else:  # without JavaScript, Assign re-renders with the working set (and what was seen) in hidden fields
        form = hidden_fields(alice.post(url, {**form, "available": ["claims"], "action": "assign"}))
    response = alice.post(url, {**form, "action": "submit"})

    assert response.status_code == 200
    # Her change (Claims Submission) is applied; View Provider Reports stays unassigned.
    assert held(cast.carol, cast.pidsl_a) == {"portal_services", "claims"}
    assert guardian_codes(cast.carol, cast.pidsl_a) == {"portal_services", "claims"}
    # She is told, in the Confirmation, who changed them meanwhile and what carol holds now.
    assert "bob also changed them since you opened the page; only your change was applied." in text(response)
    assert "now holds: Primary Portal User, Claims Submission and Status." in text(response)
    changes = AuditEvent.objects.filter(action=AuditEvent.Action.SERVICES_CHANGE, target_user=cast.carol)
    assert [(e.actor_username, e.after["services"]) for e in changes.order_by("pk")][-2:] == [
        ("bob", ["portal_services"]),
        ("alice", ["claims", "portal_services"]),
    ]


def test_sv03_the_same_service_unassigned_by_both_is_simply_unassigned(cast, carol_as_in_the_issue):
    alice, bob = browser(cast.alice), browser(cast.bob)
    url = update_url(cast)
    alices_page, bobs_page = alice.get(url), bob.get(url)
    for client, page in ((bob, bobs_page), (alice, alices_page)):
        form = {**hidden_fields(page), "services": ["portal_services"], "action": "submit"}
        assert client.post(url, form).status_code == 200

    assert held(cast.carol, cast.pidsl_a) == {"portal_services"}


def test_a_submit_without_what_the_page_showed_is_refused_and_changes_nothing(client, cast):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(update_url(cast), {"services": ["portal_services", "referrals"], "action": "submit"})

    assert response.status_code == 400
    assert top_errors(response) == ["This page is out of date: open Update Subordinate again, then make your change."]
    assert db_state() == before


# --- Access reviews (AR-02, AR-05) -----------------------------------------------------------------


@pytest.fixture
def review(cast):
    return reviews.review_create(organization=cast.eddys, actor=cast.alice)


def review_url(name, cast, *args) -> str:
    return reverse(f"reviews:{name}", args=[cast.eddys.pk, *args])


def carols_item(review) -> ReviewItem:
    return ReviewItem.objects.get(review=review, user__username="carol")


def ticked(page, item) -> list[str]:
    """The services a review page shows ticked in one item's "Services if modified"."""
    form = re.search(rf'action="[^"]*/{item.pk}/[^"]*".*?</form>', page.content.decode(), re.S).group(0)
    return re.findall(r'name="services" value="([^"]+)" checked>', form)


def test_ar02_an_item_decided_since_the_page_was_opened_is_a_conflict_naming_who(cast, review):
    alice, bob = browser(cast.alice), browser(cast.bob)
    item = carols_item(review)
    assert alice.get(review_url("detail", cast, review.pk)).status_code == 200
    assert bob.get(review_url("detail", cast, review.pk)).status_code == 200

    assert bob.post(review_url("decide", cast, review.pk, item.pk), {"decision": "keep"}).status_code == 302
    before = db_state()
    response = alice.post(review_url("decide", cast, review.pk, item.pk), {"decision": "remove", "page": "1"})

    assert response.status_code == 409
    assert "This item was already decided by bob on " in text(response)
    assert ": Keep. (AR-02)" in text(response)
    assert "Nothing was changed." in text(response)
    assert db_state() == before
    item.refresh_from_db()
    assert (item.decision, item.decided_by) == (ReviewItem.Decision.KEEP, cast.bob)
    assert Access.objects.open().filter(user=cast.carol, pidsl=cast.pidsl_a).exists()


def test_ar02_modify_in_a_review_does_not_grant_again_what_update_subordinate_revoked(cast, review):
    # The review found carol with Claims and View Provider Reports; bob then unassigns View Provider
    # Reports on Update Subordinate; alice, on the review page opened before, modifies carol's
    # services by adding Manage Referrals (the boxes she saw ticked stay ticked).
    alice, bob = browser(cast.alice), browser(cast.bob)
    item = carols_item(review)
    alices_page = alice.get(review_url("detail", cast, review.pk))
    url = update_url(cast)
    bob.post(url, {**hidden_fields(bob.get(url)), "services": ["portal_services", "claims"], "action": "submit"})

    boxes = ticked(alices_page, item)
    assert set(boxes) == {"claims", "provider_reports"}
    response = alice.post(
        review_url("decide", cast, review.pk, item.pk), {"decision": "modify", "services": [*boxes, "referrals"]}
    )

    assert response.status_code == 302
    assert held(cast.carol, cast.pidsl_a) == {"portal_services", "claims", "referrals"}
    item.refresh_from_db()
    assert item.services_after == ["portal_services", "claims", "referrals"]


def test_ar02_keep_all_remaining_leaves_what_the_other_administrator_decided(cast, review):
    alice, bob = browser(cast.alice), browser(cast.bob)
    item = carols_item(review)
    assert alice.get(review_url("detail", cast, review.pk)).status_code == 200

    assert bob.post(review_url("decide", cast, review.pk, item.pk), {"decision": "remove"}).status_code == 302
    assert alice.post(review_url("keep_remaining", cast, review.pk)).status_code == 302

    item.refresh_from_db()
    assert (item.decision, item.decided_by) == (ReviewItem.Decision.REMOVE, cast.bob)
    assert not Access.objects.open().filter(user=cast.carol, pidsl=cast.pidsl_a).exists()


# --- Agency Administration: a user's contact details (LK-03) and a PID/SL's details ----------------


def admin_change(model: str, pk) -> str:
    return reverse(f"admin:{model}_change", args=[pk])


def as_shown(page) -> dict:
    """The change form as the page shows it: each field with the value it was opened with."""
    hidden = hidden_fields(page)
    shown = {name.removeprefix("initial-"): value for name, value in hidden.items() if name.startswith("initial-")}
    return {**hidden, **shown, "_save": "Save"}


@pytest.fixture
def two_agency_staff(cast):
    return browser(cast.agency), browser(factories.AgencyStaffFactory(username="agency2"))


@pytest.mark.parametrize(
    ("model", "row", "mine", "theirs"),
    [
        pytest.param(
            "accounts_user", lambda c: c.carol, ("phone", "617-555-0199"), ("email", "c@example.org"), id="user"
        ),
        pytest.param(
            "providers_pidsl", lambda c: c.pidsl_a, ("city", "Worcester"), ("name", "Main office"), id="pidsl"
        ),
    ],
)
def test_a_detail_edit_from_an_older_page_keeps_the_others_edit(cast, two_agency_staff, model, row, mine, theirs):
    first, second = two_agency_staff
    url = admin_change(model, row(cast).pk)
    firsts_page, seconds_page = first.get(url), second.get(url)

    assert second.post(url, {**as_shown(seconds_page), theirs[0]: theirs[1]}).status_code == 302
    response = first.post(url, {**as_shown(firsts_page), mine[0]: mine[1]})

    assert response.status_code == 302
    now = type(row(cast)).objects.get(pk=row(cast).pk)
    assert (getattr(now, theirs[0]), getattr(now, mine[0])) == (theirs[1], mine[1])


@pytest.mark.parametrize(
    ("model", "row", "field", "action"),
    [
        pytest.param("accounts_user", lambda c: c.carol, "email", AuditEvent.Action.USER_UPDATE, id="user"),
        pytest.param("providers_pidsl", lambda c: c.pidsl_a, "name", AuditEvent.Action.ORG_UPDATE, id="pidsl"),
    ],
)
def test_the_same_detail_changed_meanwhile_is_shown_not_overwritten(cast, two_agency_staff, model, row, field, action):
    first, second = two_agency_staff
    url = admin_change(model, row(cast).pk)
    firsts_page, seconds_page = first.get(url), second.get(url)
    value = {"email": "x@example.org", "name": "North office"}[field]
    assert second.post(url, {**as_shown(seconds_page), field: f"2{value}"}).status_code == 302
    records = AuditEvent.objects.filter(action=action).count()

    response = first.post(url, {**as_shown(firsts_page), field: f"1{value}"})

    assert response.status_code == 200
    assert f"Changed by someone else since you opened this page; it now holds “2{value}”." in text(response)
    assert getattr(type(row(cast)).objects.get(pk=row(cast).pk), field) == f"2{value}"
    assert AuditEvent.objects.filter(action=action).count() == records
    # The page now shows what holds: saving it again means replacing it.
    assert first.post(url, {**as_shown(response), field: f"1{value}"}).status_code == 302
    assert getattr(type(row(cast)).objects.get(pk=row(cast).pk), field) == f"1{value}"


def test_the_services_refuse_a_stale_detail_edit_whoever_calls_them(cast):
    # Under the row's lock, for any caller: the admin form's check is only its message (US-02, AU-01).
    subordinate_services.user_contact_update(actor=cast.agency, user=cast.carol, changes={"email": "b@example.org"})
    with pytest.raises(Conflict) as refused:
        subordinate_services.user_contact_update(
            actor=cast.agency, user=cast.carol, changes={"email": "a@example.org"}, seen={"email": cast.carol.email}
        )
    assert refused.value.rule == "US-02"
    assert "It now holds email address: “b@example.org”." in refused.value.messages[0]
    assert fresh(cast.carol).email == "b@example.org"

    pidsl_update(actor=cast.agency, pidsl=cast.pidsl_a, changes={"city": "Lowell"})
    with pytest.raises(Conflict):
        pidsl_update(actor=cast.agency, pidsl=cast.pidsl_a, changes={"city": "Lynn"}, seen={"city": cast.pidsl_a.city})
    assert PidSl.objects.get(pk=cast.pidsl_a.pk).city == "Lowell"
