"""Forms of the Administer Account screens. They parse and validate input; the services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.utils import timezone

from accounts.models import middle_initial_validator, pin_validator, zip_validator
from posc.forms import NameField, NFCCharField, ascii_digits, birth_validator, no_nul, one_script_name, required
from providers import authority, catalog
from providers.models import PidSl

User = get_user_model()


class ServicesMixin:
    """The Available/Assigned Services pair. Only services grantable at the PID/SL to this
    role are offered (SV-02, PU-04); anything else posted is refused (ASVS 15.3.3)."""

    def setup_services(self, pidsl: PidSl, role: str = authority.SUBORDINATE):
        self.offered = authority.services_allowed(pidsl, role)
        self.fields["services"] = forms.MultipleChoiceField(
            label="Assigned Services",
            choices=[(s.code, s.label) for s in self.offered],
            required=False,
            widget=forms.MultipleHiddenInput,
            error_messages={"invalid_choice": "%(value)s is not a service you can grant here."},
        )

    def clean_services(self):
        codes = set(self.cleaned_data.get("services") or [])
        codes.add(catalog.PORTAL_SERVICES)  # SV-01: always held, shown as fixed
        return [s for s in self.offered if s.code in codes]


class LinkEndsOnField(forms.DateField):
    """LK-04: "Link ends on", an outside user's link's end date (a contract's end); empty for none."""

    def __init__(self, **kwargs):
        super().__init__(
            label="Link ends on",
            required=False,
            input_formats=["%Y-%m-%d", "%m/%d/%Y"],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            help_text="Only for a user of another organization: the link ends by itself that day (LK-04).",
            error_messages={"invalid": "Enter the date as mm/dd/yyyy."},
            **kwargs,
        )

    def validate(self, value):
        super().validate(value)
        if value is not None and value <= timezone.localdate():
            raise forms.ValidationError("The link's end date must be after today (LK-04).")


class SubordinateSearchForm(forms.Form):
    first_name = NFCCharField(label="First Name", max_length=150, required=False)
    last_name = NFCCharField(label="Last Name", max_length=150, required=False)
    # Issue 18: a Primary User told a user ID finds the one subordinate without guessing a name.
    username = NFCCharField(label="User ID", max_length=150, required=False)


class OrganizationUserSearchForm(forms.Form):
    """Organization Users' search (issue 18), by GET: the start of a name or of a user ID."""

    q = NFCCharField(
        label="Name or user ID",
        max_length=150,
        required=False,
        help_text="The first letters of a first name, last name or user ID, such as Rivera, Alma Rivera or arivera.",
    )


OUT_OF_DATE = "This page is out of date: open Update Subordinate again, then make your change."


def seen_value(codes) -> str:
    """The services a page shows, as its hidden ``seen`` field carries them (issue 15)."""
    return " ".join(sorted(codes))


class ServicesForm(ServicesMixin, forms.Form):
    """Update Subordinate's Submit. ``seen`` carries the services the page showed when it was
    opened, unchanged through Assign/Unassign, so the service applies the person's change to what
    the link holds now (issue 15); a page without it is refused, never taken for the whole set."""

    seen = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[a-z0-9_]+( [a-z0-9_]+)*$", OUT_OF_DATE)],
    )

    def __init__(self, *args, pidsl: PidSl, role: str, outside: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_services(pidsl, role)
        if outside:
            self.fields["ends_on"] = LinkEndsOnField()

    def clean_seen(self):
        if "seen" not in self.data:
            raise forms.ValidationError(OUT_OF_DATE)
        return set(self.cleaned_data["seen"].split())


class SubordinateForm(ServicesMixin, forms.Form):
    """Add New Subordinate (seeds 004); US-02 says what is required and how it is checked."""

    last_name = NameField(label="Last Name", max_length=150, error_messages=required("Enter the last name."))
    first_name = NameField(label="First Name", max_length=150, error_messages=required("Enter the first name."))
    middle_initial = forms.CharField(
        label="Middle Initial", max_length=1, required=False, validators=[middle_initial_validator]
    )
    birth_date = forms.CharField(
        label="Date of Birth",
        max_length=5,
        validators=[birth_validator],
        help_text="mm/dd - month and day only",
        error_messages=required("Enter the date of birth as mm/dd."),
    )
    pin = forms.CharField(
        label="PIN",
        max_length=4,
        min_length=4,
        validators=[ascii_digits, pin_validator],
        help_text="4 digit number",
        error_messages=required("Enter the person's 4-digit PIN."),
    )
    email = forms.EmailField(label="Email Address", max_length=254, error_messages=required("Enter the email address."))
    zip_code = forms.CharField(
        label="Zip Code", max_length=10, help_text="5 or 9 digits", error_messages=required("Enter the ZIP code.")
    )
    phone = forms.CharField(
        label="Phone",
        max_length=20,
        required=False,
        validators=[RegexValidator(r"^[0-9()+. -]{7,20}$", "Enter a phone number (digits, spaces, + ( ) . -).")],
    )

    def __init__(self, *args, pidsl: PidSl, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_services(pidsl)

    def clean_zip_code(self):
        value = self.cleaned_data["zip_code"].replace("-", "").strip()
        ascii_digits(value)
        zip_validator(value)
        return value

    def clean_birth_date(self):
        month, day = (int(part) for part in self.cleaned_data["birth_date"].split("/"))
        return month, day

    def clean(self):
        data = super().clean()
        one_script_name(self, "last_name", "first_name", "middle_initial")
        return data


class LinkForm(ServicesMixin, forms.Form):
    """Link Subordinate Accounts: find by user ID plus matching last name (LK-01)."""

    username = forms.CharField(label="Username", max_length=150, error_messages=required("Enter the user's Username."))
    last_name = NFCCharField(
        label="Last Name", max_length=150, error_messages=required("Enter the user's last name, to match (LK-01).")
    )
    pidsls = forms.ModelMultipleChoiceField(
        label="Link to these providers",
        queryset=PidSl.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages=required("Choose at least one provider to link the user to."),
    )
    ends_on = LinkEndsOnField()

    def __init__(self, *args, pidsl: PidSl, administered, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_services(pidsl)
        self.fields["pidsls"].queryset = administered
        self.fields["pidsls"].label_from_instance = lambda p: f"{p.code} {p.name}"


class UserChoiceForm(forms.Form):
    username = forms.CharField(
        label="Username", max_length=150, validators=[no_nul], error_messages=required("Enter the user's Username.")
    )


class ChangePrimaryForm(forms.Form):
    """The Existing Provider Modification Data Collection Form, as the portal files it (PU-06)."""

    username = forms.CharField(
        label="User ID of the new Primary User",
        max_length=150,
        validators=[no_nul],
        error_messages=required("Enter the user ID of the new Primary User."),
    )
    reason = forms.CharField(
        label="Reason", max_length=2000, required=False, widget=forms.Textarea, validators=[no_nul]
    )
    old_primary_stays = forms.BooleanField(
        label="The outgoing Primary User stays linked as an ordinary user", required=False, initial=True
    )


def user_named(username: str):
    """The user with this user ID, or None: the services refuse a None the way they refuse a user
    who may not be chosen (LK-03), so a form cannot tell the two apart."""
    return User.objects.filter(username=username.strip()).select_related("home_organization").first()


class ReasonForm(forms.Form):
    """Why a user is deactivated (kept in the audit record, US-06)."""

    reason = forms.CharField(max_length=200, required=False, validators=[no_nul])


class ComplianceActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("appoint", "Make compliance officer"), ("end", "End")],
        error_messages=required("Choose to make the user a compliance officer or to end it."),
    )


class KeepUsersForm(forms.Form):
    """US-09 "Keep these users": the users whose not-signed-in clock restarts (all checked at first)."""

    users = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = choices
        self.fields["users"].error_messages["invalid_choice"] = "That user is not on this list any more."


class OffboardForm(forms.Form):
    """Off-board: the links always end; deactivation when the home organization's administrator asks."""

    deactivate = forms.BooleanField(required=False)
