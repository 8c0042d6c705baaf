"""Who may read an organization's compliance data: its compliance page, reviews, reports and
audit trail. Agency staff read everything; a compliance officer reads the organizations they
are appointed to; a Primary User or backup reads the organizations of the PID/SLs they
administer. Compliance officers change nothing (their screens have no writes)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404

from posc import screens
from providers import authority
from providers.models import Organization


class OrganizationViewerMixin(LoginRequiredMixin):
    """The URL's organization (kwarg ``org``) must be one the user may read; else 403, audited."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.organization = get_object_or_404(Organization, pk=kwargs.get("org"))
        if not authority.may_view_organization(request.user, self.organization.pk):
            screens.refuse(
                request,
                "You may not see this organization's compliance data.",
                detail="compliance data of another organization",
                organization=self.organization,
            )
        return super().dispatch(request, *args, **kwargs)
