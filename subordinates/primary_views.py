"""Administer Account screens about a PID/SL's administrators: appoint the backup Primary User
(the Primary User only; PU-02, PU-05) and file a Primary User change request (PU-06)."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views import View

from posc.forms import apply_violation
from providers import authority
from providers import services as provider_services
from providers.models import PrimaryChangeRequest

from .forms import ChangePrimaryForm, UserChoiceForm, user_named
from .mixins import PidSlAdministratorMixin
from .views import confirmation


class BackupView(PidSlAdministratorMixin, View):
    """Appoint or replace the backup Primary User (the Primary User only; PU-02, PU-05)."""

    primary_only = True

    def context(self, form):
        return {"pidsl": self.pidsl, "form": form, "backup": authority.holder_link(self.pidsl, authority.BACKUP)}

    def get(self, request, pidsl):
        return render(request, "subordinates/backup.html", self.context(UserChoiceForm()))

    def post(self, request, pidsl):
        form = UserChoiceForm(request.POST)
        if form.is_valid():
            user = user_named(form.cleaned_data["username"])
            try:
                # No such user (None) is refused in the service's words for a user who may not be
                # chosen (PU-02, LK-03: no oracle).
                provider_services.backup_appoint(actor=request.user, pidsl=self.pidsl, user=user)
            except ValidationError as exc:
                apply_violation(form, exc)
        if not form.is_valid():
            return render(request, "subordinates/backup.html", self.context(form), status=400)
        return confirmation(
            request,
            self.pidsl,
            f"{user.display_name} ({user.username}) is now the backup Primary User of {self.pidsl} "
            "and holds every service there.",
        )


class ChangePrimaryView(PidSlAdministratorMixin, View):
    """The Primary or backup files the Existing Provider Modification Data Collection Form (PU-06)."""

    def context(self, form):
        pending = (
            PrimaryChangeRequest.objects.filter(pidsl=self.pidsl, status=PrimaryChangeRequest.Status.PENDING)
            .select_related("new_primary")
            .first()
        )
        return {"pidsl": self.pidsl, "pending": pending, "form": form}

    def get(self, request, pidsl):
        return render(request, "subordinates/change_primary.html", self.context(ChangePrimaryForm()))

    def post(self, request, pidsl):
        form = ChangePrimaryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            new_primary = user_named(data["username"])
            try:
                provider_services.change_request_file(
                    actor=request.user,
                    pidsl=self.pidsl,
                    new_primary=new_primary,
                    reason=data["reason"],
                    old_primary_stays=data["old_primary_stays"],
                )
            except ValidationError as exc:
                # Every refusal here is about the user named (PU-06).
                form.add_error("username", exc.messages[0])
        if not form.is_valid():
            return render(request, "subordinates/change_primary.html", self.context(form), status=400)
        return confirmation(
            request,
            self.pidsl,
            f"Your request to make {new_primary.username} the Primary User of {self.pidsl.code} "
            "was sent to MassHealth for approval.",
        )
