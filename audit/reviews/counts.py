"""The kept review counts (ReviewCount) against the items they count.

The database keeps them in the statement that writes the items (migration 0021's trigger); this
module recounts them from the items to prove it, and puts them right if anything ever wrote items
with the trigger disabled (a restore, a manual repair). The nightly compliance job reports drift.
"""

import logging

from django.db import connection, transaction

logger = logging.getLogger(__name__)

_RECOUNT = """
WITH counted AS (
    SELECT review_id, pidsl_id, recommendation, count(*) AS total,
           sum(CASE WHEN decision = '' THEN 1 ELSE 0 END) AS pending
    FROM audit_reviewitem GROUP BY review_id, pidsl_id, recommendation
), kept AS (
    SELECT review_id, pidsl_id, recommendation, total, pending FROM audit_reviewcount
)
SELECT coalesce(c.review_id, k.review_id), coalesce(c.pidsl_id, k.pidsl_id),
       coalesce(c.recommendation, k.recommendation),
       coalesce(k.total, 0), coalesce(c.total, 0), coalesce(k.pending, 0), coalesce(c.pending, 0)
FROM counted c FULL JOIN kept k USING (review_id, pidsl_id, recommendation)
WHERE coalesce(c.total, 0) <> coalesce(k.total, 0) OR coalesce(c.pending, 0) <> coalesce(k.pending, 0)
"""


def review_counts_drift() -> list[dict]:
    """Every kept count that differs from its items (empty when they agree); one pass per table."""
    with connection.cursor() as cursor:
        cursor.execute(_RECOUNT)
        keys = ("review", "pidsl", "recommendation", "kept_total", "total", "kept_pending", "pending")
        return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]


@transaction.atomic
def review_counts_rebuild() -> int:
    """Recount every review's items into ReviewCount; returns how many kept counts were wrong."""
    drift = review_counts_drift()
    if drift:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # no decision lands between the count and the swap
                cursor.execute("LOCK TABLE audit_reviewitem IN SHARE MODE")
            cursor.execute("DELETE FROM audit_reviewcount")
            cursor.execute(
                "INSERT INTO audit_reviewcount (review_id, pidsl_id, recommendation, total, pending) "
                "SELECT review_id, pidsl_id, recommendation, count(*), sum(CASE WHEN decision = '' THEN 1 ELSE 0 END) "
                "FROM audit_reviewitem GROUP BY review_id, pidsl_id, recommendation"
            )
    return len(drift)


def review_counts_daily(today) -> dict:
    """The daily job: recount, put right, and report (an error in the log, which operators alert on)
    any kept count that had drifted from its items. A second run finds nothing to fix."""
    fixed = review_counts_rebuild()
    if fixed:
        logger.error("review counts: %d kept counts had drifted from their items and were rebuilt", fixed)
    return {"review_counts_fixed": fixed}
