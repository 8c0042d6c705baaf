"""Link Subordinate Accounts: an existing user, of this organization or another, found by
username and a matching last name (LK-01); all the chosen PID/SLs or none."""

import pytest

from audit.models import AuditEvent
from providers.models import Access, Notification
from tests import factories
from tests.helpers import audit_count, held
from tests.view_helpers import db_state, field_errors, page, services_errors, url


def link_url(cast):
    return url("link", pidsl=cast.pidsl_a.code)


def link_data(cast, *, username="frank", last_name="Frank", pidsls=None, services=("portal_services", "claims")):
    return {
        "username": username,
        "last_name": last_name,
        "pidsls": [p.pk for p in (pidsls or [cast.pidsl_a])],
        "services": list(services),
        "action": "submit",
    }


@pytest.fixture
def outsider(cast):
    """Like erin: a user of another organization (a central billing office, say)."""
    return factories.UserFactory(username="oscar", last_name="Okafor", home_organization=cast.other)


@pytest.fixture
def pidsl_c(cast):
    """A second PID/SL of Eddy's whose Primary User is alice too."""
    pidsl = factories.PidSlFactory(organization=cast.eddys, provider_id="110000001", service_location="C")
    factories.AccessFactory(user=cast.alice, pidsl=pidsl, role=Access.Role.PRIMARY)
    return pidsl


def test_it_shows_the_form(client, cast):
    client.force_login(cast.alice)

    response = client.get(link_url(cast) + "?username=frank")

    assert response.status_code == 200
    assert "Link Subordinate Accounts" in page(response)
    assert 'value="frank"' in page(response)
    assert list(response.context["form"].fields["pidsls"].queryset) == [cast.pidsl_a]


@pytest.mark.parametrize("actor", ["alice", "bob"])
def test_a_user_of_the_same_organization_is_linked(client, cast, actor):
    client.force_login(getattr(cast, actor))

    response = client.post(link_url(cast), link_data(cast))

    assert response.status_code == 200
    assert "Confirmation" in page(response)
    assert "frank was linked to 110000001A." in page(response)
    access = cast.access(cast.frank, cast.pidsl_a)
    assert access.role == Access.Role.SUBORDINATE
    assert held(cast.frank, cast.pidsl_a) == {"portal_services", "claims"}
    assert audit_count(action=AuditEvent.Action.LINK_CREATE, target_user=cast.frank) == 1
    assert not Notification.objects.exists()


def test_the_last_name_matches_in_any_case(client, cast):
    client.force_login(cast.alice)

    response = client.post(link_url(cast), link_data(cast, last_name="FRANK"))

    assert response.status_code == 200
    assert Access.objects.open().filter(user=cast.frank, pidsl=cast.pidsl_a).exists()


def test_lk01_a_user_of_another_organization_is_linked_and_stays_theirs(client, cast, outsider):
    client.force_login(cast.alice)

    response = client.post(link_url(cast), link_data(cast, username="oscar", last_name="Okafor"))

    assert response.status_code == 200
    assert held(outsider, cast.pidsl_a) == {"portal_services", "claims"}
    outsider.refresh_from_db()
    assert outsider.home_organization == cast.other
    # The home organization is told (LK-02).
    notice = Notification.objects.get(organization=cast.other)
    assert notice.kind == Notification.Kind.OUTSIDE_LINK
    assert notice.subject_user == outsider


@pytest.mark.parametrize(
    ("username", "last_name"),
    [
        pytest.param("frank", "Hughes", id="wrong-last-name"),
        pytest.param("oscar", "Frank", id="someone-elses-last-name"),
        pytest.param("nobody", "Frank", id="unknown-username"),
    ],
)
def test_lk01_username_and_last_name_must_both_match(client, cast, outsider, username, last_name):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(link_url(cast), link_data(cast, username=username, last_name=last_name))

    assert response.status_code == 400
    assert field_errors(response, "username") == [
        "No user you can choose here has that user ID and last name. Both must match. (LK-01)"
    ]
    assert db_state() == before


def test_a_user_already_linked_is_refused(client, cast):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(link_url(cast), link_data(cast, username="carol", last_name=cast.carol.last_name))

    assert response.status_code == 400
    assert any("already linked to 110000001A" in e for e in field_errors(response, "username"))
    assert db_state() == before


def test_a_deactivated_user_is_refused(client, cast):
    type(cast.frank).objects.filter(pk=cast.frank.pk).update(is_active=False)
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(link_url(cast), link_data(cast))

    assert response.status_code == 400
    assert any("(US-06)" in e for e in field_errors(response, "username"))
    assert db_state() == before


def test_it_links_to_every_chosen_pidsl(client, cast, pidsl_c):
    client.force_login(cast.alice)

    response = client.post(link_url(cast), link_data(cast, pidsls=[cast.pidsl_a, pidsl_c]))

    assert response.status_code == 200
    assert "frank was linked to 110000001A, 110000001C." in page(response)
    assert held(cast.frank, cast.pidsl_a) == {"portal_services", "claims"}
    assert held(cast.frank, pidsl_c) == {"portal_services", "claims"}


def test_one_refusal_leaves_no_link_anywhere(client, cast, pidsl_c):
    # frank is already at C: A comes first and is linked, then C refuses; A must roll back.
    factories.AccessFactory(user=cast.frank, pidsl=pidsl_c)
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(link_url(cast), link_data(cast, pidsls=[cast.pidsl_a, pidsl_c]))

    assert response.status_code == 400
    assert any("already linked to 110000001C" in e for e in field_errors(response, "username"))
    assert not Access.objects.open().filter(user=cast.frank, pidsl=cast.pidsl_a).exists()
    assert db_state() == before


def test_sv02_a_service_one_target_does_not_allow_is_refused_by_name_not_dropped(client, cast):
    """alice administers a long-term-care PID/SL too; linking frank there and at A with Manage MMQ
    (long-term care only) is refused at A by name, and nothing is linked anywhere."""
    harbor = factories.OrganizationFactory(name="Harbor Nursing", is_long_term_care=True)
    ltc = factories.PidSlFactory(organization=harbor, provider_id="440000001", service_location="A")
    factories.AccessFactory(user=cast.alice, pidsl=ltc, role=Access.Role.PRIMARY)
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(
        url("link", pidsl=ltc.code),
        link_data(cast, pidsls=[ltc, cast.pidsl_a], services=("portal_services", "mmq")),
    )

    assert response.status_code == 400
    assert any("Manage MMQ cannot be granted at 110000001A" in e and "(SV-02)" in e for e in services_errors(response))
    assert not Access.objects.open().filter(user=cast.frank).exists()
    assert db_state() == before


def test_a_pidsl_the_user_does_not_administer_cannot_be_chosen(client, cast):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(link_url(cast), link_data(cast, pidsls=[cast.pidsl_a, cast.pidsl_x]))

    assert response.status_code == 400
    assert field_errors(response, "pidsls")
    assert db_state() == before


def test_no_pidsl_chosen_is_refused(client, cast):
    client.force_login(cast.alice)

    data = link_data(cast)
    data.pop("pidsls")
    response = client.post(link_url(cast), data)

    assert response.status_code == 400
    assert field_errors(response, "pidsls") == ["Choose at least one provider to link the user to."]


@pytest.mark.parametrize("tampered", ["manage_subordinates", "mmq", "no_such_service"])
def test_a_tampered_service_is_refused(client, cast, tampered):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(link_url(cast), link_data(cast, services=["portal_services", tampered]))

    assert response.status_code == 400
    assert services_errors(response) == [f"{tampered} is not a service you can grant here."]
    assert db_state() == before
