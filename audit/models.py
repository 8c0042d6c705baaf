"""The append-only audit trail (AU-01; HIPAA 164.312(b); ASVS 16.2.1)."""

from django.conf import settings
from django.db import models

from providers import catalog

_SERVICE_LABELS = {entry.code: entry.label for entry in catalog.CATALOG}
_SERVICE_ORDER = {entry.code: position for position, entry in enumerate(catalog.CATALOG)}


def _readable(payload) -> list[tuple[str, str]]:
    """(key, value) pairs for the trail page in the screens' words: "home organization", and services
    by the labels of Available/Assigned Services, in their order. The record (and the CSV) keeps the
    stable codes."""
    pairs = []
    for key, value in (payload or {}).items():
        if key == "services" and isinstance(value, list):
            ordered = sorted(value, key=lambda code: _SERVICE_ORDER.get(code, len(_SERVICE_ORDER)))
            value = [_SERVICE_LABELS.get(code, code) for code in ordered]
        pairs.append((key.replace("_", " "), ", ".join(map(str, value)) if isinstance(value, list) else value))
    return pairs


class AuditContent(models.Model):
    """What an audit record says, shared by the trail (AuditEvent) and a sign-in's record waiting
    for a busy chain (AuditWaiting), so the two cannot drift apart."""

    class Action(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SIGN_OUT = "sign_out", "Signed out"
        PASSWORD_CHANGE = "password_change", "Password changed"
        PASSWORD_RESET = "password_reset", "Password reset"
        TERMS_ACCEPT = "terms_accept", "Terms accepted"
        ORG_ENROLL = "org_enroll", "Organization enrolled"
        ORG_UPDATE = "org_update", "Organization or PID/SL details changed"
        PRIMARY_DESIGNATE = "primary_designate", "Primary User designated"
        BACKUP_APPOINT = "backup_appoint", "Backup Primary User appointed"
        USER_CREATE = "user_create", "User created"
        USER_UPDATE = "user_update", "User updated"
        USER_DEACTIVATE = "user_deactivate", "User deactivated"
        USER_REACTIVATE = "user_reactivate", "User reactivated"
        SERVICES_CHANGE = "services_change", "Services changed"
        LINK_CREATE = "link_create", "User linked"
        LINK_END = "link_end", "User removed"
        CHANGE_REQUEST_FILE = "change_request_file", "Primary User change requested"
        CHANGE_REQUEST_APPROVE = "change_request_approve", "Primary User change approved"
        CHANGE_REQUEST_REJECT = "change_request_reject", "Primary User change rejected"
        COMPLIANCE_GRANT = "compliance_grant", "Compliance officer appointed"
        COMPLIANCE_END = "compliance_end", "Compliance officer appointment ended"
        ACCESS_REFUSED = "access_refused", "Access refused"
        MFA_ENROLL = "mfa_enroll", "Two-step verification set up"
        MFA_FAILED = "mfa_failed", "Two-step verification failed"
        LOCKOUT_CLEAR = "lockout_clear", "Sign-in lockout cleared"
        DESIGNATION_APPROVE = "designation_approve", "Primary User designation approved (PIN letter issued)"
        REGISTRATION = "registration", "Primary User registered"
        REGISTRATION_FAILED = "registration_failed", "Registration refused"
        BROADCAST_POST = "broadcast_post", "Broadcast message posted"
        REVIEW_CREATE = "review_create", "Access review started"
        REVIEW_DECISION = "review_decision", "Access review decision"
        REVIEW_COMPLETE = "review_complete", "Access review completed"
        REVIEW_SCHEDULE = "review_schedule", "Access review schedule changed"
        REVIEW_DEFAULT_SET = "review_default_set", "Access review default decision chosen"
        REVIEW_PROGRAM_SET = "review_program_set", "Access review program settings changed"
        REVIEW_DEFERRED = "review_deferred", "Overdue access review put off at sign-in"
        LINK_UPDATE = "link_update", "Link end date changed"
        DORMANCY_KEEP = "dormancy_keep", "Kept from deactivation for not signing in"
        REPORT_REQUEST = "report_request", "Report requested"
        REPORT_DOWNLOAD = "report_download", "Report downloaded"
        REPORT_BUILT = "report_built", "Report file built"
        EVIDENCE_SEALED = "evidence_sealed", "Evidence package sealed"
        EVIDENCE_DOWNLOAD = "evidence_download", "Evidence package downloaded"
        EVIDENCE_DELETE = "evidence_delete", "Evidence package deleted after its retention period"
        CHAIN_KEYED = "chain_keyed", "Audit trail keyed"
        CHAIN_CHECK_FAILED = "chain_check_failed", "Audit trail check failed"
        PIN_LETTER_REISSUE = "pin_letter_reissue", "PIN letter reissued"
        RECOVERY_REQUEST = "recovery_request", "Primary User recovery requested"
        RECOVERY_DECISION = "recovery_decision", "Primary User recovery decided"
        PASSKEY_ADD = "passkey_add", "Passkey added"
        PASSKEY_REMOVE = "passkey_remove", "Passkey removed"

    action = models.CharField(max_length=30, choices=Action.choices)
    # Usernames are copied so a record reads the same whatever happens to the user later.
    # No single-column index on the references: each leads a "(reference, at, id)" index below,
    # which serves the same lookups, and every audited action would maintain both.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    actor_username = models.CharField(max_length=150, blank=True)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    target_username = models.CharField(max_length=150, blank=True)
    pidsl = models.ForeignKey(
        "providers.PidSl", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    organization = models.ForeignKey(
        "providers.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # LK-03: the target user's home organization, on what was done to the user's account and on what
    # another organization did to its user, so the home organization's trail shows both.
    home_organization = models.ForeignKey(
        "providers.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True


class AuditEvent(AuditContent):
    at = models.DateTimeField(db_index=True)
    # ASVS 16.4.2 tamper evidence: each record's SHA-256 covers its content and the previous
    # record's hash (audit/chain.py), so an edit or a removal behind the trigger's back shows.
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="")
    # The AuditWaiting row this record was chained from, if it waited (audit/chain.py): not content
    # (not hashed), it is what lets the waiting row go (audit 0025's trigger).
    from_waiting_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["pidsl", "-at", "-id"], name="audit_pidsl_recent"),
            models.Index(fields=["target_user", "-at", "-id"], name="audit_target_recent"),
            models.Index(fields=["actor", "-at", "-id"], name="audit_actor_recent"),
            models.Index(fields=["organization", "-at", "-id"], name="audit_org_recent"),
            models.Index(fields=["home_organization", "-at", "-id"], name="audit_home_org_recent"),
            # The trail's commonest filter, a PID/SL and an action: an ordered page and an index-only count.
            models.Index(fields=["pidsl", "action", "-at", "-id"], name="audit_pidsl_action_recent"),
            # The trail's "Done by" and "Done to" filters name a username (a failed sign-in's may match
            # no user): without these, agency staff filtering the whole trail by one read all of it.
            models.Index(fields=["actor_username", "-at", "-id"], name="audit_actor_name_recent"),
            models.Index(fields=["target_username", "-at", "-id"], name="audit_target_name_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or '-'} {self.get_action_display()}"

    # For templates: `before.items` would look up a key named "items" (a review's item count) first.
    @property
    def before_pairs(self) -> list:
        return _readable(self.before)

    @property
    def after_pairs(self) -> list:
        return _readable(self.after)


class AuditWaiting(AuditContent):
    """A sign-in's record written while the audit chain was busy (a provider-type change writing
    100,000 records holds its append lock for many seconds): kept here, in the sign-in's own
    transaction, and linked into the chain by the next writer that takes the lock, or within a
    minute by beat (audit/chain.py). The database refuses to change a waiting row, and to delete
    one the trail does not yet hold (audit 0025), so waiting is never a way around AU-01."""

    at = models.DateTimeField()

    CONTENT = (
        "at",
        "action",
        "actor_id",
        "actor_username",
        "target_user_id",
        "target_username",
        "pidsl_id",
        "organization_id",
        "home_organization_id",
        "before",
        "after",
        "ip_address",
        "detail",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.at:%Y-%m-%d %H:%M:%S}, waiting for the chain"


class AccessReview(models.Model):
    """A periodic review of every open link to an organization's PID/SLs (AR-01, AR-02)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"

    organization = models.ForeignKey("providers.Organization", on_delete=models.PROTECT, related_name="reviews")
    period_start = models.DateField()
    period_end = models.DateField()
    due_date = models.DateField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attestation = models.TextField(blank=True)
    # AR-06: completed by the daily job at the deadline, the undecided items given the default decision.
    completed_by_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-due_date"]
        constraints = [
            # The daily job may run twice: one review per organization and period.
            models.UniqueConstraint(fields=["organization", "period_end"], name="review_one_per_period"),
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(status="open"), name="review_one_open_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"Access review of {self.organization} due {self.due_date}"


class ReviewItem(models.Model):
    """One user's access at one PID/SL, as it stood when the review was created, and the decision."""

    class Decision(models.TextChoices):
        KEEP = "keep", "Keep"
        MODIFY = "modify", "Modify services"
        REMOVE = "remove", "Remove from the PID/SL"
        DEACTIVATE = "deactivate", "Deactivate the user"

    # A write-once snapshot of up to a million rows a review: its references are kept without
    # database foreign-key triggers, which would double the cost of writing it (docs/performance.md).
    # Nothing deletes reviews, links, users or PID/SLs, and PROTECT still guards the ORM side.
    review = models.ForeignKey(AccessReview, on_delete=models.PROTECT, related_name="items", db_constraint=False)
    access = models.ForeignKey("providers.Access", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    pidsl = models.ForeignKey("providers.PidSl", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    role = models.CharField(max_length=12)
    outside_user = models.BooleanField(default=False)
    services_before = models.JSONField(default=list)
    last_login = models.DateTimeField(null=True, blank=True)
    findings = models.JSONField(default=list)
    decision = models.CharField(max_length=12, choices=Decision.choices, blank=True)
    services_after = models.JSONField(default=list)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Decision aids computed with the snapshot (audit/reviews/recommendations.py): what the findings
    # suggest and why, in plain words. A suggestion only: the reviewer decides, or AR-06's default does.
    recommendation = models.CharField(max_length=12, choices=Decision.choices, blank=True)
    recommendation_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pidsl_id", "access_id"]
        constraints = [models.UniqueConstraint(fields=["review", "access"], name="review_item_one_per_access")]
        # The review page reads a PID/SL's rows from this, 25 at a time, whatever the review's size
        # (audit/reviews/paging.py): those still to decide first, in link order, then the decided. One
        # index where there was one (review, decision): each more costs the million-item review's
        # creation about half a COPY (the "Creating the review" bench row).
        indexes = [models.Index(fields=["review", "pidsl", "decision", "access"], name="review_item_pidsl_pending")]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.pidsl_id} in review {self.review_id}"


class ReviewCount(models.Model):
    """How many items a review holds, and how many are still to decide, per PID/SL and
    recommendation: the review page's progress, its counts and its paging read these (a few hundred
    rows) instead of counting a million items. Kept by the database in the statement that changes
    the items (migration 0021's statement-level trigger on audit_reviewitem), so every path that
    writes items (creation's INSERT ... SELECT, one decision, "Keep all remaining", AR-06's bulk
    default) keeps them without being asked; audit/reviews/counts.py rebuilds and compares them."""

    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    pidsl = models.ForeignKey("providers.PidSl", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    recommendation = models.CharField(max_length=12, blank=True)
    total = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "pidsl", "recommendation"], name="review_count_one_per_key")
        ]

    def __str__(self) -> str:
        return f"review {self.review_id} at {self.pidsl_id} ({self.recommendation or '-'}): {self.pending}/{self.total}"


class DefaultDecision(models.TextChoices):
    """AR-06: what happens to the items nobody decided by the deadline, strongest first."""

    REMOVE = "remove", "Remove them from the PID/SL"
    RECOMMENDATIONS = "recommendations", "Apply the recommendations"
    KEEP = "keep", "Keep them"


# AR-06's order: a weaker default than the program's minimum is refused (remove >= recommendations >= keep).
DEFAULT_STRENGTH = {DefaultDecision.KEEP: 0, DefaultDecision.RECOMMENDATIONS: 1, DefaultDecision.REMOVE: 2}


class ProgramReviewSettings(models.Model):
    """AR-06: the program's settings that agency staff change (one row, pk 1): the grace period after
    the due date and the weakest default decision an organization may choose."""

    grace_days = models.PositiveSmallIntegerField(default=14)
    minimum_default = models.CharField(
        max_length=16, choices=DefaultDecision.choices, default=DefaultDecision.RECOMMENDATIONS
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "program review settings"

    def __str__(self) -> str:
        return f"Reviews: {self.grace_days} days' grace, at least {self.get_minimum_default_display().lower()}"

    @classmethod
    def current(cls) -> "ProgramReviewSettings":
        return cls.objects.get_or_create(pk=1)[0]


class ReviewPolicy(models.Model):
    """AR-06: an organization's own default decision (none chosen: the program's minimum)."""

    organization = models.OneToOneField(
        "providers.Organization", on_delete=models.PROTECT, related_name="review_policy"
    )
    default_decision = models.CharField(max_length=16, choices=DefaultDecision.choices)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "review policies"

    def __str__(self) -> str:
        return f"{self.organization}: {self.get_default_decision_display()}"


class ReviewReminder(models.Model):
    """A reminder or escalation sent for a review; unique so a rerun on the same day sends nothing twice (AR-03)."""

    class Kind(models.TextChoices):
        DUE_IN_14 = "due_14", "Due in 14 days"
        DUE_IN_7 = "due_7", "Due in 7 days"
        DUE_IN_1 = "due_1", "Due tomorrow"
        OVERDUE = "overdue", "Overdue"

    review = models.ForeignKey(AccessReview, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    on_date = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "kind", "on_date"], name="reminder_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for review {self.review_id} on {self.on_date}"


class Report(models.Model):
    """A stored report file: a completed review's CSV/PDF (immutable) or a User Access Report."""

    class Kind(models.TextChoices):
        REVIEW_CSV = "review_csv", "Access review (CSV)"
        REVIEW_PDF = "review_pdf", "Access review (PDF)"
        USER_ACCESS_CSV = "user_access_csv", "User Access Report (CSV)"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Building"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey("providers.Organization", on_delete=models.PROTECT, related_name="reports")
    review = models.ForeignKey(AccessReview, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file_path = models.CharField(max_length=500, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    # AU-02, ASVS 16.4.3: the chain record that holds the file's sha256 when it was built. This row can
    # change; that record cannot, so a download re-hashes the file against the record, not the row.
    built_event = models.ForeignKey(
        AuditEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.organization} ({self.status})"


class FindingSnapshot(models.Model):
    """One organization's compliance findings as the nightly scan found them (audit/compliance/findings.py),
    so the compliance page can say when the scan last ran and a night can be compared with the next."""

    organization = models.ForeignKey(
        "providers.Organization", on_delete=models.PROTECT, related_name="finding_snapshots"
    )
    computed_at = models.DateTimeField()
    counts = models.JSONField(default=dict)  # {rule ID: number of findings}
    findings = models.JSONField(default=list)  # Finding.as_json() of each

    class Meta:
        ordering = ["-computed_at"]
        indexes = [models.Index(fields=["organization", "-computed_at"], name="finding_snapshot_recent")]

    def __str__(self) -> str:
        return f"Findings of {self.organization} at {self.computed_at:%Y-%m-%d %H:%M}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class FindingTally(models.Model):
    """What the Compliance pages and the program view count a finding rule's matches from, kept in
    the transaction of every change that can add or remove one (audit/compliance/tallies.py) and
    rebuilt nightly, with any drift reported. For one organization and rule, how many links (or
    users) fall in one bucket: the rule's threshold is applied when it is read, so a changed
    setting or the passing of time needs no recount.

    bucket: US-07, the Eastern day the link's user was last seen (its ordinal); PU-07 and SV-05, how
    many PID/SLs the user holds; SV-02 and SV-04, 0."""

    organization = models.ForeignKey(
        "providers.Organization", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    rule = models.CharField(max_length=8)
    bucket = models.IntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "rule", "bucket"], name="finding_tally_one_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.rule} at organization {self.organization_id}, bucket {self.bucket}: {self.count}"


class AuditCheckpoint(models.Model):
    """What each scheduled check of the chain found (ASVS 16.4.3): the next check compares with the
    newest checkpoint whose MAC holds, so records removed from the chain's end are noticed too. The
    portal's role may only add and read these (audit/roles.py)."""

    at = models.DateTimeField()
    ok = models.BooleanField()
    records = models.PositiveBigIntegerField()
    last_id = models.BigIntegerField(null=True)
    last_hash = models.CharField(max_length=64, blank=True)
    problem = models.CharField(max_length=500, blank=True)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["-at", "-id"]
        get_latest_by = ["at", "id"]

    def __str__(self) -> str:
        return f"Audit check at {self.at:%Y-%m-%d %H:%M}: {'intact' if self.ok else 'FAILED'}"


class EvidencePackage(models.Model):
    """AU-02: a completed review's evidence as one file (its CSV and PDF, the attestation, the audit
    extract of its decisions and a manifest of their sha256s), kept until ``retain_until``
    (HIPAA 164.316(b)(2), six years by default). The database refuses its deletion before then."""

    review = models.OneToOneField(AccessReview, on_delete=models.PROTECT, related_name="evidence")
    organization = models.ForeignKey("providers.Organization", on_delete=models.PROTECT, related_name="+")
    sealed_at = models.DateTimeField()
    retain_until = models.DateField()
    file_path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    manifest = models.JSONField(default=dict)
    sealed_event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="+", db_constraint=False)

    class Meta:
        ordering = ["-sealed_at"]

    def __str__(self) -> str:
        return f"Evidence of {self.review} (kept until {self.retain_until})"
