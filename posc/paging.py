"""A paginator whose count stops at a cap (the agency's whole audit trail is 5,000,000 records).

Counting every record a filter matches is the cost of the page when the filter matches millions:
the agency's unfiltered trail paid about 0.5 s a load for it. Past the cap the page says "more
than N" and pages up to it; whoever needs an older record narrows the dates, the person, the
PID/SL or the action, which the trail's indexes answer.
"""

from functools import cached_property

from django.core.paginator import Paginator

TRAIL_COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Paginator over a QuerySet, counting at most ``cap`` rows (one bounded index scan);
    ``capped`` says whether there are more."""

    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = TRAIL_COUNT_CAP if cap is None else cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        seen = self.object_list.values("pk")[: self.cap + 1].count()
        self.capped = seen > self.cap
        return min(seen, self.cap)
