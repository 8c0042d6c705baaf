"""The audit trail's hash chain (AU-01, ASVS 16.4.2): records written through audit_record link
to each other; a record changed or removed behind the trigger's back is found and named."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.chain import chain_verify, record_hash
from audit.context import client_ip
from audit.models import AuditEvent
from audit.services import audit_record

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
    assert chain_verify() == (True, 5, None)


def test_an_empty_trail_verifies(db):
    assert chain_verify() == (True, 0, None)


def test_a_changed_record_is_found_and_named(records):
    changed = records[2]
    _behind_the_trigger("UPDATE audit_auditevent SET detail = %s WHERE id = %s", ["nothing to see", changed.pk])

    assert chain_verify() == (False, 3, changed.pk)


def test_a_record_rehashed_after_a_change_breaks_the_next_link(records):
    # Recomputing the changed record's own hash is not enough: its successor still names the old one.
    changed = AuditEvent.objects.get(pk=records[1].pk)
    changed.detail = "nothing to see"
    _behind_the_trigger(
        "UPDATE audit_auditevent SET detail = %s, hash = %s WHERE id = %s",
        [changed.detail, record_hash(changed), changed.pk],
    )

    assert chain_verify() == (False, 3, records[2].pk)


def test_a_deleted_middle_record_is_found(records):
    _behind_the_trigger("DELETE FROM audit_auditevent WHERE id = %s", [records[2].pk])

    assert chain_verify() == (False, 3, records[3].pk)


def test_the_command_reports_an_intact_chain(records, capsys):
    call_command("verify_audit_chain")

    assert "5 records verified" in capsys.readouterr().out


def test_the_command_fails_naming_the_first_bad_record(records):
    _behind_the_trigger("UPDATE audit_auditevent SET after = '{}'::jsonb WHERE id = %s", [records[1].pk])

    with pytest.raises(CommandError, match=f"record {records[1].pk}") as raised:
        call_command("verify_audit_chain")
    assert raised.value.returncode == 1
