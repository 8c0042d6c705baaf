"""AU-01, AU-02 (ASVS 16.4.2, 16.4.3): the chain's checkpoints, the evidence packages, the report's
chain record, and the anchor that starts the keyed chain on a trail written before the key.

The database refuses changes the runtime role is not even granted (audit/roles.py), so the owner
cannot slip either: a checkpoint is never changed or deleted; an evidence package is never changed
and is deleted only after its retention date.
"""

import django.db.models.deletion
from django.db import migrations, models

POSTGRES_UP = """
CREATE TRIGGER audit_checkpoint_append_only
    BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE OR REPLACE FUNCTION audit_evidence_retained() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'an evidence package cannot be changed (AU-02)';
    END IF;
    IF OLD.retain_until >= CURRENT_DATE THEN
        RAISE EXCEPTION 'an evidence package is kept until % and cannot be deleted before (AU-02)', OLD.retain_until;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_evidence_retained
    BEFORE UPDATE OR DELETE ON audit_evidencepackage
    FOR EACH ROW EXECUTE FUNCTION audit_evidence_retained();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS audit_checkpoint_append_only ON audit_auditcheckpoint;
DROP TRIGGER IF EXISTS audit_evidence_retained ON audit_evidencepackage;
DROP FUNCTION IF EXISTS audit_evidence_retained();
"""


def triggers_up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)  # its RAISE has a % of its own


def triggers_down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)


def anchor_keyed_chain(apps, schema_editor):
    """A trail written before the key ends in a record with a plain SHA-256; append one keyed record
    after it, so from here on rewriting any earlier record breaks a hash only the key can make."""
    from django.utils import timezone

    from audit.chain import record_hash, record_intact

    AuditEvent = apps.get_model("audit", "AuditEvent")
    last = AuditEvent.objects.order_by("-id").first()
    if last is None or record_intact(last):
        return
    anchor = AuditEvent(
        at=timezone.now(),
        action="chain_keyed",
        actor_username="migrate",
        detail="From this record on, the audit trail's hashes are keyed (ASVS 16.4.3).",
        prev_hash=last.hash,
        before={},
        after={"records_before": AuditEvent.objects.count()},
    )
    anchor.home_organization_id = None
    anchor.hash = record_hash(anchor)
    anchor.save(force_insert=True)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0017_auditevent_org_update_action"),
        ("providers", "0009_notification_outside_change"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField()),
                ("ok", models.BooleanField()),
                ("records", models.PositiveBigIntegerField()),
                ("last_id", models.BigIntegerField(null=True)),
                ("last_hash", models.CharField(blank=True, max_length=64)),
                ("problem", models.CharField(blank=True, max_length=500)),
                ("mac", models.CharField(max_length=64)),
            ],
            options={
                "ordering": ["-at", "-id"],
                "get_latest_by": ["at", "id"],
            },
        ),
        migrations.AddField(
            model_name="report",
            name="built_event",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="audit.auditevent",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("sign_in", "Signed in"),
                    ("sign_in_failed", "Sign-in failed"),
                    ("sign_out", "Signed out"),
                    ("password_change", "Password changed"),
                    ("password_reset", "Password reset"),
                    ("terms_accept", "Terms accepted"),
                    ("org_enroll", "Organization enrolled"),
                    ("org_update", "Organization or PID/SL details changed"),
                    ("primary_designate", "Primary User designated"),
                    ("backup_appoint", "Backup Primary User appointed"),
                    ("user_create", "User created"),
                    ("user_update", "User updated"),
                    ("user_deactivate", "User deactivated"),
                    ("user_reactivate", "User reactivated"),
                    ("services_change", "Services changed"),
                    ("link_create", "User linked"),
                    ("link_end", "User removed"),
                    ("change_request_file", "Primary User change requested"),
                    ("change_request_approve", "Primary User change approved"),
                    ("change_request_reject", "Primary User change rejected"),
                    ("compliance_grant", "Compliance officer appointed"),
                    ("compliance_end", "Compliance officer appointment ended"),
                    ("access_refused", "Access refused"),
                    ("mfa_enroll", "Two-step verification set up"),
                    ("mfa_failed", "Two-step verification failed"),
                    ("lockout_clear", "Sign-in lockout cleared"),
                    ("designation_approve", "Primary User designation approved (PIN letter issued)"),
                    ("registration", "Primary User registered"),
                    ("registration_failed", "Registration refused"),
                    ("broadcast_post", "Broadcast message posted"),
                    ("review_create", "Access review started"),
                    ("review_decision", "Access review decision"),
                    ("review_complete", "Access review completed"),
                    ("review_schedule", "Access review schedule changed"),
                    ("report_request", "Report requested"),
                    ("report_download", "Report downloaded"),
                    ("report_built", "Report file built"),
                    ("evidence_sealed", "Evidence package sealed"),
                    ("evidence_download", "Evidence package downloaded"),
                    ("evidence_delete", "Evidence package deleted after its retention period"),
                    ("chain_keyed", "Audit trail keyed"),
                    ("chain_check_failed", "Audit trail check failed"),
                    ("pin_letter_reissue", "PIN letter reissued"),
                    ("passkey_add", "Passkey added"),
                    ("passkey_remove", "Passkey removed"),
                ],
                max_length=30,
            ),
        ),
        migrations.CreateModel(
            name="EvidencePackage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sealed_at", models.DateTimeField()),
                ("retain_until", models.DateField()),
                ("file_path", models.CharField(max_length=500)),
                ("sha256", models.CharField(max_length=64)),
                ("size", models.PositiveBigIntegerField()),
                ("manifest", models.JSONField(default=dict)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="providers.organization"
                    ),
                ),
                (
                    "review",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="evidence", to="audit.accessreview"
                    ),
                ),
                (
                    "sealed_event",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="audit.auditevent",
                    ),
                ),
            ],
            options={
                "ordering": ["-sealed_at"],
            },
        ),
        migrations.RunPython(triggers_up, triggers_down),
        migrations.RunPython(anchor_keyed_chain, migrations.RunPython.noop),
    ]
