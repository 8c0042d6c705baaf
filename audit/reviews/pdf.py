"""The PDF of a completed access review (AR-04): the organization, period, reviewer and
attestation, then every item with services before and after, decision, time and findings."""

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ..models import AccessReview, ReviewItem

COLUMNS = (
    ("PID/SL", 24),
    ("User", 42),
    ("Role", 20),
    ("Services before", 62),
    ("Services after", 62),
    ("Decision", 20),
    ("Decided", 28),
    ("Findings", 19),
)


def _latin(text: str) -> str:
    # The core PDF fonts are Latin-1; anything else is shown as "?" rather than failing.
    return str(text).encode("latin-1", "replace").decode("latin-1")


def review_pdf(review: AccessReview, out) -> int:
    pdf = FPDF(orientation="L", unit="mm", format="Letter")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_title(_latin(f"Access review of {review.organization.name}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin(f"Access review of {review.organization.name}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    reviewer = review.completed_by.get_full_name() or review.completed_by.username if review.completed_by else ""
    for line in (
        f"Period: {review.period_start} to {review.period_end}    Due: {review.due_date}",
        f"Completed: {review.completed_at:%Y-%m-%d %H:%M} UTC by {reviewer}",
        f"Attestation: {review.attestation}",
    ):
        pdf.multi_cell(0, 5, _latin(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    count = 0
    items = (
        ReviewItem.objects.filter(review=review)
        .select_related("pidsl", "user", "decided_by")
        .order_by("pidsl__provider_id", "pidsl__service_location", "user__last_name", "user__id")
    )
    with pdf.table(col_widths=tuple(w for _, w in COLUMNS), text_align="LEFT", line_height=4.5) as table:
        pdf.set_font("Helvetica", "B", 7.5)
        table.row([c for c, _ in COLUMNS])
        pdf.set_font("Helvetica", size=7.5)
        for item in items.iterator(chunk_size=2000):
            decided = f"{item.decided_at:%Y-%m-%d %H:%M}" if item.decided_at else ""
            if item.decided_by:
                decided += f" {item.decided_by.username}"
            table.row(
                [
                    item.pidsl.code,
                    _latin(
                        f"{item.user.last_name}, {item.user.first_name} ({item.user.username})"
                        + (" - outside" if item.outside_user else "")
                    ),
                    item.role,
                    " ".join(item.services_before),
                    " ".join(item.services_after),
                    item.get_decision_display(),
                    decided,
                    " ".join(item.findings),
                ]
            )
            count += 1
    out.write(bytes(pdf.output()))
    return count
