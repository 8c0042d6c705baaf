"""factory-boy factories for every model. Access rows go through providers.access so
guardian permissions stay in step, exactly as the services write them."""

from datetime import timedelta

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import Terms, User
from audit.checkpoints import checkpoint_mac
from audit.models import (
    AccessReview,
    AuditCheckpoint,
    AuditEvent,
    AuditWaiting,
    DefaultDecision,
    EvidencePackage,
    FindingSnapshot,
    FindingTally,
    ProgramReviewSettings,
    Report,
    ReviewCount,
    ReviewItem,
    ReviewPolicy,
    ReviewReminder,
)
from providers import authority
from providers.access import access_open
from providers.models import (
    Access,
    BroadcastMessage,
    ComplianceAssignment,
    Designation,
    DormancyNotice,
    LinkEndReminder,
    Notification,
    Organization,
    PidSl,
    PrimaryChangeRequest,
    RecoveryRequest,
    RegistrationThrottle,
    Service,
)

DEMO_PASSWORD = "a-long-test-password-2026"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    kind = Organization.Kind.PROVIDER


class PidSlFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PidSl

    organization = factory.SubFactory(OrganizationFactory)
    provider_id = factory.Sequence(lambda n: f"{200000000 + n:09d}")
    service_location = "A"
    name = factory.LazyAttribute(lambda o: f"{o.organization.name} site")
    city = "Boston"
    zip_code = "02108"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    birth_month = 1
    birth_day = factory.Sequence(lambda n: n % 28 + 1)
    pin = factory.Sequence(lambda n: f"{n % 10000:04d}")
    zip_code = "02108"
    home_organization = factory.SubFactory(OrganizationFactory)
    terms_version = "2024-04"
    terms_accepted_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PasskeyFactory(factory.django.DjangoModelFactory):
    """A stored passkey (WebAuthn credential) of a security key; tests that sign with it use
    tests/webauthn_authenticator.py instead."""

    class Meta:
        model = WebAuthnCredential

    user = factory.SubFactory(UserFactory)
    name = "Passkey"
    credential_id = factory.Sequence(lambda n: f"credential-{n}".encode())
    public_key = b"\xa0"
    aaguid = "00000000-0000-0000-0000-000000000000"
    transports = ["usb"]
    backup_eligible = False


class AgencyStaffFactory(UserFactory):
    is_staff = True
    home_organization = None
    pin = ""
    birth_month = None
    birth_day = None


class AccessFactory(factory.django.DjangoModelFactory):
    """An open link with its services; guardian permissions derived as the services do."""

    class Meta:
        model = Access

    user = factory.SubFactory(UserFactory)
    pidsl = factory.SubFactory(PidSlFactory)
    role = Access.Role.SUBORDINATE

    @classmethod
    def _create(cls, model_class, *, user, pidsl, role, services=None, granted_by=None, **kwargs):
        if services is None:
            services = ["portal_services"]
        if role in (Access.Role.PRIMARY, Access.Role.BACKUP) and services == ["portal_services"]:
            chosen = authority.administrator_services(pidsl)
        else:
            chosen = list(Service.objects.filter(code__in=services))
        return access_open(user=user, pidsl=pidsl, role=role, services=chosen, granted_by=granted_by)


class PrimaryChangeRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrimaryChangeRequest

    pidsl = factory.SubFactory(PidSlFactory)
    new_primary = factory.SubFactory(UserFactory)
    requested_by = factory.SubFactory(UserFactory)
    requested_at = factory.LazyFunction(timezone.now)


class ComplianceAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComplianceAssignment

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    granted_by = factory.SubFactory(AgencyStaffFactory)
    granted_at = factory.LazyFunction(timezone.now)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    organization = factory.SubFactory(OrganizationFactory)
    kind = Notification.Kind.OUTSIDE_LINK
    subject_user = factory.SubFactory(UserFactory)
    message = "A test notification."
    created_at = factory.LazyFunction(timezone.now)


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    at = factory.LazyFunction(timezone.now)
    action = AuditEvent.Action.SIGN_IN
    actor = factory.SubFactory(UserFactory)
    actor_username = factory.LazyAttribute(lambda o: o.actor.username if o.actor else "")


class TermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Terms

    version = factory.Sequence(lambda n: f"2030-{n:02d}")
    title = "Terms and Conditions of Use"
    text = "Test terms."
    published_at = factory.LazyFunction(timezone.now)


class DormancyNoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DormancyNotice

    organization = factory.SubFactory(OrganizationFactory)
    kind = DormancyNotice.Kind.WARNING
    on_date = factory.LazyFunction(timezone.localdate)
    sent_at = factory.LazyFunction(timezone.now)


class LinkEndReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LinkEndReminder

    access = factory.SubFactory(AccessFactory)
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    days_before = 14
    sent_at = factory.LazyFunction(timezone.now)


class RegistrationThrottleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistrationThrottle

    key = factory.Sequence(lambda n: f"pidsl:11000{n:04d}A")


class DesignationFactory(factory.django.DjangoModelFactory):
    """A PIN letter; the PIN is `pin` (factory param), stored only as a hash."""

    class Meta:
        model = Designation
        exclude = ("pin",)

    pin = "ABCDEFGH23"
    pidsl = factory.SubFactory(PidSlFactory)
    first_name = "Pat"
    last_name = "Designee"
    email = "pat.designee@example.org"
    approved_by = factory.SubFactory(AgencyStaffFactory)
    approved_at = factory.LazyFunction(timezone.now)
    pin_hash = factory.LazyAttribute(lambda o: make_password(o.pin))
    pin_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class BroadcastMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BroadcastMessage

    subject = factory.Sequence(lambda n: f"Message {n}")
    body = "A message from MassHealth."
    posted_by = factory.SubFactory(AgencyStaffFactory)
    posted_at = factory.LazyFunction(timezone.now)


class AccessReviewFactory(factory.django.DjangoModelFactory):
    """An empty review row; use audit.reviews.services.review_create for one with its snapshot."""

    class Meta:
        model = AccessReview

    organization = factory.SubFactory(OrganizationFactory)
    period_start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=180))
    period_end = factory.LazyFunction(timezone.localdate)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    created_at = factory.LazyFunction(timezone.now)


class ReviewItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewItem

    access = factory.SubFactory(AccessFactory)
    review = factory.SubFactory(AccessReviewFactory, organization=factory.SelfAttribute("..access.pidsl.organization"))
    user = factory.SelfAttribute("access.user")
    pidsl = factory.SelfAttribute("access.pidsl")
    role = factory.SelfAttribute("access.role")
    services_before = factory.LazyAttribute(lambda o: sorted(s.code for s in o.access.services.all()))


class ReviewCountFactory(factory.django.DjangoModelFactory):
    """A kept count row; the database keeps the real ones from the items (audit 0021's trigger)."""

    class Meta:
        model = ReviewCount
        django_get_or_create = ("review", "pidsl", "recommendation")

    review = factory.SubFactory(AccessReviewFactory)
    pidsl = factory.SubFactory(PidSlFactory, organization=factory.SelfAttribute("..review.organization"))
    recommendation = ""


class ReviewReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewReminder

    review = factory.SubFactory(AccessReviewFactory)
    kind = ReviewReminder.Kind.DUE_IN_14
    on_date = factory.LazyFunction(timezone.localdate)
    sent_at = factory.LazyFunction(timezone.now)


class ReportFactory(factory.django.DjangoModelFactory):
    """A pending report row; audit.reviews.reports.report_build makes its file."""

    class Meta:
        model = Report

    organization = factory.SubFactory(OrganizationFactory)
    kind = Report.Kind.USER_ACCESS_CSV
    requested_at = factory.LazyFunction(timezone.now)


class ReviewPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewPolicy

    organization = factory.SubFactory(OrganizationFactory)
    default_decision = DefaultDecision.REMOVE
    updated_at = factory.LazyFunction(timezone.now)


class ProgramReviewSettingsFactory(factory.django.DjangoModelFactory):
    """The program's one row (pk 1), as agency staff leave it."""

    class Meta:
        model = ProgramReviewSettings
        django_get_or_create = ("pk",)

    pk = 1


class AuditCheckpointFactory(factory.django.DjangoModelFactory):
    """A checkpoint row with a MAC that verifies; audit.checkpoints.chain_check writes real ones."""

    class Meta:
        model = AuditCheckpoint

    at = factory.LazyFunction(timezone.now)
    ok = True
    records = 0
    last_id = None
    last_hash = ""
    problem = ""
    mac = factory.LazyAttribute(checkpoint_mac)


class EvidencePackageFactory(factory.django.DjangoModelFactory):
    """A package row (no file); audit.reviews.evidence.evidence_seal seals real ones. It cannot be
    deleted before retain_until (AU-02), so tests roll it back with their transaction."""

    class Meta:
        model = EvidencePackage

    review = factory.SubFactory(AccessReviewFactory, status=AccessReview.Status.COMPLETED)
    organization = factory.SelfAttribute("review.organization")
    sealed_at = factory.LazyFunction(timezone.now)
    retain_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=6 * 365))
    file_path = factory.Sequence(lambda n: f"package-{n}.zip")
    sha256 = "0" * 64
    size = 0
    sealed_event = factory.SubFactory(AuditEventFactory, action=AuditEvent.Action.EVIDENCE_SEALED)


class FindingSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FindingSnapshot

    organization = factory.SubFactory(OrganizationFactory)
    computed_at = factory.LazyFunction(timezone.now)


class AuditWaitingFactory(factory.django.DjangoModelFactory):
    """A sign-in's record waiting for a busy chain; audit/chain.py writes the real ones."""

    class Meta:
        model = AuditWaiting

    at = factory.LazyFunction(timezone.now)
    action = AuditEvent.Action.SIGN_IN


class FindingTallyFactory(factory.django.DjangoModelFactory):
    """A kept tally row; audit/compliance/tallies.py keeps the real ones."""

    class Meta:
        model = FindingTally

    organization = factory.SubFactory(OrganizationFactory)
    rule = "SV-04"
    bucket = 0
    count = 1


class RecoveryRequestFactory(factory.django.DjangoModelFactory):
    """A PU-08 request as filed; providers.recovery.recovery_request_file is how they are made."""

    class Meta:
        model = RecoveryRequest

    pidsl = factory.SubFactory(PidSlFactory)
    pidsl_code = factory.LazyAttribute(lambda o: o.pidsl.code)
    first_name = "Nora"
    last_name = "Quinn"
    birth_month = 3
    birth_day = 4
    contact = "617-555-0101"
    filed_at = factory.LazyFunction(timezone.now)
