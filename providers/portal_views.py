"""Provider-side screens of the providers app: Register on the POSC with the PIN letter,
Change Primary User (files the change request, PU-06), View Broadcast Messages."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from posc.policy import PolicyViolation
from subordinates.forms import apply_violation
from subordinates.mixins import PidSlAdministratorMixin

from . import registration, services
from .agency_forms import RegistrationForm
from .models import BroadcastMessage, PrimaryChangeRequest

User = get_user_model()


class RegisterView(View):
    """Anyone with a PIN letter may try; the PIN works once, expires, and dies after 5 wrong tries."""

    def get(self, request):
        return render(request, "providers/register.html", {"form": RegistrationForm()})

    def post(self, request):
        form = RegistrationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            month, day = (int(x) for x in data["birth_date"].split("/"))
            person = registration.Registrant(
                username=data["username"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                birth_month=month,
                birth_day=day,
                pin=data["pin"],
                zip_code=data["zip_code"],
                phone=data["phone"],
            )
            try:
                user = registration.registration_complete(
                    pidsl_code=data["pidsl"], registration_pin=data["registration_pin"], person=person
                )
            except PolicyViolation as exc:
                apply_violation(form, exc)
            except ValidationError as exc:
                # Django's password validators, or a field of the user record.
                form.add_error("password" if not hasattr(exc, "error_dict") else None, exc)
            else:
                return render(request, "providers/registered.html", {"username": user.username, "pidsl": data["pidsl"]})
        return render(request, "providers/register.html", {"form": form}, status=400)


class ChangePrimaryView(PidSlAdministratorMixin, View):
    """The Primary or backup files the Existing Provider Modification Data Collection Form (PU-06)."""

    def context(self, errors=None, values=None):
        pending = (
            PrimaryChangeRequest.objects.filter(pidsl=self.pidsl, status=PrimaryChangeRequest.Status.PENDING)
            .select_related("new_primary")
            .first()
        )
        return {"pidsl": self.pidsl, "pending": pending, "errors": errors or {}, "values": values or {}}

    def get(self, request, pidsl):
        return render(request, "providers/change_primary.html", self.context())

    def post(self, request, pidsl):
        # PostgreSQL refuses a NUL byte in text (a 500); nobody types one.
        username = request.POST.get("username", "").replace("\x00", "").strip()[:150]
        reason = request.POST.get("reason", "").replace("\x00", "").strip()[:2000]
        stays = request.POST.get("old_primary_stays") == "on"
        values = {"username": username, "reason": reason}
        new_primary = User.objects.filter(username=username).first() if username else None
        if new_primary is None:
            errors = {"username": "Enter the user ID of the new Primary User."}
            return render(request, "providers/change_primary.html", self.context(errors, values), status=400)
        try:
            services.change_request_file(
                actor=request.user, pidsl=self.pidsl, new_primary=new_primary, reason=reason, old_primary_stays=stays
            )
        except ValidationError as exc:
            errors = {"username": exc.messages[0]}
            return render(request, "providers/change_primary.html", self.context(errors, values), status=400)
        return render(
            request,
            "subordinates/confirmation.html",
            {
                "pidsl": self.pidsl,
                "message": f"Your request to make {new_primary.username} the Primary User of {self.pidsl.code} "
                "was sent to MassHealth for approval.",
                "close_url": reverse("subordinates:results", kwargs={"pidsl": self.pidsl.code}),
            },
        )


@login_required
def broadcast_messages(request):
    """View Broadcast Messages (seeds 004), under Manage Correspondence and Reporting."""
    page = Paginator(BroadcastMessage.objects.all(), 25).get_page(request.GET.get("page"))
    return render(request, "providers/broadcasts.html", {"page": page})
