"""LK-02 notifications are emailed after the change commits, and a broker outage loses nothing."""

from unittest import mock

from django.core import mail

from providers.models import Notification
from subordinates.services import link_end


def test_removal_emails_the_home_organization_after_commit(cast, django_capture_on_commit_callbacks):
    from tests.factories import AccessFactory

    AccessFactory(user=cast.biller, pidsl=cast.pidsl_x, services=["portal_services"])  # biller also works for Other
    with django_capture_on_commit_callbacks(execute=True):
        link_end(actor=cast.alice, access=cast.access(cast.biller, cast.pidsl_a))
    assert Notification.objects.filter(delivered_at__isnull=False).count() == Notification.objects.count() == 2
    assert len(mail.outbox) == 1  # Other Clinic's administrators; Bay State has no administrator here
    assert "biller" in mail.outbox[0].body


def test_a_broker_outage_keeps_the_rows_for_later(cast, django_capture_on_commit_callbacks):
    with (
        mock.patch("providers.tasks.notifications_deliver.apply_async", side_effect=OSError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        link_end(actor=cast.alice, access=cast.access(cast.biller, cast.pidsl_a))
    assert Notification.objects.filter(delivered_at__isnull=True).exists()
