"""The PDF of a completed access review (AR-04), for a compliance officer to read without help:
a summary first (organization, period, due date, reviewer, completion time in Eastern time, the
counts kept, modified and removed, by a person or by AR-06's default, and the attestation), then
every item with its services by the portal's labels and its times in Eastern time.

Tagged (Section 508: audit/reviews/tagged.py) so a screen reader reads it in order, with its
headings and its tables' headers, in the document's language, under the title it shows."""

import logging

from posc.humane import eastern
from providers.authority import role_label
from providers.models import Service

from ..models import AccessReview, ReviewItem
from .fonts import fallback_fonts, unicode_fonts
from .summary import finding_words, review_summary
from .tagged import TaggedPDF, TaggedTable

logger = logging.getLogger(__name__)

COLUMNS = (
    ("PID/SL", 21),
    ("User", 42),
    ("Role", 22),
    ("Services before the review", 46),
    ("Services after the review", 46),
    ("Decision", 22),
    ("Decided", 28),
    ("Findings", 22),
    ("Recommendation", 36),
)
AR06_DEFAULT = "by default at the deadline (AR-06)"


def _latin(text: str) -> str:
    # The core PDF fonts are Latin-1; anything else is shown as "?" rather than failing.
    return str(text).encode("latin-1", "replace").decode("latin-1")


def _as_written(text: str) -> str:
    return str(text)


def _document(title: str):
    """The PDF with DejaVu Sans embedded (ASVS 1.2.x output encoding: every name as written, not
    "?"), and the fallback fonts for the letters DejaVu lacks. Without the fonts (a laptop demo;
    check --deploy refuses that in production) the core font and "?" as before."""
    fonts = unicode_fonts()
    printable = _as_written if fonts else _latin
    pdf = TaggedPDF(title=printable(title), footer=printable(title), orientation="L", unit="mm", format="Letter")
    if fonts is None:
        logger.warning("review PDF: no Unicode font (POSC_PDF_FONT); names beyond Latin-1 print as '?'")
        return pdf, "Helvetica", printable
    pdf.add_font("dejavu", fname=str(fonts[0]))
    pdf.add_font("dejavu", style="B", fname=str(fonts[1]))
    fallbacks = []
    for n, path in enumerate(fallback_fonts()):
        pdf.add_font(f"fallback{n}", fname=str(path))
        fallbacks.append(f"fallback{n}")
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks)
    return pdf, "dejavu", printable


def _labels(codes, labels: dict[str, str]) -> str:
    # One service a line: a list of thirteen reads better down than across a narrow column.
    return "\n".join(labels.get(code, code) for code in codes)


def _summary(pdf: TaggedPDF, family: str, printable, review: AccessReview) -> None:
    summary = review_summary(review)
    pdf.set_font(family, "B", 15)
    pdf.text_block("/H1", printable(summary.title), 8)
    pdf.set_font(family, size=9)
    pdf.text_block("/P", "Times are US Eastern time. Services are shown by the names the portal gives them.", 5)
    pdf.ln(2)
    pdf.set_font(family, "B", 12)
    pdf.text_block("/H2", "Summary", 7)
    facts = TaggedTable(pdf, [], (1, 4), line_height=5, font=(family, 9), row_headers=True)
    for label, value in summary.facts():
        facts.row([label, printable(value)])
    pdf.ln(3)
    pdf.set_font(family, "B", 12)
    pdf.text_block("/H2", "Decisions", 7)
    decisions = TaggedTable(
        pdf,
        ["Decision", "Items", "Of these, decided by default at the deadline (AR-06)"],
        (2, 1, 3),
        line_height=5,
        font=(family, 9),
    )
    for count in summary.decisions:
        decisions.row([count.label, f"{count.items:,}", f"{count.by_default:,}"])
    decisions.row(["Total", f"{summary.total:,}", f"{summary.total_by_default:,}"])
    pdf.ln(3)
    pdf.set_font(family, "B", 12)
    pdf.text_block("/H2", "Attestation", 7)
    pdf.set_font(family, size=9)
    pdf.text_block("/P", printable(summary.attestation or "None."), 5)
    pdf.ln(3)


def review_pdf(review: AccessReview, out) -> int:
    pdf, family, printable = _document(f"Access review of {review.organization.name}")
    pdf.add_page()
    _summary(pdf, family, printable, review)
    pdf.set_font(family, "B", 12)
    pdf.text_block("/H2", "Every user reviewed", 7)
    labels = dict(Service.objects.values_list("code", "label"))
    count = 0
    items = (
        ReviewItem.objects.filter(review=review)
        .select_related("pidsl", "user", "decided_by")
        .order_by("pidsl__provider_id", "pidsl__service_location", "user__last_name", "user__id")
    )
    table = TaggedTable(pdf, [c for c, _ in COLUMNS], [w for _, w in COLUMNS], line_height=4, font=(family, 7.5))
    for item in items.iterator(chunk_size=2000):
        decided = eastern(item.decided_at)
        if item.decided_by:
            decided += f"\n{item.decided_by.username}"
        elif item.decided_at:  # AR-06: the daily job decided it at the deadline
            decided += f"\n{AR06_DEFAULT}"
        table.row(
            [
                item.pidsl.code,
                printable(
                    f"{item.user.last_name}, {item.user.first_name} ({item.user.username})"
                    + (" - outside user" if item.outside_user else "")
                ),
                role_label(item.role),
                _labels(item.services_before, labels),
                _labels(item.services_after, labels),
                item.get_decision_display(),
                decided,
                "; ".join(finding_words(f) for f in item.findings),
                printable(
                    f"{item.get_recommendation_display()}: {item.recommendation_reason}" if item.recommendation else ""
                ),
            ]
        )
        count += 1
    out.write(bytes(pdf.output()))
    return count
