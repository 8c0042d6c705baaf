"""Small assertions the suites share."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from audit.models import AuditEvent
from providers.models import Access, PidSl, PidSlUserObjectPermission, Service


def services(*codes) -> list[Service]:
    return list(Service.objects.filter(code__in=codes))


def held(user, pidsl) -> set[str]:
    access = Access.objects.open().filter(user=user, pidsl=pidsl).first()
    return {s.code for s in access.services.all()} if access else set()


def guardian_codes(user, pidsl) -> set[str]:
    return {
        codename.removeprefix("svc_")
        for codename in PidSlUserObjectPermission.objects.filter(user=user, content_object=pidsl).values_list(
            "permission__codename", flat=True
        )
    }


def assert_permissions_match_access() -> None:
    """DESIGN: guardian permissions equal what the Access table says, for every user and PID/SL."""
    expected = set()
    for access in Access.objects.open().filter(user__is_active=True).prefetch_related("services"):
        expected |= {(access.user_id, access.pidsl_id, s.permission_codename) for s in access.services.all()}
    actual = set(PidSlUserObjectPermission.objects.values_list("user_id", "content_object_id", "permission__codename"))
    assert actual == expected


def assert_listed_links_match_access() -> None:
    """Every PID/SL's listed_links equals its open links other than the Primary User's."""
    counted = PidSl.objects.annotate(
        n=Count("accesses", filter=Q(accesses__ended_at__isnull=True) & ~Q(accesses__role=Access.Role.PRIMARY))
    )
    assert {(p.code, p.listed_links) for p in counted} == {(p.code, p.n) for p in counted}


def fresh(user):
    """Re-fetch, so guardian's per-object permission cache is not consulted (guardian #360)."""
    return get_user_model().objects.get(pk=user.pk)


def audit_count(**filters) -> int:
    return AuditEvent.objects.filter(**filters).count()
