"""The audit trail's filters. They travel in the query string, so they hold usernames, a PID/SL
code, dates and an action: never a name, PIN or date of birth (ASVS 14.2.1)."""

from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator

from providers.models import PidSl

from ..models import AuditEvent

# Bounds keep the day arithmetic of the date range clear of date.min/date.max (never a 500).
_date_bounds = [
    MinValueValidator(date(2000, 1, 1), "Enter a date in 2000 or later."),
    MaxValueValidator(date(2999, 12, 31), "Enter a date before 3000."),
]


class AuditTrailFilterForm(forms.Form):
    date_from = forms.DateField(
        label="From", required=False, validators=_date_bounds, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, validators=_date_bounds, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = forms.CharField(label="Done by (username)", max_length=150, required=False)
    target = forms.CharField(label="Done to (username)", max_length=150, required=False)
    pidsl = forms.CharField(
        label="PID/SL",
        max_length=10,
        required=False,
        validators=[RegexValidator(r"^\d{9}[A-Za-z]$", "Enter a 9-digit Provider ID and a service location letter.")],
        help_text="e.g. 110000001A",
    )
    action = forms.ChoiceField(
        label="Action",
        required=False,
        choices=[("", "Any action"), *AuditEvent.Action.choices],
        error_messages={"invalid_choice": "Choose an action from the list."},
    )

    def clean_actor(self):
        return self.cleaned_data["actor"].strip()

    def clean_target(self):
        return self.cleaned_data["target"].strip()

    def clean_pidsl(self) -> PidSl | None:
        code = self.cleaned_data["pidsl"].upper()
        if not code:
            return None
        # Any PID/SL may be named (they are public in Provider Search); the scope decides what shows.
        pidsl = (
            PidSl.objects.select_related("organization").filter(provider_id=code[:9], service_location=code[9:]).first()
        )
        if pidsl is None:
            raise forms.ValidationError("No PID/SL has this code.")
        return pidsl

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def describe(self) -> str:
        """The filters in words, for the download's own audit record."""
        data = self.cleaned_data
        parts = [
            f"{name}={value.code if name == 'pidsl' else value}"
            for name, value in data.items()
            if value not in (None, "")
        ]
        return ", ".join(parts) or "no filters"
