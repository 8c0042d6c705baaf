"""What a completed review comes to, said once for its PDF and its evidence package (AR-04).

The review's CSV is a table and nothing else (a spreadsheet opens it square); what it does not say
(the organization, the period, who completed it and what they attested, and how many users were
kept, modified or removed, by a person or by AR-06's default) is here, and the PDF prints it first.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from posc.humane import eastern
from posc.rules import SECTIONS

from ..models import AccessReview, ReviewItem

Decision = ReviewItem.Decision

# A finding as people read it: the rule's title, then its ID ("Inactive users (US-07)").
FINDING_WORDS = {rule.id: f"{rule.title} ({rule.id})" for _, rules in SECTIONS for rule in rules}


def finding_words(rule_id: str) -> str:
    return FINDING_WORDS.get(rule_id, rule_id)


# AR-06: the daily job decides an item with nobody's name on it; a person's decision always has one.
_BY_DEFAULT = Q(decided_by__isnull=True) & ~Q(decision="")


@dataclass(frozen=True)
class DecisionCount:
    label: str
    items: int
    by_default: int


@dataclass(frozen=True)
class ReviewSummary:
    organization: str
    period: str
    due: str
    completed: str
    reviewer: str
    attestation: str
    decisions: tuple[DecisionCount, ...]
    total: int
    total_by_default: int

    @property
    def title(self) -> str:
        return f"Access review of {self.organization}"

    def facts(self) -> list[tuple[str, str]]:
        """The review's heading facts, as label and value."""
        return [
            ("Organization", self.organization),
            ("Review period", self.period),
            ("Due", self.due),
            ("Completed", self.completed),
            ("Completed by", self.reviewer),
            ("Items reviewed", f"{self.total:,} (one for each user at each PID/SL)"),
        ]

    def text(self) -> str:
        """The summary as plain text (the evidence package's attestation.txt)."""
        lines = [self.title, ""]
        lines += [f"{label}: {value}" for label, value in self.facts()]
        lines += ["", "Decisions (of which by default at the deadline, AR-06):"]
        lines += [f"  {d.label}: {d.items:,} ({d.by_default:,} by default)" for d in self.decisions]
        lines += ["", "Attestation:", self.attestation, ""]
        return "\n".join(lines)


def review_summary(review: AccessReview) -> ReviewSummary:
    """The summary of a completed review: its facts and its decisions counted in one query."""
    counts = ReviewItem.objects.filter(review=review).aggregate(
        total=Count("pk"),
        total_by_default=Count("pk", filter=_BY_DEFAULT),
        **{
            name: Count("pk", filter=Q(decision=value) & extra)
            for value in Decision.values
            for name, extra in ((value, Q()), (f"{value}_by_default", _BY_DEFAULT))
        },
    )
    reviewer = review.completed_by
    if reviewer is not None:
        by = f"{reviewer.get_full_name() or reviewer.username} ({reviewer.username})"
    else:  # AR-06: completed by the daily job at the deadline; nobody attested
        by = "Nobody: completed by default at the deadline (AR-06)"
    return ReviewSummary(
        organization=review.organization.name,
        period=f"{review.period_start:%m/%d/%Y} to {review.period_end:%m/%d/%Y}",
        due=f"{review.due_date:%m/%d/%Y}",
        completed=eastern(review.completed_at) if review.completed_at else "Not completed",
        reviewer=by,
        attestation=review.attestation,
        decisions=tuple(
            DecisionCount(_DECISION_WORDS[value], counts[value], counts[f"{value}_by_default"])
            for value in Decision.values
        ),
        total=counts["total"],
        total_by_default=counts["total_by_default"],
    )


# The decisions as a count reads them ("Kept: 12"); the screens' choice labels say them as actions.
_DECISION_WORDS = {
    Decision.KEEP: "Kept",
    Decision.MODIFY: "Services modified",
    Decision.REMOVE: "Removed from the PID/SL",
    Decision.DEACTIVATE: "User deactivated",
}
