"""Organization Users: every user of the organization and every PID/SL each is linked to,
outside ones marked (LK-02); Deactivate and Reactivate are the home organization's (US-06)."""

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from providers.models import Access, ComplianceAssignment, Notification
from tests import factories
from tests.helpers import audit_count, fresh
from tests.view_helpers import db_state, page, text, url

User = get_user_model()
USERS = url("users")

# Session, user, administered organizations, organizations, count, page, links prefetch,
# navigation, session save (in a savepoint), the administered PID/SLs (Off-board): none per row.
MAX_QUERIES = 17


@pytest.fixture
def pidsl_x2(cast):
    """An Other Clinic PID/SL that carol is linked to as well (an outside link of Eddy's user)."""
    pidsl = factories.PidSlFactory(organization=cast.other, provider_id="330000001", service_location="B")
    factories.AccessFactory(user=cast.erin, pidsl=pidsl, role=Access.Role.PRIMARY)
    factories.AccessFactory(user=cast.carol, pidsl=pidsl)
    return pidsl


def rows(response) -> dict:
    return {u.username: u for u in response.context["page"].object_list}


@pytest.mark.parametrize("actor", ["alice", "bob", "dave"])
def test_it_lists_every_user_of_the_organization(client, cast, actor):
    client.force_login(getattr(cast, actor))

    response = client.get(USERS)

    assert response.status_code == 200
    assert response.context["organization"] == cast.eddys
    assert set(rows(response)) == {"alice", "bob", "carol", "dave", "frank", "compliance"}
    assert "erin" not in page(response)
    assert "biller" not in page(response)


def test_lk02_outside_links_are_marked(client, cast, pidsl_x2):
    client.force_login(cast.alice)

    response = client.get(USERS)

    carol = rows(response)["carol"]
    assert {link.pidsl.code for link in carol.open_links} == {"110000001A", "330000001B"}
    assert page(response).count("outside: Other Clinic") == 1


def test_another_organization_cannot_be_chosen(client, cast):
    client.force_login(cast.alice)

    response = client.get(USERS + f"?organization={cast.other.pk}")

    assert response.context["organization"] == cast.eddys
    assert "erin" not in rows(response)


def test_erin_sees_only_her_own_organization(client, cast):
    client.force_login(cast.erin)

    response = client.get(USERS + f"?organization={cast.eddys.pk}")

    assert response.context["organization"] == cast.other
    assert set(rows(response)) == {"erin"}


@pytest.mark.parametrize("actor", ["alice", "bob", "dave"])
def test_deactivate(client, cast, actor):
    client.force_login(getattr(cast, actor))

    response = client.post(url("deactivate", user_id=cast.carol.pk), {"reason": "left the practice"})

    assert response.status_code == 200
    assert "was deactivated" in page(response)
    carol = fresh(cast.carol)
    assert carol.is_active is False
    # US-06: the links stay, so reactivation restores them.
    assert Access.objects.open().filter(user=carol, pidsl=cast.pidsl_a).exists()
    assert audit_count(action=AuditEvent.Action.USER_DEACTIVATE, target_user=carol) == 1


def test_deactivating_a_user_linked_elsewhere_tells_them(client, cast, pidsl_x2):
    client.force_login(cast.alice)

    client.post(url("deactivate", user_id=cast.carol.pk))

    notice = Notification.objects.get(organization=cast.other)
    assert notice.kind == Notification.Kind.USER_DEACTIVATED


def test_reactivate_restores_the_prior_links(client, cast):
    client.force_login(cast.alice)
    client.post(url("deactivate", user_id=cast.carol.pk))

    response = client.post(url("reactivate", user_id=cast.carol.pk))

    assert response.status_code == 200
    assert "the prior links are restored" in page(response)
    assert fresh(cast.carol).is_active is True
    assert Access.objects.open().filter(user=cast.carol, pidsl=cast.pidsl_a).exists()
    assert audit_count(action=AuditEvent.Action.USER_REACTIVATE, target_user=cast.carol) == 1


@pytest.mark.parametrize(("actor", "target"), [("bob", "alice"), ("alice", "dave"), ("dave", "alice")])
def test_pu06_a_primary_user_cannot_be_deactivated(client, cast, actor, target):
    client.force_login(getattr(cast, actor))
    before = db_state()

    response = client.post(url("deactivate", user_id=getattr(cast, target).pk))

    assert response.status_code == 403
    assert "(PU-06)" in text(response)
    assert db_state() == before


def test_deactivating_oneself_is_refused(client, cast):
    client.force_login(cast.bob)
    before = db_state()

    response = client.post(url("deactivate", user_id=cast.bob.pk))

    assert response.status_code == 403
    assert "(US-06)" in text(response)
    assert db_state() == before


def test_deactivating_twice_is_refused(client, cast):
    client.force_login(cast.alice)
    client.post(url("deactivate", user_id=cast.carol.pk))
    before = db_state()

    response = client.post(url("deactivate", user_id=cast.carol.pk))

    assert response.status_code == 403
    assert db_state() == before


@pytest.mark.parametrize("name", ["deactivate", "reactivate"])
@pytest.mark.parametrize("target", ["erin", "biller"])
def test_a_user_of_another_organization_gets_403(client, cast, name, target):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(url(name, user_id=getattr(cast, target).pk))

    assert response.status_code == 403
    assert db_state() == before


def test_an_unknown_user_is_404(client, cast):
    client.force_login(cast.alice)

    assert client.post(url("deactivate", user_id=999_999_999)).status_code == 404


def test_deactivate_rejects_get(client, cast):
    client.force_login(cast.alice)

    assert client.get(url("deactivate", user_id=cast.carol.pk)).status_code == 405
    assert fresh(cast.carol).is_active


def add_users(cast, n: int) -> None:
    for _ in range(n):
        user = factories.UserFactory(home_organization=cast.eddys)
        factories.AccessFactory(user=user, pidsl=cast.pidsl_a, services=["portal_services", "claims"])
        factories.AccessFactory(user=user, pidsl=cast.pidsl_b)


def test_queries_do_not_grow_with_the_number_of_users(client, cast, django_assert_max_num_queries):
    client.force_login(cast.alice)
    add_users(cast, 5)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(USERS)
    assert response.context["page"].paginator.count == 11

    add_users(cast, 40)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(USERS)
    assert response.context["page"].paginator.count == 51
    assert len(response.context["page"].object_list) == 25


def test_the_buttons_are_authoritys_answers(client, cast):
    """Organization Users shows Deactivate only where the service would accept it: not for a
    Primary User (PU-06) or oneself, each with the reason instead."""
    client.force_login(cast.bob)

    response = client.get(url("users"))
    body = page(response)

    assert url("deactivate", user_id=cast.carol.pk) in body
    assert url("deactivate", user_id=cast.alice.pk) not in body
    assert "alice is a Primary User; a replacement must be approved before deactivation. (PU-06)" in body


# --- issue 18: a search, and a confirmation before making a compliance officer --------------------


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("Frank", {"frank"}),  # a last name
        ("fra", {"frank"}),  # its first letters, any case
        ("carol", {"carol"}),  # a user ID
        ("Hughes alice", {"alice"}),  # every word matches something
        ("Hughes bob", set()),
    ],
)
def test_the_users_are_searched_by_name_or_user_id(client, cast, term, found):
    client.force_login(cast.alice)
    response = client.get(USERS, {"q": term})
    assert response.status_code == 200
    assert set(rows(response)) == found
    assert response.context["page"].paginator.count == len(found)


def test_a_search_keeps_to_the_organization(client, cast):
    client.force_login(cast.alice)
    assert set(rows(client.get(USERS, {"q": "erin"}))) == set()
    assert "No user of Eddy&#x27;s Group Practice matches &ldquo;erin&rdquo;." in page(client.get(USERS, {"q": "erin"}))


def test_a_search_pages_and_counts_and_the_pages_keep_it(client, cast):
    for n in range(30):
        factories.UserFactory(home_organization=cast.eddys, username=f"temp{n:02}", last_name=f"Temp{n:02}")
    client.force_login(cast.alice)
    response = client.get(USERS, {"q": "temp"})
    body = page(response)
    assert response.context["page"].paginator.count == 30
    assert "Showing 1&ndash;25 of 30" in body
    assert "?q=temp&amp;page=2" in body
    second = client.get(USERS, {"q": "temp", "page": 2})
    assert len(second.context["page"].object_list) == 5


@pytest.mark.parametrize("term", ["x" * 151, "a\x00b"])
def test_a_bad_search_says_so_at_the_field_and_filters_nothing(client, cast, term):
    client.force_login(cast.alice)
    response = client.get(USERS, {"q": term})
    assert response.status_code == 400
    assert response.context["search_form"].errors["q"]
    assert 'class="usa-error-message"' in page(response)
    assert response.context["page"].paginator.count == 6


def test_the_search_runs_constant_queries(client, cast, django_assert_max_num_queries):
    add_users(cast, 30)
    client.force_login(cast.alice)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(USERS, {"q": "First"})
    assert response.context["page"].paginator.count > 25


def test_make_compliance_officer_is_a_less_prominent_link_to_a_confirmation(client, cast):
    client.force_login(cast.alice)
    body = page(client.get(USERS))
    confirm = url("compliance_officer", user_id=cast.frank.pk)
    assert f'<a class="usa-button usa-button--unstyled" href="{confirm}">Make compliance officer' in body
    # No form on the list appoints at one click any more.
    assert '<input type="hidden" name="action" value="appoint">' not in body


def test_au01_the_confirmation_names_what_an_officer_reads_and_changes_nothing(client, cast):
    client.force_login(cast.alice)
    before = db_state()
    response = client.get(url("compliance_officer", user_id=cast.frank.pk))
    body = page(response)
    assert response.status_code == 200
    assert "every access review and its decisions, the audit trail and the reports" in body
    assert "They change nothing." in body
    assert f'href="{USERS}">Cancel</a>' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert db_state() == before
    assert not ComplianceAssignment.objects.filter(user=cast.frank).exists()


def test_au01_confirming_appoints(client, cast):
    client.force_login(cast.alice)
    response = client.post(url("compliance_officer", user_id=cast.frank.pk), {"action": "appoint"})
    assert response.status_code == 200
    assert ComplianceAssignment.objects.filter(user=cast.frank, ended_at__isnull=True).exists()


def test_the_confirmation_of_an_officer_says_they_are_one(client, cast):
    client.force_login(cast.alice)
    body = page(client.get(url("compliance_officer", user_id=cast.compliance.pk)))
    assert "is already a compliance officer" in body
    assert 'value="appoint"' not in body


@pytest.mark.parametrize("actor", ["bob", "erin"])
def test_au01_only_the_organizations_primary_user_sees_the_confirmation(client, cast, actor):
    client.force_login(getattr(cast, actor))
    before = audit_count(action=AuditEvent.Action.ACCESS_REFUSED)
    response = client.get(url("compliance_officer", user_id=cast.frank.pk))
    assert response.status_code == 403
    assert audit_count(action=AuditEvent.Action.ACCESS_REFUSED) == before + 1
