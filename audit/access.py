"""Who may read an organization's compliance data: its compliance page, reviews, reports and
audit trail. Agency staff read everything; a compliance officer reads the organizations they
are appointed to; a Primary User or backup reads the organizations of the PID/SLs they
administer. Compliance officers change nothing (their screens have no writes)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from providers.models import Access, ComplianceAssignment, Organization

from .models import AuditEvent
from .services import audit_record


def compliance_organization_ids(user) -> set[int]:
    return set(
        ComplianceAssignment.objects.filter(user=user, ended_at__isnull=True).values_list("organization_id", flat=True)
    )


def administered_organization_ids(user) -> set[int]:
    return set(
        Access.objects.open().administrators().filter(user=user).values_list("pidsl__organization_id", flat=True)
    )


def viewable_organization_ids(user) -> set[int] | None:
    """None means every organization (agency staff)."""
    if not user.is_active:
        return set()
    if user.is_agency_staff:
        return None
    return compliance_organization_ids(user) | administered_organization_ids(user)


def can_view_organization(user, organization_id: int) -> bool:
    ids = viewable_organization_ids(user)
    return ids is None or organization_id in ids


class OrganizationViewerMixin(LoginRequiredMixin):
    """The URL's organization (kwarg ``org``) must be one the user may read; else 403, audited."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.organization = get_object_or_404(Organization, pk=kwargs.get("org"))
        if not can_view_organization(request.user, self.organization.pk):
            audit_record(
                action=AuditEvent.Action.ACCESS_REFUSED,
                actor=request.user,
                organization=self.organization,
                detail="compliance data of another organization",
            )
            raise PermissionDenied("You may not see this organization's compliance data.")
        return super().dispatch(request, *args, **kwargs)
