"""The per-request reads written out in SQL for speed (docs/decisions.md) give exactly what the
ORM gives: every field, with its Python type, and the same refusals."""

from datetime import timedelta

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from accounts.backends import PortalModelBackend
from providers.catalog import MANAGE_SUBORDINATES
from providers.models import Organization, PidSl
from providers.permissions import pidsl_with_service_check
from tests import factories


def field_values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_signed_in_user_is_read_as_the_orm_reads_it(db):
    user = factories.UserFactory(
        must_change_password=True,
        temporary_password_expires_at=timezone.now() + timedelta(hours=1),
        middle_initial="Q",
        phone="6175550100",
    )
    mine, django = PortalModelBackend().get_user(user.pk), ModelBackend().get_user(user.pk)
    assert field_values(mine) == field_values(django)
    assert mine.temporary_password_expires_at.tzinfo is not None


def test_no_user_for_a_missing_malformed_or_deactivated_id(db):
    inactive = factories.UserFactory(is_active=False)
    backend = PortalModelBackend()
    assert backend.get_user(10**9) is None
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(inactive.pk) is None


def test_the_pidsl_check_reads_the_pidsl_and_organization_as_the_orm_does(cast):
    code = cast.pidsl_a.code
    pidsl = pidsl_with_service_check(cast.alice, MANAGE_SUBORDINATES, provider_id=code[:9], service_location=code[9:])
    orm = PidSl.objects.select_related("organization").get(pk=cast.pidsl_a.pk)
    assert field_values(pidsl) == field_values(orm)
    assert field_values(pidsl.organization) == field_values(Organization.objects.get(pk=orm.organization_id))
    assert pidsl.held is True


def test_the_pidsl_check_says_who_does_not_hold_the_service(cast):
    code = cast.pidsl_a.code
    for user in (cast.carol, cast.agency):
        pidsl = pidsl_with_service_check(user, MANAGE_SUBORDINATES, provider_id=code[:9], service_location=code[9:])
        assert pidsl.held is False
    assert (
        pidsl_with_service_check(cast.alice, MANAGE_SUBORDINATES, provider_id="999999999", service_location="Z") is None
    )
