"""The rows of the Home page's provider table, rendered in Python.

A billing user sees 25 PID/SLs a page, each with its services and two contacts: about 600
template lookups a page, most of the page's time (docs/performance.md). Every value is escaped.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


def _contact(admin) -> str:
    if admin is None:
        return '<td><span class="tag tag--warn">None assigned</span></td>'
    parts = [f"<td>{escape(admin.first_name)} {escape(admin.last_name)}"]
    if not admin.is_active:
        parts.append(' <span class="tag tag--warn">deactivated</span>')
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
            f"<tr><td><strong>{escape(pidsl.code)}</strong><br>{escape(pidsl.name)}<br>"
            f'<span class="muted">{escape(pidsl.organization.name)}</span></td>'
            f'<td><span class="tag">{escape(access.get_role_display())}</span>'
            f'<ul class="plain">{services}</ul></td>'
            f"{''.join(_contact(admin) for admin in contacts)}</tr>"
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above went through escape()
