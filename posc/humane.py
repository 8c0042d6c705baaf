"""Template filters that put machine values into people's words (a builtin library)."""

import math
from datetime import timedelta

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def duration_words(value) -> str:
    """A timedelta in words: "45 seconds", "15 minutes", "1 hour 30 minutes" (not ISO 8601's
    "PT15M"). Rounded up: a wait shown as shorter than it is would only be refused again."""
    if not isinstance(value, timedelta):
        return ""
    seconds = max(1, math.ceil(value.total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


@register.filter
def eastern(value) -> str:
    """A moment as people here read it: Eastern time with the zone shown ("12/02/2026 01:30 EST")."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%m/%d/%Y %H:%M %Z")
