"""The agency admin (/agency/admin/): agency staff only, read-only where the services own the writes,
actions through the services (DESIGN "One domain layer"), bounded queries."""

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from providers import services as provider_services
from providers.models import (
    Access,
    ComplianceAssignment,
    Notification,
    Organization,
    PidSl,
    PrimaryChangeRequest,
    Service,
)
from tests import factories
from tests.helpers import fresh

ADMIN_INDEX = reverse("admin:index")
ADMIN_LOGIN = reverse("admin:login")

MODELS = [
    "accounts_user",
    "providers_organization",
    "providers_pidsl",
    "providers_service",
    "providers_access",
    "providers_primarychangerequest",
    "providers_complianceassignment",
    "providers_notification",
    "audit_auditevent",
]
READ_ONLY = [
    "providers_service",
    "providers_access",
    "providers_primarychangerequest",
    "providers_complianceassignment",
    "providers_notification",
    "audit_auditevent",
]


def changelist(name: str) -> str:
    return reverse(f"admin:{name}_changelist")


def change(name: str, pk) -> str:
    return reverse(f"admin:{name}_change", args=[pk])


def _change_request(cast, new_primary=None) -> PrimaryChangeRequest:
    return provider_services.change_request_file(
        actor=cast.alice, pidsl=cast.pidsl_a, new_primary=new_primary or cast.frank, reason="Alice retires"
    )


def _one_of_each(cast) -> dict:
    """A pk for each registered model, so every change page can be opened."""
    request = _change_request(cast)
    notification = factories.NotificationFactory(organization=cast.eddys, subject_user=cast.carol, pidsl=cast.pidsl_a)
    return {
        "accounts_user": cast.carol.pk,
        "providers_organization": cast.eddys.pk,
        "providers_pidsl": cast.pidsl_a.pk,
        "providers_service": Service.objects.get(code="claims").pk,
        "providers_access": cast.access(cast.carol, cast.pidsl_a).pk,
        "providers_primarychangerequest": request.pk,
        "providers_complianceassignment": ComplianceAssignment.objects.get(user=cast.compliance).pk,
        "providers_notification": notification.pk,
        "audit_auditevent": AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE_REQUEST_FILE).get().pk,
    }


def _action(client, name: str, action: str, pks) -> object:
    return client.post(
        changelist(name),
        {"action": action, "_selected_action": [str(pk) for pk in pks], "index": "0"},
        follow=True,
    )


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)] or [
        str(m) for m in response.context.get("messages", [])
    ]


# --- who gets in ---------------------------------------------------------------------------------


def test_agency_staff_open_the_admin_index_with_every_model(client, cast):
    client.force_login(cast.agency)
    response = client.get(ADMIN_INDEX)
    assert response.status_code == 200
    page = response.content.decode()
    for name in MODELS:
        assert changelist(name) in page
    # Guardian's permission table is written only with the Access table: not in the admin.
    assert "userobjectpermission" not in page.lower()


@pytest.mark.parametrize("name", MODELS)
def test_agency_staff_open_each_changelist(client, cast, name):
    _one_of_each(cast)
    client.force_login(cast.agency)
    assert client.get(changelist(name)).status_code == 200


@pytest.mark.parametrize("name", MODELS)
def test_agency_staff_open_each_change_page(client, cast, name):
    pk = _one_of_each(cast)[name]
    client.force_login(cast.agency)
    assert client.get(change(name, pk)).status_code == 200


@pytest.mark.parametrize("who", ["carol", "alice", "bob", "compliance", "biller"])
def test_portal_users_are_sent_to_the_admin_sign_in(client, cast, who):
    client.force_login(getattr(cast, who))
    for url in [ADMIN_INDEX, changelist("accounts_user"), changelist("audit_auditevent")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(ADMIN_LOGIN)


def test_anonymous_is_sent_to_the_admin_sign_in(client, db):
    for url in [ADMIN_INDEX, changelist("accounts_user"), changelist("audit_auditevent")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(ADMIN_LOGIN)


def test_a_superuser_who_is_not_staff_is_not_let_in(client, cast):
    root = factories.UserFactory(is_superuser=True, home_organization=None)
    client.force_login(root)
    response = client.get(changelist("accounts_user"))
    assert response.status_code == 302
    assert response["Location"].startswith(ADMIN_LOGIN)


def test_a_staff_superuser_still_cannot_add_change_or_delete_read_only_models(client, cast):
    root = factories.AgencyStaffFactory(is_superuser=True)
    client.force_login(root)
    event = factories.AuditEventFactory(actor=cast.carol)
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    assert client.post(change("audit_auditevent", event.pk), {"detail": "edited"}).status_code == 403


# --- nothing is added or deleted; read-only stays read-only ------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_nothing_can_be_added_or_deleted(client, cast, name):
    pk = _one_of_each(cast)[name]
    client.force_login(cast.agency)
    assert client.get(reverse(f"admin:{name}_add")).status_code == 403
    assert client.get(reverse(f"admin:{name}_delete", args=[pk])).status_code == 403
    assert "delete_selected" not in client.get(changelist(name)).content.decode()


@pytest.mark.parametrize("name", READ_ONLY)
def test_read_only_models_refuse_a_save(client, cast, name):
    pk = _one_of_each(cast)[name]
    client.force_login(cast.agency)
    page = client.get(change(name, pk)).content.decode()
    assert 'name="_save"' not in page
    assert client.post(change(name, pk), {}).status_code == 403


def test_au01_an_audit_event_cannot_be_saved_or_deleted(client, cast):
    event = factories.AuditEventFactory(actor=cast.carol, detail="original")
    client.force_login(cast.agency)
    page = client.get(change("audit_auditevent", event.pk)).content.decode()
    assert 'name="_save"' not in page
    assert "deletelink" not in page
    assert client.post(change("audit_auditevent", event.pk), {"detail": "edited"}).status_code == 403
    response = _action(client, "audit_auditevent", "delete_selected", [event.pk])
    event.refresh_from_db()
    assert event.detail == "original"
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert "delete_selected" not in response.content.decode()


# --- User: contact fields only, sensitive fields never shown ------------------------------------


def test_user_change_page_hides_pin_birth_date_and_password(client, cast):
    client.force_login(cast.agency)
    page = client.get(change("accounts_user", cast.carol.pk)).content.decode()
    for field in ["pin", "birth_month", "birth_day", "password", "is_staff", "is_superuser", "is_active"]:
        assert f'name="{field}"' not in page
    assert "PIN" not in page
    assert cast.carol.password not in page
    assert 'name="email"' in page


def test_user_list_shows_no_pin_or_birth_date(client, cast):
    client.force_login(cast.agency)
    page = client.get(changelist("accounts_user")).content.decode()
    assert "PIN" not in page
    assert "birth" not in page.lower()
    assert "HUGHES, " in page  # alice, in the POSC's "LAST, FIRST" form
    assert "Eddy&#x27;s Group Practice" in page


def _user_form(user, **changes) -> dict:
    data = {
        "first_name": user.first_name,
        "middle_initial": user.middle_initial,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.phone,
        "zip_code": user.zip_code,
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_agency_staff_change_contact_fields_only_and_it_is_audited(client, cast):
    carol = cast.carol
    pin, month, day, org = carol.pin, carol.birth_month, carol.birth_day, carol.home_organization_id
    client.force_login(cast.agency)
    response = client.post(
        change("accounts_user", carol.pk),
        _user_form(
            carol,
            email="carol.new@example.org",
            phone="617-555-0100",
            # Not in the form: ignored.
            pin="9999",
            birth_month="12",
            is_staff="on",
            is_superuser="on",
            is_active="",
            home_organization=str(cast.other.pk),
        ),
    )
    assert response.status_code == 302
    carol = fresh(carol)
    assert carol.email == "carol.new@example.org"
    assert carol.phone == "617-555-0100"
    assert (carol.pin, carol.birth_month, carol.birth_day, carol.home_organization_id) == (pin, month, day, org)
    assert carol.is_active and not carol.is_staff and not carol.is_superuser
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_UPDATE, target_user=carol)
    assert event.actor == cast.agency
    assert event.after == {"email": "carol.new@example.org", "phone": "617-555-0100"}


def test_us01_a_name_change_that_makes_a_duplicate_person_is_refused(client, cast):
    twin = factories.UserFactory(
        first_name="Carol",
        last_name="Twin",
        birth_month=cast.carol.birth_month,
        birth_day=cast.carol.birth_day,
        pin=cast.carol.pin,
        home_organization=cast.eddys,
    )
    client.force_login(cast.agency)
    response = client.post(
        change("accounts_user", cast.carol.pk), _user_form(cast.carol, first_name="carol", last_name="twin")
    )
    assert response.status_code == 200
    assert "US-01" in response.content.decode()
    assert fresh(cast.carol).last_name != "twin"
    assert twin.pk != cast.carol.pk


def test_organization_and_pidsl_change_only_names_and_addresses(client, cast):
    client.force_login(cast.agency)
    response = client.post(
        change("providers_organization", cast.eddys.pk),
        {"name": "Eddy's Group Practice LLC", "kind": "billing_intermediary", "is_pace": "on", "_save": "Save"},
    )
    assert response.status_code == 302
    eddys = Organization.objects.get(pk=cast.eddys.pk)
    assert eddys.name == "Eddy's Group Practice LLC"
    assert eddys.kind == Organization.Kind.PROVIDER and not eddys.is_pace

    response = client.post(
        change("providers_pidsl", cast.pidsl_a.pk),
        {
            "name": "Main office",
            "street": "1 Main St",
            "city": "Worcester",
            "state": "MA",
            "zip_code": "01608",
            "provider_id": "999999999",
            "service_location": "Z",
            "organization": str(cast.other.pk),
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    pidsl = PidSl.objects.get(pk=cast.pidsl_a.pk)
    assert (pidsl.name, pidsl.street, pidsl.city, pidsl.zip_code) == ("Main office", "1 Main St", "Worcester", "01608")
    assert (pidsl.provider_id, pidsl.service_location, pidsl.organization_id) == ("110000001", "A", cast.eddys.pk)
    # AU-01: each edit went through a service that wrote its record, before and after.
    records = AuditEvent.objects.filter(action=AuditEvent.Action.ORG_UPDATE, actor=cast.agency).order_by("id")
    assert [(r.organization_id, r.pidsl_id, r.before, r.after) for r in records] == [
        (cast.eddys.pk, None, {"name": "Eddy's Group Practice"}, {"name": "Eddy's Group Practice LLC"}),
        (
            cast.eddys.pk,
            cast.pidsl_a.pk,
            {
                "name": cast.pidsl_a.name,
                "street": cast.pidsl_a.street,
                "city": cast.pidsl_a.city,
                "zip_code": cast.pidsl_a.zip_code,
            },
            {"name": "Main office", "street": "1 Main St", "city": "Worcester", "zip_code": "01608"},
        ),
    ]


# --- User actions through the services -----------------------------------------------------------


def test_deactivate_action_calls_the_service(client, cast):
    client.force_login(cast.agency)
    response = _action(client, "accounts_user", "deactivate_users", [cast.carol.pk])
    assert response.status_code == 200
    assert not fresh(cast.carol).is_active
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.USER_DEACTIVATE, actor=cast.agency, target_user=cast.carol
    ).exists()
    assert any("carol was deactivated" in m for m in _messages(response))


def test_pu06_deactivating_a_primary_user_is_refused_with_the_message(client, cast):
    client.force_login(cast.agency)
    response = _action(client, "accounts_user", "deactivate_users", [cast.alice.pk, cast.carol.pk])
    assert fresh(cast.alice).is_active
    assert not fresh(cast.carol).is_active  # one refusal does not undo the others
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.USER_DEACTIVATE, target_user=cast.alice).exists()
    errors = [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"] or [
        m for m in response.context["messages"] if m.level_tag == "error"
    ]
    assert len(errors) == 1
    assert "PU-06" in str(errors[0])
    assert "PU-06" in response.content.decode()


def test_reactivate_action_calls_the_service(client, cast):
    client.force_login(cast.agency)
    _action(client, "accounts_user", "deactivate_users", [cast.carol.pk])
    response = _action(client, "accounts_user", "reactivate_users", [cast.carol.pk])
    assert fresh(cast.carol).is_active
    assert AuditEvent.objects.filter(action=AuditEvent.Action.USER_REACTIVATE, target_user=cast.carol).exists()
    # Reactivating an active user is refused by the service, and said so.
    response = _action(client, "accounts_user", "reactivate_users", [cast.carol.pk])
    assert "already active" in response.content.decode()


def test_us05_agency_staff_reset_a_primary_users_password_shown_once(client, cast):
    client.force_login(cast.agency)
    response = _action(client, "accounts_user", "reset_passwords", [cast.alice.pk, cast.carol.pk])
    page = response.content.decode()
    for user in (cast.alice, cast.carol):
        match = re.search(rf"Temporary password for {user.username}: (\S+) ", page)
        assert match, page
        user = fresh(user)
        assert user.check_password(match.group(1))
        assert user.must_change_password
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_RESET, actor=cast.agency).count() == 2
    # Shown once: the next page does not repeat it.
    assert "Temporary password" not in client.get(changelist("accounts_user")).content.decode()


def test_agency_staff_cannot_reset_their_own_password_through_the_admin(client, cast):
    client.force_login(cast.agency)
    response = _action(client, "accounts_user", "reset_passwords", [cast.agency.pk])
    assert "US-05" in response.content.decode()
    assert not fresh(cast.agency).must_change_password


# --- change requests -----------------------------------------------------------------------------


def test_pu06_approve_action_moves_the_primary_role(client, cast):
    request = _change_request(cast)
    client.force_login(cast.agency)
    response = _action(client, "providers_primarychangerequest", "approve_requests", [request.pk])
    assert response.status_code == 200
    assert cast.access(cast.frank, cast.pidsl_a).role == Access.Role.PRIMARY
    assert cast.access(cast.alice, cast.pidsl_a).role == Access.Role.SUBORDINATE
    request.refresh_from_db()
    assert request.status == PrimaryChangeRequest.Status.APPROVED
    assert request.decided_by == cast.agency
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE_REQUEST_APPROVE, actor=cast.agency).exists()
    # Approving it again is refused by the service and said so; nothing changes.
    response = _action(client, "providers_primarychangerequest", "approve_requests", [request.pk])
    assert "already decided" in response.content.decode()
    assert cast.access(cast.frank, cast.pidsl_a).role == Access.Role.PRIMARY


def test_reject_action_rejects_with_a_note(client, cast):
    request = _change_request(cast)
    client.force_login(cast.agency)
    _action(client, "providers_primarychangerequest", "reject_requests", [request.pk])
    request.refresh_from_db()
    assert request.status == PrimaryChangeRequest.Status.REJECTED
    assert request.decision_note == "Rejected by agency staff"
    assert cast.access(cast.alice, cast.pidsl_a).role == Access.Role.PRIMARY
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE_REQUEST_REJECT, actor=cast.agency).exists()


def test_a_portal_user_cannot_run_an_admin_action(client, cast):
    request = _change_request(cast)
    client.force_login(cast.alice)
    response = client.post(
        changelist("providers_primarychangerequest"),
        {"action": "approve_requests", "_selected_action": [str(request.pk)], "index": "0"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(ADMIN_LOGIN)
    request.refresh_from_db()
    assert request.status == PrimaryChangeRequest.Status.PENDING


# --- bounded queries -----------------------------------------------------------------------------


def _thirty_more_of_everything(cast) -> None:
    for _ in range(30):
        org = factories.OrganizationFactory()
        pidsl = factories.PidSlFactory(organization=org)
        primary = factories.UserFactory(home_organization=org)
        backup = factories.UserFactory(home_organization=org)
        factories.AccessFactory(user=primary, pidsl=pidsl, role=Access.Role.PRIMARY, granted_by=cast.agency)
        factories.AccessFactory(user=backup, pidsl=pidsl, role=Access.Role.BACKUP, granted_by=primary)
        provider_services.change_request_file(actor=primary, pidsl=pidsl, new_primary=backup)
        factories.ComplianceAssignmentFactory(user=backup, organization=org, granted_by=cast.agency)
        factories.NotificationFactory(organization=org, subject_user=backup, pidsl=pidsl)
        factories.AuditEventFactory(actor=primary, target_user=backup, target_username=backup.username, pidsl=pidsl)
    assert Notification.objects.count() >= 30


@pytest.mark.parametrize("name", MODELS)
def test_changelist_queries_do_not_grow_with_rows(client, cast, name, django_assert_max_num_queries):
    _one_of_each(cast)
    client.force_login(cast.agency)
    url = changelist(name)
    client.get(url)  # warm up the content types and session
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(url).status_code == 200
    _thirty_more_of_everything(cast)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert len(baseline.captured_queries) <= 20


@pytest.mark.parametrize(
    "query",
    [
        "accounts/user/?pin=1234",
        "accounts/user/?birth_month=7",
        "accounts/user/?birth_day__gte=4",
        "accounts/user/?password__startswith=argon2",
        "providers/access/?user__pin=1234",
        "providers/access/?user__password__startswith=a",
        "providers/primarychangerequest/?new_primary__birth_day=4",
        "providers/organization/?users__pin__startswith=1",
    ],
)
def test_no_changelist_filters_by_a_pin_a_birth_date_or_a_password(client, cast, query):
    """The finding (issue 14): ?pin= and ?password__startswith= recovered them a guess at a time."""
    client.force_login(cast.agency)
    response = client.get(f"/agency/admin/{query}")
    assert response.status_code == 400
    assert cast.carol.pin not in response.content.decode()


def test_ordinary_changelist_filters_still_work(client, cast):
    client.force_login(cast.agency)
    assert client.get("/agency/admin/accounts/user/?is_active__exact=1").status_code == 200
    assert client.get("/agency/admin/providers/access/?role__exact=primary").status_code == 200
