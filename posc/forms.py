"""What every app's forms share: the checks of typed values and showing a service's refusal."""

from django import forms
from django.core.validators import RegexValidator

from posc.policy import stale_fields


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


class SeenFieldsMixin:
    """Issue 15, for a form that edits a shared row: each field carries, hidden, the value the page
    showed (Django's show_hidden_initial), so ``changed_data`` is what the person changed and
    ``seen()`` what they saw. ``self.initial`` must be the row as it is now, read under its lock:
    a field the person changed that someone else changed first is then shown with an error and
    its present value (the hidden value becomes it, so Save again means "yes, replace it")."""

    conflict_message = (
        "Changed by someone else since you opened this page; it now holds “%(now)s”. Save again to replace it."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.show_hidden_initial = True

    def seen(self) -> dict:
        """What the page showed of each field; a field posted without its hidden value is left out."""
        shown = {}
        for name, field in self.fields.items():
            key = self[name].html_initial_name
            if key in self.data:
                try:
                    shown[name] = field.to_python(self.data.get(key))
                except forms.ValidationError:
                    continue
        return shown

    def clean(self):
        cleaned = super().clean()
        changes = {name: cleaned[name] for name in self.changed_data if name in cleaned}
        stale = stale_fields({name: self.initial.get(name) for name in changes}, changes, self.seen())
        if stale:
            self.data = self.data.copy()
            for name in stale:
                self.add_error(name, self.conflict_message % {"now": self.initial[name]})
                self.data[self[name].html_initial_name] = self.initial[name]
        return cleaned
