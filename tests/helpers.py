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


def completed_review(cast, organization=None):
    """A completed review with its reports built and its evidence package sealed (AU-02), as the
    workers would leave it: Eddy's by default (alice removes carol at A, everyone else is kept), or
    Other Clinic's (erin keeps everyone; MassHealth decides erin's own access, AR-05)."""
    from audit.models import AccessReview, Report, ReviewItem
    from audit.reviews import services as reviews
    from audit.reviews.evidence import evidence_seal
    from audit.reviews.reports import report_build

    organization = organization or cast.eddys
    eddys = organization == cast.eddys
    reviewer = cast.alice if eddys else cast.erin
    review = reviews.review_create(organization=organization, actor=reviewer)
    if eddys:
        carol = ReviewItem.objects.get(review=review, user=cast.carol, pidsl=cast.pidsl_a)
        reviews.review_decide(actor=cast.alice, item=carol, decision="remove")
    deciders = (cast.alice, cast.bob, cast.dave, cast.agency) if eddys else (cast.erin, cast.agency)
    for admin in deciders:
        reviews.review_keep_remaining(actor=admin, review=review)
    reviews.review_complete(actor=reviewer, review=review, attested=True)
    for report in Report.objects.filter(review=review):
        report_build(report.pk)
    evidence_seal(review.pk)
    return AccessReview.objects.get(pk=review.pk)


def sign_in_failures(username: str, failures: int, *, address: str = "198.51.100.20", seconds_ago: float = 86400):
    """Failed sign-ins of a user ID as django-axes records them (accounts/throttle.py reads them),
    the last one ``seconds_ago``: a patient attacker's failures without waiting out every wait."""
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    attempt = AccessAttempt.objects.create(
        username=username, ip_address=address, user_agent="test", failures_since_start=failures
    )
    # attempt_time is set on create (auto_now_add).
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - timedelta(seconds=seconds_ago))
    return attempt
