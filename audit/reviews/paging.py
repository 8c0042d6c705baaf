"""The review page's rows at any size: paged by the kept counts, never by counting the items.

A large organization's review holds a million items. Counting them (the progress, the rows the
reader decides, the paginator's page count) and sorting them for a page took seconds on every
load. Here the kept counts (ReviewCount: items and items still to decide per PID/SL and
recommendation, a few hundred rows) say how many rows each PID/SL contributes, so a page is found
by walking the PID/SLs in code order, and each PID/SL's share is read from its index
(review_item_pidsl_pending: still to decide first, then by decision, each in link order): a
handful of statements, whatever the review's size. The rows the reader may not decide are left
out as authority says (AR-02, AR-05: their administered PID/SLs, never their own item), so the
counts shown are the rows shown.
"""

from django.db.models import Count, Q, Sum

from providers.models import Access

from ..models import ReviewCount, ReviewItem


class ReviewRows:
    """A review's rows under the page's filters, as a lazy sequence Django's Paginator pages:
    ``count()`` comes from the kept counts, a slice reads only the PID/SLs it covers.

    ``allowed`` is the set of PID/SL ids whose rows the reader decides (None: every PID/SL, as for
    MassHealth staff); ``exclude_user`` is the reader whose own rows are not theirs to decide
    (AR-05). ``others`` is how many rows the filters match that are left out that way."""

    def __init__(self, review, *, pending: bool, pidsl_id=None, recommendation="", allowed=None, exclude_user=None):
        self.review = review
        self.filters = Q(review=review)
        counts = ReviewCount.objects.filter(review=review)
        if pending:
            self.filters &= Q(decision="")
        if pidsl_id is not None:
            self.filters &= Q(pidsl_id=pidsl_id)
            counts = counts.filter(pidsl_id=pidsl_id)
        if recommendation:
            self.filters &= Q(recommendation=recommendation)
            counts = counts.filter(recommendation=recommendation)
        per_pidsl = (
            counts.values("pidsl_id")
            .annotate(n=Sum("pending" if pending else "total"))
            .order_by("pidsl__provider_id", "pidsl__service_location")
            .values_list("pidsl_id", "n")
        )
        spans = [(pk, n) for pk, n in per_pidsl if n]
        every = sum(n for _, n in spans)
        if allowed is not None:
            spans = [(pk, n) for pk, n in spans if pk in allowed]
        self.exclude_user = exclude_user
        if exclude_user is not None and spans:
            # The reader's own rows (AR-05): found through their links, each an index lookup on the
            # review's (review, access) constraint, not a scan of the review for their user id.
            theirs = Access.objects.filter(user_id=exclude_user).values("pk")
            own = dict(
                ReviewItem.objects.filter(self.filters, access_id__in=theirs)
                .values("pidsl_id")
                .annotate(n=Count("pk"))
                .order_by()
                .values_list("pidsl_id", "n")
            )
            spans = [(pk, n - own.get(pk, 0)) for pk, n in spans if n - own.get(pk, 0) > 0]
        self.spans = spans
        self.total = sum(n for _, n in spans)
        self.others = every - self.total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("ReviewRows is read a page (a slice) at a time")
        start, stop = index.start or 0, min(index.stop if index.stop is not None else self.total, self.total)
        parts, seen = [], 0
        for pidsl_id, n in self.spans:
            if seen >= stop:
                break
            if seen + n > start:
                offset = max(start - seen, 0)
                limit = min(n, stop - seen) - offset
                rows = ReviewItem.objects.filter(self.filters, pidsl_id=pidsl_id)
                if self.exclude_user is not None:
                    rows = rows.exclude(user_id=self.exclude_user)
                # The index's order: still to decide first, then by decision, each in link order.
                parts.append(rows.order_by("decision", "access_id")[offset : offset + limit])
            seen += n
        related = ("user", "pidsl", "decided_by")
        if len(parts) < 2:  # the usual page, inside one PID/SL: one statement
            return [item for part in parts for item in part.select_related(*related)]
        ids = (
            parts[0].values_list("pk", flat=True).union(*(p.values_list("pk", flat=True) for p in parts[1:]), all=True)
        )
        rows = ReviewItem.objects.filter(pk__in=list(ids)).select_related(*related)
        # UNION ALL promises no order across its parts: the page's order is put back here.
        place = {pk: i for i, (pk, _) in enumerate(self.spans)}
        return sorted(rows, key=lambda item: (place[item.pidsl_id], item.decision, item.access_id))


def progress(review) -> dict:
    """How many of the review's items are decided, from the kept counts."""
    counts = ReviewCount.objects.filter(review=review).aggregate(total=Sum("total"), pending=Sum("pending"))
    total, pending = counts["total"] or 0, counts["pending"] or 0
    return {"total": total, "pending": pending, "decided": total - pending}
