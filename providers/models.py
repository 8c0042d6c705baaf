"""Organizations, their PID/SLs, the service catalog, and who holds what where."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from guardian.models import UserObjectPermissionBase

from . import catalog

provider_id_validator = RegexValidator(r"^\d{9}$", "The Provider ID is 9 digits.")
service_location_validator = RegexValidator(r"^[A-Z]$", "The service location is one capital letter.")


class Organization(models.Model):
    class Kind(models.TextChoices):
        PROVIDER = "provider", "Provider"
        BILLING_INTERMEDIARY = "billing_intermediary", "Billing intermediary"
        BUSINESS_PARTNER = "business_partner", "Business partner"
        RELATIONSHIP_ENTITY = "relationship_entity", "Relationship entity"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.PROVIDER)
    # Provider traits that decide which services can be granted (SV-02).
    is_long_term_care = models.BooleanField("long-term care", default=False)
    is_pace = models.BooleanField("PACE", default=False)
    is_sco = models.BooleanField("SCO", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class ReviewFrequency(models.IntegerChoices):
        # AR-01: never longer than 12 months; the value is the number of months.
        QUARTERLY = 3, "Quarterly"
        SEMI_ANNUAL = 6, "Semi-annual"
        ANNUAL = 12, "Annual"

    review_frequency = models.PositiveSmallIntegerField(
        choices=ReviewFrequency.choices, default=ReviewFrequency.SEMI_ANNUAL
    )

    # The program view's review status, kept by the database from the organization's reviews (a row
    # trigger, audit 0023): the due date of its open review (one at most) and the period end of its
    # latest completed one. Two correlated subqueries per organization were most of the page's time
    # at 5,000 organizations, and they could not be indexed for the "overdue" filter.
    open_review_due = models.DateField(null=True, blank=True, editable=False)
    last_review_completed = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["open_review_due", "name"], name="org_open_review_due")]

    def __str__(self) -> str:
        return self.name


class PidSl(models.Model):
    """A Provider ID / Service Location: the level at which access is managed."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="pidsls")
    provider_id = models.CharField(max_length=9, validators=[provider_id_validator])
    service_location = models.CharField(max_length=1, validators=[service_location_validator])
    name = models.CharField(max_length=200)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, default="MA")
    zip_code = models.CharField(max_length=9, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The Subordinates Search Results count (open links other than the Primary User's), kept by
    # providers.access in the transaction that opens or closes a link: counting 20,000 index
    # entries on every page view cost more than the rest of the page's queries together.
    listed_links = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        verbose_name = "PID/SL"
        verbose_name_plural = "PID/SLs"
        ordering = ["provider_id", "service_location"]
        constraints = [
            models.UniqueConstraint(fields=["provider_id", "service_location"], name="pidsl_unique_code"),
        ]
        # One object permission per service (DESIGN: guardian perms derived from Access).
        permissions = catalog.SERVICE_PERMISSIONS

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def code(self) -> str:
        return f"{self.provider_id}{self.service_location}"


class PidSlUserObjectPermission(UserObjectPermissionBase):
    """Guardian's direct-FK permission table: cascades with the PID/SL and is indexed (guardian #15, #451)."""

    content_object = models.ForeignKey(PidSl, on_delete=models.CASCADE)


class Service(models.Model):
    """A POSC role from the guide's catalog (loaded by migration, never edited in the portal)."""

    code = models.SlugField(max_length=40, unique=True)
    role_name = models.CharField(max_length=100)
    label = models.CharField(max_length=100)
    grants = models.TextField(help_text="The POSC services this role grants, one a line.")
    constraint = models.CharField(max_length=20, blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.label

    @property
    def permission_codename(self) -> str:
        return catalog.permission_codename(self.code)

    @property
    def is_admin_only(self) -> bool:
        return self.constraint == catalog.ADMIN_ONLY

    @property
    def is_always_held(self) -> bool:
        return self.constraint == catalog.ALWAYS_HELD


class AccessQuerySet(models.QuerySet):
    def open(self):
        return self.filter(ended_at__isnull=True)


class Access(models.Model):
    """The one table of who holds which role and services at which PID/SL.

    A link ends (ended_at, ended_by); it is never deleted, so an auditor can ask
    who had access when. A user of another organization linked to a PID/SL is a
    row here like any other (LK-01).
    """

    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary User"
        BACKUP = "backup", "Backup Primary User"
        SUBORDINATE = "subordinate", "Subordinate"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="accesses")
    pidsl = models.ForeignKey(PidSl, on_delete=models.PROTECT, related_name="accesses")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.SUBORDINATE)
    services = models.ManyToManyField(Service, related_name="accesses")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.CharField(max_length=200, blank=True)
    # "last first username" in lower case, copied from the user: the Subordinates Search Results
    # order, so a PID/SL with 20,000 subordinates pages through an index instead of sorting a join.
    sort_name = models.CharField(max_length=320, blank=True, editable=False)
    # LK-04: an outside user's link may end on a date (a billing contract's end): the daily job
    # ends it through link_end that day, after reminders 14 and 1 days before.
    ends_on = models.DateField(null=True, blank=True)

    objects = AccessQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "access"
        constraints = [
            # PU-01 (at most one side): one Primary User per PID/SL.
            models.UniqueConstraint(
                fields=["pidsl"],
                condition=models.Q(role="primary", ended_at__isnull=True),
                name="access_one_primary_per_pidsl",
            ),
            # PU-02: at most one backup per PID/SL.
            models.UniqueConstraint(
                fields=["pidsl"],
                condition=models.Q(role="backup", ended_at__isnull=True),
                name="access_one_backup_per_pidsl",
            ),
            # One open link per user and PID/SL; with one role per row this also
            # means nobody is both Primary and backup of one PID/SL (PU-02).
            models.UniqueConstraint(
                fields=["user", "pidsl"],
                condition=models.Q(ended_at__isnull=True),
                name="access_one_open_link_per_user_pidsl",
            ),
        ]
        indexes = [
            models.Index(fields=["pidsl", "role"], condition=models.Q(ended_at__isnull=True), name="access_open_pidsl"),
            models.Index(fields=["user"], condition=models.Q(ended_at__isnull=True), name="access_open_user"),
            models.Index(
                fields=["pidsl", "sort_name"],
                include=["role", "id"],  # the page's id range reads no table rows (index-only)
                condition=models.Q(ended_at__isnull=True),
                name="access_open_pidsl_name",
            ),
            # LK-04: the daily job's "which links end or are reminded today" reads this, not 1,500,000 links.
            models.Index(
                fields=["ends_on"],
                condition=models.Q(ended_at__isnull=True, ends_on__isnull=False),
                name="access_open_ends_on",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.pidsl.code} ({self.get_role_display()})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def is_administrator(self) -> bool:
        return self.role in (self.Role.PRIMARY, self.Role.BACKUP)


class PrimaryChangeRequest(models.Model):
    """The "Existing Provider Modification Data Collection Form" (PU-06)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    pidsl = models.ForeignKey(PidSl, on_delete=models.PROTECT, related_name="change_requests")
    new_primary = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    # Whether the outgoing Primary stays linked as an ordinary user (PU-06).
    old_primary_stays = models.BooleanField(default=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pidsl"], condition=models.Q(status="pending"), name="change_request_one_pending_per_pidsl"
            ),
        ]

    def __str__(self) -> str:
        return f"Primary User change at {self.pidsl.code} to {self.new_primary} ({self.status})"


class ComplianceAssignment(models.Model):
    """A compliance officer of an organization: reads its reviews, audit and reports; changes nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="compliance_assignments")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="compliance_assignments")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                condition=models.Q(ended_at__isnull=True),
                name="compliance_one_open_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} (compliance officer of {self.organization})"


class Notification(models.Model):
    """A message to an organization's administrators (LK-02), written in the same
    transaction as the change that causes it and delivered by email afterwards."""

    class Kind(models.TextChoices):
        OUTSIDE_LINK = "outside_link", "Your user was linked by another organization"
        OUTSIDE_REMOVE = "outside_remove", "Your user was removed by another organization"
        OUTSIDE_CHANGE = "outside_change", "Your user's services were changed by another organization"
        USER_DEACTIVATED = "user_deactivated", "A linked user was deactivated"
        USER_REMOVED = "user_removed", "A linked user was removed"
        REVIEW_CREATED = "review_created", "An access review was started"
        REVIEW_REMINDER = "review_reminder", "An access review is due soon"
        REVIEW_OVERDUE = "review_overdue", "An access review is overdue"
        DORMANT_WARNING = "dormant_warning", "Users will be deactivated for not signing in"
        DORMANT_DEACTIVATED = "dormant_deactivated", "Users were deactivated for not signing in"
        DORMANT_PRIMARY = "dormant_primary", "A Primary User has not signed in"
        LINK_ENDING = "link_ending", "A link of an outside user ends soon"
        RECOVERY = "recovery", "A Primary User asked MassHealth to recover their access"
        SERVICES_REVOKED = "services_revoked", "Services were revoked when the provider type changed"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="notifications")
    # Set for a message to one person (a compliance officer, agency staff); empty means the
    # organization's administrators.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pidsl = models.ForeignKey(PidSl, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    message = models.TextField()
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="notification_org_recent"),
            models.Index(
                fields=["created_at"], condition=models.Q(delivered_at__isnull=True), name="notification_undelivered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_user}"


class Designation(models.Model):
    """An approved Provider Enrollment Data Collection Form: who will register as the first
    Primary User of a PID/SL, with the one-time registration PIN of the letter (seeds 001, 002)."""

    pidsl = models.ForeignKey(PidSl, on_delete=models.PROTECT, related_name="designations")
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    email = models.EmailField()
    phone = models.CharField(max_length=20, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField()
    # Only a hash: the PIN is printed on the letter once and never stored in the clear.
    pin_hash = models.CharField(max_length=128)
    pin_expires_at = models.DateTimeField()
    # Voided when agency staff issue a new letter (PU-08), never by wrong PINs: those are slowed
    # down per PID/SL and per address instead (RegistrationThrottle).
    voided_at = models.DateTimeField(null=True, blank=True)
    registered_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pidsl"],
                condition=models.Q(registered_at__isnull=True, voided_at__isnull=True),
                name="designation_one_open_per_pidsl",
            ),
        ]

    def __str__(self) -> str:
        return f"Designation of {self.first_name} {self.last_name} for {self.pidsl.code}"


class RegistrationThrottle(models.Model):
    """Failed registration tries, per Provider ID/Service Location typed and per address (PU-01;
    ASVS 6.3.1, NIST SP 800-63B-4 §3.2.2): each further try waits longer (providers/registration.py).

    Keyed by what was typed, whether or not a letter is pending there, so the wait tells nobody
    which PID/SLs have one. A success or a new letter ends the PID/SL's run."""

    key = models.CharField(max_length=80, unique=True)  # "pidsl:110000001A" or "address:203.0.113.7"
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"


class BroadcastMessage(models.Model):
    """A message MassHealth posts to every user ("View Broadcast Messages", seeds 004)."""

    class Priority(models.IntegerChoices):
        HIGHEST = 1, "1-Highest"
        HIGH = 2, "2-High"
        MEDIUM = 3, "3-Medium"
        LOW = 4, "4-Low"

    subject = models.CharField(max_length=200)
    body = models.TextField()
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["priority", "-posted_at"]

    def __str__(self) -> str:
        return self.subject


class DormancyNotice(models.Model):
    """A notice the dormant-accounts job sent an organization on a day (US-09: the warning 14 and 7
    days before; PU-06: the agency's word that a dormant Primary User was not deactivated). Unique,
    so a second run of the day sends nothing."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Users will be deactivated"
        PRIMARY = "primary", "Dormant Primary User not deactivated"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    on_date = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "on_date"], name="dormancy_notice_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: organization {self.organization_id} on {self.on_date}"


class LinkEndReminder(models.Model):
    """A reminder that a link ends (LK-04), once per link, end date and days before."""

    access = models.ForeignKey(Access, on_delete=models.PROTECT, related_name="+")
    ends_on = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["access", "ends_on", "days_before"], name="link_end_reminder_once")
        ]

    def __str__(self) -> str:
        return f"Link {self.access_id} ends {self.ends_on}: reminded {self.days_before} days before"


class RecoveryRequest(models.Model):
    """PU-08: "I am a Primary User and cannot sign in", filed from the sign-in page for agency staff
    to verify and decide. The identity typed is kept for the agency's check, except the PIN: what is
    kept is whether it all matched the PID/SL's Primary User on record (``matched_user``)."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for MassHealth"
        PASSWORD_RESET = "password_reset", "Password reset (one-time temporary password)"
        LETTER_ISSUED = "letter_issued", "New PIN letter issued to designate a replacement"
        DECLINED = "declined", "Declined"

    pidsl_code = models.CharField(max_length=10)  # as typed: the answer never says whether it exists
    pidsl = models.ForeignKey(PidSl, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    birth_month = models.PositiveSmallIntegerField()
    birth_day = models.PositiveSmallIntegerField()
    contact = models.CharField(max_length=200)
    matched_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField()
    address = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["filed_at", "pk"]
        indexes = [models.Index(fields=["status", "filed_at"], name="recovery_open_oldest")]

    def __str__(self) -> str:
        return f"recovery {self.pk} for {self.pidsl_code} ({self.get_status_display()})"
