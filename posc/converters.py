"""URL path converters: a URL segment that names a PID/SL must have a PID/SL code's shape.

ASVS 1.2.x / 2.2.1 (input validated where it enters): a Provider ID is 9 digits 0-9 and a Service
Location one capital letter (providers.models' validators). Any other segment (a NUL byte, "１２３",
a 10 kB string) matches no URL, so it is a 404 before a view or the database sees it: a NUL
reached PostgreSQL, which refuses NUL in text, and was a 500 (issue 15).
"""

from django.urls import register_converter
from django.urls.converters import get_converters


class PidSlCodeConverter:
    regex = "[0-9]{9}[A-Z]"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def register() -> None:
    """Called by each URL module that uses ``<pidsl:...>``; registers once (Django warns on a second)."""
    if "pidsl" not in get_converters():
        register_converter(PidSlCodeConverter, "pidsl")
