"""The append-only audit trail (AU-01; HIPAA 164.312(b); ASVS 16.2.1)."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SIGN_OUT = "sign_out", "Signed out"
        PASSWORD_CHANGE = "password_change", "Password changed"
        PASSWORD_RESET = "password_reset", "Password reset"
        TERMS_ACCEPT = "terms_accept", "Terms accepted"
        ORG_ENROLL = "org_enroll", "Organization enrolled"
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
        ACCESS_REFUSED = "access_refused", "Access refused"
        MFA_ENROLL = "mfa_enroll", "Two-step verification set up"
        MFA_FAILED = "mfa_failed", "Two-step verification failed"
        LOCKOUT_CLEAR = "lockout_clear", "Sign-in lockout cleared"
        DESIGNATION_APPROVE = "designation_approve", "Primary User designation approved (PIN letter issued)"
        REGISTRATION = "registration", "Primary User registered"
        REGISTRATION_FAILED = "registration_failed", "Registration refused"
        BROADCAST_POST = "broadcast_post", "Broadcast message posted"

    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    # Usernames are copied so a record reads the same whatever happens to the user later.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_username = models.CharField(max_length=150, blank=True)
    pidsl = models.ForeignKey("providers.PidSl", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        "providers.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["pidsl", "-at"], name="audit_pidsl_recent"),
            models.Index(fields=["target_user", "-at"], name="audit_target_recent"),
            models.Index(fields=["actor", "-at"], name="audit_actor_recent"),
            models.Index(fields=["organization", "-at"], name="audit_org_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or '-'} {self.get_action_display()}"
