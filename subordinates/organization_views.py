"""Organization-wide screens of Administer Account: the organization's users (with their
outside links, LK-02), deactivate/reactivate (US-06), the backup (PU-02, PU-05), notifications."""

from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from accounts import services as account_services
from posc.policy import NotAuthorized
from providers import services as provider_services
from providers.models import Access, ComplianceAssignment, Organization

from . import selectors, services
from .forms import UserChoiceForm, apply_violation
from .mixins import OrganizationAdministratorMixin, PidSlAdministratorMixin, refuse

PAGE_SIZE = 25
User = get_user_model()


class OrganizationUsersView(OrganizationAdministratorMixin, View):
    """Every user of the administrator's organization, and every PID/SL each is linked to,
    the outside ones marked (LK-02), with Deactivate/Reactivate."""

    def get(self, request):
        organizations = Organization.objects.filter(pk__in=self.organization_ids).order_by("name")
        chosen = request.GET.get("organization")
        organization = next((o for o in organizations if str(o.pk) == chosen), organizations[0])
        users = selectors.organization_users(organization_id=organization.pk)
        page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
        for u in page.object_list:
            u.is_primary_somewhere = any(link.role == Access.Role.PRIMARY for link in u.open_links)
        locked = account_services.locked_usernames([u.username for u in page.object_list])
        officers = ComplianceAssignment.objects.filter(organization=organization, ended_at__isnull=True).select_related(
            "user"
        )
        is_primary = (
            Access.objects.open()
            .filter(user=request.user, role=Access.Role.PRIMARY, pidsl__organization=organization)
            .exists()
        )
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
                "is_primary": is_primary,
            },
        )


class OrganizationUserActionView(OrganizationAdministratorMixin, View):
    """POST only: one service call on a user of the actor's own organization, ending on Confirmation."""

    http_method_names = ["post"]

    def post(self, request, user_id):
        target = get_object_or_404(User, pk=user_id)
        if target.home_organization_id not in self.organization_ids:
            refuse(request, f"user {target.pk} is not of the actor's organization (US-06)")
        try:
            message, status = self.act(request, target), 200
        except NotAuthorized as exc:
            # The services' own who-may check (US-05, US-06): a 403, audited, never a form error.
            refuse(request, f"user {target.pk}: {exc.messages[0]}")
        except ValidationError as exc:
            message, status = exc.messages[0], 400
        return render(
            request,
            "subordinates/confirmation.html",
            {"message": message, "close_url": reverse("subordinates:users"), "refused": status != 200},
            status=status,
        )

    def act(self, request, target) -> str:
        raise NotImplementedError


class UserStatusView(OrganizationUserActionView):
    """Deactivate, reactivate or unlock a user of one's own organization (US-06)."""

    action = "deactivate"

    def act(self, request, target) -> str:
        name = f"{target.display_name} ({target.username})"
        if self.action == "deactivate":
            # PostgreSQL refuses a NUL byte in text (a 500); nobody types one.
            reason = request.POST.get("reason", "").replace("\x00", "")[:200]
            services.user_deactivate(actor=request.user, user=target, reason=reason)
            return f"{name} was deactivated."
        if self.action == "unlock":
            account_services.lockout_clear(actor=request.user, user=target)
            return f"Sign-in for {name} was unlocked."
        services.user_reactivate(actor=request.user, user=target)
        return f"{name} was reactivated; the prior links are restored."


class ComplianceOfficerView(OrganizationUserActionView):
    """The Primary User appoints one of the organization's users as a compliance officer, or ends it."""

    def act(self, request, target) -> str:
        organization = target.home_organization
        name = f"{target.display_name} ({target.username})"
        if request.POST.get("action") == "end":
            assignment = get_object_or_404(
                ComplianceAssignment, user=target, organization=organization, ended_at__isnull=True
            )
            provider_services.compliance_officer_end(actor=request.user, assignment=assignment)
            return f"{name} is no longer a compliance officer."
        provider_services.compliance_officer_appoint(actor=request.user, organization=organization, user=target)
        return f"{name} is now a compliance officer of {organization}."


class BackupView(PidSlAdministratorMixin, View):
    """Appoint or replace the backup Primary User (the Primary User only; PU-02, PU-05)."""

    primary_only = True

    def context(self, form):
        backup = Access.objects.open().filter(pidsl=self.pidsl, role=Access.Role.BACKUP).select_related("user").first()
        return {"pidsl": self.pidsl, "form": form, "backup": backup}

    def get(self, request, pidsl):
        return render(request, "subordinates/backup.html", self.context(UserChoiceForm()))

    def post(self, request, pidsl):
        form = UserChoiceForm(request.POST)
        if form.is_valid():
            user = User.objects.filter(username=form.cleaned_data["username"]).first()
            if user is None:
                form.add_error("username", "No user has that user ID.")
            else:
                try:
                    provider_services.backup_appoint(actor=request.user, pidsl=self.pidsl, user=user)
                except ValidationError as exc:
                    apply_violation(form, exc)
        if not form.is_valid():
            return render(request, "subordinates/backup.html", self.context(form), status=400)
        return render(
            request,
            "subordinates/confirmation.html",
            {
                "pidsl": self.pidsl,
                "message": f"{user.display_name} ({user.username}) is now the backup Primary User of {self.pidsl} "
                "and holds every service there.",
                "close_url": reverse("subordinates:results", kwargs={"pidsl": self.pidsl.code}),
            },
        )


class NotificationsView(LoginRequiredMixin, View):
    """View Notifications: what other organizations did with this organization's users (LK-02),
    and access-review reminders and escalations (AR-03). For administrators, compliance
    officers and agency staff; each sees only what was addressed to them or their organization."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (
            user.is_active
            and (
                user.is_agency_staff
                or selectors.administered_organization_ids(user)
                or user.compliance_assignments.filter(ended_at__isnull=True).exists()
            )
        ):
            refuse(request, "notifications of no organization")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        page = Paginator(selectors.notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "subordinates/notifications.html", {"page": page})
