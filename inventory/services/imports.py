"""Go-live import: the catalogue and the opening stock from a CSV or an Excel (.xlsx) file.

Every row goes through the same use case as the pages and the API (`catalogue.create_product`,
`receiving.receive`), all rows in one transaction (`all_or_nothing`): a file with an error row creates
nothing; a dry run checks everything (the database's constraints included) and stores nothing.
Lines are the file's lines, the header being line 1; errors are by column (the API's field names).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from inventory.errors import DomainError, Invalid
from inventory.extensions import db
from inventory.models import Product, User
from inventory.services import all_or_nothing, audit, catalogue, receiving

PRODUCT_COLUMNS = (
    "name", "category", "strength", "container", "volume_ml", "storage", "in_use_days", "sterile",
    "biological", "gtin", "reorder_point", "reorder_quantity", "lead_time_days", "unit_cost",
)  # fmt: skip
STOCK_COLUMNS = (
    "product_gtin",
    "product_name",
    "lot",
    "expiry",
    "vials",
    "supplier",
    "unit_cost",
    "location",
)
KINDS = {"products": PRODUCT_COLUMNS, "stock": STOCK_COLUMNS}
MAX_ROWS = 5000

#: The view's loader of one row (the API's own schema): the row as the use case takes it, or
#: `Invalid` with fields by column.
RowLoader = Callable[[dict[str, str]], dict[str, Any]]


@dataclass
class RowOutcome:
    line: int
    status: str = "ok"
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    kind: str
    rows: list[RowOutcome]
    created: int
    dry_run: bool

    @property
    def ok(self) -> bool:
        return all(row.status == "ok" for row in self.rows)


def template_csv(kind: str) -> str:
    """The header line (and one example row) of a downloadable template."""
    example = {
        "products": ["Lidocaine HCl 2% 20 mL", "anaesthetic", "20 mg/mL", "multi_dose", "20", "room", "28",
                     "true", "false", "00363323208011", "4", "10", "7", "12.50"],
        "stock": ["00363323208011", "", "LIDO-77", "2027-03-31", "10", "Acme", "12.50", "Shelf A"],
    }[kind]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(KINDS[kind])
    writer.writerow(example)
    return buffer.getvalue()


def read_table(filename: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line, {column: cell}) for every non-empty row of a CSV (UTF-8, `,` or `;`) or .xlsx file."""
    if filename.lower().endswith(".xlsx"):
        table = _xlsx_rows(content)
    elif filename.lower().endswith((".csv", ".txt")):
        table = _csv_rows(content)
    else:
        raise Invalid(
            "unsupported_file", _("Send a .csv or .xlsx file."), fields={"file": _("CSV or .xlsx.")}
        )
    if not table:
        raise Invalid("empty_file", _("The file is empty."), fields={"file": _("No header line.")})
    header = [cell.strip().lower() for cell in table[0]]
    rows = []
    for index, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(
            (
                index,
                {name: (cells[i] if i < len(cells) else "").strip() for i, name in enumerate(header) if name},
            )
        )
    if len(rows) > MAX_ROWS:
        raise Invalid("too_many_rows", _("At most %(n)d rows per file.", n=MAX_ROWS))
    return rows


def _csv_rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(
            "invalid_encoding", _("Save the CSV as UTF-8."), fields={"file": _("Not UTF-8 text.")}
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _xlsx_rows(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise Invalid(
            "invalid_file", _("This is not an Excel workbook."), fields={"file": _("Not a .xlsx file.")}
        ) from None
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    """Excel cells as the text a CSV would hold: dates ISO, whole numbers without '.0'."""
    if value is None:
        return ""
    if hasattr(value, "date") and callable(value.date):
        return str(value.date().isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _product_for(row: dict[str, str]) -> int:
    gtin, name = row.get("product_gtin", ""), row.get("product_name", "")
    if gtin:
        product = receiving.product_by_gtin(gtin)
        if product is None:
            raise Invalid(
                "unknown_gtin",
                _("No product has this GTIN."),
                fields={"product_gtin": _("No product has this GTIN.")},
            )
        return product.id
    if name:
        product_id = db.session.scalar(select(Product.id).where(Product.name == " ".join(name.split())))
        if product_id is None:
            raise Invalid(
                "unknown_product",
                _("No product has this name."),
                fields={"product_name": _("No product has this name.")},
            )
        return int(product_id)
    message = _("Give product_gtin or product_name.")
    raise Invalid("product_required", message, fields={"product_gtin": message})


COLUMN_OF = {"volume_ul": "volume_ml", "unit_cost_minor": "unit_cost", "product_id": "product_gtin"}


def _errors_of(error: DomainError) -> dict[str, str]:
    if error.fields:
        return {COLUMN_OF.get(name, name): str(message) for name, message in error.fields.items()}
    return {"_row": error.message}


def import_file(
    kind: str, filename: str, content: bytes, *, load_row: RowLoader, user: User, dry_run: bool
) -> ImportResult:
    """Every row's outcome; created only when no row has an error and this is not a dry run."""
    rows = read_table(filename, content)
    if not rows:
        raise Invalid("empty_file", _("The file has a header but no rows."), fields={"file": _("No rows.")})
    outcomes: list[RowOutcome] = []
    try:
        with all_or_nothing(commit=True):
            for line, cells in rows:
                outcomes.append(_import_row(kind, line, cells, load_row, user))
            if dry_run or any(outcome.status != "ok" for outcome in outcomes):
                raise _Discard
            audit.record(
                f"import_{kind}",
                "import",
                None,
                details={"file": filename, "rows": len(outcomes), "created": len(outcomes)},
                user=user,
            )
    except _Discard:
        return ImportResult(kind, outcomes, 0, dry_run)
    return ImportResult(kind, outcomes, len(outcomes), dry_run)


class _Discard(Exception):
    """A dry run, or a file with an error row: roll everything back."""


def _import_row(kind: str, line: int, cells: dict[str, str], load_row: RowLoader, user: User) -> RowOutcome:
    data = {key: value for key, value in cells.items() if value != ""}
    try:
        if kind == "stock":
            names: dict[str, str] = {
                key: data.pop(key) for key in ("product_gtin", "product_name") if key in data
            }
            loaded = load_row(data)
            product_id = loaded.pop("product_id", None) or _product_for(names)
            request = receiving.ReceiptRequest(product_id=product_id, **loaded)
            receiving.receive(request, user=user)
        else:
            catalogue.create_product(load_row(data))
    except DomainError as error:
        return RowOutcome(line, "error", _errors_of(error))
    return RowOutcome(line)
