"""django-guardian object permissions, derived from the Access table and nothing else.

Called inside the transaction of every service that changes access, so the
permissions views check never drift from the table (DESIGN "one source of truth").
A deactivated user holds no object permission (US-06); reactivation re-derives them.
"""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Exists, OuterRef

from . import catalog
from .models import Access, PidSl, PidSlUserObjectPermission

# pg_advisory_xact_lock(key, user id): one transaction at a time derives a user's permissions, and
# reads what they come from only after the one before committed. Services lock different rows (a
# deactivation the user, a service change the link), so without it each read the other's old state.
USER_PERMISSIONS_LOCK = 0x50455231


def _lock_user_permissions(user) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [USER_PERMISSIONS_LOCK, user.pk])


def _desired_codenames(user, pidsl) -> set[str]:
    # is_active as committed now, not as the caller's copy of the user read it before the lock.
    access = Access.objects.open().filter(user=user, pidsl=pidsl, user__is_active=True).first()
    if access is None:
        return set()
    return {s.permission_codename for s in access.services.all()}


def object_permissions_sync(*, user, pidsl: PidSl) -> None:
    _lock_user_permissions(user)
    desired = _desired_codenames(user, pidsl)
    current = dict(
        PidSlUserObjectPermission.objects.filter(user=user, content_object=pidsl).values_list(
            "permission__codename", "id"
        )
    )
    stale = [pk for codename, pk in current.items() if codename not in desired]
    if stale:
        PidSlUserObjectPermission.objects.filter(pk__in=stale).delete()
    missing = desired - current.keys()
    if missing:
        ct = ContentType.objects.get_for_model(PidSl)
        perms = Permission.objects.filter(content_type=ct, codename__in=missing)
        PidSlUserObjectPermission.objects.bulk_create(
            PidSlUserObjectPermission(user=user, content_object=pidsl, permission=p) for p in perms
        )


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


def service_held(user, code: str) -> Exists:
    """An annotation for a PidSl queryset: does the user hold this service there?"""
    return Exists(
        PidSlUserObjectPermission.objects.filter(
            user=user, content_object=OuterRef("pk"), permission__codename=catalog.permission_codename(code)
        )
    )
