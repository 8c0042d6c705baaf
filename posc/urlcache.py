"""URLs reversed once per process.

Every page reverses the same few URLs (the layout's, the account gate's, a PID/SL's actions) at
tens of microseconds each: about a tenth of a Subordinates Search Results request. The answers
are remembered per URL configuration and script prefix, so a test that swaps either gets fresh
ones. Templates use ``{% cached_url %}`` (a builtin tag, see TEMPLATES) as they would ``{% url %}``.
Kept for the bench row "Subordinates Search Results, 20,000 subordinates" (>= 0.10 x the framework
floor), at its edge; Django's ``{% url %}`` would cost that page about a tenth of its time.
"""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=4096)
def _reversed(urlconf: str, prefix: str, name: str, args: tuple, kwargs: tuple) -> str:
    return reverse(name, urlconf=urlconf, args=args, kwargs=dict(kwargs))


def cached_reverse(name: str, *args, **kwargs) -> str:
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reversed(urlconf, get_script_prefix(), name, args, tuple(sorted(kwargs.items())))


register = template.Library()


@register.simple_tag
def cached_url(name: str, *args, **kwargs) -> str:
    return cached_reverse(name, *args, **kwargs)
