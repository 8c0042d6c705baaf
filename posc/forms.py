"""What every app's forms share: the checks of typed values and showing a service's refusal."""

import unicodedata

from django import forms
from django.core.validators import RegexValidator

from posc.policy import stale_fields


def no_nul(value: str) -> None:
    # PostgreSQL refuses a NUL byte in text (a 500); nobody types one.
    if "\x00" in value:
        raise forms.ValidationError("Remove the control character.")


birth_validator = RegexValidator(r"^(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])$", "Enter the date of birth as mm/dd.")


# A person's name (US-01, US-02; ASVS 1.2.x/2.2.1, docs/decisions.md "Issue 15: input and output"):
# letters of any script (Unicode L*) with their combining marks (M*), spaces, apostrophes (' ’ ʼ),
# hyphens (- ‐) and periods, starting with a letter, as typed once NFC-normalized (NameField), so
# "José" composed and "José" decomposed are one person to US-01's index. Refused: anything else,
# control and format characters (Cc, Cf: zero-width joiners, the bidi override U+202E), line and
# paragraph separators, digits, symbols; compatibility forms (NFKC would change them: full-width
# "Ｊｏｅ", mathematical "𝐉𝐨𝐞", ligatures); more than 3 marks on one letter; and letters of two scripts
# in one name ("Аlice" with a Cyrillic A), the mixed-script look-alike of Unicode TR 39.
NAME_PUNCTUATION = frozenset(" '\u2019\u02bc-\u2010.")
NAME_MESSAGE = "Use letters, spaces, apostrophes, periods or hyphens."
ONE_SCRIPT_MESSAGE = "Write the whole name in one alphabet: it mixes letters of {scripts}."
_MAX_MARKS = 3
# TR 39's "highly restrictive" level: one script, or Latin with the scripts written together in
# Chinese, Japanese and Korean names.
_SCRIPT_SETS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def _script(char: str) -> str | None:
    """A letter's script from its Unicode name ("CYRILLIC SMALL LETTER A"); None for marks and
    modifier letters, which go with any script (TR 24's Inherited and Common)."""
    if unicodedata.category(char) in ("Lm", "Mn", "Mc", "Me") or char in NAME_PUNCTUATION:
        return None
    word = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return "HAN" if word == "CJK" else word


def name_scripts(*values: str) -> set[str]:
    return {script for value in values for char in value if (script := _script(char))}


def scripts_allowed(scripts: set[str]) -> bool:
    return len(scripts) <= 1 or any(scripts <= allowed for allowed in _SCRIPT_SETS)


def _one_script_message(scripts: set[str]) -> str:
    return ONE_SCRIPT_MESSAGE.format(scripts=" and ".join(script.title() for script in sorted(scripts)))


def name_validator(value: str) -> None:
    if not value:
        return
    if unicodedata.category(value[0])[0] != "L":
        raise forms.ValidationError(NAME_MESSAGE)  # starting with a letter
    marks = 0
    for char in value:
        category = unicodedata.category(char)
        marks = marks + 1 if category[0] == "M" else 0
        if not (category[0] in "LM" or char in NAME_PUNCTUATION) or marks > _MAX_MARKS:
            raise forms.ValidationError(NAME_MESSAGE)
    if unicodedata.normalize("NFKC", value) != value:
        raise forms.ValidationError("Type the letters as plain letters (not full-width, styled or joined).")
    scripts = name_scripts(value)
    if not scripts_allowed(scripts):
        raise forms.ValidationError(_one_script_message(scripts))


class NFCCharField(forms.CharField):
    """Text as one spelling: NFC, so a search or lookup by name finds the name however typed."""

    def to_python(self, value):
        value = super().to_python(value)
        return unicodedata.normalize("NFC", value) if value else value


class NameField(NFCCharField):
    """A person's first or last name (US-02)."""

    default_validators = [name_validator]


def one_script_name(form: forms.Form, *fields: str) -> None:
    """A person's names together are in one script too (TR 39): a Latin first name with a Cyrillic
    look-alike last name is how a second user ID for the same person would slip past US-01."""
    values = [form.cleaned_data.get(name) or "" for name in fields]
    scripts = name_scripts(*values)
    if not scripts_allowed(scripts):
        form.add_error(fields[0], _one_script_message(scripts))


def ascii_digits(value: str) -> None:
    """`\\d` in the shared validators also matches other scripts' digits ("１２３４"). A PIN, ZIP code
    or Provider ID stored so looks like another and slips past US-01's one-ID-per-person index."""
    if any(ch.isdigit() and not ch.isascii() for ch in value):
        raise forms.ValidationError("Use the digits 0-9.")


def required(message: str, **others: str) -> dict[str, str]:
    """A field's ``error_messages`` saying what to do when it is left empty. Django's own "This field
    is required." names no field: in the error summary, seven of them said nothing (issue 18)."""
    return {"required": message, **others}


def say_required(form: forms.BaseForm, **messages: str) -> None:
    """The same for the fields of a form Django declares (sign-in, change password)."""
    for name, message in messages.items():
        form.fields[name].error_messages = {**form.fields[name].error_messages, "required": message}


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
