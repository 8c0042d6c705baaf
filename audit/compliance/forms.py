"""The program view's filters (issue 17)."""

from django import forms

from posc.forms import NFCCharField, no_nul

from .program import KINDS, ORDERS, STATUSES


class ProgramFilterForm(forms.Form):
    q = NFCCharField(label="Organization", max_length=200, required=False, validators=[no_nul])
    kind = forms.ChoiceField(label="Provider type", choices=[("", "Any")] + list(KINDS.items()), required=False)
    region = NFCCharField(
        label="City or ZIP code", max_length=60, required=False, validators=[no_nul], help_text="Of any of its PID/SLs"
    )
    status = forms.ChoiceField(label="Review", choices=[("", "Any")] + list(STATUSES.items()), required=False)
    order = forms.ChoiceField(
        label="Sort by",
        choices=[("name", "Name, A to Z"), ("-name", "Name, Z to A"), ("overdue", "Longest overdue first")],
        required=False,
    )

    def clean_order(self):
        return self.cleaned_data["order"] if self.cleaned_data["order"] in ORDERS else "name"
