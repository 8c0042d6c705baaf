"""SV-06: agency staff change an organization's provider type (long-term care, PACE, SCO).

What may be granted at a PID/SL follows from its organization's type (SV-02). A change therefore
revokes, in the same transaction, every grant of a service that is no longer grantable there,
for every user at every PID/SL of the organization. The guardian permissions follow, each
revocation is audited (one record per link, naming the services taken), and the
administrators, the compliance officers' organization and each affected user are told. A
service the new type allows is given to the Primary Users and backups at once, since they hold
everything the PID/SL allows (PU-05).

Set-based: a handful of statements whatever the size, plus one audit record per affected link.
The organization's row is locked NO KEY, so sign-ins (which never lock it) carry on.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.compliance import tallies
from audit.models import AuditEvent
from audit.services import audit_event, audit_records

from . import authority
from .models import Access, Notification, Organization, Service
from .notifications import notifications_save
from .permissions import object_permissions_revoke_services, object_permissions_sync

TRAITS = ("is_long_term_care", "is_pace", "is_sco")
BATCH = 5000


def _allowed_codes(traits: dict, *, administrator: bool) -> set[str]:
    pace_sco, ltc = traits["is_pace"] or traits["is_sco"], traits["is_long_term_care"]
    return {
        code
        for code, constraint in Service.objects.values_list("code", "constraint")
        if authority.service_allowed(constraint, administrator=administrator, pace_sco=pace_sco, ltc=ltc)
    }


def holders_by_service(organization: Organization) -> dict[str, int]:
    """How many open links hold each provider-type service at the organization (the confirmation
    page's "what a change would take"), in one grouped query."""
    rows = (
        authority.provider_type_grants()
        .filter(access__pidsl__organization=organization)
        .order_by()
        .values_list("service__code")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


@transaction.atomic
def provider_type_change(*, actor, organization: Organization, **traits: bool) -> dict:
    """Set the organization's provider traits (``is_long_term_care``, ``is_pace``, ``is_sco``);
    returns what it did: {"revoked_links", "revoked_grants", "granted_links", "services_taken"}."""
    authority.require_agency(actor)
    organization = Organization.objects.select_for_update(no_key=True).get(pk=organization.pk)
    before = {name: getattr(organization, name) for name in TRAITS}
    after = {name: bool(traits.get(name, before[name])) for name in TRAITS}
    if after == before:
        return {"revoked_links": 0, "revoked_grants": 0, "granted_links": 0, "services_taken": []}
    taken = sorted(_allowed_codes(before, administrator=True) - _allowed_codes(after, administrator=True))
    given = sorted(_allowed_codes(after, administrator=True) - _allowed_codes(before, administrator=True))
    records = [
        audit_event(
            action=AuditEvent.Action.ORG_UPDATE,
            actor=actor,
            organization=organization,
            before=before,
            after=after,
            detail=f"provider type changed (SV-06): services no longer grantable {', '.join(taken) or 'none'}",
        )
    ]
    for name, value in after.items():
        setattr(organization, name, value)
    organization.save(update_fields=list(TRAITS))
    revoked = _revoke(actor, organization, taken, records)
    granted = _give_administrators(actor, organization, given, records)
    # The organization's SV-02 and SV-04 numbers follow the new type and the revocations.
    tallies.remeasure([organization.pk], tallies.SERVICE_RULES)
    _notify(organization, revoked, taken)
    # The records last: writing them holds the audit chain's lock, which every signing-in user's
    # record waits for, until this transaction ends; the work above never held it.
    for start in range(0, len(records), BATCH):
        audit_records(records[start : start + BATCH])
    return {
        "revoked_links": len(revoked),
        "revoked_grants": sum(len(codes) for codes in revoked.values()),
        "granted_links": granted,
        "services_taken": taken,
    }


def _revoke(actor, organization: Organization, taken: list[str], records: list) -> dict:
    """Every open link's grants of the services taken: {link: codes}; one audit record per link
    is added to ``records``."""
    if not taken:
        return {}
    through = Access.services.through
    grants = through.objects.filter(
        access__pidsl__organization=organization, access__ended_at__isnull=True, service__code__in=taken
    )
    codes = defaultdict(list)
    for access_id, code in grants.values_list("access_id", "service__code").iterator(chunk_size=BATCH):
        codes[access_id].append(code)
    # Each link's whole set before, so its record reads as any other services change does.
    held = defaultdict(list)
    for access_id, code in (
        through.objects.filter(access_id__in=list(codes)).values_list("access_id", "service__code").iterator()
    ):
        held[access_id].append(code)
    links = Access.objects.filter(pk__in=list(codes)).select_related("user", "pidsl").order_by("pk")
    revoked = {link: sorted(codes[link.pk]) for link in links.iterator(chunk_size=BATCH)}
    through.objects.filter(pk__in=grants.values("pk")).delete()
    object_permissions_revoke_services(
        pidsl_ids=organization.pidsls.values("pk"), codes=taken, user_ids=[link.user_id for link in revoked]
    )
    records += [
        audit_event(
            action=AuditEvent.Action.SERVICES_CHANGE,
            actor=actor,
            target_user=link.user,
            pidsl=link.pidsl,
            organization=organization,
            before={"services": sorted(held[link.pk])},
            after={"services": sorted(set(held[link.pk]) - set(taken_codes)), "revoked": taken_codes},
            detail="revoked: no longer grantable after the provider type changed (SV-06)",
        )
        for link, taken_codes in revoked.items()
    ]
    return revoked


def _give_administrators(actor, organization: Organization, given: list[str], records: list) -> int:
    """PU-05: the Primary Users and backups hold every service the PID/SL now allows."""
    if not given:
        return 0
    services = list(Service.objects.filter(code__in=given))
    links = list(
        Access.objects.open()
        .filter(pidsl__organization=organization, role__in=authority.ADMINISTRATOR_ROLES)
        .select_related("user", "pidsl")
        .order_by("user_id", "pk")
    )
    through = Access.services.through
    through.objects.bulk_create(
        [through(access_id=link.pk, service_id=service.pk) for link in links for service in services],
        ignore_conflicts=True,
    )
    for link in links:
        object_permissions_sync(user=link.user, pidsl=link.pidsl)
    records += [
        audit_event(
            action=AuditEvent.Action.SERVICES_CHANGE,
            actor=actor,
            target_user=link.user,
            pidsl=link.pidsl,
            organization=organization,
            after={"granted": given},
            detail="granted: the Primary User and backup hold every service the PID/SL allows (PU-05, SV-06)",
        )
        for link in links
    ]
    return len(links)


def _notify(organization: Organization, revoked: dict, taken: list[str]) -> None:
    """The administrators (an organization notice) and each affected user, by name (SV-06)."""
    labels = dict(Service.objects.filter(code__in=taken).values_list("code", "label"))
    words = ", ".join(labels[c] for c in taken)
    now = timezone.now()
    rows = [
        Notification(
            organization=organization,
            kind=Notification.Kind.SERVICES_REVOKED,
            message=_(
                "MassHealth changed the provider type of %(org)s. %(services)s can no longer be granted at its PID/SLs "
                "and was removed from %(n)d user link(s) (SV-02, SV-06)."
            )
            % {"org": organization.name, "services": words or _("No service"), "n": len(revoked)},
            created_at=now,
        )
    ]
    users = sorted({link.user_id for link in revoked})
    rows += [
        Notification(
            organization=organization,
            recipient_id=user_id,
            kind=Notification.Kind.SERVICES_REVOKED,
            subject_user_id=user_id,
            message=_("MassHealth changed the provider type of %(org)s: you no longer hold %(services)s there (SV-06).")
            % {"org": organization.name, "services": words},
            created_at=now,
        )
        for user_id in users
    ]
    notifications_save(rows)
