"""Organization-wide screens of Administer Account: the organization's users (with their
outside links, LK-02), deactivate/reactivate (US-06), the backup (PU-02, PU-05), notifications."""

from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from accounts import services as account_services
from audit.reviews import first as review_first
from posc import screens
from providers import authority
from providers import services as provider_services
from providers.models import ComplianceAssignment, Organization

from . import dormancy, offboarding, selectors, services
from .forms import ComplianceActionForm, KeepUsersForm, OffboardForm, OrganizationUserSearchForm, ReasonForm
from .mixins import OrganizationAdministratorMixin, refuse

PAGE_SIZE = 25
User = get_user_model()


class OrganizationUsersView(OrganizationAdministratorMixin, View):
    """Every user of the administrator's organization, and every PID/SL each is linked to,
    the outside ones marked (LK-02), with Deactivate/Reactivate."""

    def get(self, request):
        organizations = Organization.objects.filter(pk__in=self.organization_ids).order_by("name")
        chosen = request.GET.get("organization")
        organization = next((o for o in organizations if str(o.pk) == chosen), organizations[0])
        # Issue 18: the search by name or user ID; bad input says so at the field and filters nothing.
        search = OrganizationUserSearchForm(request.GET)
        term = search.cleaned_data["q"].strip() if search.is_valid() else ""
        users = selectors.organization_users(organization_id=organization.pk, term=term)
        page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
        locked = account_services.locked_usernames([u.username for u in page.object_list])
        # Every button the page shows is authority's answer, from what the page already read: the
        # users are the organization's own (owns), their roles come with their links (LK-03, US-05,
        # US-06, PU-06). No rule is restated in the template.
        actor, owns = request.user, organization.pk in self.organization_ids
        administered = set(authority.administered_pidsl_ids(actor).values_list("pidsl_id", flat=True))
        for u in page.object_list:
            # Off-boarding ends the links at the PID/SLs the actor administers (offboard_links).
            mine = [link for link in u.open_links if link.pidsl_id in administered]
            u.may_offboard = u.pk != actor.pk and authority.offboard_refusal(actor, u, mine) is None
            roles = {link.role for link in u.open_links}
            facts = {"owns": owns, "roles": roles}
            u.may_unlock = u.username in locked and authority.may_act_on_account(actor, u, authority.UNLOCK, **facts)
            u.deactivate_refusal = authority.account_refusal(actor, u, authority.DEACTIVATE, **facts)
            u.may_reactivate = authority.may_act_on_account(actor, u, authority.REACTIVATE, **facts)
            for link in u.open_links:
                link.is_outside = link.pidsl.organization_id != organization.pk
        officers = ComplianceAssignment.objects.filter(organization=organization, ended_at__isnull=True).select_related(
            "user"
        )
        # AU-01: the organization's Primary User appoints and ends compliance officers.
        may_appoint = authority.may_act_as_organization_primary(actor, organization.pk)
        return render(
            request,
            "subordinates/organization_users.html",
            {
                "organizations": organizations,
                "organization": organization,
                "page": page,
                "locked": locked,
                "officers": officers,
                "officer_ids": {o.user_id for o in officers},
                "may_appoint": may_appoint,
                "search_form": search,
                "term": term,
            },
            status=200 if search.is_valid() else 400,
        )


class OrganizationUserActionView(OrganizationAdministratorMixin, View):
    """POST only: one service call on a user of the actor's own organization, ending on Confirmation."""

    http_method_names = ["post"]

    def post(self, request, user_id):
        target = get_object_or_404(User.objects.select_related("home_organization"), pk=user_id)
        close_url = reverse("subordinates:users")
        try:
            message = self.act(request, target)
        except ValidationError as exc:
            # The services decide who may act on whom (LK-03, US-05, US-06): a refusal is a 403 with
            # the reason, audited, and nothing changed.
            return screens.refusal(request, exc, close_url=close_url, target_user=target)
        return screens.confirmation(request, message, close_url=close_url)

    def act(self, request, target) -> str:
        raise NotImplementedError


class OffboardView(OrganizationAdministratorMixin, View):
    """One-action off-boarding of a person who left: the confirmation lists every PID/SL the actor
    administers where the person is linked, and offers deactivation to the home organization's
    administrators (subordinates/offboarding.py)."""

    def _target(self, user_id):
        return get_object_or_404(User.objects.select_related("home_organization"), pk=user_id)

    def get(self, request, user_id):
        target = self._target(user_id)
        links = list(authority.offboard_links(request.user, target))
        refusal = authority.offboard_refusal(request.user, target, links)
        if refusal is not None:
            return screens.refusal(request, refusal, close_url=reverse("subordinates:users"), target_user=target)
        context = {
            "target": target,
            "links": links,
            "may_deactivate": target.is_active
            and authority.may_act_on_account(request.user, target, authority.DEACTIVATE),
        }
        return render(request, "subordinates/offboard.html", context)

    def post(self, request, user_id):
        target = self._target(user_id)
        close_url = reverse("subordinates:users")
        form = OffboardForm(request.POST)
        deactivate = form.is_valid() and form.cleaned_data["deactivate"]
        try:
            done = offboarding.offboard(actor=request.user, user=target, deactivate=deactivate)
        except ValidationError as exc:
            return screens.refusal(request, exc, close_url=close_url, target_user=target)
        message = f"{target.display_name} ({target.username}) was removed from {', '.join(done['ended'])}."
        if done["deactivated"]:
            message += " The user ID was deactivated."
        return screens.confirmation(request, message, close_url=close_url)


class UserStatusView(OrganizationUserActionView):
    """Deactivate, reactivate or unlock a user of one's own organization (US-06)."""

    action = "deactivate"

    def act(self, request, target) -> str:
        name = f"{target.display_name} ({target.username})"
        if self.action == "deactivate":
            form = ReasonForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            services.user_deactivate(actor=request.user, user=target, reason=reason)
            return f"{name} was deactivated."
        if self.action == "unlock":
            account_services.lockout_clear(actor=request.user, user=target)
            return f"Sign-in for {name} was unlocked."
        services.user_reactivate(actor=request.user, user=target)
        return f"{name} was reactivated; the prior links are restored."


class ComplianceOfficerView(OrganizationUserActionView):
    """The Primary User appoints one of the organization's users as a compliance officer, or ends it.
    GET is the confirmation that says what an officer may read (issue 18); the POST appoints."""

    http_method_names = ["get", "post"]

    def get(self, request, user_id):
        target = get_object_or_404(User.objects.select_related("home_organization"), pk=user_id)
        organization = target.home_organization
        # AU-01: the page is for whom the service lets appoint; anyone else is refused, audited.
        if organization is None or not authority.may_act_as_organization_primary(request.user, organization.pk):
            screens.refuse(
                request,
                "Only the organization's Primary User appoints its compliance officers (AU-01).",
                detail=f"compliance officer confirmation for user {target.pk}",
            )
        already = ComplianceAssignment.objects.filter(
            user=target, organization=organization, ended_at__isnull=True
        ).exists()
        return render(
            request,
            "subordinates/compliance_confirm.html",
            {"target": target, "organization": organization, "already": already},
        )

    def act(self, request, target) -> str:
        organization = target.home_organization
        name = f"{target.display_name} ({target.username})"
        form = ComplianceActionForm(request.POST)
        if form.is_valid() and form.cleaned_data["action"] == "end":
            assignment = get_object_or_404(
                ComplianceAssignment, user=target, organization=organization, ended_at__isnull=True
            )
            provider_services.compliance_officer_end(actor=request.user, assignment=assignment)
            return f"{name} is no longer a compliance officer."
        provider_services.compliance_officer_appoint(actor=request.user, organization=organization, user=target)
        return f"{name} is now a compliance officer of {organization}."


class NotificationsView(LoginRequiredMixin, View):
    """View Notifications: what other organizations did with this organization's users (LK-02),
    and access-review reminders and escalations (AR-03). For administrators, compliance
    officers and agency staff; each sees only what was addressed to them or their organization."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not authority.may_read_notifications(request.user):
            refuse(request, "notifications of no organization")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        page = Paginator(selectors.notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
        # AR-07: the first line is the review due date, from fourteen days before.
        reviews_due = review_first.reviews_due(request.user)
        return render(request, "subordinates/notifications.html", {"page": page, "reviews_due": reviews_due})


class DormantUsersView(LoginRequiredMixin, View):
    """US-09 "Keep these users": the organization's users who will be deactivated for not signing in
    within 30 days, all checked; keeping them restarts their clock (audited). For the home
    organization's Primary Users and backups and agency staff (authority KEEP, LK-03); linked from
    the notice in View Notifications and from Agency home."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.agency = authority.is_agency(request.user)
        self.organization_ids = authority.administered_organization_ids(request.user)
        if not (self.agency or self.organization_ids):
            refuse(request, "Keep these users: not an administrator of any organization")
        return super().dispatch(request, *args, **kwargs)

    def _organization(self, chosen):
        """The organization asked for, of those the actor may keep users of; None for agency staff
        who chose none. Anything else is refused (one answer for "missing" and "not yours")."""
        pk = int(chosen) if str(chosen or "").isdigit() else None
        if pk is None and not self.agency:
            pk = min(self.organization_ids)
        if pk is None:
            return None
        if not (self.agency or pk in self.organization_ids):
            refuse(self.request, f"Keep these users of organization {pk}")
        organization = Organization.objects.filter(pk=pk).first()
        if organization is None:
            refuse(self.request, f"Keep these users of organization {pk}")
        return organization

    def _render(self, organization, form=None, *, status=200):
        today = timezone.localdate()
        page = None
        if organization is not None:
            page = Paginator(dormancy.soon(organization.pk, today), 100).get_page(self.request.GET.get("page"))
            for u in page.object_list:
                u.deactivation_day = dormancy.deactivation_day(u.active_at)
        organizations = (
            Organization.objects.filter(pk__in=self.organization_ids).order_by("name") if not self.agency else []
        )
        return render(
            self.request,
            "subordinates/dormant.html",
            {
                "organization": organization,
                "organizations": organizations,
                "page": page,
                "form": form,
                "days": dormancy.window(),
            },
            status=status,
        )

    def get(self, request):
        return self._render(self._organization(request.GET.get("organization")))

    def post(self, request):
        # The form names its organization; a POST without one keeps nobody (never a guess).
        chosen = request.POST.get("organization", "")
        organization = self._organization(chosen) if chosen.isdigit() else None
        if organization is None:
            raise Http404("No organization chosen.")
        posted = [int(v) for v in request.POST.getlist("users") if v.isdigit()][:1000]
        choices = User.objects.filter(home_organization=organization, is_active=True, pk__in=posted)
        form = KeepUsersForm(request.POST, choices=[(u.pk, u.username) for u in choices])
        close_url = f"{reverse('subordinates:dormant')}?organization={organization.pk}"
        if form.is_valid() and not form.cleaned_data["users"]:
            form.add_error("users", "Choose the users to keep.")
        if not form.is_valid():
            return self._render(organization, form, status=400)
        try:
            kept = services.users_keep(
                actor=request.user, organization=organization, user_ids=form.cleaned_data["users"]
            )
        except ValidationError as exc:
            return screens.refusal(request, exc, close_url=close_url)
        names = ", ".join(f"{u.display_name} ({u.username})" for u in kept)
        return screens.confirmation(
            request,
            f"Kept: {names}. Each one's not-signed-in clock starts again today; they will be deactivated "
            f"{dormancy.window()} days from now unless they sign in (US-09).",
            close_url=close_url,
        )
