"""Provider-side screens of the providers app: Register on the POSC with the PIN letter,
View Broadcast Messages."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views import View

from posc.addresses import client_address
from posc.forms import apply_violation
from posc.policy import PolicyViolation

from . import recovery, registration
from .agency_forms import ClaimLetterForm, RecoveryForm, RegistrationForm
from .models import BroadcastMessage

User = get_user_model()


class RegisterView(View):
    """Anyone with a PIN letter may try; the PIN works once and expires. Wrong tries are slowed
    down per PID/SL and per address, never voiding the letter (PU-01, ASVS 6.3.1)."""

    def get(self, request):
        if request.user.is_authenticated:
            return render(request, "providers/register_letter.html", {"form": ClaimLetterForm()})
        return render(request, "providers/register.html", {"form": RegistrationForm()})

    def post(self, request):
        if request.user.is_authenticated:
            return self._letter(request)
        form = RegistrationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            month, day = form.birth_month_day()
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
                    pidsl_code=data["pidsl"],
                    registration_pin=data["registration_pin"],
                    person=person,
                    address=client_address(request),
                )
            except registration.RegistrationThrottled as exc:
                apply_violation(form, exc)
                return render(request, "providers/register.html", {"form": form}, status=429)
            except PolicyViolation as exc:
                apply_violation(form, exc)
            except ValidationError as exc:
                # Django's password validators, or a field of the user record.
                form.add_error("password" if not hasattr(exc, "error_dict") else None, exc)
            else:
                return render(request, "providers/registered.html", {"username": user.username, "pidsl": data["pidsl"]})
        return render(request, "providers/register.html", {"form": form}, status=400)

    def _letter(self, request):
        """Signed in: the letter makes this user ID the PID/SL's Primary User (PU-08, US-01)."""
        form = ClaimLetterForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                access = registration.registration_claim(
                    user=request.user,
                    pidsl_code=form.cleaned_data["pidsl"],
                    registration_pin=form.cleaned_data["registration_pin"],
                    address=client_address(request),
                )
            except registration.RegistrationThrottled as exc:
                apply_violation(form, exc)
                status = 429
            except ValidationError as exc:  # PU-01's refusals, PU-06 (the PID/SL has a Primary), PU-07's cap
                apply_violation(form, exc)
            else:
                context = {"username": request.user.username, "pidsl": access.pidsl.code, "existing": True}
                return render(request, "providers/registered.html", context)
        return render(request, "providers/register_letter.html", {"form": form}, status=status)


class RecoveryView(View):
    """PU-08: "I am a Primary User and cannot sign in". Anyone may file; the answer is the same
    whatever was typed (providers/recovery.py), and requests are throttled."""

    def get(self, request):
        return render(request, "providers/recovery.html", {"form": RecoveryForm()})

    def post(self, request):
        form = RecoveryForm(request.POST)
        if not form.is_valid():
            return render(request, "providers/recovery.html", {"form": form}, status=400)
        data = form.cleaned_data
        month, day = form.birth_month_day()
        who = recovery.Claimant(
            first_name=data["first_name"],
            last_name=data["last_name"],
            birth_month=month,
            birth_day=day,
            pin=data["pin"],
            contact=data["contact"],
        )
        try:
            recovery.recovery_request_file(pidsl_code=data["pidsl"], who=who, address=client_address(request))
        except recovery.RecoveryThrottled as exc:
            apply_violation(form, exc)
            return render(request, "providers/recovery.html", {"form": form}, status=429)
        return render(request, "providers/recovery_filed.html", {"pidsl": data["pidsl"]})


@login_required
def broadcast_messages(request):
    """View Broadcast Messages (seeds 004), under Manage Correspondence and Reporting."""
    page = Paginator(BroadcastMessage.objects.all(), 25).get_page(request.GET.get("page"))
    return render(request, "providers/broadcasts.html", {"page": page})
