"""Loads the demo data of DESIGN.md (Scenario 4 and friends). Idempotent: a second run changes nothing.

People are created as user records; every role, link and service goes through the
services layer, so the demo's access, guardian permissions and audit trail are real.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.legal import FIRST_VERSION
from audit.compliance import tallies
from audit.compliance.tasks import compliance_scan
from providers.models import Organization, Service
from providers.services import (
    PidSlSpec,
    backup_appoint,
    compliance_officer_appoint,
    organization_enroll,
    primary_designate,
)
from subordinates.services import user_deactivate, user_link

DEMO_PASSWORD = "demo-posc-2026-portal"
EDDYS = "Eddy's Group Practice"
BAY_STATE = "Bay State Billing Services"
DEMO_REVIEW_OVERDUE_DAYS = 3  # Eddy's open review was due three days ago (AR-07)


@dataclass(frozen=True)
class Person:
    username: str
    first: str
    last: str
    birth: tuple[int, int]
    pin: str
    zip_code: str = "02302"
    email: str = ""
    phone: str = ""


def _services(*codes: str) -> list[Service]:
    return list(Service.objects.filter(code__in=("portal_services", *codes)))


class Command(BaseCommand):
    help = "Create the demo organizations, PID/SLs and users (idempotent)."

    def handle(self, *args, **options):
        if Organization.objects.filter(name=EDDYS).exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        with transaction.atomic():
            self._seed()
        # The demo dates some sign-ins back by writing them directly: measure the tallies whole.
        tallies.rebuild(expected=True)
        # The night's compliance scan, once, so Compliance and the Program View show findings at once.
        compliance_scan()
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded. Every demo user's password: {DEMO_PASSWORD}"))

    def _person(self, person: Person, org: Organization | None, **extra):
        user = get_user_model().objects.create_user(
            username=person.username,
            password=DEMO_PASSWORD,
            first_name=person.first,
            last_name=person.last,
            birth_month=person.birth[0],
            birth_day=person.birth[1],
            pin=person.pin,
            zip_code=person.zip_code,
            email=person.email or f"{person.username.replace('.', '_')}@example.org",
            phone=person.phone,
            home_organization=org,
            terms_version=FIRST_VERSION,
            terms_accepted_at=timezone.now(),
            **extra,
        )
        return user

    def _seed(self):
        now = timezone.now()
        agency = get_user_model().objects.create_user(
            username="agency.admin",
            password=DEMO_PASSWORD,
            first_name="Alex",
            last_name="Agency",
            email="agency.admin@example.org",
            is_staff=True,
            terms_version=FIRST_VERSION,
            terms_accepted_at=now,
        )

        eddys = organization_enroll(
            actor=agency,
            name=EDDYS,
            pidsls=[
                PidSlSpec("110000001", "A", "Eddy's Group Practice - Main Office", "62 Birch St", "Brockton", "02302"),
                PidSlSpec("110000001", "B", "Eddy's Group Practice - Quincy", "15 Hancock St", "Quincy", "02169"),
                PidSlSpec("110000001", "C", "Eddy's Group Practice - Taunton", "8 Main St", "Taunton", "02780"),
                PidSlSpec("110000001", "D", "Eddy's Group Practice - Plymouth", "40 Court St", "Plymouth", "02360"),
            ],
        )
        site = {p.service_location: p for p in eddys.pidsls.all()}

        # Scenario 4: a Primary User and a backup at each of the four sites.
        admins = {
            "A": (
                Person("mhughes", "Maria", "Hughes", (3, 14), "4821", phone="508-555-0101"),
                Person("rpatel", "Ravi", "Patel", (9, 2), "7733", phone="508-555-0102"),
            ),
            "B": (
                Person("lchen", "Li", "Chen", (5, 21), "1180", "02169", phone="617-555-0111"),
                Person("kobrien", "Kevin", "O'Brien", (11, 30), "5520", "02169", phone="617-555-0112"),
            ),
            "C": (
                Person("dsmith", "Dana", "Smith", (1, 9), "3901", "02780", phone="508-555-0121"),
                Person("agarcia", "Ana", "Garcia", (6, 17), "6612", "02780", phone="508-555-0122"),
            ),
            "D": (
                Person("jwalsh", "James", "Walsh", (8, 3), "2047", "02360", phone="508-555-0131"),
                Person("sbrooks", "Sara", "Brooks", (12, 12), "9075", "02360", phone="508-555-0132"),
            ),
        }
        primary = {}
        for loc, (p, b) in admins.items():
            primary[loc] = self._person(p, eddys)
            primary_designate(actor=agency, pidsl=site[loc], user=primary[loc])
            backup_appoint(actor=primary[loc], pidsl=site[loc], user=self._person(b, eddys))

        mhughes = primary["A"]
        # The job aids' subordinate (seeds 003), exactly as shown there.
        self._link_new(
            Person("jdoe11", "John", "Doe", (7, 4), "1234", email="john.doe@mass.net"),
            eddys,
            mhughes,
            site["A"],
            _services("provider_reports", "business_partner_profile", "batch_files"),
        )
        staff = [
            ("A", Person("swhite1", "Susan", "White", (2, 11), "3141"), ("claims", "member_eligibility")),
            ("A", Person("bkim1", "Brian", "Kim", (4, 25), "2718"), ("service_authorizations", "referrals")),
            ("A", Person("mrossi1", "Marco", "Rossi", (10, 6), "1618"), ("financial_data", "provider_reports")),
            ("B", Person("pnolan1", "Paula", "Nolan", (7, 19), "4142", "02169"), ("claims",)),
            ("B", Person("hlee1", "Hana", "Lee", (3, 3), "1732", "02169"), ("member_eligibility", "referrals")),
            ("C", Person("jortiz1", "Jorge", "Ortiz", (9, 28), "5772", "02780"), ("claims", "batch_files")),
            ("C", Person("ewright1", "Emma", "Wright", (1, 30), "6931", "02780"), ("provider_contracts",)),
            ("D", Person("tgreen1", "Tom", "Green", (5, 5), "8660", "02360"), ("claims", "provider_reports")),
            ("D", Person("cmoore1", "Chloe", "Moore", (12, 1), "2236", "02360"), ("member_eligibility",)),
        ]
        users = {}
        for loc, person, codes in staff:
            users[person.username] = self._link_new(person, eddys, primary[loc], site[loc], _services(*codes))
        # One subordinate linked to two sites.
        user_link(
            actor=primary["C"],
            pidsl=site["C"],
            username="swhite1",
            last_name="White",
            services=_services("claims"),
        )
        # tnguyen has never signed in: the terms and a password change wait for her (US-03, US-04).
        tnguyen = self._link_new(
            Person("tnguyen", "Thanh", "Nguyen", (8, 22), "3344", "02169"),
            eddys,
            primary["B"],
            site["B"],
            _services("claims", "member_eligibility"),
        )
        type(tnguyen).objects.filter(pk=tnguyen.pk).update(
            terms_version="", terms_accepted_at=None, must_change_password=True
        )

        # History for the compliance page: a user silent for 120 days, a deactivated user.
        get_user_model().objects.filter(username="mrossi1").update(last_login=now - timedelta(days=120))
        former = self._link_new(
            Person("pformer1", "Pat", "Former", (6, 6), "5150", "02780"),
            eddys,
            primary["C"],
            site["C"],
            _services("claims"),
        )
        user_deactivate(actor=primary["C"], user=former, reason="left the organization")

        # Bay State Billing: a billing intermediary whose user works for Eddy's A and B (LK-01).
        bay_state = organization_enroll(
            actor=agency,
            name=BAY_STATE,
            kind=Organization.Kind.BILLING_INTERMEDIARY,
            pidsls=[PidSlSpec("220000001", "A", "Bay State Billing Services", "1 Federal St", "Boston", "02110")],
        )
        bsb_site = bay_state.pidsls.get()
        bsb_primary = self._person(Person("bsb.primary", "Gail", "Fontaine", (2, 2), "1001", "02110"), bay_state)
        primary_designate(actor=agency, pidsl=bsb_site, user=bsb_primary)
        backup_appoint(
            actor=bsb_primary,
            pidsl=bsb_site,
            user=self._person(Person("bsb.backup", "Owen", "Reyes", (4, 4), "1002", "02110"), bay_state),
        )
        self._person(Person("bsb.biller", "Nora", "Quinn", (10, 10), "2002", "02110"), bay_state)
        for loc, admin in (("A", mhughes), ("B", primary["B"])):
            user_link(
                actor=admin,
                pidsl=site[loc],
                username="bsb.biller",
                last_name="Quinn",
                services=_services("claims", "batch_files"),
            )

        compliance = self._person(Person("eddy.compliance", "Erin", "Cole", (5, 15), "7070"), eddys)
        compliance_officer_appoint(actor=agency, organization=eddys, user=compliance)

        # A long-term-care provider (MMQ eligible) and a PACE provider (SV-02).
        harborview = organization_enroll(
            actor=agency,
            name="Harborview Nursing Center",
            is_long_term_care=True,
            pidsls=[PidSlSpec("440000001", "A", "Harborview Nursing Center", "300 Ocean Ave", "Revere", "02151")],
        )
        hv_site = harborview.pidsls.get()
        hv_primary = self._person(Person("harborview.primary", "Irene", "Doyle", (1, 21), "4401", "02151"), harborview)
        primary_designate(actor=agency, pidsl=hv_site, user=hv_primary)
        backup_appoint(
            actor=hv_primary,
            pidsl=hv_site,
            user=self._person(Person("harborview.backup", "Sam", "Ford", (7, 7), "4402", "02151"), harborview),
        )
        eldercare = organization_enroll(
            actor=agency,
            name="Elder Care PACE",
            is_pace=True,
            pidsls=[PidSlSpec("550000001", "A", "Elder Care PACE", "12 Elm St", "Worcester", "01608")],
        )
        ec_site = eldercare.pidsls.get()
        # Elder Care has no backup yet: the PID/SL the compliance page flags (PU-03).
        primary_designate(
            actor=agency,
            pidsl=ec_site,
            user=self._person(Person("eldercare.primary", "Victor", "Huang", (3, 30), "5501", "01608"), eldercare),
        )
        self._review_history(eddys, admins=[primary[loc] for loc in "ABCD"], backups=list(site.values()))

    def _review_history(self, eddys, admins, backups):
        """Eddy's access reviews: one completed last quarter, and one started a month ago and three days
        overdue, so its Primary Users and backups are shown it first when they sign in (AR-07)."""
        from audit.models import AccessReview
        from audit.reviews.services import review_complete, review_create, review_keep_remaining
        from providers import authority
        from providers.models import Access

        past = review_create(organization=eddys, actor=admins[0])
        deciders = admins + [a.user for a in Access.objects.open().filter(pidsl__in=backups, role=authority.BACKUP)]
        for person in deciders:
            review_keep_remaining(actor=person, review=past)
        review_complete(actor=admins[0], review=past, attested=True)
        quarter_ago = timezone.localdate() - timedelta(days=95)
        AccessReview.objects.filter(pk=past.pk).update(
            period_start=quarter_ago - timedelta(days=182),
            period_end=quarter_ago,
            due_date=quarter_ago + timedelta(days=30),
            completed_at=timezone.now() - timedelta(days=80),
        )
        days = settings.POSC_REVIEW_DAYS_TO_COMPLETE
        current = review_create(organization=eddys, actor=admins[0], due_in_days=-DEMO_REVIEW_OVERDUE_DAYS)
        AccessReview.objects.filter(pk=current.pk).update(
            period_end=current.period_end - timedelta(days=days + DEMO_REVIEW_OVERDUE_DAYS),
            created_at=current.created_at - timedelta(days=days + DEMO_REVIEW_OVERDUE_DAYS),
        )

    def _link_new(self, person: Person, org, actor, pidsl, services):
        user = self._person(person, org)
        user_link(actor=actor, pidsl=pidsl, username=user.username, last_name=user.last_name, services=services)
        return user
