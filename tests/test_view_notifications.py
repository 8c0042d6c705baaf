"""View Notifications: what other organizations did with this organization's users (LK-02),
for the organization's administrators only."""

from datetime import timedelta

from django.utils import timezone

from providers.models import Notification
from tests import factories
from tests.view_helpers import page, url

NOTIFICATIONS = url("notifications")


def notify(organization, subject, message, minutes_ago=0):
    return factories.NotificationFactory(
        organization=organization,
        subject_user=subject,
        message=message,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_it_lists_the_organizations_notifications_newest_first(client, cast):
    notify(cast.eddys, cast.carol, "Older news about carol.", minutes_ago=10)
    notify(cast.eddys, cast.carol, "Newer news about carol.")
    notify(cast.other, cast.erin, "Other Clinic's own news.")
    client.force_login(cast.alice)

    response = client.get(NOTIFICATIONS)

    assert response.status_code == 200
    assert [n.message for n in response.context["page"].object_list] == [
        "Newer news about carol.",
        "Older news about carol.",
    ]
    assert "Other Clinic&#x27;s own news." not in page(response)


def test_dave_of_the_same_organization_sees_them_too(client, cast):
    notify(cast.eddys, cast.carol, "News about carol.")
    client.force_login(cast.dave)

    assert "News about carol." in page(client.get(NOTIFICATIONS))


def test_erin_sees_only_her_organizations(client, cast):
    notify(cast.eddys, cast.carol, "News about carol.")
    notify(cast.other, cast.erin, "News for Other Clinic.")
    client.force_login(cast.erin)

    response = client.get(NOTIFICATIONS)

    assert [n.message for n in response.context["page"].object_list] == ["News for Other Clinic."]


def test_a_link_by_another_organization_shows_up(client, cast):
    # LK-02 end to end: erin links Eddy's frank to X; Eddy's administrators read of it.
    from providers.models import Service
    from subordinates.services import user_link

    user_link(
        actor=cast.erin,
        pidsl=cast.pidsl_x,
        username="frank",
        last_name="Frank",
        services=list(Service.objects.filter(code="portal_services")),
    )
    client.force_login(cast.bob)

    response = client.get(NOTIFICATIONS)

    (notice,) = response.context["page"].object_list
    assert notice.kind == Notification.Kind.OUTSIDE_LINK
    assert "frank" in notice.message
    assert "Your user was linked by another organization" in page(response)


def test_none_says_so(client, cast):
    client.force_login(cast.alice)

    assert "No notifications." in page(client.get(NOTIFICATIONS))


def test_a_subordinate_is_refused(client, cast):
    notify(cast.eddys, cast.carol, "News about carol.")
    client.force_login(cast.carol)

    response = client.get(NOTIFICATIONS)

    assert response.status_code == 403
    assert "News about carol." not in page(response)


def test_it_paginates(client, cast):
    for i in range(30):
        notify(cast.eddys, cast.carol, f"Notice {i}.", minutes_ago=i)
    client.force_login(cast.alice)

    second = client.get(NOTIFICATIONS + "?page=2")

    assert len(second.context["page"].object_list) == 5
    assert 'aria-label="Page 2" aria-current="page"' in page(second)  # numbered pages, the second current
