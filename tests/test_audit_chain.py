"""The audit trail's keyed hash chain (AU-01, ASVS 16.4.2, 16.4.3): records written through audit_record link
to each other; a record changed or removed behind the trigger's back is found and named."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from audit.chain import _unkeyed_hash, chain_verify, record_hash
from audit.checkpoints import chain_check, checkpoint_genuine
from audit.context import client_ip
from audit.models import AuditCheckpoint, AuditEvent
from audit.services import audit_record
from audit.tasks import audit_chain_check

Action = AuditEvent.Action


@pytest.fixture
def records(cast) -> list[AuditEvent]:
    """Five records of the kinds services write, in order."""
    token = client_ip.set("2001:0DB8:0000:0000:0000:0000:0000:0001")  # stored compressed: must still verify
    try:
        return [
            audit_record(action=Action.SIGN_IN, actor=cast.alice),
            audit_record(
                action=Action.SERVICES_CHANGE,
                actor=cast.alice,
                target_user=cast.carol,
                pidsl=cast.pidsl_a,
                before={"services": ("claims", "portal_services")},  # a tuple comes back a list
                after={"services": ["portal_services"]},
            ),
            audit_record(action=Action.LINK_END, actor=cast.bob, target_user=cast.carol, pidsl=cast.pidsl_a),
            audit_record(action=Action.SIGN_IN_FAILED, actor_username="nobody", detail="unknown user ID"),
            audit_record(
                action=Action.USER_DEACTIVATE, actor=cast.dave, target_user=cast.frank, organization=cast.eddys
            ),
        ]
    finally:
        client_ip.reset(token)


def _behind_the_trigger(sql: str, params: list) -> None:
    """What a table owner could do: the append-only trigger off, a change, the trigger back on."""
    with connection.cursor() as cursor:
        # ALTER TABLE refuses while the test transaction's deferred foreign-key checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_each_record_links_to_the_one_before(records):
    assert records[0].prev_hash == ""
    for previous, record in zip(records, records[1:], strict=False):
        assert record.prev_hash == previous.hash
    assert all(re.fullmatch(r"[0-9a-f]{64}", r.hash) for r in records)


def test_the_stored_records_hash_as_they_were_written(records):
    for record in records:
        stored = AuditEvent.objects.get(pk=record.pk)
        assert record_hash(stored) == record.hash == stored.hash


def test_a_normal_sequence_verifies(records):
    assert chain_verify()[:3] == (True, 5, None)


def test_an_empty_trail_verifies(db):
    assert chain_verify()[:3] == (True, 0, None)


def test_a_changed_record_is_found_and_named(records):
    changed = records[2]
    _behind_the_trigger("UPDATE audit_auditevent SET detail = %s WHERE id = %s", ["nothing to see", changed.pk])

    assert chain_verify()[:3] == (False, 3, changed.pk)


def test_a_record_rehashed_after_a_change_breaks_the_next_link(records):
    # Recomputing the changed record's own hash is not enough: its successor still names the old one.
    changed = AuditEvent.objects.get(pk=records[1].pk)
    changed.detail = "nothing to see"
    _behind_the_trigger(
        "UPDATE audit_auditevent SET detail = %s, hash = %s WHERE id = %s",
        [changed.detail, record_hash(changed), changed.pk],
    )

    assert chain_verify()[:3] == (False, 3, records[2].pk)


def test_a_deleted_middle_record_is_found(records):
    _behind_the_trigger("DELETE FROM audit_auditevent WHERE id = %s", [records[2].pk])

    assert chain_verify()[:3] == (False, 3, records[3].pk)


def test_the_command_reports_an_intact_chain(records, capsys):
    call_command("verify_audit_chain")

    assert "5 records verified" in capsys.readouterr().out


def test_the_command_fails_naming_the_first_bad_record(records):
    _behind_the_trigger("UPDATE audit_auditevent SET after = '{}'::jsonb WHERE id = %s", [records[1].pk])

    with pytest.raises(CommandError, match=f"record {records[1].pk}") as raised:
        call_command("verify_audit_chain")
    assert raised.value.returncode == 1


# --- ASVS 16.4.3: the chain is keyed, and checked against the last checkpoint ---------------------


def _recompute_from(records_after, compute) -> None:
    """What the finding did: rewrite every later record's links with a hash the attacker can compute."""
    previous = AuditEvent.objects.filter(pk__lt=records_after[0].pk).order_by("-id").values_list("hash", flat=True)
    previous = previous.first() or ""
    for record in records_after:
        stored = AuditEvent.objects.get(pk=record.pk)
        stored.prev_hash = previous
        previous = compute(stored)
        _behind_the_trigger(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [stored.prev_hash, previous, stored.pk],
        )


def test_asvs_16_4_3_deleting_a_record_and_recomputing_the_chain_without_the_key_is_found(records):
    # The finding's reproduction: delete a record, recompute the later hashes with the hash function.
    _behind_the_trigger("DELETE FROM audit_auditevent WHERE id = %s", [records[2].pk])
    with override_settings(POSC_AUDIT_CHAIN_KEY="the attacker's guess of the key"):
        _recompute_from(records[3:], record_hash)

    assert chain_verify()[:3] == (False, 3, records[3].pk)


def test_asvs_16_4_3_recomputing_everything_with_plain_sha256_is_found(records):
    # Unkeyed hashes pass only as the beginning of a chain that a keyed record follows.
    _recompute_from(records, _unkeyed_hash)

    assert chain_verify()[:3] == (False, 5, records[4].pk)


def test_a_trail_written_before_the_key_verifies_once_anchored(records):
    _recompute_from(records, _unkeyed_hash)  # as the records written before audit 0018 were
    migration = importlib.import_module("audit.migrations.0018_evidence_checkpoints_keyed")

    migration.anchor_keyed_chain(django_apps, None)

    anchor = AuditEvent.objects.order_by("-id").first()
    assert anchor.action == Action.CHAIN_KEYED and anchor.prev_hash == AuditEvent.objects.get(pk=records[4].pk).hash
    assert chain_verify()[:3] == (True, 6, None)
    # ...and a rewritten old record still breaks it: the anchor covers the old chain's end.
    _behind_the_trigger("DELETE FROM audit_auditevent WHERE id = %s", [records[1].pk])
    _recompute_from(records[2:], _unkeyed_hash)
    assert chain_verify()[0] is False


def test_an_unkeyed_record_after_a_keyed_one_is_found(records):
    _recompute_from(records[3:], _unkeyed_hash)
    audit_record(action=Action.SIGN_IN, actor_username="carol")

    assert chain_verify()[:3] == (False, 4, records[3].pk)


def test_asvs_16_4_3_the_nightly_check_keeps_a_keyed_checkpoint(records):
    checkpoint = chain_check()
    assert checkpoint.ok and checkpoint.records == 5 and checkpoint.last_id == records[4].pk
    assert checkpoint_genuine(checkpoint) and not mail.outbox
    assert not AuditEvent.objects.filter(action=Action.CHAIN_CHECK_FAILED).exists()


def test_asvs_16_4_3_removing_the_newest_records_is_found_and_agency_staff_alerted(records, cast):
    chain_check()
    _behind_the_trigger("DELETE FROM audit_auditevent WHERE id >= %s", [records[3].pk])
    assert chain_verify()[0]  # the chain alone cannot see its end cut off...

    checkpoint = chain_check()  # ...the checkpoint does

    assert not checkpoint.ok
    assert "fewer than the 5" in checkpoint.problem and f"Record {records[4].pk}" in checkpoint.problem
    assert [m.to for m in mail.outbox] == [[cast.agency.email]]
    assert "audit trail check failed" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action=Action.CHAIN_CHECK_FAILED).count() == 1


def test_asvs_16_4_3_a_checkpoint_forged_without_the_key_is_found(records):
    chain_check()
    forged = AuditCheckpoint(at=timezone.now(), ok=True, records=1, last_id=records[0].pk, last_hash=records[0].hash)
    forged.mac = "0" * 64
    forged.save()

    checkpoint = chain_check()

    assert not checkpoint.ok and "does not verify" in checkpoint.problem


def test_a_changed_record_fails_the_nightly_check(records):
    _behind_the_trigger("UPDATE audit_auditevent SET detail = 'x' WHERE id = %s", [records[1].pk])
    checkpoint = chain_check()
    assert not checkpoint.ok and f"Record {records[1].pk} was changed" in checkpoint.problem


def test_the_check_runs_every_night_on_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["audit-chain-check"]
    assert entry["task"] == "audit.tasks.audit_chain_check"
    assert audit_chain_check.name == entry["task"]


def test_the_command_with_checkpoint_records_and_fails_like_the_task(records):
    call_command("verify_audit_chain", "--checkpoint")
    _behind_the_trigger("DELETE FROM audit_auditevent WHERE id = %s", [records[4].pk])
    with pytest.raises(CommandError, match="fewer than"):
        call_command("verify_audit_chain", "--checkpoint")
    assert AuditCheckpoint.objects.count() == 2


def test_agency_staff_see_the_last_check_on_the_audit_trail_page(client, records, cast):
    from django.urls import reverse

    chain_check()
    client.force_login(cast.agency)
    assert 'data-chain-check="ok"' in client.get(reverse("audit:trail")).content.decode()
    _behind_the_trigger("DELETE FROM audit_auditevent WHERE id = %s", [records[4].pk])
    chain_check()
    page = client.get(reverse("audit:trail")).content.decode()
    assert 'data-chain-check="failed"' in page and "is gone or changed" in page
    client.force_login(cast.alice)  # an organization's reader is not the one to act on it
    assert "data-chain-check" not in client.get(reverse("audit:trail")).content.decode()
