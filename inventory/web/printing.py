"""Label files and the print page, under /labels/ (api.md "Labels"): for the page session or the
same bearer token as the API. Every file of labels served is recorded as a print."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice, SelectField

import labels
from inventory.errors import DomainError, Unauthorized
from inventory.extensions import db
from inventory.models.clinic import Patient
from inventory.models.stock import Receipt, Vial
from inventory.permissions import Permission, permission_required, require
from inventory.services import batches, printing, receiving, usability
from inventory.web.errors import handle_domain_error

bp = Blueprint("printing", __name__, url_prefix="/labels")


def _wants_json() -> bool:
    return "Authorization" in request.headers or request.accept_mimetypes.best == "application/json"


@bp.errorhandler(DomainError)
def _refused(error: DomainError) -> Any:
    """A refusal as api.md's JSON body for programs, as a message on the print page for people."""
    if _wants_json():
        response = jsonify(error.body())
        if isinstance(error, Unauthorized):
            response.headers["WWW-Authenticate"] = "Bearer"
        return response, error.status
    back = _page_of_refused_file() if error.status in {409, 422, 503} else None
    if back is None:
        return handle_domain_error(error)
    flash(error.message, "error")
    return redirect(back)


def _page_of_refused_file() -> str | None:
    """The page a refused file was asked from, to show the refusal there in plain words."""
    args = request.view_args or {}
    layout = request.args.get("layout") or None
    if (
        request.endpoint in {"printing.batch_pdf", "printing.batch_zpl", "printing.send"}
        and "batch_id" in args
    ):
        return url_for("printing.batch", batch_id=args["batch_id"], layout=layout)
    if request.endpoint in {"printing.receipt_pdf", "printing.receipt_zpl"} and "receipt_id" in args:
        return url_for("stock.receipt", receipt_id=args["receipt_id"])
    if request.endpoint in {"printing.vial_pdf", "printing.vial_zpl"} and "code" in args:
        vial = printing.vial_by_code(args["code"])
        return url_for("stock.vial", vial_id=vial.id)
    return None


def vial_label_context(vials: list[Vial]) -> dict[str, Any]:
    """What the receipt, vial and lot pages need to offer vial labels (LBL-03)."""
    return {
        "label_layouts": labels.LAYOUTS,
        "label_prints": printing.vial_prints([vial.id for vial in vials]),
    }


def _file(rendered: printing.Rendered, *, download: bool) -> Response:
    response = Response(rendered.data, mimetype=rendered.mimetype)
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{rendered.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _layout(default: str = printing.DEFAULT_LAYOUT) -> str:
    return printing.check_layout(request.args.get("layout") or default)


def _codes() -> list[str] | None:
    codes = [code for code in request.args.getlist("syringe") if code.strip()]
    return codes or None


@bp.route("/batches/<int:batch_id>.pdf")
@permission_required(Permission.COMPOUND)
def batch_pdf(batch_id: int) -> Response:
    """One label per syringe, or the layout's calibration page with ?calibration=1."""
    layout = _layout()
    if request.args.get("calibration"):
        return calibration(layout)
    batch = batches.get_batch(batch_id)
    user = require(Permission.COMPOUND)
    return _file(
        printing.render_batch(batch, output="pdf", layout=layout, user=user, codes=_codes()),
        download=bool(request.args.get("download")),
    )


@bp.route("/batches/<int:batch_id>.zpl")
@permission_required(Permission.COMPOUND)
def batch_zpl(batch_id: int) -> Response:
    """One ^XA…^XZ per syringe for Zebra printers (?layout=, ?dpi=203|300|600)."""
    batch = batches.get_batch(batch_id)
    rendered = printing.render_batch(
        batch,
        output="zpl",
        layout=_layout(printing.DEFAULT_ZPL_LAYOUT),
        user=require(Permission.COMPOUND),
        codes=_codes(),
        dpi=_dpi_arg(),
    )
    return _file(rendered, download=True)


@bp.route("/calibration/<layout>.zpl")
@permission_required(Permission.COMPOUND)
def calibration_zpl(layout: str) -> Response:
    """The calibration label for a Zebra roll (?dpi=203|300|600)."""
    printing.check_layout(layout)
    dpi = request.args.get("dpi", "203")
    return _file(printing.calibration_zpl(layout, int(dpi) if dpi.isdigit() else 0), download=True)


@bp.route("/receipts/<int:receipt_id>.pdf")
@permission_required(Permission.MANAGE_STOCK)
def receipt_pdf(receipt_id: int) -> Response:
    """LBL-03: one label per vial of the receipt (api.md "Bench")."""
    return _file(_receipt_labels(receipt_id, "pdf"), download=bool(request.args.get("download")))


@bp.route("/receipts/<int:receipt_id>.zpl")
@permission_required(Permission.MANAGE_STOCK)
def receipt_zpl(receipt_id: int) -> Response:
    return _file(_receipt_labels(receipt_id, "zpl"), download=True)


def _receipt_labels(receipt_id: int, output: str) -> printing.Rendered:
    receipt = receiving.get_receipt(receipt_id)
    return _vial_file(receiving.vials_of_receipt(receipt.id), output, f"receipt-{receipt.id}", receipt)


def _vial_file(
    vials: list[Vial], output: str, name: str, receipt: Receipt | None = None
) -> printing.Rendered:
    return printing.render_vials(
        vials,
        output=output,
        layout=_layout(printing.DEFAULT_ZPL_LAYOUT if output == "zpl" else printing.DEFAULT_LAYOUT),
        user=require(Permission.MANAGE_STOCK),
        name=name,
        receipt=receipt,
        dpi=_dpi_arg(),
    )


@bp.route("/vials/<code>.pdf")
@permission_required(Permission.MANAGE_STOCK)
def vial_pdf(code: str) -> Response:
    """A vial's label, to reprint it (recorded as a reprint when it was printed before)."""
    return _file(_vial_labels(code, "pdf"), download=bool(request.args.get("download")))


@bp.route("/vials/<code>.zpl")
@permission_required(Permission.MANAGE_STOCK)
def vial_zpl(code: str) -> Response:
    return _file(_vial_labels(code, "zpl"), download=True)


def _vial_labels(code: str, output: str) -> printing.Rendered:
    vial = printing.vial_by_code(code)
    return _vial_file([vial], output, vial.code)


def _dpi_arg() -> int:
    dpi = request.args.get("dpi", "203")
    return int(dpi) if dpi.isdigit() else 0


@bp.route("/calibration/<layout>.pdf")
@permission_required(Permission.COMPOUND)
def calibration(layout: str) -> Response:
    """Outlines and a 10 mm scale: print it first, at actual size, on the label stock."""
    printing.check_layout(layout)
    pdf = labels.render_calibration_pdf(layout)
    return _file(printing.Rendered(pdf, "application/pdf", f"calibration-{layout}.pdf"), download=False)


@bp.route("/syringes/<code>.png")
@permission_required(Permission.COMPOUND)
def syringe_png(code: str) -> Response:
    return _file(printing.syringe_qr(code, kind="png", user=require(Permission.COMPOUND)), download=False)


@bp.route("/syringes/<code>.svg")
@permission_required(Permission.COMPOUND)
def syringe_svg(code: str) -> Response:
    return _file(printing.syringe_qr(code, kind="svg", user=require(Permission.COMPOUND)), download=False)


class PrinterForm(FlaskForm):
    layout = SelectField(
        choices=[SelectChoice(name, spec.title) for name, spec in labels.LAYOUTS.items() if spec.is_roll]
    )
    dpi = SelectField(
        choices=[SelectChoice(str(dpi), f"{dpi} dpi") for dpi in printing.ZPL_DPIS], default="203"
    )


@bp.route("/batches/<int:batch_id>")
@permission_required(Permission.COMPOUND)
def batch(batch_id: int) -> str:
    """Choose a layout, see a picture of the first syringe's real label(s), print (PDF, ZPL,
    network printer). A refusal (a quarantined batch, nothing left to label) is said here."""
    row = batches.get_batch(batch_id)
    layout = request.args.get("layout") or printing.DEFAULT_LAYOUT
    if layout not in labels.LAYOUTS:
        layout = printing.DEFAULT_LAYOUT
    refusal = printing.refusal(row)
    items = printing.syringe_labels(row) if refusal is None else []
    patient = db.session.get(Patient, row.patient_id) if row.patient_id else None

    return render_template(
        "printing/batch.html",
        batch=row,
        items=items,
        refusal=refusal,
        pictures=printing.preview_pictures(items, layout),
        layouts=labels.LAYOUTS,
        layout=layout,
        printer=current_app.config.get("LABEL_PRINTER_HOST") or None,
        printer_port=current_app.config.get("LABEL_PRINTER_PORT"),
        printer_form=PrinterForm(
            formdata=None, layout=layout if labels.LAYOUTS[layout].is_roll else "zebra-2x1in"
        ),
        prints=printing.prints_of(row),
        patient=patient,
        not_released=not usability.batch_released(row),
    )


@bp.route("/batches/<int:batch_id>/send", methods=["POST"])
@permission_required(Permission.COMPOUND)
def send(batch_id: int) -> WerkzeugResponse:
    """Send the ZPL to the clinic's network label printer (raw TCP, port 9100)."""
    form = PrinterForm()
    row = batches.get_batch(batch_id)
    if form.validate_on_submit():
        sent = printing.send_to_printer(
            row, layout=form.layout.data, user=current_user._get_current_object(), dpi=int(form.dpi.data)
        )
        flash(_("The labels were sent to the printer (%(bytes)s bytes).", bytes=sent), "success")
    else:
        flash(_("Choose a roll layout and the printer's resolution."), "error")
    return redirect(url_for("printing.batch", batch_id=batch_id, layout=form.layout.data or None))
