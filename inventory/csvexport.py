"""The one CSV writer of every export: cells a spreadsheet would run as a formula are neutralised.

OWASP "CSV Injection": a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a
formula (or a DDE call) to Excel, LibreOffice and Google Sheets. Such a cell gets a leading
apostrophe, which makes every one of them read it as text. Spreadsheets also skip leading blanks and
quotes before looking for the formula sign (`  =1+1`, `"=1+1`, `'=1+1`), so those are looked
through. Every cell is quoted: a Turkish Excel splits unquoted cells on `;`, which would turn
`x;=HYPERLINK(…)` into a formula cell of its own.

Numbers (int, Decimal, float) are written as they are: `-3` is a number, not a formula. Anything
else is written as its `str()`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

#: A cell starting with one of these is a formula or a DDE call to a spreadsheet.
FORMULA_STARTS = frozenset("=+-@\t\r")
#: What a spreadsheet skips before looking for the formula sign.
SKIPPED = " \t\r\n\u00a0\"'"
#: Excel opens a UTF-8 CSV as UTF-8 only when it starts with the byte order mark.
BOM = "\ufeff"


def safe_cell(value: object) -> object:
    """The value as a spreadsheet shows it and never executes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if not text:
        return text
    significant = text.lstrip(SKIPPED)
    if text[0] in FORMULA_STARTS or (significant and significant[0] in FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = True) -> str:
    """A whole CSV document: the header, then the rows, every cell made safe and quoted."""
    return (BOM if bom else "") + csv_lines([header, *rows])


def csv_lines(rows: Iterable[Sequence[object]]) -> str:
    """Rows of a CSV document written the same way (a streamed export sends them a chunk at a time)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
