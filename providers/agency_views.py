"""Agency staff's screens (MassHealth): enrollment with the PIN letter, Primary User change
requests (PU-06), Primary Users' password resets (US-05), deactivation, broadcast messages."""

from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from posc import screens
from posc.forms import apply_violation
from posc.policy import PolicyViolation
from subordinates import dormancy
from subordinates import services as subordinate_services

from . import authority, provider_type, recovery, registration, services
from .agency_forms import (
    AddPidSlForm,
    BroadcastForm,
    ChangeDecisionForm,
    EnrollForm,
    LetterForm,
    OrganizationSearchForm,
    ProviderTypeForm,
    RecoveryDecisionForm,
    UserActionForm,
    UserSearchForm,
)
from .models import (
    BroadcastMessage,
    Designation,
    Organization,
    PrimaryChangeRequest,
    RecoveryRequest,
    RegistrationThrottle,
    Service,
)
from .selectors import user_links

PAGE_SIZE = 25
LOSSES_SHOWN = 25  # US-09: the organizations losing most users to dormancy this month, on Agency home
DEACTIVATE_LINKS_SHOWN = 50  # the confirmation names the providers a user stays linked to, up to these
User = get_user_model()


class AgencyRequiredMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not (request.user.is_active and request.user.is_agency_staff):
            screens.refuse(request, "This page is for MassHealth agency staff only.", detail="agency screen")
        return super().dispatch(request, *args, **kwargs)


def _letter(request, designation, pin, status=200):
    # The letter is read on paper: the portal's address is written out in full, as this request
    # reached it (issue 18), so the person knows where to type the codes.
    context = {
        "designation": designation,
        "pin": pin,
        "register_url": request.build_absolute_uri(reverse("providers:register")),
        "login_url": request.build_absolute_uri(reverse("accounts:login")),
    }
    return render(request, "agency/letter.html", context, status=status)


def _designate(actor, pidsl, data):
    return registration.designation_approve(
        actor=actor,
        pidsl=pidsl,
        first_name=data["designee_first_name"],
        last_name=data["designee_last_name"],
        email=data["designee_email"],
        phone=data["designee_phone"],
    )


def _spec(data) -> services.PidSlSpec:
    return services.PidSlSpec(
        data["provider_id"],
        data["service_location"],
        data["pidsl_name"],
        data["street"],
        data["city"],
        data["zip_code"],
    )


def _result(request, message: str, *, back: str, temporary_password: str = "", refused=None):
    """The Confirmation an agency action ends on; a service's refusal (``refused``) is a 403 with
    its reason, audited."""
    if refused is not None:
        return screens.refusal(request, refused, close_url=back)
    return screens.confirmation(request, message, close_url=back, temporary_password=temporary_password)


class AgencyHomeView(AgencyRequiredMixin, View):
    def get(self, request):
        pending = PrimaryChangeRequest.objects.filter(status=PrimaryChangeRequest.Status.PENDING).count()
        recoveries = RecoveryRequest.objects.filter(status=RecoveryRequest.Status.OPEN).count()
        # US-09: how many users each organization will lose to dormancy this month (one grouped query).
        losses = dormancy.losses_this_month(timezone.localdate())
        top = sorted(losses.items(), key=lambda item: (-item[1], item[0]))[:LOSSES_SHOWN]
        names = dict(Organization.objects.filter(pk__in=[pk for pk, _ in top]).values_list("pk", "name"))
        return render(
            request,
            "agency/home.html",
            {
                "pending": pending,
                "recoveries": recoveries,
                "losses": [(pk, names.get(pk, ""), n) for pk, n in top],
                "losses_total": sum(losses.values()),
                "losses_organizations": len(losses),
            },
        )


class EnrollView(AgencyRequiredMixin, View):
    """Enroll an organization and its first PID/SL; issues the registration letter."""

    form_class = EnrollForm
    template = "agency/enroll.html"

    def get(self, request):
        return render(request, self.template, {"form": self.form_class()})

    def post(self, request):
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    designation, pin = self.enroll(request.user, form.cleaned_data)
            except ValidationError as exc:
                apply_violation(form, exc)
            else:
                return _letter(request, designation, pin)
        return render(request, self.template, {"form": form}, status=400)

    def enroll(self, actor, data):
        org = services.organization_enroll(
            actor=actor,
            name=data["name"],
            kind=data["kind"],
            is_long_term_care=data["is_long_term_care"],
            is_pace=data["is_pace"],
            is_sco=data["is_sco"],
            pidsls=[_spec(data)],
        )
        return _designate(actor, org.pidsls.get(), data)


class AddPidSlView(EnrollView):
    form_class = AddPidSlForm
    template = "agency/add_pidsl.html"

    def enroll(self, actor, data):
        pidsl = services.pidsl_enroll(actor=actor, organization=data["organization"], spec=_spec(data))
        return _designate(actor, pidsl, data)


class LettersView(AgencyRequiredMixin, View):
    """Reissue a PIN letter (PU-08): for an enrolled PID/SL without a Primary User, a new letter
    for the person on the approved Data Collection Form; the old letter stops working at once and
    the PID/SL's wrong tries start over. Lists the PID/SLs waiting for their Primary User, with the
    pending letter and its wrong tries since it was issued. Who may: authority.letter_refusal."""

    template = "agency/letters.html"

    def context(self, form):
        pending = Designation.objects.filter(registered_at__isnull=True, voided_at__isnull=True)
        waiting = (
            authority.pidsls_awaiting_primary()
            .select_related("organization")
            .prefetch_related(Prefetch("designations", queryset=pending, to_attr="pending"))
            .order_by("provider_id", "service_location")
        )
        page = Paginator(waiting, PAGE_SIZE).get_page(self.request.GET.get("page"))
        keys = {registration.pidsl_throttle_key(p.code): p for p in page.object_list}
        tries = dict(RegistrationThrottle.objects.filter(key__in=keys).values_list("key", "failures"))
        for key, pidsl in keys.items():
            pidsl.letter = pidsl.pending[0] if pidsl.pending else None
            pidsl.wrong_tries = tries.get(key, 0)
        return {"form": form, "page": page}

    def get(self, request):
        code = request.GET.get("pidsl", "")[:10].upper()
        letter = (
            Designation.objects.filter(
                pidsl__provider_id=code[:9], pidsl__service_location=code[9:], registered_at__isnull=True
            )
            .order_by("-approved_at")
            .first()
            if len(code) == 10
            else None
        )
        initial = {"pidsl": code} if code else {}
        if letter is not None:
            # The same person by default: a lost letter is the usual reason (PU-08).
            initial.update(
                designee_first_name=letter.first_name,
                designee_last_name=letter.last_name,
                designee_email=letter.email,
                designee_phone=letter.phone,
            )
        return render(request, self.template, self.context(LetterForm(initial=initial)))

    def post(self, request):
        form = LetterForm(request.POST)
        if not form.is_valid():
            return render(request, self.template, self.context(form), status=400)
        pidsl = form.cleaned_data["pidsl"]
        try:
            designation, pin = _designate(request.user, pidsl, form.cleaned_data)
        except ValidationError as exc:
            return screens.refusal(request, exc, close_url=reverse("agency:letters"), pidsl=pidsl)
        return _letter(request, designation, pin)


class ChangeRequestsView(AgencyRequiredMixin, View):
    """Pending Primary User change requests; approve moves the role in one transaction (PU-06)."""

    def get(self, request):
        pending = (
            PrimaryChangeRequest.objects.filter(status=PrimaryChangeRequest.Status.PENDING)
            .select_related("pidsl__organization", "new_primary", "requested_by")
            .order_by("requested_at")
        )
        page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "agency/change_requests.html", {"page": page})

    def post(self, request):
        back = reverse("agency:change_requests")
        form = ChangeDecisionForm(request.POST)
        if "request_id" in form.errors:
            raise Http404("No such change request.")
        if not form.is_valid():
            # Bad input (no decision, a request number that is not one): 400, nothing changed.
            field, errors = next(iter(form.errors.items()))
            return _result(request, "", refused=PolicyViolation("PU-06", errors[0], field=field), back=back)
        change = get_object_or_404(PrimaryChangeRequest, pk=form.cleaned_data["request_id"])
        decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
        try:
            if decision == "approve":
                services.change_request_approve(actor=request.user, request=change, note=note)
                message = f"{change.new_primary.username} is now the Primary User of {change.pidsl.code}."
            else:
                services.change_request_reject(actor=request.user, request=change, note=note or "Rejected")
                message = f"The change request for {change.pidsl.code} was rejected."
        except ValidationError as exc:
            return _result(request, "", refused=exc, back=back)
        return _result(request, message, back=back)


class RecoveryQueueView(AgencyRequiredMixin, View):
    """PU-08: Primary Users who cannot sign in, oldest first; verify, then reset, reissue or decline."""

    def get(self, request, form=None, status=200):
        waiting = (
            RecoveryRequest.objects.filter(status=RecoveryRequest.Status.OPEN)
            .select_related("pidsl__organization", "matched_user")
            .order_by("filed_at", "pk")
        )
        page = Paginator(waiting, PAGE_SIZE).get_page(request.GET.get("page"))
        decided = (
            RecoveryRequest.objects.exclude(status=RecoveryRequest.Status.OPEN)
            .select_related("decided_by")
            .order_by("-decided_at")[:10]
        )
        # A refused decision's errors go back to its own request's form, next to their fields.
        failed = form.data.get("request_id") if form is not None else None
        rows = list(page.object_list)
        for filed in rows:
            filed.errors = form.errors if failed == str(filed.pk) else {}
            filed.values = form.data if failed == str(filed.pk) else {}
            filed.offers = recovery.decisions_open(filed)
        context = {"page": page, "rows": rows, "decided": decided}
        return render(request, "agency/recovery.html", context, status=status)

    def post(self, request):
        back = reverse("agency:recovery")
        form = RecoveryDecisionForm(request.POST)
        if "request_id" in form.errors:
            raise Http404("No such recovery request.")
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        filed = get_object_or_404(RecoveryRequest, pk=form.cleaned_data["request_id"])
        data = form.cleaned_data
        try:
            if data["decision"] == "reset":
                password = recovery.recovery_reset_password(actor=request.user, request=filed, note=data["note"])
                who = filed.matched_user.username
                message = f"The password of {who} was reset. Give this one-time password to {who} directly."
                return _result(request, message, back=back, temporary_password=password)
            if data["decision"] == "letter":
                designation, pin = recovery.recovery_issue_letter(
                    actor=request.user,
                    request=filed,
                    first_name=data["designee_first_name"],
                    last_name=data["designee_last_name"],
                    email=data["designee_email"],
                    note=data["note"],
                )
                return _letter(request, designation, pin)
            recovery.recovery_decline(actor=request.user, request=filed, note=data["note"])
        except ValidationError as exc:
            return _result(request, "", refused=exc, back=back)
        return _result(request, f"The recovery request for {filed.pidsl_code} was declined.", back=back)


class ProviderTypesView(AgencyRequiredMixin, View):
    """SV-06: find the organization whose provider type changes."""

    def get(self, request):
        form = OrganizationSearchForm(request.GET or None)
        page = None
        if form.is_bound and form.is_valid():
            found = Organization.objects.filter(name__icontains=form.cleaned_data["q"].strip()).order_by("name")
            page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "agency/provider_types.html", {"form": form, "page": page})


class ProviderTypeView(AgencyRequiredMixin, View):
    """SV-06: one organization's provider type, what its users hold that depends on it, and the change."""

    def _page(self, request, organization, form=None, status=200):
        form = form or ProviderTypeForm(initial={name: getattr(organization, name) for name in provider_type.TRAITS})
        held = provider_type.holders_by_service(organization)
        labels = dict(Service.objects.filter(code__in=held).values_list("code", "label"))
        context = {
            "organization": organization,
            "form": form,
            "held": sorted((labels[code], n) for code, n in held.items()),
        }
        return render(request, "agency/provider_type.html", context, status=status)

    def get(self, request, org):
        return self._page(request, get_object_or_404(Organization, pk=org))

    def post(self, request, org):
        organization = get_object_or_404(Organization, pk=org)
        form = ProviderTypeForm(request.POST)
        if not form.is_valid():
            return self._page(request, organization, form, status=400)
        traits = {name: form.cleaned_data[name] for name in provider_type.TRAITS}
        back = reverse("agency:provider_type", args=[organization.pk])
        try:
            done = provider_type.provider_type_change(actor=request.user, organization=organization, **traits)
        except ValidationError as exc:
            return _result(request, "", refused=exc, back=back)
        message = (
            f"The provider type of {organization.name} was changed. "
            f"Services removed from {done['revoked_links']} user link(s); "
            f"{done['granted_links']} Primary User and backup link(s) given the services it now allows."
        )
        return _result(request, message, back=back)


class UsersView(AgencyRequiredMixin, View):
    """Find any user; reset a forgotten password (US-05), deactivate or reactivate (US-06)."""

    def get(self, request):
        form = UserSearchForm(request.GET or None)
        page = None
        if form.is_bound and form.is_valid():
            term = form.cleaned_data["q"].strip()
            users = (
                User.objects.filter(Q(username__istartswith=term) | Q(last_name__istartswith=term))
                .select_related("home_organization")
                .order_by("last_name", "first_name")
            )
            page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "agency/users.html", {"form": form, "page": page})


class UserActionView(AgencyRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, user_id):
        target = get_object_or_404(User, pk=user_id)
        password = ""
        back = f"{reverse('agency:users')}?{urlencode({'q': target.username})}"
        form = UserActionForm(request.POST)
        if not form.is_valid():
            return _result(
                request,
                "",
                refused=PolicyViolation("US-05", "Choose an action on the user.", field="action"),
                back=back,
            )
        action = form.cleaned_data["action"]
        try:
            if action == "reset":
                # US-05: an agency account is never reset here (authority refuses it).
                password = subordinate_services.password_reset_temporary(actor=request.user, user=target)
                message = f"The password of {target.username} was reset. Give the user this one-time password."
            elif action == "deactivate":
                subordinate_services.user_deactivate(actor=request.user, user=target, reason="by agency staff")
                message = f"{target.username} was deactivated."
            elif action == "compliance":
                if target.home_organization is None:
                    raise ValidationError("Agency staff belong to no organization.")
                services.compliance_officer_appoint(
                    actor=request.user, organization=target.home_organization, user=target
                )
                message = f"{target.username} is now a compliance officer of {target.home_organization}."
            else:
                subordinate_services.user_reactivate(actor=request.user, user=target)
                message = f"{target.username} was reactivated."
        except ValidationError as exc:
            return _result(request, "", refused=exc, back=back)
        return _result(request, message, back=back, temporary_password=password)


class UserDeactivateConfirmView(AgencyRequiredMixin, View):
    """Deactivate's confirmation (issue 18): what deactivating the user does, and the providers they
    stay linked to, before the POST to user_action (which is unchanged, and CSRF-protected)."""

    http_method_names = ["get"]

    def get(self, request, user_id):
        target = get_object_or_404(User.objects.select_related("home_organization"), pk=user_id)
        # US-06, PU-06: authority's answer, so a refused deactivation says why before anyone confirms.
        refusal = authority.account_refusal(request.user, target, authority.DEACTIVATE) if target.is_active else None
        links = list(user_links(target)[: DEACTIVATE_LINKS_SHOWN + 1])
        context = {
            "target": target,
            "links": links[:DEACTIVATE_LINKS_SHOWN],
            "more_links": len(links) > DEACTIVATE_LINKS_SHOWN,
            "refusal": refusal,
            "back": f"{reverse('agency:users')}?{urlencode({'q': target.username})}",
        }
        return render(request, "agency/deactivate_confirm.html", context)


class BroadcastsView(AgencyRequiredMixin, View):
    def context(self, form):
        page = Paginator(BroadcastMessage.objects.select_related("posted_by"), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        return {"form": form, "page": page}

    def get(self, request):
        return render(request, "agency/broadcasts.html", self.context(BroadcastForm()))

    def post(self, request):
        form = BroadcastForm(request.POST)
        if not form.is_valid():
            return render(request, "agency/broadcasts.html", self.context(form), status=400)
        message = services.broadcast_post(actor=request.user, **form.cleaned_data)
        return redirect(f"{reverse('agency:broadcasts')}?posted={message.pk}")
