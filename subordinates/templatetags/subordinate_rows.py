"""The rows of Subordinates Search Results, rendered in Python.

The template engine resolves each `{{ }}` with a chain of lookups; 25 rows of eight of them were
about a third of the busiest page's time (docs/performance.md). format_html escapes every value.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

ROW = (
    '<tr><td><a href="{}{}/">{}</a>{}</td>'
    "<td>{}</td>"
    "<td>{}{}</td></tr>"
)
DEACTIVATED = mark_safe(' <span class="tag tag--warn">deactivated</span>')  # noqa: S308 - a constant
OUTSIDE = mark_safe(' <span class="tag">linked from another organization</span>')  # noqa: S308 - a constant


@register.simple_tag
def subordinate_rows(accesses, results_url: str, organization_id: int):
    """One <tr> per link: the name (to Update Subordinate), the username, the role and its tags."""
    if not accesses:
        return format_html('<tr><td colspan="3">{}</td></tr>', "No subordinates match this search.")
    return format_html_join(
        "",
        ROW,
        (
            (
                results_url,
                access.pk,
                access.user.display_name,
                "" if access.user.is_active else DEACTIVATED,
                access.user.username,
                access.get_role_display(),
                "" if access.user.home_organization_id == organization_id else OUTSIDE,
            )
            for access in accesses
        ),
    )
