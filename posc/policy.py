"""How the domain layer refuses: one exception that names the POLICY.md rule.

PolicyViolation is a ValidationError, so a form that calls a service shows the
refusal next to the field (or at the top) without any translation layer.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class PolicyViolation(ValidationError):
    def __init__(self, rule: str, message: str, *, field: str | None = None):
        self.rule = rule
        self.field = field
        super().__init__(f"{message} ({rule})", code=rule)


class NotAuthorized(PolicyViolation):
    """The actor may not do this at all (ASVS 8.2.2); views turn it into 403/404."""

    def __init__(self, message: str, *, rule: str = "AUTHZ"):
        super().__init__(rule, message)


class Conflict(PolicyViolation):
    """What the form was filled in on changed since the page was opened (issue 15: two
    administrators at once). Nothing was changed; the message says what holds now. Views
    answer 409 Conflict."""


def stale_fields(current: dict, changes: dict, seen: dict) -> list[str]:
    """Issue 15: the fields the person changed that someone else had changed (to another value)
    since the page showed them. Saving them would silently undo that change; the fields the person
    left alone are not in ``changes`` and keep whatever they hold now."""
    return [name for name, value in changes.items() if name in seen and current[name] not in (seen[name], value)]


def check_seen(obj, changes: dict, seen: dict | None, *, rule: str, what: str) -> None:
    """Refuse (Conflict) a change to a field of ``obj`` that someone else changed since the page
    showed it; the caller holds the row's lock. ``seen`` None: the caller showed nothing."""
    stale = stale_fields({name: getattr(obj, name) for name in changes}, changes, seen or {})
    if stale:
        now = "; ".join(f"{obj._meta.get_field(name).verbose_name}: “{getattr(obj, name)}”" for name in stale)
        raise Conflict(
            rule,
            _("%(what)s was changed by someone else since you opened this page. It now holds %(now)s.")
            % {"what": what, "now": now},
            field=stale[0],
        )
