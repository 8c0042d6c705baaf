"""US-09 dormant accounts: not signed in for the deactivation window (120 days), deactivated by the
daily job through the same code as a person's deactivation; told 14 and 7 days before, with one
action to keep those still needed (which restarts their clock); PU-06: never a Primary User."""

import os
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from posc.policy import NotAuthorized
from providers.models import DormancyNotice, Notification
from subordinates import dormancy
from subordinates.services import user_deactivate, user_reactivate, users_keep
from tests import factories
from tests.helpers import assert_permissions_match_access, fresh, guardian_codes

User = get_user_model()
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def today():
    return timezone.localdate()


def signed_in_days_ago(user, days: int, today, *, never: bool = False):
    """The user's last sign-in (or, ``never``, the creation of the user ID) ``days`` before ``today``."""
    moment = timezone.make_aware(datetime.combine(today - timedelta(days=days), time(9, 30)))
    User.objects.filter(pk=user.pk).update(
        date_joined=moment - timedelta(days=0 if never else 400), last_login=None if never else moment
    )
    return fresh(user)


def state():
    return (
        AuditEvent.objects.count(),
        Notification.objects.count(),
        DormancyNotice.objects.count(),
        sorted(User.objects.values_list("pk", "is_active", "session_epoch", "dormancy_restarted_at")),
        len(mail.outbox),
    )


# --- the sweep -----------------------------------------------------------------------------------


def test_us09_deactivated_at_120_days_not_119(cast, today):
    signed_in_days_ago(cast.carol, 119, today)
    dormancy.dormant_accounts_daily(today)
    assert fresh(cast.carol).is_active

    signed_in_days_ago(cast.carol, 120, today)
    result = dormancy.dormant_accounts_daily(today)

    carol = fresh(cast.carol)
    assert result["deactivated"] == 1
    assert not carol.is_active and carol.deactivated_at is not None
    assert carol.session_epoch == 1  # every session ended (ASVS 7.4.2), as for a person's deactivation
    assert guardian_codes(carol, cast.pidsl_a) == set()
    assert_permissions_match_access()
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_DEACTIVATE, target_user=cast.carol)
    assert (event.actor, event.actor_username, event.organization) == (None, "system", cast.eddys)
    assert event.detail == "not signed in for 120 days (US-09)"
    note = Notification.objects.get(kind=Notification.Kind.DORMANT_DEACTIVATED)
    assert note.organization == cast.eddys and "carol" in note.message


def test_us09_a_user_who_never_signed_in_counts_from_the_creation(cast, today):
    signed_in_days_ago(cast.frank, 119, today, never=True)
    dormancy.dormant_accounts_daily(today)
    assert fresh(cast.frank).is_active

    signed_in_days_ago(cast.frank, 120, today, never=True)
    dormancy.dormant_accounts_daily(today)
    assert not fresh(cast.frank).is_active


def test_us09_the_window_is_a_setting(cast, today, settings):
    settings.POSC_DORMANT_DAYS = 150
    signed_in_days_ago(cast.carol, 120, today)
    dormancy.dormant_accounts_daily(today)
    assert fresh(cast.carol).is_active
    signed_in_days_ago(cast.carol, 150, today)
    dormancy.dormant_accounts_daily(today)
    assert not fresh(cast.carol).is_active


def test_us09_lk02_the_organizations_an_outside_user_works_for_are_told(cast, today):
    signed_in_days_ago(cast.biller, 130, today)

    dormancy.dormant_accounts_daily(today)

    assert not fresh(cast.biller).is_active
    linked = Notification.objects.get(kind=Notification.Kind.USER_DEACTIVATED, subject_user=cast.biller)
    assert linked.organization == cast.eddys and "US-09" in linked.message
    home = Notification.objects.get(kind=Notification.Kind.DORMANT_DEACTIVATED)
    assert home.organization == cast.billing


def test_pu06_a_dormant_primary_user_is_not_deactivated_and_the_agency_is_told_once(cast, today):
    signed_in_days_ago(cast.alice, 120, today)

    dormancy.dormant_accounts_daily(today)
    dormancy.dormant_accounts_daily(today)

    assert fresh(cast.alice).is_active
    notes = Notification.objects.filter(kind=Notification.Kind.DORMANT_PRIMARY)
    assert {(n.organization, n.recipient) for n in notes} == {(cast.eddys, None), (cast.eddys, cast.agency)}
    assert all("PU-06" in n.message for n in notes)


def test_us09_the_backup_is_deactivated_like_anyone_but_the_primary(cast, today):
    signed_in_days_ago(cast.bob, 200, today)
    dormancy.dormant_accounts_daily(today)
    assert not fresh(cast.bob).is_active


def test_us05_agency_staff_are_not_deactivated_by_the_job(cast, today):
    signed_in_days_ago(cast.agency, 300, today)
    dormancy.dormant_accounts_daily(today)
    assert fresh(cast.agency).is_active


def test_us09_a_second_run_of_the_day_changes_and_sends_nothing(cast, today):
    signed_in_days_ago(cast.carol, 120, today)
    signed_in_days_ago(cast.frank, 120 - 14, today)
    signed_in_days_ago(cast.alice, 120, today)
    dormancy.dormant_accounts_daily(today)
    first = state()

    assert dormancy.dormant_accounts_daily(today) == {
        "warned": 0,
        "deactivated": 0,
        "primary_users_not_deactivated": 0,
    }
    assert state() == first


def test_us09_a_reactivated_user_is_not_deactivated_again_the_next_day(cast, today):
    signed_in_days_ago(cast.carol, 125, today)
    dormancy.dormant_accounts_daily(today)
    assert not fresh(cast.carol).is_active

    user_reactivate(actor=cast.alice, user=cast.carol)
    dormancy.dormant_accounts_daily(today + timedelta(days=1))

    assert fresh(cast.carol).is_active
    assert fresh(cast.carol).dormancy_restarted_at is not None


def test_us09_a_deactivation_by_a_person_still_works_as_before(cast):
    user_deactivate(actor=cast.alice, user=cast.carol, reason="left")
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_DEACTIVATE)
    assert (event.actor, event.actor_username, event.detail) == (cast.alice, "alice", "left")


def test_us09_sign_in_restarts_the_clock(cast, today):
    signed_in_days_ago(cast.carol, 5, today)
    dormancy.dormant_accounts_daily(today + timedelta(days=114))  # 119 days since
    assert fresh(cast.carol).is_active
    dormancy.dormant_accounts_daily(today + timedelta(days=115))  # 120 days since
    assert not fresh(cast.carol).is_active


# --- the notices 14 and 7 days before ------------------------------------------------------------


def test_us09_one_notice_per_organization_at_14_and_7_days_listing_every_user(cast, today):
    signed_in_days_ago(cast.carol, 120 - 14, today)
    signed_in_days_ago(cast.frank, 120 - 7, today)
    signed_in_days_ago(cast.erin, 120 - 13, today)  # Other Clinic's Primary: never deactivated, never listed
    signed_in_days_ago(cast.biller, 120 - 13, today)  # Bay State's: 13 days is no mark

    dormancy.dormant_accounts_daily(today)

    notes = list(Notification.objects.filter(kind=Notification.Kind.DORMANT_WARNING))
    assert [n.organization for n in notes] == [cast.eddys]
    message = notes[0].message
    assert "carol" in message and "frank" in message and "US-09" in message
    day = (today + timedelta(days=14)).strftime("%m/%d/%Y")
    assert f"(carol) on {day}" in message
    assert reverse("subordinates:dormant") in message


@pytest.mark.parametrize("days_before", [15, 13, 8, 6, 1])
def test_us09_no_notice_on_other_days(cast, today, days_before):
    signed_in_days_ago(cast.carol, 120 - days_before, today)
    dormancy.dormant_accounts_daily(today)
    assert not Notification.objects.filter(kind=Notification.Kind.DORMANT_WARNING).exists()


def test_us09_the_notice_reaches_the_primary_user_and_backup_and_view_notifications(client, cast, today):
    signed_in_days_ago(cast.carol, 120 - 7, today)
    dormancy.dormant_accounts_daily(today)
    from providers.notifications import notifications_deliver

    notifications_deliver()
    warning = [m for m in mail.outbox if "carol" in m.body]
    assert len(warning) == 1 and {"alice@example.org", "bob@example.org"} <= set(warning[0].to)
    client.force_login(cast.bob)
    body = client.get(reverse("subordinates:notifications")).content.decode()
    assert "Keep these users" in body and f"?organization={cast.eddys.pk}" in body


# --- Keep these users ------------------------------------------------------------------------------


def test_us09_keep_restarts_the_clock_and_is_audited(cast, today):
    signed_in_days_ago(cast.carol, 115, today)

    kept = users_keep(actor=cast.bob, organization=cast.eddys, user_ids=[cast.carol.pk])

    assert kept == [cast.carol]
    dormancy.dormant_accounts_daily(today + timedelta(days=5))
    assert fresh(cast.carol).is_active
    event = AuditEvent.objects.get(action=AuditEvent.Action.DORMANCY_KEEP, target_user=cast.carol)
    assert event.actor == cast.bob and "US-09" in event.detail
    assert event.home_organization_id == cast.eddys.pk


@pytest.mark.parametrize("actor", ["erin", "carol", "compliance", "biller"])
def test_us09_lk03_only_the_home_organization_or_the_agency_keeps(cast, today, actor):
    signed_in_days_ago(cast.carol, 115, today)
    with pytest.raises(NotAuthorized):
        users_keep(actor=getattr(cast, actor), organization=cast.eddys, user_ids=[cast.carol.pk])
    assert fresh(cast.carol).dormancy_restarted_at is None


def test_us09_agency_staff_may_keep(cast, today):
    users_keep(actor=cast.agency, organization=cast.eddys, user_ids=[cast.carol.pk])
    assert fresh(cast.carol).dormancy_restarted_at is not None


def test_us09_keep_touches_only_the_organizations_own_users(cast, today):
    kept = users_keep(actor=cast.alice, organization=cast.eddys, user_ids=[cast.erin.pk, cast.carol.pk])
    assert kept == [cast.carol]
    assert fresh(cast.erin).dormancy_restarted_at is None


def _soon(cast, today, n):
    for _ in range(n):
        signed_in_days_ago(factories.UserFactory(home_organization=cast.eddys), 110, today)


def test_the_keep_page_lists_the_users_checked_in_constant_queries(client, cast, today, django_assert_max_num_queries):
    signed_in_days_ago(cast.carol, 110, today)
    client.force_login(cast.alice)
    path = reverse("subordinates:dormant")
    client.get(path)
    for size in (0, 30):
        _soon(cast, today, size)
        with django_assert_max_num_queries(12):
            response = client.get(path)
        assert response.status_code == 200
    body = response.content.decode()
    assert f'name="users" value="{cast.carol.pk}" id="keep-{cast.carol.pk}" checked' in body
    assert "Keep these users" in body
    assert (today + timedelta(days=10)).strftime("%m/%d/%Y") in body


def test_the_keep_page_keeps_the_checked_users(client, cast, today):
    signed_in_days_ago(cast.carol, 110, today)
    signed_in_days_ago(cast.frank, 110, today)
    client.force_login(cast.alice)

    response = client.post(reverse("subordinates:dormant"), {"organization": cast.eddys.pk, "users": [cast.carol.pk]})

    assert response.status_code == 200 and "Kept" in response.content.decode()
    assert fresh(cast.carol).dormancy_restarted_at is not None
    assert fresh(cast.frank).dormancy_restarted_at is None


def test_the_keep_page_of_another_organization_is_refused(client, cast):
    client.force_login(cast.erin)
    assert client.get(reverse("subordinates:dormant"), {"organization": cast.eddys.pk}).status_code == 403
    response = client.post(reverse("subordinates:dormant"), {"organization": cast.eddys.pk, "users": [cast.carol.pk]})
    assert response.status_code == 403
    assert fresh(cast.carol).dormancy_restarted_at is None


def test_keeping_nobody_says_so(client, cast):
    client.force_login(cast.alice)
    response = client.post(reverse("subordinates:dormant"), {"organization": cast.eddys.pk})
    assert response.status_code == 400 and "Choose the users to keep" in response.content.decode()


# --- agency home: this month's losses --------------------------------------------------------------


def test_agency_home_counts_each_organizations_losses_this_month_in_constant_queries(
    client, cast, today, django_assert_max_num_queries
):
    client.force_login(cast.agency)
    client.get(reverse("agency:home"))
    month_end_days = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1) - today
    left = month_end_days.days
    for size, org in ((1, cast.eddys), (3, cast.other)):
        for _ in range(size):
            signed_in_days_ago(factories.UserFactory(home_organization=org), 120 - left, today)
        with django_assert_max_num_queries(8):
            response = client.get(reverse("agency:home"))
    assert dormancy.losses_this_month(today) == {cast.eddys.pk: 1, cast.other.pk: 3}
    body = response.content.decode()
    assert "Other Clinic" in body and f"?organization={cast.other.pk}" in body


# --- the setting -----------------------------------------------------------------------------------


def test_us09_a_window_shorter_than_the_inactivity_finding_is_refused_at_start():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "posc.settings.test", "POSC_DORMANT_DAYS": "89"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "POSC_DORMANT_DAYS" in done.stderr
