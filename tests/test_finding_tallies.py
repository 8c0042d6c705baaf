"""The finding rules' kept numbers (audit/compliance/tallies.py, issue 17): every path that can
add or remove a PU-07, US-07, SV-02, SV-04 or SV-05 finding keeps them in its transaction, they
equal the rules' own counts whatever the thresholds, and the nightly rebuild finds drift once."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from audit.compliance import findings, tallies
from audit.models import FindingTally
from posc.daily import DAILY_JOBS
from providers import provider_type
from providers.models import Access, Organization, Service
from providers.services import backup_appoint
from subordinates import offboarding
from subordinates.services import (
    Identity,
    access_services_set,
    link_end,
    links_end_many,
    subordinate_create,
    user_deactivate,
    user_link,
    user_reactivate,
)
from tests import factories

User = get_user_model()
DAY = timedelta(days=1)


def services(*codes):
    return list(Service.objects.filter(code__in=codes))


def live_numbers(organization) -> dict[str, int]:
    """Each kept rule's number counted from its matches, as before the tallies (Matches.count)."""
    now = timezone.now()
    return {rule: findings.rule_matches(organization, rule, now=now).count() for rule in tallies.KEPT}


def kept_numbers(organization) -> dict[str, int]:
    return tallies.counts([organization.pk], timezone.now())[organization.pk]


@pytest.fixture
def crowded(cast, settings):
    """The cast with a finding of every kept rule somewhere: low thresholds, an old sign-in, a
    subordinate holding every grantable service, a grant the provider type does not allow."""
    settings.POSC_PRIMARY_PIDSL_FINDING = 1
    settings.POSC_SUBORDINATE_PIDSL_FINDING = 1
    old = factories.UserFactory(home_organization=cast.eddys, last_login=timezone.now() - 200 * DAY)
    factories.AccessFactory(user=old, pidsl=cast.pidsl_a)
    every = [s.code for s in Service.objects.exclude(constraint__in=["admin_only", "ltc", "pace_sco"])]
    factories.AccessFactory(pidsl=cast.pidsl_b, services=every)
    cast.biller.save()
    factories.AccessFactory(user=cast.biller, pidsl=cast.pidsl_x)
    factories.AccessFactory(user=cast.dave, pidsl=factories.PidSlFactory(organization=cast.other), role="primary")
    # SV-02: a long-term-care grant left behind at an organization that is not long-term care.
    stray = factories.AccessFactory(pidsl=cast.pidsl_a)
    stray.services.add(*services("mmq"))
    tallies.rebuild(expected=True)  # the stray grant was written around the services
    return cast


def test_the_tallies_equal_the_rules_own_counts_whatever_the_thresholds(crowded, settings):
    for organization in (crowded.eddys, crowded.other):
        assert kept_numbers(organization) == live_numbers(organization)
    assert all(kept_numbers(crowded.eddys)[rule] for rule in tallies.KEPT)
    # The thresholds are applied when the tallies are read: no recount when a setting changes.
    settings.POSC_SUBORDINATE_PIDSL_FINDING = 5
    settings.POSC_PRIMARY_PIDSL_FINDING = 5
    settings.POSC_INACTIVITY_DAYS = 365
    assert kept_numbers(crowded.eddys) == live_numbers(crowded.eddys)
    assert kept_numbers(crowded.eddys)["SV-05"] == 0 and kept_numbers(crowded.eddys)["US-07"] == 0


def test_us07_counts_whole_days_so_a_day_s_number_holds_all_day(cast, settings):
    # inactive_before is the start of the Eastern day POSC_INACTIVITY_DAYS ago.
    now = timezone.now()
    cutoff = findings.inactive_before(now)
    assert timezone.localtime(cutoff).time() == timezone.datetime.min.time()
    assert timezone.localdate(cutoff) == timezone.localdate(now) - timedelta(days=settings.POSC_INACTIVITY_DAYS)


def test_every_service_path_keeps_the_tallies(crowded, client):
    """One of each change that moves a count, then the rebuild: no organization has drifted."""
    c = crowded
    pin = "4321"
    user, _ = subordinate_create(
        actor=c.alice,
        pidsl=c.pidsl_a,
        identity=Identity("Tally", "Tess", 3, 4, pin, "tess@example.org", "02110"),
        services=services("portal_services", "claims"),
    )
    carol_link = Access.objects.open().get(user=c.carol, pidsl=c.pidsl_a)
    every = list(Service.objects.exclude(constraint__in=["admin_only", "ltc", "pace_sco"]))
    access_services_set(actor=c.alice, access=carol_link, services=every)  # SV-04 now
    user_link(
        actor=c.erin, pidsl=c.pidsl_x, username=user.username, last_name="Tally", services=services("portal_services")
    )
    backup_appoint(actor=c.dave, pidsl=c.pidsl_b, user=c.carol)
    user_deactivate(actor=c.alice, user=c.carol)
    user_reactivate(actor=c.alice, user=c.carol)
    link_end(actor=c.alice, access=Access.objects.open().get(user=c.biller, pidsl=c.pidsl_a))
    links_end_many(
        actor=c.erin, access_ids=Access.objects.open().filter(pidsl=c.pidsl_x, role="subordinate"), reason="test"
    )
    offboarding.offboard(actor=c.alice, user=user)
    provider_type.provider_type_change(actor=c.agency, organization=c.eddys, is_long_term_care=True)
    provider_type.provider_type_change(actor=c.agency, organization=c.eddys, is_long_term_care=False)
    assert tallies.rebuild() == {"organizations": 0, "rules": {}}
    # A sign-in moves the user's links to today's bucket (accounts.signals.record_last_login).
    User.objects.filter(pk=c.bob.pk).update(last_login=timezone.now() - 200 * DAY)
    tallies.rebuild(expected=True)
    client.force_login(c.bob)  # django.contrib.auth.login: the user_logged_in signal
    c.bob.refresh_from_db()
    assert timezone.now() - c.bob.last_login < DAY

    assert tallies.rebuild() == {"organizations": 0, "rules": {}}
    for organization in Organization.objects.all():
        assert kept_numbers(organization) == live_numbers(organization), organization


def test_a_write_around_the_services_is_found_once_and_put_right(crowded, caplog):
    User.objects.filter(pk=crowded.carol.pk).update(last_login=timezone.now() - 400 * DAY)
    Access.services.through.objects.filter(access__user=crowded.carol).delete()

    report = tallies.rebuild()

    assert report["organizations"] == 1
    assert set(report["rules"]) <= set(tallies.KEPT) and report["rules"]
    assert "finding tallies drifted" in caplog.text
    assert kept_numbers(crowded.eddys) == live_numbers(crowded.eddys)
    assert tallies.rebuild() == {"organizations": 0, "rules": {}}


def test_a_refused_change_leaves_the_tallies_as_they_were(crowded):
    before = tallies.stored()
    with pytest.raises(Exception):  # noqa: B017 - any refusal: nothing may be kept of it
        user_link(actor=crowded.erin, pidsl=crowded.pidsl_a, username="carol", last_name="x", services=[])
    assert tallies.stored() == before


def test_the_nightly_rebuild_is_a_daily_job():
    assert ("Finding tallies: measure, report drift", "audit.compliance.tallies.finding_tallies_daily") in DAILY_JOBS


def test_the_tallies_hold_data_not_thresholds(crowded):
    # Buckets: US-07 a day's ordinal, PU-07 and SV-05 a number of PID/SLs, SV-02 and SV-04 zero.
    rows = FindingTally.objects.filter(organization=crowded.eddys)
    assert {r.rule for r in rows} <= set(tallies.KEPT)
    assert all(r.bucket > 700_000 for r in rows if r.rule == "US-07")
    assert all(r.bucket == 0 for r in rows if r.rule in tallies.SERVICE_RULES)


@pytest.mark.parametrize("long_term_care", [False, True])
@pytest.mark.parametrize("role", ["subordinate", "backup"])
def test_one_links_findings_in_python_are_the_rules_sql(cast, long_term_care, role):
    # Update Subordinate keeps SV-02 and SV-04 from the two sets alone (findings.service_findings).
    Organization.objects.filter(pk=cast.eddys.pk).update(is_long_term_care=long_term_care)
    link = factories.AccessFactory(pidsl=cast.pidsl_b, role=role)
    link = Access.objects.select_related("pidsl__organization").get(pk=link.pk)
    catalog = list(Service.objects.order_by("position"))
    for n in range(len(catalog) + 1):
        held = catalog[:n] if n else catalog[-3:]
        Access.services.through.objects.filter(access=link).delete()
        link.services.add(*held)
        in_sql = {
            rule
            for rule, links in (("SV-02", findings.sv02_links), ("SV-04", findings.sv04_links))
            if links([cast.eddys.pk]).filter(pk=link.pk).exists()
        }
        assert findings.service_findings(link, held) == [in_sql], [s.code for s in held]
