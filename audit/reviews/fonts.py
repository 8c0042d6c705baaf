"""The fonts the review PDF embeds (AR-04; issue 15): every name prints as written.

PDF's built-in fonts are Latin-1 only: "Nguyễn" printed as "Nguy?n". DejaVu Sans (Debian's
fonts-dejavu-core) covers Latin with its extensions, Greek, Cyrillic, Armenian, Georgian, Hebrew
and more; Droid Sans Fallback (fonts-droid-fallback) adds Chinese and Japanese. fpdf2 embeds only
the letters used. ``make fonts`` and the Dockerfile install both; ``check --deploy`` fails when the
worker that builds the PDFs would not find them (docs/decisions.md, "Issue 15: input and output").
"""

from pathlib import Path

from django.conf import settings
from django.core import checks


def unicode_fonts() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold, or None when either file is missing."""
    regular, bold = Path(settings.POSC_PDF_FONT), Path(settings.POSC_PDF_FONT_BOLD)
    return (regular, bold) if regular.is_file() and bold.is_file() else None


def fallback_fonts() -> list[Path]:
    return [path for path in map(Path, settings.POSC_PDF_FALLBACK_FONTS) if path.is_file()]


@checks.register(checks.Tags.compatibility, deploy=True)
def check_pdf_fonts(app_configs=None, **kwargs):
    found = []
    if unicode_fonts() is None:
        found.append(
            checks.Error(
                f"The review PDF's font is missing ({settings.POSC_PDF_FONT}, {settings.POSC_PDF_FONT_BOLD}): "
                "names beyond Latin-1 would print as '?'.",
                hint="Install Debian's fonts-dejavu-core (make fonts), or set POSC_PDF_FONT and POSC_PDF_FONT_BOLD.",
                id="audit.E001",
            )
        )
    if not fallback_fonts():
        found.append(
            checks.Warning(
                "No fallback font for the review PDF (POSC_PDF_FALLBACK_FONTS): Chinese and Japanese names "
                "would print without their letters.",
                hint="Install Debian's fonts-droid-fallback (make fonts).",
                id="audit.W001",
            )
        )
    return found
