"""How the domain layer refuses: one exception that names the POLICY.md rule.

PolicyViolation is a ValidationError, so a form that calls a service shows the
refusal next to the field (or at the top) without any translation layer.
"""

from django.core.exceptions import ValidationError


class PolicyViolation(ValidationError):
    def __init__(self, rule: str, message: str, *, field: str | None = None):
        self.rule = rule
        self.field = field
        super().__init__(f"{message} ({rule})", code=rule)


class NotAuthorized(PolicyViolation):
    """The actor may not do this at all (ASVS 8.2.2); views turn it into 403/404."""

    def __init__(self, message: str, *, rule: str = "AUTHZ"):
        super().__init__(rule, message)
