"""AR-07's notice on the review page, from the session (audit/reviews/first.py): no query."""

from django import template

from audit.reviews import first

register = template.Library()


@register.simple_tag(takes_context=True)
def review_first_notice(context):
    request = context.get("request")
    return first.notice(request) if request is not None else None
