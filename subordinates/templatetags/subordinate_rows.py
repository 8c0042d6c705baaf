"""The rows of Subordinates Search Results, rendered in Python.

The template engine resolves each `{{ }}` with a chain of lookups; 25 rows of eight of them were
about a third of the busiest page's time (docs/performance.md). Every value is escaped.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def subordinate_rows(accesses, results_url: str, organization_id: int):
    """One <tr> per link: the name (to Update Subordinate), the username, the role and its tags."""
    if not accesses:
        return mark_safe('<tr><td colspan="3">No subordinates match this search.</td></tr>')  # noqa: S308
    base = escape(results_url)
    html = []
    for access in accesses:
        user = access.user
        deactivated = "" if user.is_active else ' <span class="usa-tag posc-tag--warn">deactivated</span>'
        outside = (
            ""
            if user.home_organization_id == organization_id
            else ' <span class="usa-tag">linked from another organization</span>'
        )
        html.append(
            f'<tr><td data-label="Subordinate"><a href="{base}{access.pk}/">'
            f"{escape(user.display_name)}</a>{deactivated}</td>"
            f'<td data-label="Username">{escape(user.username)}</td>'
            f'<td data-label="Role">{escape(access.get_role_display())}{outside}</td></tr>'
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above went through escape()
