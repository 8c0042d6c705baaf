"""How a form field is drawn: the design system's classes, and the hint and errors tied to the input.

`{% field_widget field %}` renders the input with USWDS's class for its kind and an
aria-describedby naming exactly the hint and error ids that includes/field.html writes (one id per
error, so a field with two errors repeats none). Django's own aria-describedby points at
"<id>_helptext", an id our templates never wrote; this is the one place both ids are made.
"""

from django import template

register = template.Library()

_CLASSES = {"select": "usa-select", "textarea": "usa-textarea", "checkbox": "usa-checkbox__input"}


def hint_id(field) -> str:
    return f"{field.auto_id}_hint"


def error_ids(field) -> list[str]:
    return [f"{field.auto_id}_error{n}" for n in range(1, len(field.errors) + 1)]


def _kind(widget) -> str:
    if getattr(widget, "input_type", None) == "checkbox":
        return "checkbox"
    if getattr(widget, "allow_multiple_selected", False) or widget.__class__.__name__.endswith("Select"):
        return "select"
    if widget.__class__.__name__ == "Textarea":
        return "textarea"
    return "input"


@register.filter
def described_by(field) -> str:
    """The ids an input drawn by hand (a checkbox in a table row) names in its aria-describedby."""
    return " ".join(([hint_id(field)] if field.help_text else []) + error_ids(field))


@register.simple_tag
def field_widget(field, **extra):
    widget = field.field.widget
    kind = _kind(widget)
    classes = [widget.attrs.get("class", ""), _CLASSES.get(kind, "usa-input")]
    if field.errors and kind != "checkbox":
        classes.append(f"{_CLASSES.get(kind, 'usa-input')}--error")
    described = described_by(field)
    attrs = {"class": " ".join(c for c in classes if c), **extra}
    if described:
        attrs["aria-describedby"] = described
    return field.as_widget(attrs=attrs)


@register.filter
def field_error_ids(field) -> list[str]:
    return list(zip(error_ids(field), field.errors, strict=True))
