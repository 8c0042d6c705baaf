"""The PDF of a completed access review (AR-04): the organization, period, reviewer and
attestation, then every item with services before and after, decision, time and findings."""

import logging

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ..models import AccessReview, ReviewItem
from .fonts import fallback_fonts, unicode_fonts

logger = logging.getLogger(__name__)

COLUMNS = (
    ("PID/SL", 24),
    ("User", 42),
    ("Role", 20),
    ("Services before", 47),
    ("Services after", 47),
    ("Decision", 20),
    ("Decided", 28),
    ("Findings", 19),
    ("Recommendation", 30),
)


def _latin(text: str) -> str:
    # The core PDF fonts are Latin-1; anything else is shown as "?" rather than failing.
    return str(text).encode("latin-1", "replace").decode("latin-1")


def _as_written(text: str) -> str:
    return str(text)


def _document():
    """The PDF with DejaVu Sans embedded (ASVS 1.2.x output encoding: every name as written, not
    "?"), and the fallback fonts for the letters DejaVu lacks. Without the fonts (a laptop demo;
    check --deploy refuses that in production) the core font and "?" as before."""
    pdf = FPDF(orientation="L", unit="mm", format="Letter")
    fonts = unicode_fonts()
    if fonts is None:
        logger.warning("review PDF: no Unicode font (POSC_PDF_FONT); names beyond Latin-1 print as '?'")
        return pdf, "Helvetica", _latin
    pdf.add_font("dejavu", fname=str(fonts[0]))
    pdf.add_font("dejavu", style="B", fname=str(fonts[1]))
    fallbacks = []
    for n, path in enumerate(fallback_fonts()):
        pdf.add_font(f"fallback{n}", fname=str(path))
        fallbacks.append(f"fallback{n}")
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks)
    return pdf, "dejavu", _as_written


def review_pdf(review: AccessReview, out) -> int:
    pdf, family, printable = _document()
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_title(printable(f"Access review of {review.organization.name}"))
    pdf.add_page()
    pdf.set_font(family, "B", 14)
    pdf.cell(0, 8, printable(f"Access review of {review.organization.name}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(family, size=9)
    reviewer = review.completed_by.get_full_name() or review.completed_by.username if review.completed_by else ""
    for line in (
        f"Period: {review.period_start} to {review.period_end}    Due: {review.due_date}",
        f"Completed: {review.completed_at:%Y-%m-%d %H:%M} UTC by {reviewer}",
        f"Attestation: {review.attestation}",
    ):
        pdf.multi_cell(0, 5, printable(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    count = 0
    items = (
        ReviewItem.objects.filter(review=review)
        .select_related("pidsl", "user", "decided_by")
        .order_by("pidsl__provider_id", "pidsl__service_location", "user__last_name", "user__id")
    )
    with pdf.table(col_widths=tuple(w for _, w in COLUMNS), text_align="LEFT", line_height=4.5) as table:
        pdf.set_font(family, "B", 7.5)
        table.row([c for c, _ in COLUMNS])
        pdf.set_font(family, size=7.5)
        for item in items.iterator(chunk_size=2000):
            decided = f"{item.decided_at:%Y-%m-%d %H:%M}" if item.decided_at else ""
            if item.decided_by:
                decided += f" {item.decided_by.username}"
            table.row(
                [
                    item.pidsl.code,
                    printable(
                        f"{item.user.last_name}, {item.user.first_name} ({item.user.username})"
                        + (" - outside" if item.outside_user else "")
                    ),
                    item.role,
                    " ".join(item.services_before),
                    " ".join(item.services_after),
                    item.get_decision_display(),
                    decided,
                    " ".join(item.findings),
                    f"{item.get_recommendation_display()}: {item.recommendation_reason}" if item.recommendation else "",
                ]
            )
            count += 1
    out.write(bytes(pdf.output()))
    return count
