"""The cast plus one of every kind of object an URL can name, built once per test module.

The authorization matrix and the hostile-input suite make hundreds of requests against
the same objects. Building the cast for each would take minutes, so a module builds it
once inside a transaction that is rolled back at the end; each test runs in a savepoint
inside it (pytest-django's `db`), so what one test writes the next never sees.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.test import Client

from audit.models import AccessReview, Report, ReviewItem
from audit.reviews import reports
from audit.reviews import services as reviews
from providers import services as provider_services
from providers.models import PrimaryChangeRequest, RecoveryRequest
from providers.recovery import Claimant, recovery_request_file
from subordinates import services as subordinate_services

from . import factories
from .conftest import Cast, build_cast
from .helpers import completed_review

# alice is the Primary User of 110000001A, bob its backup, carol a subordinate there; dave is
# the Primary User of 110000001B (same organization); erin the Primary User of another
# organization's PID/SL; biller a Bay State Billing user linked to A (LK-01); compliance Eddy's
# compliance officer; agency MassHealth staff; deactivated a deactivated subordinate of Eddy's
# (US-06); anonymous is signed out.
KINDS = ("anonymous", "carol", "alice", "bob", "dave", "erin", "biller", "compliance", "agency", "deactivated")


@dataclass
class World:
    cast: Cast
    deactivated: object
    review: AccessReview
    item: ReviewItem  # carol's item at A: decided by alice, bob or the agency (AR-02)
    report: Report  # a finished User Access Report of Eddy's
    change_request: PrimaryChangeRequest  # pending, at B
    sealed: AccessReview | None = None  # Other Clinic's completed review, its evidence sealed (AU-02)
    recovery: RecoveryRequest | None = None  # alice's own PU-08 request, waiting for the agency
    sessions: dict = field(default_factory=dict)

    def user(self, kind: str):
        return self.deactivated if kind == "deactivated" else getattr(self.cast, kind)

    def sign_in(self, client: Client, kind: str) -> None:
        """As client.force_login, with the session made once for the module."""
        if kind != "anonymous":
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[kind]


def build_world() -> World:
    cast = build_cast()
    deactivated = factories.UserFactory(username="gone", last_name="Gone", home_organization=cast.eddys)
    factories.AccessFactory(user=deactivated, pidsl=cast.pidsl_a)
    subordinate_services.user_deactivate(actor=cast.alice, user=deactivated, reason="left")
    review = reviews.review_create(organization=cast.eddys, actor=cast.alice)
    item = ReviewItem.objects.get(review=review, user=cast.carol, pidsl=cast.pidsl_a)
    report = reports.report_build(reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys).pk)
    change_request = provider_services.change_request_file(
        actor=cast.dave, pidsl=cast.pidsl_b, new_primary=cast.frank, reason="Dave retires"
    )
    sealed = completed_review(cast, cast.other)
    recovery_request_file(
        pidsl_code=cast.pidsl_a.code,
        who=Claimant(
            cast.alice.first_name,
            cast.alice.last_name,
            cast.alice.birth_month,
            cast.alice.birth_day,
            cast.alice.pin,
            "617-555-0100",
        ),
    )
    filed = RecoveryRequest.objects.get()
    world = World(cast, deactivated, review, item, report, change_request, sealed, filed)
    for kind in KINDS[1:]:
        client = Client()
        client.force_login(world.user(kind))
        world.sessions[kind] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return world


@contextmanager
def world_for_module(django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
