"""django-guardian object permissions, derived from the Access table and nothing else.

Called inside the transaction of every service that changes access, so the
permissions views check never drift from the table (DESIGN "one source of truth").
A deactivated user holds no object permission (US-06); reactivation re-derives them.
"""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Exists, OuterRef, Subquery

from . import catalog
from .models import Access, Organization, PidSl, PidSlUserObjectPermission, Service

# pg_advisory_xact_lock(key, user id): one transaction at a time derives a user's permissions, and
# reads what they come from only after the one before committed. Services lock different rows (a
# deactivation the user, a service change the link), so without it each read the other's old state.
USER_PERMISSIONS_LOCK = 0x50455231


def _lock_user_permissions(user) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [USER_PERMISSIONS_LOCK, user.pk])


def _desired_codenames(user, pidsl) -> set[str]:
    # The services of the open link, in one query; is_active as committed now, not as the caller's
    # copy of the user read it before the lock.
    codes = Service.objects.filter(
        accesses__user=user, accesses__pidsl=pidsl, accesses__ended_at__isnull=True, accesses__user__is_active=True
    ).values_list("code", flat=True)
    return {catalog.permission_codename(code) for code in codes}


def object_permissions_sync(*, user, pidsl: PidSl) -> None:
    _lock_user_permissions(user)
    desired = _desired_codenames(user, pidsl)
    # Every PID/SL permission with the id of the user's grant of it here, if any: one query
    # tells both what to revoke and the ids of what to grant.
    held = PidSlUserObjectPermission.objects.filter(user=user, content_object=pidsl, permission=OuterRef("pk"))
    permissions = Permission.objects.filter(content_type=ContentType.objects.get_for_model(PidSl)).values_list(
        "pk", "codename", Subquery(held.values("pk")[:1])
    )
    stale, missing = [], []
    for permission_id, codename, grant_id in permissions:
        if grant_id is not None and codename not in desired:
            stale.append(grant_id)
        elif grant_id is None and codename in desired:
            missing.append(permission_id)
    if stale:
        PidSlUserObjectPermission.objects.filter(pk__in=stale).delete()
    if missing:
        PidSlUserObjectPermission.objects.bulk_create(
            PidSlUserObjectPermission(user=user, content_object=pidsl, permission_id=pk) for pk in missing
        )


def object_permissions_revoke_ended(ended) -> int:
    """The guardian rows of links that just ended (a QuerySet of Access), in one DELETE: a user keeps
    no permission at a PID/SL where no open link of theirs remains (access_close_many's part of
    object_permissions_sync). Rows of a user with another open link there are left alone."""
    still_open = Access.objects.open().filter(user_id=OuterRef("user_id"), pidsl_id=OuterRef("content_object_id"))
    stale = PidSlUserObjectPermission.objects.filter(
        Exists(ended.filter(user_id=OuterRef("user_id"), pidsl_id=OuterRef("content_object_id")))
    ).exclude(Exists(still_open))
    return stale._raw_delete(stale.db)


def object_permissions_sync_user(*, user) -> None:
    """Re-derive every PID/SL permission of one user (deactivation, reactivation)."""
    _lock_user_permissions(user)
    pidsl_ids = set(Access.objects.open().filter(user=user).values_list("pidsl_id", flat=True))
    pidsl_ids |= set(PidSlUserObjectPermission.objects.filter(user=user).values_list("content_object_id", flat=True))
    for pidsl in PidSl.objects.filter(pk__in=pidsl_ids):
        object_permissions_sync(user=user, pidsl=pidsl)


def pidsls_with_service(user, code: str):
    """The PID/SLs where the user holds this service (guardian's table, one query)."""
    if not user.is_active:
        return PidSl.objects.none()
    return PidSl.objects.filter(
        pidsluserobjectpermission__user=user,
        pidsluserobjectpermission__permission__codename=catalog.permission_codename(code),
    )


def pidsl_with_service_check(user, code: str, *, provider_id: str, service_location: str) -> PidSl | None:
    """The PID/SL of a URL, with its organization, and `held`: does the user hold this service
    there (guardian's table, read fresh: ASVS 8.3.2)? None when there is no such PID/SL.

    Every Administer Account request starts here, so it is one written-out statement: compiling
    the ORM's equivalent (select_related plus an Exists annotation) cost more than running it.
    Kept for the bench rows "Subordinates Search Results" and "Update Subordinate page and Submit".
    """
    pidsl_fields = [f.attname for f in PidSl._meta.concrete_fields]
    org_fields = [f.attname for f in Organization._meta.concrete_fields]
    columns = ", ".join(
        [f"p.{PidSl._meta.get_field(f).column}" for f in pidsl_fields]
        + [f"o.{Organization._meta.get_field(f).column}" for f in org_fields]
    )
    sql = (
        f"SELECT {columns}, EXISTS(SELECT 1 FROM {PidSlUserObjectPermission._meta.db_table} g"  # noqa: S608
        f" JOIN {Permission._meta.db_table} ap ON ap.id = g.permission_id"
        " WHERE g.content_object_id = p.id AND g.user_id = %s AND ap.codename = %s)"
        f" FROM {PidSl._meta.db_table} p JOIN {Organization._meta.db_table} o ON o.id = p.organization_id"
        " WHERE p.provider_id = %s AND p.service_location = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, catalog.permission_codename(code), provider_id, service_location])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(pidsl_fields)
    pidsl = PidSl.from_db(connection.alias, pidsl_fields, row[:split])
    pidsl.organization = Organization.from_db(connection.alias, org_fields, row[split:-1])
    pidsl.held = row[-1]
    return pidsl


def object_permissions_revoke_users(user_ids) -> None:
    """A deactivated user holds no PID/SL permission (US-06): every permission of these users goes,
    one user or many at once (the dormant-accounts job, US-09), each under its derivation lock taken
    in id order (so two such transactions cannot deadlock on each other)."""
    user_ids = sorted(user_ids)
    if not user_ids:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, id) FROM unnest(%s::int[]) AS id ORDER BY id",
                [USER_PERMISSIONS_LOCK, user_ids],
            )
    PidSlUserObjectPermission.objects.filter(user_id__in=user_ids).delete()


def object_permissions_revoke_services(*, pidsl_ids, codes, user_ids) -> int:
    """SV-06: the permissions of services no longer grantable at these PID/SLs, for the users who
    held them, in one DELETE under each user's derivation lock (taken in id order)."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, id) FROM unnest(%s::int[]) AS id ORDER BY id",
                [USER_PERMISSIONS_LOCK, user_ids],
            )
    stale = PidSlUserObjectPermission.objects.filter(
        content_object_id__in=pidsl_ids,
        permission__codename__in=[catalog.permission_codename(code) for code in codes],
    )
    deleted, _ = stale.delete()
    return deleted
