"""POST /api/v1/imports/products and /stock: multipart `file`, CSV or .xlsx; `?dry_run=true`."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields

from inventory.errors import Invalid
from inventory.permissions import Permission, permission_required, require
from inventory.services import imports
from inventory.web.api import ApiBlueprint, flatten_messages
from inventory.web.api.fields import QuerySchema
from inventory.web.api.products import ProductIn
from inventory.web.api.stock import StockReceiptIn

blp = ApiBlueprint("api_imports", __name__, url_prefix="/api/v1/imports", description="Go-live import")

#: One row of each kind, validated by the API's own request schemas.
#: A CSV or spreadsheet row is text: whole numbers are read from it ("4"), "1.5" is still refused.
ROW_SCHEMAS: dict[str, Schema] = {
    "products": ProductIn(text_input=True),
    "stock": StockReceiptIn(text_input=True),
}


def row_loader(kind: str) -> imports.RowLoader:
    schema = ROW_SCHEMAS[kind]

    def load(row: dict[str, str]) -> dict[str, Any]:
        try:
            loaded: dict[str, Any] = schema.load(row)
        except ValidationError as error:
            raise Invalid(
                "invalid_row", _("Some cells are not valid."), fields=flatten_messages(error.messages)
            ) from None
        return loaded

    return load


def run_import(kind: str, *, dry_run: bool) -> imports.ImportResult:
    """The upload of a page or an API call, through the one service."""
    user = require(Permission.EDIT_PRODUCTS)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("file_required", _("Choose a file to import."), fields={"file": _("Required.")})
    return imports.import_file(
        kind, upload.filename, upload.read(), load_row=row_loader(kind), user=user, dry_run=dry_run
    )


class ImportQuery(QuerySchema):
    dry_run = fields.Boolean(load_default=False)


class RowOut(Schema):
    line = fields.Integer()
    status = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.String())


class ImportOut(Schema):
    rows = fields.List(fields.Nested(RowOut))
    created = fields.Integer()
    error = fields.Dict(keys=fields.String(), values=fields.String())


def _answer(kind: str, query: dict[str, Any]) -> tuple[dict[str, Any], int]:
    result = run_import(kind, dry_run=query["dry_run"])
    body: dict[str, Any] = {"rows": result.rows, "created": result.created}
    if not result.ok:
        body["error"] = {
            "code": "import_failed",
            "message": _("Some rows have errors: nothing was imported."),
        }
        return body, 422
    return body, 200


@blp.route("/products", methods=["POST"])
@permission_required(Permission.EDIT_PRODUCTS)
@blp.arguments(ImportQuery, location="query")
@blp.response(200, ImportOut)
@blp.alt_response(422, schema=ImportOut, description="Rows with errors; nothing created.")
def import_products(query: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Import the catalogue (columns: the JSON fields of POST /api/v1/products)."""
    require(Permission.EDIT_PRODUCTS)
    return _answer("products", query)


@blp.route("/stock", methods=["POST"])
@permission_required(Permission.EDIT_PRODUCTS)
@blp.arguments(ImportQuery, location="query")
@blp.response(200, ImportOut)
@blp.alt_response(422, schema=ImportOut, description="Rows with errors; nothing created.")
def import_stock(query: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Import the opening stock (columns of POST /api/v1/receipts, with product_gtin or product_name)."""
    require(Permission.EDIT_PRODUCTS)
    return _answer("stock", query)
