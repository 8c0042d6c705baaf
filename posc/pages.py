"""Template tags for paged lists: the numbered links of USWDS pagination (includes/pagination.html)."""

from django import template

register = template.Library()


@register.simple_tag
def page_numbers(page) -> list:
    """The page numbers to link around the current page, with Paginator.ELLIPSIS where some are
    left out (1 … 4 5 [6] 7 8 … 40): a person can jump to the last page or near the one they need."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
