"""seed_demo creates the demo cast of DESIGN.md through the services, and a rerun changes nothing."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from audit.models import AccessReview, AuditEvent
from audit.reviews.first import overdue_reviews
from providers.models import Access, Organization, PidSl
from tests.helpers import assert_permissions_match_access, held

User = get_user_model()


def test_it_loads_the_demo_and_is_idempotent(db):
    call_command("seed_demo")
    counts = (User.objects.count(), Access.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Access.objects.count(), AuditEvent.objects.count()) == counts

    a = PidSl.objects.get(provider_id="110000001", service_location="A")
    assert Access.objects.open().get(pidsl=a, role="primary").user.username == "mhughes"
    assert Access.objects.open().filter(pidsl=a, role="backup").exists()
    for loc in "BCD":
        pidsl = PidSl.objects.get(provider_id="110000001", service_location=loc)
        assert Access.objects.open().filter(pidsl=pidsl, role="primary").exists()
        assert Access.objects.open().filter(pidsl=pidsl, role="backup").exists()

    jdoe = User.objects.get(username="jdoe11")
    assert (jdoe.first_name, jdoe.last_name, jdoe.birth_mmdd, jdoe.pin) == ("John", "Doe", "07/04", "1234")
    assert (jdoe.email, jdoe.zip_code) == ("john.doe@mass.net", "02302")
    assert held(jdoe, a) == {"portal_services", "provider_reports", "business_partner_profile", "batch_files"}

    biller = User.objects.get(username="bsb.biller")
    assert biller.home_organization.kind == Organization.Kind.BILLING_INTERMEDIARY
    assert Access.objects.open().filter(user=biller, pidsl__organization__name="Eddy's Group Practice").count() == 2

    tnguyen = User.objects.get(username="tnguyen")
    assert tnguyen.terms_accepted_at is None and tnguyen.last_login is None
    assert User.objects.get(username="agency.admin").is_agency_staff
    assert User.objects.filter(username="eddy.compliance", compliance_assignments__isnull=False).exists()
    assert Organization.objects.get(name="Harborview Nursing Center").is_long_term_care
    assert Organization.objects.get(name="Elder Care PACE").is_pace
    assert User.objects.filter(is_active=False).exists()
    assert_permissions_match_access()
    assert User.objects.get(username="mhughes").check_password("demo-posc-2026-portal")


def test_eddys_has_a_completed_review_and_an_overdue_one(db):
    """README's demo history: mhughes is sent to the overdue review when she signs in (AR-07)."""
    call_command("seed_demo")
    eddys = Organization.objects.get(name="Eddy's Group Practice")
    today = timezone.localdate()
    completed = AccessReview.objects.get(organization=eddys, status=AccessReview.Status.COMPLETED)
    assert completed.due_date < today - timedelta(days=60)
    current = AccessReview.objects.get(organization=eddys, status=AccessReview.Status.OPEN)
    assert current.due_date == today - timedelta(days=3)
    assert current.period_start == completed.period_end < current.period_end < current.due_date
    assert current.items.filter(decision="").exists()
    assert [r.pk for r in overdue_reviews(User.objects.get(username="mhughes"))] == [current.pk]
