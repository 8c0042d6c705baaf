from datetime import date

from django import forms
from django.core.validators import RegexValidator

from accounts.models import pin_validator, zip_validator
from posc.forms import NameField, NFCCharField, ascii_digits, birth_validator, no_nul, one_script_name, required

from .models import BroadcastMessage, Organization, PidSl


def pidsl_code_field(**kwargs) -> forms.CharField:
    """A Provider ID/Service Location as printed on the PIN letter: 9 digits and a letter."""
    return forms.CharField(
        label="Provider ID/Service Location",
        max_length=10,
        validators=[
            ascii_digits,
            RegexValidator(r"^\d{9}[A-Za-z]$", "Enter 9 digits and a letter, as on your letter."),
        ],
        error_messages=required("Enter the Provider ID/Service Location: 9 digits and a letter."),
        **kwargs,
    )


# A hidden field a page always sends, missing: the page was not the one the portal drew.
OUT_OF_DATE = "This page is out of date: open it again, then decide."


class DesigneeFields(forms.Form):
    """The person the approved Data Collection Form names as the Primary User (PU-01, PU-08)."""

    designee_first_name = NameField(
        label="Primary User first name", max_length=150, error_messages=required("Enter the Primary User's first name.")
    )
    designee_last_name = NameField(
        label="Primary User last name", max_length=150, error_messages=required("Enter the Primary User's last name.")
    )
    designee_email = forms.EmailField(
        label="Primary User email", error_messages=required("Enter the Primary User's email address.")
    )
    designee_phone = forms.CharField(label="Primary User phone", max_length=20, required=False)

    def clean(self):
        data = super().clean()
        one_script_name(self, "designee_last_name", "designee_first_name")
        return data


class NewPidSlFields(forms.Form):
    provider_id = forms.CharField(
        label="Provider ID",
        max_length=9,
        validators=[ascii_digits, RegexValidator(r"^\d{9}$", "The Provider ID is 9 digits.")],
        error_messages=required("Enter the 9-digit Provider ID."),
    )
    service_location = forms.CharField(
        label="Service Location",
        max_length=1,
        validators=[RegexValidator(r"^[A-Za-z]$", "The service location is one letter.")],
        error_messages=required("Enter the service location's letter."),
    )
    pidsl_name = forms.CharField(
        label="Service location name", max_length=200, error_messages=required("Enter the service location's name.")
    )
    street = forms.CharField(label="Street", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100, required=False)
    zip_code = forms.CharField(label="ZIP Code", max_length=10, required=False)

    def clean_service_location(self):
        return self.cleaned_data["service_location"].upper()

    def clean(self):
        data = super().clean()
        # The service refuses a taken code too, but above the form; here it shows at the field.
        code = (data.get("provider_id"), data.get("service_location"))
        if all(code) and PidSl.objects.filter(provider_id=code[0], service_location=code[1]).exists():
            self.add_error("provider_id", f"{''.join(code)} is already enrolled.")
        return data

    def clean_zip_code(self):
        value = self.cleaned_data["zip_code"].replace("-", "")
        if value:
            ascii_digits(value)
            zip_validator(value)
        return value


class PidSlFields(DesigneeFields, NewPidSlFields):
    """A new PID/SL, then the person named on its approved Data Collection Form."""


class EnrollForm(PidSlFields):
    """Enroll an organization with its first PID/SL and the approved Data Collection Form."""

    name = forms.CharField(
        label="Organization name", max_length=200, error_messages=required("Enter the organization's name.")
    )
    kind = forms.ChoiceField(
        label="Kind", choices=Organization.Kind.choices, error_messages=required("Choose the kind of organization.")
    )
    is_long_term_care = forms.BooleanField(label="Long-term care (MMQ)", required=False)
    is_pace = forms.BooleanField(label="PACE", required=False)
    is_sco = forms.BooleanField(label="SCO", required=False)

    field_order = ["name", "kind", "is_long_term_care", "is_pace", "is_sco"]

    def clean_name(self):
        name = self.cleaned_data["name"]
        if Organization.objects.filter(name=name).exists():
            raise forms.ValidationError(f"{name} is already enrolled; add a PID/SL to it instead.")
        return name


class AddPidSlForm(PidSlFields):
    organization = forms.ModelChoiceField(
        label="Organization",
        queryset=Organization.objects.order_by("name"),
        error_messages=required("Choose the organization the PID/SL belongs to."),
    )
    field_order = ["organization"]


class ClaimLetterForm(forms.Form):
    """Register a PIN letter on the user ID one has (PU-08, US-01)."""

    pidsl = pidsl_code_field(help_text="9 digits and a letter, as on your letter (e.g. 110000001A).")
    registration_pin = forms.CharField(
        label="Registration PIN",
        max_length=20,
        help_text="From your PIN letter.",
        error_messages=required("Enter the Registration PIN from your PIN letter."),
    )


class IdentityFields(forms.Form):
    """Who a person is on the POSC (US-01's identity): name, date of birth (mm/dd, a real day of
    the year) and their own 4-digit PIN. Subclasses place these with ``field_order``."""

    first_name = NameField(label="First Name", max_length=150, error_messages=required("Enter your first name."))
    last_name = NameField(label="Last Name", max_length=150, error_messages=required("Enter your last name."))
    birth_date = forms.CharField(
        label="Date of Birth",
        max_length=5,
        validators=[birth_validator],
        help_text="mm/dd - month and day only",
        error_messages=required("Enter your date of birth as mm/dd."),
    )
    pin = forms.CharField(
        label="PIN",
        max_length=4,
        min_length=4,
        validators=[ascii_digits, pin_validator],
        help_text="Your own 4 digit number",
        error_messages=required("Enter your own 4-digit PIN."),
    )

    def clean_birth_date(self):
        # US-02: a real month/day (02/30 passes the mm/dd pattern, not the calendar).
        value = self.cleaned_data["birth_date"]
        month, day = (int(x) for x in value.split("/"))
        try:
            date(2000, month, day)
        except ValueError:
            raise forms.ValidationError("Enter a real date of birth as mm/dd. (US-02)") from None
        return value

    def birth_month_day(self) -> tuple[int, int]:
        month, day = (int(x) for x in self.cleaned_data["birth_date"].split("/"))
        return month, day


class RegistrationForm(IdentityFields):
    """Register on the POSC with the PIN letter (seeds 001)."""

    field_order = ["pidsl", "registration_pin", "first_name", "last_name", "birth_date", "pin"]

    pidsl = pidsl_code_field(help_text="9 digits and a letter, as on your letter (e.g. 110000001A).")
    registration_pin = forms.CharField(
        label="Registration PIN",
        max_length=20,
        help_text="From your PIN letter.",
        error_messages=required("Enter the Registration PIN from your PIN letter."),
    )
    email = forms.EmailField(label="Email Address", error_messages=required("Enter your email address."))
    zip_code = forms.CharField(label="Zip Code", max_length=10, error_messages=required("Enter your ZIP code."))
    phone = forms.CharField(label="Phone", max_length=20, required=False)
    username = forms.CharField(
        label="Choose a user ID",
        max_length=30,
        validators=[RegexValidator(r"^[A-Za-z0-9._-]{4,30}$", "4 to 30 letters, digits, dots, dashes or underscores.")],
        error_messages=required("Choose a user ID: 4 to 30 letters, digits, dots, dashes or underscores."),
    )
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput, max_length=256, error_messages=required("Choose a password.")
    )
    password2 = forms.CharField(
        label="Password again",
        widget=forms.PasswordInput,
        max_length=256,
        error_messages=required("Enter the password again."),
    )

    def clean_zip_code(self):
        value = self.cleaned_data["zip_code"].replace("-", "")
        ascii_digits(value)
        zip_validator(value)
        return value

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        one_script_name(self, "last_name", "first_name")
        return data


class LetterForm(DesigneeFields):
    """A new PIN letter for an enrolled PID/SL without a Primary User (PU-08): the person named on
    the approved Data Collection Form, again or anew. The old letter stops working."""

    pidsl = pidsl_code_field(help_text="9 digits and a letter (e.g. 110000001A).")
    field_order = ["pidsl"]

    def clean_pidsl(self):
        code = self.cleaned_data["pidsl"].upper()
        pidsl = (
            PidSl.objects.filter(provider_id=code[:9], service_location=code[9:]).select_related("organization").first()
        )
        if pidsl is None:
            raise forms.ValidationError(f"No PID/SL {code} is enrolled. Check the code, or enroll it first.")
        return pidsl


class BroadcastForm(forms.ModelForm):
    class Meta:
        model = BroadcastMessage
        fields = ["subject", "priority", "body"]
        error_messages = {
            "subject": required("Enter the message's subject."),
            "priority": required("Choose the message's priority."),
            "body": required("Enter the message."),
        }


class UserSearchForm(forms.Form):
    q = NFCCharField(
        label="User ID or last name", max_length=150, error_messages=required("Enter a user ID or a last name.")
    )


class ChangeDecisionForm(forms.Form):
    """Approve or reject a Primary User change request (PU-06)."""

    request_id = forms.IntegerField(min_value=1, error_messages=required(OUT_OF_DATE))
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")], error_messages=required("Choose Approve or Reject.")
    )
    note = forms.CharField(max_length=500, required=False, validators=[no_nul])


class UserActionForm(forms.Form):
    """What agency staff do to a user from Users (US-05, US-06, AU-01)."""

    action = forms.ChoiceField(
        choices=[
            ("reset", "Reset password"),
            ("deactivate", "Deactivate"),
            ("reactivate", "Reactivate"),
            ("compliance", "Make compliance officer"),
        ],
        error_messages=required("Choose what to do to the user."),
    )


class RecoveryForm(IdentityFields):
    """PU-08, from the sign-in page: who the Primary User is and how MassHealth reaches them."""

    field_order = ["pidsl", "first_name", "last_name", "birth_date", "pin", "contact"]

    pidsl = pidsl_code_field(help_text="9 digits and a letter, the PID/SL you are Primary User of (e.g. 110000001A).")
    contact = NFCCharField(
        label="How MassHealth can reach you",
        max_length=200,
        validators=[no_nul],
        help_text="A phone number or email address; MassHealth calls the organization to confirm before acting.",
        error_messages=required("Enter a phone number or email address where MassHealth can reach you."),
    )


class RecoveryDecisionForm(forms.Form):
    """Agency staff decide a recovery request (PU-08)."""

    request_id = forms.IntegerField(min_value=1, error_messages=required(OUT_OF_DATE))
    decision = forms.ChoiceField(
        choices=[("reset", "Reset the password"), ("letter", "Issue a new PIN letter"), ("decline", "Decline")],
        error_messages=required("Choose a decision: reset the password, a new PIN letter, or decline."),
    )
    note = forms.CharField(label="Note", max_length=500, required=False, validators=[no_nul])
    designee_first_name = NameField(label="Replacement's first name", max_length=150, required=False)
    designee_last_name = NameField(label="Replacement's last name", max_length=150, required=False)
    designee_email = forms.EmailField(label="Replacement's email", required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "letter":
            for name in ("designee_first_name", "designee_last_name", "designee_email"):
                if not data.get(name):
                    self.add_error(name, "Needed to issue the letter: the person who will register as Primary User.")
        return data


class OrganizationSearchForm(forms.Form):
    q = NFCCharField(
        label="Organization name", max_length=200, error_messages=required("Enter part of the organization's name.")
    )


class ProviderTypeForm(forms.Form):
    """SV-06: the organization's provider traits, which decide what may be granted (SV-02)."""

    is_long_term_care = forms.BooleanField(label="Long-term care provider (Manage MMQ)", required=False)
    is_pace = forms.BooleanField(label="PACE provider (Manage SCO and PACE Members)", required=False)
    is_sco = forms.BooleanField(label="SCO provider (Manage SCO and PACE Members)", required=False)
    confirm = forms.BooleanField(
        label="I understand that services no longer grantable are removed from every user at once.",
        error_messages={"required": "Confirm that the services no longer grantable are removed at once (SV-06)."},
    )
