"""The access review's forms: they parse what a reviewer sent; the services decide."""

from django import forms

from posc.forms import required
from providers import catalog
from providers.models import Service

from ..models import DefaultDecision, ReviewItem


class DecisionForm(forms.Form):
    """One review item's decision. The services are parsed into catalog services; whether the
    PID/SL allows them is the service's question (SV-02), answered with their names."""

    decision = forms.ChoiceField(choices=ReviewItem.Decision.choices, error_messages=required("Choose a decision."))
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.all(), to_field_name="code", required=False)

    def clean_services(self):
        services = list(self.cleaned_data["services"])
        # SV-01: Primary Portal User is always held; its box is shown checked and disabled.
        if not any(s.code == catalog.PORTAL_SERVICES for s in services):
            services += list(Service.objects.filter(code=catalog.PORTAL_SERVICES))
        return services


class ScheduleForm(forms.Form):
    """AR-01: the number of months between reviews; which numbers are allowed is the service's."""

    months = forms.IntegerField(error_messages=required("Choose how often reviews are due."))


class CompleteForm(forms.Form):
    # The checkbox's own value only: a BooleanField would take any text for a yes (AR-02 attestation).
    attested = forms.ChoiceField(choices=[("on", "I attest")], required=False)


class PageForm(forms.Form):
    """The page of the review a decision was made on, to return to it."""

    page = forms.IntegerField(min_value=1, required=False)


class DefaultDecisionForm(forms.Form):
    """AR-06: the organization's choice; whether the program allows it is the service's question."""

    default_decision = forms.ChoiceField(
        choices=DefaultDecision.choices, error_messages=required("Choose the default decision.")
    )


class ProgramSettingsForm(forms.Form):
    """AR-06, agency staff: the grace period and the program's minimum default."""

    grace_days = forms.IntegerField(
        label="Grace period after the due date (days)",
        min_value=0,
        max_value=90,
        help_text="0 to 90 days.",
        error_messages=required("Enter the grace period in days, 0 to 90."),
    )
    minimum_default = forms.ChoiceField(
        label="Weakest default an organization may choose",
        choices=DefaultDecision.choices,
        error_messages=required("Choose the weakest default an organization may choose."),
    )


class ReviewFilterForm(forms.Form):
    """The review page's filters (issue 16): a PID/SL, a recommendation, every row or the reader's."""

    pidsl = forms.RegexField(regex=r"^\d{9}[A-Z]$", required=False)
    recommendation = forms.ChoiceField(choices=[("", "Any")] + list(ReviewItem.Decision.choices), required=False)
    scope = forms.ChoiceField(choices=[("", "Rows I decide"), ("all", "Every row")], required=False)


class DecideManyForm(forms.Form):
    """Many rows in one step: keep, remove, or accept their recommendations (the rows are the POST's
    "items" list, read by the view); the service decides."""

    decision = forms.ChoiceField(choices=[("", "")] + list(ReviewItem.Decision.choices), required=False)
    accept = forms.ChoiceField(choices=[("", ""), ("1", "Accept")], required=False)
    confirmed = forms.ChoiceField(choices=[("", ""), ("1", "Confirmed")], required=False)
