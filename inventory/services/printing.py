"""Syringe and vial labels from the `labels` package: PDF, ZPL, a network printer, the QR alone,
and pictures of the real output for the print pages.

Every print and reprint is recorded (LabelPrint for syringes, VialLabelPrint for vials: who, when,
which, layout, output, reprint) and audited (SAFE-10). A batch may be labelled before its release,
at the bench; scanning refuses unreleased syringes anyway (SAFE-06).
"""

from __future__ import annotations

import base64
import socket
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

import labels
from inventory import clock
from inventory.errors import Conflict, DomainError, Invalid, NotFound
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.clinic import Patient
from inventory.models.compounding import Batch, Draw, LabelPrint, Syringe
from inventory.models.printing import VialLabelPrint
from inventory.models.stock import Receipt, Vial
from inventory.models.users import User
from inventory.names import ROUTE_LABELS, STORAGE_INSTRUCTIONS, label
from inventory.rules.policy import Container
from inventory.rules.units import format_ml
from inventory.services import audit, transaction, usability

DEFAULT_LAYOUT = "roll-50x25"
DEFAULT_ZPL_LAYOUT = "zebra-2x1in"
ZPL_DPIS = (203, 300, 600)
PRINTER_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Rendered:
    data: bytes
    mimetype: str
    filename: str


def captions() -> labels.Captions:
    """The words before the values, in the reader's language. A syringe says BUD, never "Exp"."""
    return labels.Captions(
        bud=_("BUD"),
        compounded=_("Compounded"),
        syringe_of=_("Syringe {index} of {count}"),
        batch=_("Batch"),
        prepared_by=_("Prep"),
        patient=_("Patient"),
        dob=_("DOB"),
        lot=_("Lot"),
        opened=_("Opened"),
        use_until=_("Use by"),
        expiry=_("Exp"),
        total=_("Total"),
        route=_("Route"),
        part_of=_("Label {part}/{parts}"),
    )


def route_text(route: str) -> str:
    return label(ROUTE_LABELS, route)


def storage_text(storage: str) -> str | None:
    """Printed only when the syringe is not kept at room temperature."""
    return label(STORAGE_INSTRUCTIONS, storage) if storage in STORAGE_INSTRUCTIONS else None


def check_layout(layout: str) -> str:
    if layout not in labels.LAYOUTS:
        raise Invalid(
            "unknown_layout",
            _("Unknown label layout %(layout)s.", layout=layout),
            fields={"layout": ", ".join(sorted(labels.LAYOUTS))},
        )
    return layout


def ingredients(batch: Batch) -> list[labels.Ingredient]:
    """Per syringe, from what was really drawn (a later recipe edit does not change a reprint)."""
    totals: dict[int, int] = defaultdict(int)
    products: dict[int, Product] = {}
    rows = db.session.execute(
        select(Draw.product_id, Draw.volume_ul, Product)
        .join(Product, Draw.product_id == Product.id)
        .where(Draw.batch_id == batch.id)
        .order_by(Draw.id)
    )
    for product_id, volume, product in rows:
        totals[product_id] += volume
        products[product_id] = product
    order = [c.product_id for c in batch.recipe_version.components if c.product_id in totals]
    order += [product_id for product_id in totals if product_id not in order]
    # LBL-01: the name labels print (never the pack size), its strength, the amount in one syringe.
    return [
        labels.Ingredient(
            products[p].printed_name, format_ml(totals[p] // batch.syringe_count), products[p].strength
        )
        for p in order
    ]


def syringe_labels(batch: Batch, syringes: Sequence[Syringe] | None = None) -> list[labels.SyringeLabel]:
    chosen = list(syringes if syringes is not None else printable_syringes(batch))
    patient = db.session.get(Patient, batch.patient_id) if batch.patient_id else None
    parts = tuple(ingredients(batch))
    return [
        labels.SyringeLabel(
            code=syringe.code,
            recipe_name=batch.recipe_version.name,
            ingredients=parts,
            total_volume=format_ml(syringe.volume_ul),
            route=route_text(batch.recipe_version.route),
            bud=clock.local(syringe.bud).strftime("%Y-%m-%d %H:%M"),
            storage=storage_text(syringe.storage),
            batch_code=batch.code,
            index=syringe.number,
            count=batch.syringe_count,
            preparer_initials=batch.prepared_by.initials,
            patient_name=patient.name if patient else None,
            patient_dob=patient.date_of_birth.isoformat() if patient else None,
        )
        for syringe in chosen
    ]


def printable_syringes(batch: Batch) -> list[Syringe]:
    """Syringes still to be used: neither administered nor discarded (services.usability decides)."""
    return [s for s in batch.syringes if usability.syringe_unused(s)]


def label_refusal(batch: Batch, syringes: Sequence[Syringe] | None = None) -> Conflict | None:
    """Why these syringes (by default the batch's unused ones) must not be labelled: the scan would block
    them for quarantine or recall (services.usability). None when they may be labelled."""
    chosen = list(syringes if syringes is not None else printable_syringes(batch))
    verdicts = usability.syringe_verdicts(chosen)
    refused = {s.code: verdicts[s.id].label_refusal for s in chosen if verdicts[s.id].label_refusal}
    if not refused:
        return None
    reason = next(r for r in usability.REFUSE_LABEL if r in refused.values())
    if reason == usability.RECALLED:
        message = _(
            "Batch %(code)s holds a recalled lot: its syringes must not be labelled.", code=batch.code
        )
    else:
        message = _(
            "Batch %(code)s is quarantined: its syringes must not be labelled for use.", code=batch.code
        )
    return Conflict(
        f"batch_{reason}",
        message,
        fields={"reason": reason, "syringes": ", ".join(sorted(refused))},
    )


def _pick(batch: Batch, codes: Sequence[str] | None) -> list[Syringe]:
    printable = printable_syringes(batch)
    if not codes:
        if not printable:
            raise Invalid(
                "nothing_to_print", _("Batch %(code)s has no syringe left to label.", code=batch.code)
            )
        return _refuse_blocked(batch, printable)
    wanted = {code.strip().upper() for code in codes}
    chosen = [s for s in printable if s.code in wanted]
    if len(chosen) != len(wanted):
        raise Invalid(
            "unknown_syringe", _("Some of these syringes are not in batch %(code)s.", code=batch.code)
        )
    return _refuse_blocked(batch, chosen)


def _refuse_blocked(batch: Batch, chosen: list[Syringe]) -> list[Syringe]:
    refusal = label_refusal(batch, chosen)
    if refusal is not None:
        raise refusal
    return chosen


def _zpl_layout(layout: str) -> str:
    if labels.LAYOUTS[check_layout(layout)].is_sheet:
        raise Invalid(
            "unsupported_layout",
            _("ZPL is for Zebra roll printers: choose a roll, or print the sheet as a PDF."),
            fields={"layout": layout},
        )
    return layout


def _render(items: Sequence[labels.Label], *, output: str, layout: str, dpi: int, name: str) -> Rendered:
    """The labels as a PDF or ZPL file. A label is never refused for its length (LBL-02): it
    continues on a second one; only a QR code too large for a custom stock is refused."""
    try:
        if output == "pdf":
            return Rendered(
                labels.render_pdf(items, check_layout(layout), captions()), "application/pdf", f"{name}.pdf"
            )
        zpl = labels.render_zpl(items, _zpl_layout(layout), captions(), dpi=_dpi(dpi))
    except labels.LabelDoesNotFit:
        raise Invalid(
            "label_does_not_fit",
            _("The QR code does not fit on this label stock. Choose a larger one."),
            fields={"layout": layout},
        ) from None
    return Rendered(zpl.encode("utf-8"), "text/plain; charset=utf-8", f"{name}.zpl")


def render_batch(
    batch: Batch, *, output: str, layout: str, user: User, codes: Sequence[str] | None = None, dpi: int = 203
) -> Rendered:
    """The batch's labels as a PDF or ZPL, recorded as a print."""
    check_layout(layout)
    syringes = _pick(batch, codes)
    rendered = _render(
        syringe_labels(batch, syringes), output=output, layout=layout, dpi=dpi, name=batch.code
    )
    record_print(batch, syringes, layout=layout, output=output, user=user)
    return rendered


def preview_pictures(items: Sequence[labels.Label], layout: str) -> list[str]:
    """Data URIs of PNG pictures of the real PDF output of the first label(s), as printed: a
    syringe that continues on a second label shows both. Not a print: nothing is recorded."""
    if not items:
        return []
    try:
        pictures = labels.render_png(items[:1], check_layout(layout), captions())
    except labels.LabelDoesNotFit:
        return []
    return ["data:image/png;base64," + base64.b64encode(picture).decode() for picture in pictures]


def refusal(batch: Batch) -> DomainError | None:
    """Why the batch's labels would be refused now, in the words a page shows; None when they print."""
    try:
        _pick(batch, None)
    except DomainError as error:
        return error
    return None


def calibration_zpl(layout: str, dpi: int) -> Rendered:
    zpl = labels.render_calibration_zpl(_zpl_layout(layout), dpi=_dpi(dpi))
    return Rendered(zpl.encode("utf-8"), "text/plain; charset=utf-8", f"calibration-{layout}-{dpi}dpi.zpl")


def _dpi(dpi: int) -> int:
    if dpi not in ZPL_DPIS:
        raise Invalid(
            "invalid_dpi", _("The printer resolution must be 203, 300 or 600 dpi."), fields={"dpi": str(dpi)}
        )
    return dpi


def send_to_printer(
    batch: Batch, *, layout: str, user: User, codes: Sequence[str] | None = None, dpi: int = 203
) -> int:
    """Send the ZPL to the configured network printer (raw TCP, port 9100); returns the bytes sent."""
    host = current_app.config.get("LABEL_PRINTER_HOST") or ""
    port = int(current_app.config.get("LABEL_PRINTER_PORT") or 9100)
    if not host:
        raise Invalid("no_printer", _("No network label printer is configured (LABEL_PRINTER_HOST)."))
    syringes = _pick(batch, codes)
    data = _render(
        syringe_labels(batch, syringes), output="zpl", layout=layout, dpi=dpi, name=batch.code
    ).data
    _send(host, port, data)
    record_print(batch, syringes, layout=layout, output="printer", user=user)
    return len(data)


def _send(host: str, port: int, data: bytes) -> None:
    try:
        with socket.create_connection((host, port), timeout=PRINTER_TIMEOUT_S) as connection:
            connection.sendall(data)
    except OSError as error:
        raise DomainError(
            "printer_unavailable",
            _(
                "The label printer at %(host)s:%(port)s did not answer (%(why)s).",
                host=host,
                port=port,
                why=error,
            ),
            status=503,
        ) from None


def record_print(
    batch: Batch, syringes: Sequence[Syringe], *, layout: str, output: str, user: User
) -> LabelPrint:
    """A print or a reprint (some of these syringes were printed before), recorded and audited."""
    codes = [syringe.code for syringe in syringes]
    with transaction():
        earlier = db.session.scalars(select(LabelPrint.syringe_codes).where(LabelPrint.batch_id == batch.id))
        printed = {code for row in earlier for code in row}
        reprint = bool(printed.intersection(codes))
        row = LabelPrint(
            batch_id=batch.id,
            printed_at=clock.now(),
            printed_by_id=user.id,
            layout=layout,
            output=output,
            syringe_codes=codes,
            reprint=reprint,
        )
        db.session.add(row)
        db.session.flush()
        audit.record(
            "labels_reprinted" if reprint else "labels_printed",
            "batch",
            batch.id,
            details={
                "code": batch.code,
                "layout": layout,
                "output": output,
                "syringes": codes,
                "print_id": row.id,
            },
            user=user,
        )
    return row


def syringe_qr(code: str, *, kind: str, user: User) -> Rendered:
    """The QR alone (PNG or SVG) for one syringe; recorded like any print."""
    from inventory.services.batches import get_syringe

    syringe = get_syringe(code)
    _refuse_blocked(syringe.batch, [syringe])
    if kind == "png":
        rendered = Rendered(labels.qr_png(syringe.code), "image/png", f"{syringe.code}.png")
    else:
        rendered = Rendered(labels.qr_svg(syringe.code), "image/svg+xml", f"{syringe.code}.svg")
    record_print(syringe.batch, [syringe], layout="qr", output=kind, user=user)
    return rendered


def prints_of(batch: Batch) -> list[LabelPrint]:
    return list(
        db.session.scalars(
            select(LabelPrint).where(LabelPrint.batch_id == batch.id).order_by(LabelPrint.printed_at.desc())
        )
    )


# Vial labels (LBL-03): one per vial at receipt, reprinted from the vial and lot pages.


def vial_by_code(code: str) -> Vial:
    vial = db.session.scalar(select(Vial).where(Vial.code == code.strip().upper()))
    if vial is None:
        raise NotFound("not_found", _("No vial with the code %(code)s.", code=code))
    return vial


def vial_label(vial: Vial, usable_until: str | None = None) -> labels.VialLabel:
    """Product, lot, expiry, code; a multi-dose vial gets "Opened ____ Use by ____" (filled in when
    it is already open)."""
    product = vial.lot.product
    opened = clock.local(vial.opened_at).strftime("%Y-%m-%d %H:%M") if vial.opened_at else None
    return labels.VialLabel(
        code=vial.code,
        product_name=product.name,
        lot=vial.lot.number,
        expiry=vial.lot.expiry.isoformat(),
        multi_dose=product.container == Container.MULTI_DOSE,
        opened_at=opened,
        usable_until=usable_until if opened else None,
    )


def vial_labels(vials: Sequence[Vial]) -> list[labels.VialLabel]:
    from inventory.services.usability import vial_states

    states = vial_states([vial for vial in vials if vial.opened_at])
    return [
        vial_label(
            vial,
            clock.local(states[vial.id].usable_until).strftime("%Y-%m-%d %H:%M")
            if vial.id in states
            else None,
        )
        for vial in vials
    ]


def render_vials(
    vials: Sequence[Vial],
    *,
    output: str,
    layout: str,
    user: User,
    name: str,
    receipt: Receipt | None = None,
    dpi: int = 203,
) -> Rendered:
    """Vial labels as a PDF or ZPL, recorded as a print (a reprint when one of them was printed before)."""
    if not vials:
        raise Invalid("nothing_to_print", _("There is no vial to label."))
    rendered = _render(vial_labels(vials), output=output, layout=layout, dpi=dpi, name=name)
    record_vial_print(vials, layout=layout, output=output, user=user, receipt=receipt)
    return rendered


def record_vial_print(
    vials: Sequence[Vial], *, layout: str, output: str, user: User, receipt: Receipt | None = None
) -> list[VialLabelPrint]:
    """A row per vial; a vial whose label was printed before makes it a reprint. Audited once."""
    ids = [vial.id for vial in vials]
    with transaction():
        printed = set(
            db.session.scalars(select(VialLabelPrint.vial_id).where(VialLabelPrint.vial_id.in_(ids)))
        )
        now = clock.now()
        rows = [
            VialLabelPrint(
                vial_id=vial.id,
                receipt_id=receipt.id if receipt else None,
                printed_at=now,
                printed_by_id=user.id,
                layout=layout,
                output=output,
                reprint=vial.id in printed,
            )
            for vial in vials
        ]
        db.session.add_all(rows)
        db.session.flush()
        reprint = bool(printed)
        audit.record(
            "vial_labels_reprinted" if reprint else "vial_labels_printed",
            "receipt" if receipt else "vial",
            receipt.id if receipt else vials[0].id,
            details={"layout": layout, "output": output, "vials": [vial.code for vial in vials]},
            user=user,
        )
    return rows


def vial_prints(vial_ids: Sequence[int]) -> list[VialLabelPrint]:
    """Every print of these vials' labels, newest first."""
    return list(
        db.session.scalars(
            select(VialLabelPrint)
            .where(VialLabelPrint.vial_id.in_(list(vial_ids)))
            .order_by(VialLabelPrint.printed_at.desc(), VialLabelPrint.id.desc())
        )
    )
