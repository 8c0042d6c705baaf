"""A tagged PDF with fpdf2 (Section 508; PDF/UA-1 as far as it goes): what a screen reader needs to
read the review PDF in order, with its headings and its tables' headers.

fpdf2 2.8.9 writes the document's language (``set_lang``), its title (``set_title``, shown instead of
the file name with ``ViewerPreferences(display_doc_title=True)``) and XMP metadata, and keeps a
structure tree; but it tags only images with alternative text and outline titles, all as /Figure
straight under /Document, and its ``table()`` writes untagged text. So this module adds what is
missing on top of fpdf2's own structure tree (``fpdf.structure_tree``, internal to fpdf2: the
version is pinned in requirements.txt and tests/test_review_reports.py reads the tree back):

- elements that nest (/Table > /TR > /TH, /TD), with /TH's scope as PDF/UA asks;
- each piece of text drawn inside its own marked-content sequence (``BDC`` with an MCID) that its
  element points to, and listed in the page's parent tree;
- everything else (cell borders and shading, a table header repeated on a new page, page
  numbers) marked as an artifact, so a reader skips it.

Pages break only between rows (no automatic page break), so no sequence ever crosses a page.
"""

import html
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.prefs import ViewerPreferences
from fpdf.structure_tree import StructElem, StructureTreeBuilder

LANG = "en-US"


class _Element(StructElem):
    """A structure element that may carry attributes (/A), e.g. a header cell's scope."""

    __slots__ = ("a",)

    def __init__(self, struct_type: str, parent, page_number: int, attributes: str | None = None) -> None:
        super().__init__(struct_type=struct_type, parent=parent, kids=[], page_number=page_number)
        self.a = attributes


class NestedStructure(StructureTreeBuilder):
    """fpdf2's structure tree, with elements at any depth and one MCID counter a page."""

    def __init__(self) -> None:
        super().__init__()
        self._next_mcid: defaultdict[int, int] = defaultdict(int)

    def element(self, struct_type: str, parent, page_number: int, attributes: str | None = None) -> StructElem:
        parent = parent or self.doc_struct_elem
        element = _Element(struct_type, parent, page_number, attributes)
        parent.k.append(element)
        return element

    def mark(self, element: StructElem, page_number: int, page) -> tuple[int, int]:
        """A new marked-content sequence of ``element`` on the page: its MCID and the page's key
        in the parent tree (the tree lists a page's elements in MCID order)."""
        mcid = self.next_mcid_for_page(page_number)
        parents = self.spid_per_page_number.setdefault(page_number, len(self.spid_per_page_number))
        self.struct_tree_root.parent_tree.nums[parents].append(element)
        element.k.append(mcid)
        element.pg = page  # fpdf2 sets /Pg only for the elements straight under /Document
        return mcid, parents

    def next_mcid_for_page(self, page_number: int) -> int:
        # fpdf2 counts the marked elements under /Document; nested ones count here too.
        mcid = self._next_mcid[page_number]
        self._next_mcid[page_number] += 1
        return mcid

    def __iter__(self) -> Iterator:
        yield self.struct_tree_root
        yield self.doc_struct_elem
        yield self.struct_tree_root.parent_tree
        stack = list(reversed(self.doc_struct_elem.k))
        while stack:
            element = stack.pop()
            yield element
            stack.extend(reversed([kid for kid in element.k if isinstance(kid, StructElem)]))


def _xmp(title: str) -> str:
    # PDF/UA asks for the title in the XMP metadata as well as in the document information.
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{html.escape(title)}</rdf:li></rdf:Alt></dc:title>'
        f"<dc:language><rdf:Bag><rdf:li>{LANG}</rdf:li></rdf:Bag></dc:language>"
        "<dc:format>application/pdf</dc:format>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


class TaggedPDF(FPDF):
    """An FPDF whose text is tagged: headings, paragraphs and tables (``TaggedTable``)."""

    def __init__(self, *, title: str, footer: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.struct_builder = NestedStructure()
        self.set_lang(LANG)
        self.set_title(title)
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)
        self.set_xmp_metadata(_xmp(title))
        self.set_auto_page_break(auto=False, margin=12)
        self.footer_text = footer

    def element(self, struct_type: str, parent=None, attributes: str | None = None) -> StructElem:
        return self.struct_builder.element(struct_type, parent, self.page, attributes)

    @contextmanager
    def marked(self, element: StructElem):
        """Draw the content of ``element`` (one sequence, on this page)."""
        mcid, parents = self.struct_builder.mark(element, self.page, self.pages[self.page])
        self.pages[self.page].struct_parents = parents
        self._set_min_pdf_version("1.4")
        start = self.page
        self._out(f"{element.s} <</MCID {mcid}>> BDC")
        yield
        if self.page != start:
            raise RuntimeError("a tagged sequence crossed a page break")
        self._out("EMC")

    @contextmanager
    def artifact(self, kind: str = ""):
        """Draw what is not content: a reader skips it."""
        self._out(f"/Artifact <</Type /{kind}>> BDC" if kind else "/Artifact BMC")
        yield
        self._out("EMC")

    def text_block(self, struct_type: str, text: str, line_height: float, parent=None) -> None:
        """A heading (/H1, /H2) or a paragraph (/P) across the page, breaking the page before it
        when it does not fit."""
        lines = self.multi_cell(0, line_height, text, dry_run=True, output=MethodReturnValue.LINES)
        if self.get_y() + len(lines) * line_height > self.page_break_trigger:
            self.add_page()
        with self.marked(self.element(struct_type, parent)):
            self.multi_cell(0, line_height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")

    def footer(self) -> None:
        with self.artifact("Pagination"):
            self.set_y(-10)
            self.set_font(size=7)
            self.cell(0, 5, f"{self.footer_text}    Page {self.page_no()} of {{nb}}", align="R")


class TaggedTable:
    """A table drawn row by row, each cell tagged (/TH with its scope, /TD), the header row
    repeated as an artifact at the top of each new page. Widths are shares of the page width."""

    PAD = 0.8

    def __init__(
        self,
        pdf: TaggedPDF,
        headers: Sequence[str],
        widths: Sequence[float],
        *,
        line_height: float,
        font: tuple[str, float],
        row_headers: bool = False,
    ) -> None:
        self.pdf, self.headers, self.line_height, self.font = pdf, list(headers), line_height, font
        self.row_headers = row_headers  # the first cell of each row heads it (a table of facts)
        total = sum(widths)
        self.widths = [pdf.epw * w / total for w in widths]
        self.element = pdf.element("/Table")
        if headers:
            self._row(self.headers, header=True, repeat=False)

    def row(self, cells: Sequence[str]) -> None:
        self._row([str(c) for c in cells], header=False, repeat=False)

    def _height(self, cells: Sequence[str], bold: Sequence[bool]) -> float:
        pdf, lines = self.pdf, 1
        for text, width, strong in zip(cells, self.widths, bold, strict=True):
            pdf.set_font(self.font[0], "B" if strong else "", self.font[1])
            wrapped = pdf.multi_cell(
                width, self.line_height, text, dry_run=True, output=MethodReturnValue.LINES, align="L"
            )
            lines = max(lines, len(wrapped))
        return lines * self.line_height + 2 * self.PAD

    def _row(self, cells: list[str], *, header: bool, repeat: bool) -> None:
        pdf = self.pdf
        bold = [header or (self.row_headers and n == 0) for n in range(len(cells))]
        height = self._height(cells, bold)
        if not repeat and pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            if self.headers and not header:
                # The header again, for the eye; a reader has it once, from the first page.
                with pdf.artifact("Pagination"):
                    self._row(self.headers, header=True, repeat=True)
        tr = None if repeat else pdf.element("/TR", self.element)
        x, y = pdf.l_margin, pdf.get_y()
        for text, width, strong in zip(cells, self.widths, bold, strict=True):
            with pdf.artifact() if not repeat else _nothing():
                pdf.set_fill_color(235)
                pdf.rect(x, y, width, height, style="DF" if strong else "D")
            pdf.set_font(self.font[0], "B" if strong else "", self.font[1])
            pdf.set_xy(x, y + self.PAD)
            if repeat:
                pdf.multi_cell(width, self.line_height, text, new_x=XPos.RIGHT, new_y=YPos.TOP, align="L")
            else:
                scope = "Column" if header else "Row"
                cell = pdf.element("/TH" if strong else "/TD", tr, f"<</O /Table /Scope /{scope}>>" if strong else None)
                if text:
                    with pdf.marked(cell):
                        pdf.multi_cell(width, self.line_height, text, new_x=XPos.RIGHT, new_y=YPos.TOP, align="L")
            x += width
        pdf.set_xy(pdf.l_margin, y + height)
        pdf.set_font(self.font[0], "", self.font[1])


@contextmanager
def _nothing():
    yield
