"""LK-04 expiring links: an outside user's link may carry an end date, set on Link and changed on
Update Subordinate; the linking PID/SL's administrators are reminded 14 and 1 days before, once;
on the date the daily job ends the link through link_end, audited, and the home organization is told."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from posc.daily import DAILY_JOBS
from posc.policy import PolicyViolation
from providers.models import Access, LinkEndReminder, Notification
from subordinates import link_dates
from subordinates.services import link_ends_on_set, user_link
from tests import factories
from tests.helpers import services
from tests.view_helpers import access_url, field_errors, seen_of, url


@pytest.fixture
def today():
    return timezone.localdate()


def biller_link(cast) -> Access:
    return cast.access(cast.biller, cast.pidsl_a)


def ending(cast, days: int, today) -> Access:
    access = biller_link(cast)
    Access.objects.filter(pk=access.pk).update(ends_on=today + timedelta(days=days))
    return Access.objects.get(pk=access.pk)


def state():
    return (
        AuditEvent.objects.count(),
        Notification.objects.count(),
        LinkEndReminder.objects.count(),
        sorted(Access.objects.values_list("pk", "ended_at", "ends_on")),
    )


# --- setting the date ------------------------------------------------------------------------------


def test_lk04_an_outside_users_link_gets_an_end_date(cast, today):
    outsider = factories.UserFactory(username="oscar", last_name="Okafor", home_organization=cast.other)
    day = today + timedelta(days=60)

    access = user_link(
        actor=cast.alice,
        pidsl=cast.pidsl_a,
        username="oscar",
        last_name="Okafor",
        services=services("portal_services"),
        ends_on=day,
    )

    assert Access.objects.get(pk=access.pk).ends_on == day
    event = AuditEvent.objects.get(action=AuditEvent.Action.LINK_CREATE, target_user=outsider)
    assert event.after["ends_on"] == day.isoformat()


def test_lk04_an_own_users_link_has_no_end_date(cast, today):
    with pytest.raises(PolicyViolation, match=r"LK-04") as refused:
        user_link(
            actor=cast.alice,
            pidsl=cast.pidsl_a,
            username="frank",
            last_name="Frank",
            services=services("portal_services"),
            ends_on=today + timedelta(days=30),
        )
    assert refused.value.field == "ends_on"
    assert not Access.objects.open().filter(user=cast.frank).exists()


@pytest.mark.parametrize("days", [0, -1])
def test_lk04_the_end_date_is_in_the_future(cast, today, days):
    with pytest.raises(PolicyViolation, match=r"after today.*LK-04"):
        link_ends_on_set(actor=cast.alice, access=biller_link(cast), ends_on=today + timedelta(days=days))
    assert biller_link(cast).ends_on is None


def test_lk04_changing_the_date_tells_the_home_organization_and_is_audited(cast, today):
    day = today + timedelta(days=20)
    assert link_ends_on_set(actor=cast.bob, access=biller_link(cast), ends_on=day) is True
    assert link_ends_on_set(actor=cast.bob, access=biller_link(cast), ends_on=day) is False

    assert biller_link(cast).ends_on == day
    note = Notification.objects.get(kind=Notification.Kind.OUTSIDE_CHANGE)
    assert note.organization == cast.billing and day.strftime("%m/%d/%Y") in note.message
    event = AuditEvent.objects.get(action=AuditEvent.Action.LINK_UPDATE, target_user=cast.biller)
    assert (event.actor, event.pidsl, event.after) == (cast.bob, cast.pidsl_a, {"ends_on": day.isoformat()})
    assert event.home_organization_id == cast.billing.pk  # LK-03: in the home organization's trail


def test_lk04_only_the_pidsls_administrators_set_the_date(cast, today):
    with pytest.raises(PolicyViolation, match="PU-04"):
        link_ends_on_set(actor=cast.dave, access=biller_link(cast), ends_on=today + timedelta(days=20))


# --- the screens -----------------------------------------------------------------------------------


def test_the_link_screen_takes_an_end_date(client, cast, today):
    factories.UserFactory(username="oscar", last_name="Okafor", home_organization=cast.other)
    client.force_login(cast.alice)
    day = today + timedelta(days=45)
    data = {
        "username": "oscar",
        "last_name": "Okafor",
        "pidsls": [cast.pidsl_a.pk],
        "services": ["portal_services"],
        "ends_on": day.isoformat(),
        "action": "submit",
    }
    assert "Link ends on" in client.get(url("link", pidsl=cast.pidsl_a.code)).content.decode()

    assert client.post(url("link", pidsl=cast.pidsl_a.code), data).status_code == 200

    assert Access.objects.open().get(user__username="oscar").ends_on == day


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2027-02-30", "Enter the date as mm/dd/yyyy."),
        ("yesterday", "Enter the date as mm/dd/yyyy."),
        ("past", "after today"),
    ],
)
def test_a_bad_end_date_gets_a_message_next_to_the_field(client, cast, today, value, message):
    if value == "past":
        value = (today - timedelta(days=3)).isoformat()
    factories.UserFactory(username="oscar", last_name="Okafor", home_organization=cast.other)
    client.force_login(cast.alice)
    data = {"username": "oscar", "last_name": "Okafor", "pidsls": [cast.pidsl_a.pk], "action": "submit"}

    response = client.post(url("link", pidsl=cast.pidsl_a.code), {**data, "ends_on": value})

    assert response.status_code == 400
    assert any(message in e for e in field_errors(response, "ends_on"))
    assert not Access.objects.open().filter(user__username="oscar").exists()


def test_the_link_screen_refuses_an_end_date_for_an_own_user_next_to_the_field(client, cast, today):
    client.force_login(cast.alice)
    data = {
        "username": "frank",
        "last_name": "Frank",
        "pidsls": [cast.pidsl_a.pk],
        "ends_on": (today + timedelta(days=9)).isoformat(),
        "action": "submit",
    }
    response = client.post(url("link", pidsl=cast.pidsl_a.code), data)
    assert response.status_code == 400
    assert any("LK-04" in e for e in field_errors(response, "ends_on"))


def test_update_subordinate_changes_the_end_date_of_an_outside_user(client, cast, today):
    client.force_login(cast.alice)
    access = biller_link(cast)
    path = access_url("update", access)
    assert "Link ends on" in client.get(path).content.decode()
    day = today + timedelta(days=30)
    data = {"services": ["portal_services", "claims", "batch_files"], "seen": seen_of(access), "action": "submit"}

    response = client.post(path, {**data, "ends_on": day.isoformat()})

    assert response.status_code == 200
    assert biller_link(cast).ends_on == day
    response = client.post(path, {**data, "seen": seen_of(biller_link(cast)), "ends_on": ""})
    assert response.status_code == 200 and biller_link(cast).ends_on is None


def test_update_subordinate_refuses_a_past_end_date_and_changes_nothing(client, cast, today):
    client.force_login(cast.alice)
    access = biller_link(cast)
    data = {"services": ["portal_services"], "seen": seen_of(access), "action": "submit"}

    response = client.post(access_url("update", access), {**data, "ends_on": today.isoformat()})

    assert response.status_code == 400
    assert any("after today" in e for e in field_errors(response, "ends_on"))
    assert biller_link(cast).ends_on is None
    assert {s.code for s in biller_link(cast).services.all()} == {"portal_services", "claims", "batch_files"}


def test_update_subordinate_of_an_own_user_has_no_end_date(client, cast, today):
    client.force_login(cast.alice)
    access = cast.access(cast.carol, cast.pidsl_a)
    assert "Link ends on" not in client.get(access_url("update", access)).content.decode()
    data = {"services": ["portal_services"], "seen": seen_of(access), "action": "submit"}
    client.post(access_url("update", access), {**data, "ends_on": (today + timedelta(days=9)).isoformat()})
    assert cast.access(cast.carol, cast.pidsl_a).ends_on is None


# --- the daily job ---------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [14, 1])
def test_lk04_reminders_go_to_the_linking_pidsls_administrators_once(cast, today, days):
    access = ending(cast, days, today)

    assert link_dates.expiring_links_daily(today) == {"reminded": 1, "ended": 0}
    assert link_dates.expiring_links_daily(today) == {"reminded": 0, "ended": 0}

    notes = Notification.objects.filter(kind=Notification.Kind.LINK_ENDING)
    assert {n.recipient for n in notes} == {cast.alice, cast.bob}  # not dave (B), not Bay State
    assert all(n.pidsl == cast.pidsl_a and n.subject_user == cast.biller for n in notes)
    assert all(access.ends_on.strftime("%m/%d/%Y") in n.message and "LK-04" in n.message for n in notes)


@pytest.mark.parametrize("days", [15, 13, 7, 2])
def test_lk04_no_reminder_on_other_days(cast, today, days):
    ending(cast, days, today)
    assert link_dates.expiring_links_daily(today) == {"reminded": 0, "ended": 0}
    assert not Notification.objects.exists()


def test_lk04_on_the_date_the_link_ends_audited_and_the_home_organization_is_told(cast, today):
    access = ending(cast, 0, today)

    assert link_dates.expiring_links_daily(today) == {"reminded": 0, "ended": 1}

    ended = Access.objects.get(pk=access.pk)
    assert ended.ended_at is not None and ended.ended_by is None and ended.end_reason == link_dates.REASON
    event = AuditEvent.objects.get(action=AuditEvent.Action.LINK_END)
    assert (event.actor, event.actor_username, event.target_user, event.pidsl) == (
        None,
        "system",
        cast.biller,
        cast.pidsl_a,
    )
    assert event.detail == "the link's end date (LK-04)"
    note = Notification.objects.get(kind=Notification.Kind.OUTSIDE_REMOVE)
    assert note.organization == cast.billing and "end date (LK-04)" in note.message
    assert not cast.biller.has_perm("providers.svc_claims", cast.pidsl_a)


def test_lk04_a_missed_day_is_caught_up_and_a_second_run_changes_nothing(cast, today):
    ending(cast, -2, today)
    link_dates.expiring_links_daily(today)
    first = state()
    assert link_dates.expiring_links_daily(today) == {"reminded": 0, "ended": 0}
    assert state() == first


def test_lk04_a_link_is_not_ended_before_its_date(cast, today):
    ending(cast, 1, today)
    link_dates.links_end(today)
    assert biller_link(cast).ended_at is None


def test_both_jobs_run_daily_before_the_compliance_scan(settings):
    paths = [path for _, path in DAILY_JOBS]
    scan = paths.index("audit.compliance.tasks.compliance_scan_on")
    assert paths.index("subordinates.dormancy.dormant_accounts_daily") < scan
    assert paths.index("subordinates.link_dates.expiring_links_daily") < scan
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"subordinates.tasks.dormant_accounts_daily", "subordinates.tasks.expiring_links_daily"} <= beat
