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
