"""The one object-permission check every Administer Account view uses (ASVS 8.2.2, 8.3.1)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404

from posc import screens
from providers import authority

from . import selectors


def refuse(request, detail: str, pidsl=None):
    screens.refuse(
        request,
        "Only the Primary User or backup Primary User of this provider can use this page (PU-04).",
        detail=detail,
        pidsl=pidsl,
    )


class PidSlAdministratorMixin(LoginRequiredMixin):
    """The URL's PID/SL must be one the user administers (holds Manage Subordinate Accounts, PU-04).

    Anyone else gets 403 (PID/SLs are public in Provider Search, so existence is no secret);
    the refusal is audited. The guardian permission is read fresh on every request: a permission
    change must count on the next request (ASVS 8.3.2; guardian's cache would not, #360).
    """

    pidsl_url_kwarg = "pidsl"
    # PU-02: some screens (appointing the backup) are the Primary User's alone, not the backup's.
    primary_only = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        # The PID/SL and whether the user administers it, in one query (read fresh: ASVS 8.3.2).
        pidsl = authority.pidsl_with_administrator_check(request.user, kwargs.get(self.pidsl_url_kwarg, ""))
        if pidsl is None:
            raise Http404("No such PID/SL.")
        if not (request.user.is_active and pidsl.held):
            refuse(request, f"not an administrator of {pidsl.code}", pidsl)
        if self.primary_only and not authority.is_primary_at(request.user, pidsl):
            refuse(request, f"not the Primary User of {pidsl.code}", pidsl)
        self.pidsl = pidsl
        return super().dispatch(request, *args, **kwargs)

    def get_access(self, access_id: int, *, with_services: bool = False):
        access = selectors.open_link_at(access_id, self.pidsl, with_services=with_services)
        if access is None and not selectors.link_exists(access_id):
            # A number no link ever had is a mistyped address, not someone else's subordinate:
            # "You do not administer this" would send the person looking for whom to ask.
            raise Http404("No such subordinate.")
        if access is None:
            refuse(self.request, f"no open link {access_id} at {self.pidsl.code}", self.pidsl)
        return access

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pidsl"] = self.pidsl
        return context


class OrganizationAdministratorMixin(LoginRequiredMixin):
    """The user is the Primary User or backup of at least one PID/SL of an organization."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.organization_ids = authority.administered_organization_ids(request.user)
        if not self.organization_ids:
            refuse(request, "not an administrator of any organization")
        return super().dispatch(request, *args, **kwargs)
