"""Administer Account → Manage Subordinate Accounts, in the job aids' words (seeds 003, 004).

Views parse input, call one service and render; every rule lives in the services.
"""

import contextlib

from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import FormView

from posc import screens
from posc.forms import apply_violation
from posc.urlcache import cached_reverse
from providers import authority, catalog

from . import search, selectors, services
from .forms import LinkForm, ServicesForm, SubordinateForm, SubordinateSearchForm, seen_value
from .mixins import PidSlAdministratorMixin

PAGE_SIZE = 25
User = get_user_model()


def _no_transaction():
    # Update Subordinate's Submit without an end-date change: no savepoint (bench row "Update
    # Subordinate page and Submit").
    return contextlib.nullcontext()


def _search_key(pidsl) -> str:
    return f"subordinates-search-{pidsl.code}"


def results_url(pidsl) -> str:
    return cached_reverse("subordinates:results", pidsl=pidsl.code)


def confirmation(request, pidsl, message: str, *, temporary_password: str = ""):
    """The Confirmation panel every action ends on; Close returns to the search results."""
    return screens.confirmation(
        request, message, close_url=results_url(pidsl), pidsl=pidsl, temporary_password=temporary_password
    )


def refusal(request, pidsl, exc, *, target_user=None):
    return screens.refusal(request, exc, close_url=results_url(pidsl), pidsl=pidsl, target_user=target_user)


def moved_services(post):
    """The no-JavaScript Assign/Unassign step: returns (data with the new working set, action)."""
    action = post.get("action", "submit")
    data = post.copy()
    working = set(data.getlist("services"))
    if action == "assign":
        data.setlist("services", sorted(working | set(data.getlist("available"))))
    elif action == "unassign":
        data.setlist("services", sorted(working - set(data.getlist("assigned"))))
    return data, action


def service_lists(form, saved=()) -> dict:
    """Available Services and Assigned Services for the picker (Portal Services always assigned, SV-01)."""
    chosen = set(form.data.getlist("services")) if form.is_bound else set(saved)
    chosen.add(catalog.PORTAL_SERVICES)
    return {
        "available": [s for s in form.offered if s.code not in chosen],
        "assigned": [s for s in form.offered if s.code in chosen],
    }


class ManageSubordinatesView(LoginRequiredMixin, View):
    """Choose the PID/SL in the Provider dropdown and search (names go by POST, ASVS 14.2.1)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.providers = selectors.administered_pidsls(request.user)
        if not self.providers.exists():
            screens.refuse(
                request,
                "Manage Subordinate Accounts is for Primary Users and their backups (PU-04).",
                detail="Manage Subordinate Accounts",
            )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(
            request,
            "subordinates/manage.html",
            {"providers": self.providers, "form": SubordinateSearchForm(), "selected": request.GET.get("provider")},
        )

    def post(self, request):
        form = SubordinateSearchForm(request.POST)
        code = request.POST.get("provider", "")
        pidsl = next((p for p in self.providers if p.code == code), None)
        if pidsl is None or not form.is_valid():
            return render(
                request,
                "subordinates/manage.html",
                {"providers": self.providers, "form": form, "provider_error": pidsl is None},
                status=400,
            )
        request.session[_search_key(pidsl)] = form.cleaned_data
        return redirect(results_url(pidsl))


class SearchResultsView(PidSlAdministratorMixin, View):
    """Subordinates Search Results: "DOE, JOHN" and the username, paginated."""

    def get(self, request, pidsl):
        criteria = request.session.get(_search_key(self.pidsl), {})
        page = search.search_page(pidsl=self.pidsl, number=request.GET.get("page"), per_page=PAGE_SIZE, **criteria)
        return render(
            request,
            "subordinates/results.html",
            {
                "pidsl": self.pidsl,
                "providers": selectors.administered_pidsls(request.user),
                "form": SubordinateSearchForm(initial=criteria),
                "page": page,
                # Each row links to results_url + its id (the update URL): one reverse, not 25.
                "results_url": results_url(self.pidsl),
            },
        )


class UpdateSubordinateView(PidSlAdministratorMixin, View):
    """Update Subordinate: details, Available Services and Assigned Services, and the actions.

    Without JavaScript the Assign/Unassign buttons move the selected services and
    re-render; the working set travels in hidden fields until Submit.
    """

    def render_page(self, access, form, *, status=200):
        # A bound form carries the working set; the saved services are read only for a fresh page.
        saved = () if form.is_bound else [s.code for s in access.services.all()]
        return render(
            self.request,
            "subordinates/update.html",
            {
                "pidsl": self.pidsl,
                "access": access,
                "subordinate": access.user,
                "form": form,
                **service_lists(form, saved=saved),
                "fixed_services": access.is_administrator,
                # What the page offers is authority's answer (LK-03, US-05, PU-06): a button that would
                # only be refused is replaced by the reason.
                "is_outside": authority.is_outside_link(access),
                "reset_refusal": authority.account_refusal(
                    self.request.user,
                    access.user,
                    authority.RESET,
                    owns=True if access.user.home_organization_id == self.pidsl.organization_id else None,
                ),
                "remove_refusal": authority.end_link_refusal(access),
                # Off-board: every PID/SL the actor administers where this person is linked, at once.
                "may_offboard": authority.end_link_refusal(access) is None
                and authority.offboard_refusal(
                    self.request.user, access.user, list(authority.offboard_links(self.request.user, access.user))
                )
                is None,
            },
            status=status,
        )

    def get(self, request, pidsl, access_id):
        access = self.get_access(access_id, with_services=True)
        # Issue 15: the page carries the services it shows, for Submit to apply only the change made to them.
        seen = seen_value(s.code for s in access.services.all())
        form = ServicesForm(
            pidsl=self.pidsl,
            role=access.role,
            outside=authority.is_outside_link(access),
            initial={"seen": seen, "ends_on": access.ends_on},
        )
        return self.render_page(access, form)

    def post(self, request, pidsl, access_id):
        access = self.get_access(access_id)
        data, action = moved_services(request.POST)
        form = ServicesForm(data, pidsl=self.pidsl, role=access.role, outside=authority.is_outside_link(access))
        if action in ("assign", "unassign"):
            return self.render_page(access, form)
        if not form.is_valid():
            return self.render_page(access, form, status=400)
        # LK-04: an outside user's link's end date, changed with the services in one transaction.
        ends_on = form.cleaned_data.get("ends_on", access.ends_on)
        end_changed = ends_on != access.ends_on
        try:
            with transaction.atomic() if end_changed else _no_transaction():
                access = services.access_services_set(
                    actor=request.user,
                    access=access,
                    services=form.cleaned_data["services"],
                    seen=form.cleaned_data["seen"],
                )
                if end_changed:
                    services.link_ends_on_set(actor=request.user, access=access, ends_on=ends_on)
        except ValidationError as exc:
            apply_violation(form, exc)
            return self.render_page(access, form, status=400)
        message = f"The services of {access.user.display_name} ({access.user.username}) were updated."
        if end_changed:
            when = ends_on.strftime("%m/%d/%Y") if ends_on else "no end date"
            message += f" The link ends on: {when} (LK-04)."
        if access.changed_meanwhile_by:
            held = ", ".join(s.label for s in access.services.all())
            message += (
                f" {access.changed_meanwhile_by} also changed them since you opened the page; only your change was"
                f" applied. {access.user.display_name} now holds: {held}."
            )
        return confirmation(request, self.pidsl, message)


class ResetPasswordView(PidSlAdministratorMixin, View):
    http_method_names = ["post"]

    def post(self, request, pidsl, access_id):
        access = self.get_access(access_id)
        try:
            password = services.password_reset_temporary(actor=request.user, user=access.user, pidsl=self.pidsl)
        except ValidationError as exc:
            # LK-03, US-05: the refusal says whom to ask.
            return refusal(request, self.pidsl, exc, target_user=access.user)
        return confirmation(
            request,
            self.pidsl,
            f"The password of {access.user.display_name} ({access.user.username}) was reset. Give the user this "
            "one-time temporary password; it must be changed at the next sign-in.",
            temporary_password=password,
        )


class RemoveView(PidSlAdministratorMixin, View):
    """Remove ends the link to this PID/SL after a confirm step."""

    def get(self, request, pidsl, access_id):
        access = self.get_access(access_id)
        return render(request, "subordinates/remove.html", {"pidsl": self.pidsl, "access": access})

    def post(self, request, pidsl, access_id):
        access = self.get_access(access_id)
        try:
            services.link_end(actor=request.user, access=access)
        except ValidationError as exc:
            return refusal(request, self.pidsl, exc, target_user=access.user)
        return confirmation(
            request, self.pidsl, f"{access.user.display_name} ({access.user.username}) was removed from {self.pidsl}."
        )


class ServicesPickerFormMixin(PidSlAdministratorMixin):
    """A FormView with the services picker: Assign/Unassign re-render, Submit validates."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        return {**context, **service_lists(context["form"])}

    def post(self, request, *args, **kwargs):
        data, action = moved_services(request.POST)
        if action in ("assign", "unassign"):
            form = self.get_form_class()(**{**self.get_form_kwargs(), "data": data})
            return self.render_to_response(self.get_context_data(form=form))
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AddSubordinateView(ServicesPickerFormMixin, FormView):
    template_name = "subordinates/add.html"
    form_class = SubordinateForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "pidsl": self.pidsl}

    def form_valid(self, form):
        data = form.cleaned_data
        month, day = data["birth_date"]
        identity = services.Identity(
            last_name=data["last_name"],
            first_name=data["first_name"],
            middle_initial=data["middle_initial"],
            birth_month=month,
            birth_day=day,
            pin=data["pin"],
            email=data["email"],
            zip_code=data["zip_code"],
            phone=data["phone"],
        )
        try:
            user, password = services.subordinate_create(
                actor=self.request.user, pidsl=self.pidsl, identity=identity, services=data["services"]
            )
        except ValidationError as exc:
            apply_violation(form, exc)
            context = self.get_context_data(form=form)
            if getattr(exc, "rule", "") == "US-01":
                # Offer to link the existing person instead of creating a second user ID; the user ID
                # is filled in only for the person's own organization (LK-03: no oracle).
                existing = services.duplicate_person(identity)
                context["link_offer"] = True
                if existing is not None and authority.may_see_identity(self.request.user, existing):
                    context["link_username"] = existing.username
            return self.render_to_response(context, status=400)
        return confirmation(
            self.request,
            self.pidsl,
            f"User ID {user.username} was created for {user.display_name} and linked to {self.pidsl}. Give the user "
            "this one-time temporary password; it must be changed at the first sign-in.",
            temporary_password=password,
        )


class LinkView(ServicesPickerFormMixin, FormView):
    """Link Subordinate Accounts: an existing user, of this organization or another (LK-01)."""

    template_name = "subordinates/link.html"
    form_class = LinkForm

    def get_initial(self):
        return {"username": self.request.GET.get("username", ""), "pidsls": [self.pidsl.pk]}

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "pidsl": self.pidsl,
            "administered": selectors.administered_pidsls(self.request.user),
        }

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            # One refusal at any PID/SL leaves no link anywhere (no partial writes). A service a target
            # PID/SL does not allow is refused by name there (SV-02), never dropped in silence.
            with transaction.atomic():
                for target in data["pidsls"]:
                    services.user_link(
                        actor=self.request.user,
                        pidsl=target,
                        username=data["username"],
                        last_name=data["last_name"],
                        services=data["services"],
                        ends_on=data["ends_on"],
                    )
        except ValidationError as exc:
            apply_violation(form, exc)
            return self.form_invalid(form)
        where = ", ".join(p.code for p in data["pidsls"])
        return confirmation(self.request, self.pidsl, f"{data['username']} was linked to {where}.")
