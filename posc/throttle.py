"""Growing waits after failed tries: the one formula sign-in and registration share.

NIST SP 800-63B-4 §3.2.2 lets a verifier slow guessing down with waiting periods that grow with
each failure, instead of handing attackers a lock-out button; ASVS 6.3.1 asks for both brute-force
protection and no easy way to lock others out. The numbers are settings (docs/decisions.md).
"""

import math
from datetime import datetime, timedelta

from posc.humane import duration_words


def growing_wait(failures: int, *, free: int, first: int, cap: int) -> int:
    """Seconds to wait after ``failures`` failed tries: none for the first ``free``, then ``first``
    seconds, doubling with each further failure, never more than ``cap``."""
    if failures < free:
        return 0
    return min(cap, first * 2 ** min(failures - free, 32))


def seconds_left(wait: int, last: datetime | None, now: datetime) -> int:
    """What remains of a ``wait`` that started at the ``last`` failure (0 when it is over)."""
    if not wait or last is None:
        return 0
    return max(0, math.ceil((last - now).total_seconds() + wait))


def wait_words(seconds: int) -> str:
    """ "45 seconds", "15 minutes": a wait in words for the refusal."""
    return duration_words(timedelta(seconds=seconds))
