"""What every app's forms share: the checks of typed values and showing a service's refusal."""

from django import forms
from django.core.validators import RegexValidator


def no_nul(value: str) -> None:
    # PostgreSQL refuses a NUL byte in text (a 500); nobody types one.
    if "\x00" in value:
        raise forms.ValidationError("Remove the control character.")


birth_validator = RegexValidator(r"^(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])$", "Enter the date of birth as mm/dd.")
name_validator = RegexValidator(r"^[A-Za-z][A-Za-z' .-]*$", "Use letters, spaces, apostrophes, periods or hyphens.")


def ascii_digits(value: str) -> None:
    """`\\d` in the shared validators also matches other scripts' digits ("１２３４"). A PIN, ZIP code
    or Provider ID stored so looks like another and slips past US-01's one-ID-per-person index."""
    if any(ch.isdigit() and not ch.isascii() for ch in value):
        raise forms.ValidationError("Use the digits 0-9.")


def apply_violation(form: forms.Form, exc) -> None:
    """Show a service's refusal next to the field it concerns, or above the form."""
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, exc.messages[0])
