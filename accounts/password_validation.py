"""Password rules beyond Django's own (NIST SP 800-63B-4 §3.1.1; ASVS 6.2.1, 6.2.4, 6.2.9, 6.2.12).

Length over composition: no character-class rules, no expiry. Every refusal says why.
"""

import gzip
import unicodedata
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

SHIPPED_LIST = Path(__file__).resolve().parent / "data" / "breached_passwords.txt.gz"


class MaximumLengthValidator:
    """Accept long passphrases (63B-4: at least 64) but refuse absurd input that only costs hashing time."""

    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(unicodedata.normalize("NFC", password)) > self.max_length:
            raise ValidationError(
                f"This password is longer than {self.max_length} characters.", code="password_too_long"
            )

    def get_help_text(self):
        return f"Your password can be up to {self.max_length} characters long; spaces are allowed."


@cache
def _breached() -> frozenset[str]:
    path = getattr(settings, "POSC_BREACHED_PASSWORDS_FILE", "") or SHIPPED_LIST
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


class BreachedPasswordValidator:
    """Refuse passwords known from breaches, from a list shipped with the project (no network call)."""

    def validate(self, password, user=None):
        if unicodedata.normalize("NFC", password).strip().lower() in _breached():
            raise ValidationError(
                "This password appears in lists of passwords exposed in data breaches. Choose another.",
                code="password_breached",
            )

    def get_help_text(self):
        return "Your password can't be one that has appeared in a data breach."


# Words everyone tries for this portal (NIST SP 800-63B-4 §3.1.1.2: "context-specific words").
PORTAL_WORDS = ("masshealth", "posc", "provider online service", "mmis")


def _folded(text: str) -> str:
    """Lower case, letters and digits only: "Mass-Health" and "masshealth" are one word."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _context_words(user) -> list[str]:
    words = list(PORTAL_WORDS)
    if user is not None:
        words += [user.username, user.first_name, user.last_name, (user.email or "").split("@")[0]]
        # The organization's whole name and its first word ("Eddy's"), not every word of it: refusing
        # "group" or "center" in everyone's passphrase would help no one.
        organization = getattr(user, "organization_name", "")
        words += [organization, *organization.split()[:1]]
    return [w for w in (_folded(w) for w in words) if len(w) >= 4]


class ContextWordsValidator:
    """Refuse a password built on the user's own words or the portal's (NIST SP 800-63B-4 §3.1.1.2;
    ASVS 6.2.11): the user ID, names, email name, organization, "MassHealth", "POSC"."""

    def validate(self, password, user=None):
        folded = _folded(password)
        found = next((w for w in _context_words(user) if w in folded), None)
        if found is not None:
            raise ValidationError(
                "This password contains your user ID, your name, your organization or the portal's name. "
                "Choose words nobody would link to you.",
                code="password_context",
            )

    def get_help_text(self):
        return 'Your password can\'t contain your user ID, name, organization, "MassHealth" or "POSC".'


class NotCurrentPasswordValidator:
    """A change must change it (NIST SP 800-63B-4 §3.1.1.2): the current password is refused."""

    def validate(self, password, user=None):
        if user is not None and user.pk and user.has_usable_password() and user.check_password(password):
            raise ValidationError("This is your current password. Choose a new one.", code="password_unchanged")

    def get_help_text(self):
        return "Your new password must differ from your current one."


class StrengthValidator:
    """Refuse passwords a guesser finds quickly, by zxcvbn's estimate (its dictionaries of common
    passwords, names and words, and its patterns: repeats, sequences, keyboard walks, dates).
    Length is the rule (15 characters); this only refuses what is long yet predictable, such as
    fifteen spaces or "bbbbbbbbbbbbbbb" (NIST SP 800-63B-4 §3.1.1.2 blocklist; no composition rules)."""

    def __init__(self, min_score: int = 3):
        self.min_score = min_score

    def validate(self, password, user=None):
        from zxcvbn import zxcvbn

        # zxcvbn refuses more than 72 characters (its cost grows with length): judge the first 72.
        # A longer passphrase is at least as strong as its beginning, so nothing weak gets through.
        estimate = zxcvbn(password[:72], user_inputs=_context_words(user))
        if estimate["score"] < self.min_score:
            hint = estimate["feedback"]["warning"] or "It follows a pattern that is easy to guess."
            raise ValidationError(
                f"This password is too easy to guess. {hint} A few unrelated words make a strong one.",
                code="password_weak",
            )

    def get_help_text(self):
        return "Your password can't be easy to guess: a few unrelated words make a strong one."
