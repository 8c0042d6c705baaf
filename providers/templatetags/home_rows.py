"""The rows of the Home page's provider table, rendered in Python.

A billing user sees 25 PID/SLs a page, each with its services and two contacts: about 600
template lookups a page, most of the page's time (docs/performance.md). Every value is escaped.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

CONTACT_LABELS = ("Primary User", "Backup Primary User")


def _contact(admin, label: str) -> str:
    # data-label: on a phone the stacked cell says whose contact it is (Primary User or backup).
    if admin is None:
        return f'<td data-label="{label}"><span class="usa-tag posc-tag--warn">None assigned</span></td>'
    parts = [f'<td data-label="{label}">{escape(admin.first_name)} {escape(admin.last_name)}']
    if not admin.is_active:
        parts.append(' <span class="usa-tag posc-tag--warn">deactivated</span>')
    if admin.email:
        email = escape(admin.email)
        parts.append(f'<br><a href="mailto:{email}">{email}</a>')
    if admin.phone:
        parts.append(f"<br>{escape(admin.phone)}")
    parts.append("</td>")
    return "".join(parts)


@register.simple_tag
def home_rows(rows):
    """One <tr> per (access, service labels, [primary, backup]): the PID/SL, role and services, contacts."""
    html = []
    for access, labels, contacts in rows:
        pidsl = access.pidsl
        services = "".join(f"<li>{escape(label)}</li>" for label in labels)
        html.append(
            f'<tr><td data-label="Provider ID / Service Location"><strong>'
            f"{escape(pidsl.code)}</strong><br>{escape(pidsl.name)}<br>"
            f'<span class="muted">{escape(pidsl.organization.name)}</span></td>'
            f'<td data-label="Your role and services"><span class="usa-tag">{escape(access.get_role_display())}</span>'
            f'<ul class="plain">{services}</ul></td>'
            f"{''.join(_contact(admin, label) for admin, label in zip(contacts, CONTACT_LABELS, strict=True))}</tr>"
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above went through escape()
