"""The manager's excursion pages (COLD-03..05): the list, one excursion with its readings, every lot and
batch held, a decision form for each, and the patients exposed. The API's decisions call the same
service (`excursions.decide`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import RadioField, SelectChoice, TextAreaField

from inventory.errors import DomainError
from inventory.models.coldchain import Decision, ExcursionStatus
from inventory.names import DECISION_LABELS
from inventory.permissions import Permission, permission_required, require
from inventory.services import excursions
from inventory.web.coldchain import celsius

bp = Blueprint("excursions", __name__, url_prefix="/cold/excursions")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"celsius": celsius}


class DecisionForm(FlaskForm):
    """One lot's or one batch's decision; the service checks the choice and the reason (one place)."""

    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice(d.value, DECISION_LABELS[d]) for d in Decision],
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("Manufacturer's reference or stability reasoning"),
        render_kw={"rows": 3, "maxlength": excursions.REASON_MAX},
    )


def _form_key(kind: str, item_id: int) -> str:
    return f"{kind}{item_id}"


def _blank_form(kind: str, item_id: int) -> DecisionForm:
    return DecisionForm(formdata=None, prefix=_form_key(kind, item_id))


@bp.route("")
@permission_required(Permission.QUALITY)
def index() -> str:
    """Open excursions first, then closed, newest first."""
    return render_template("coldchain/excursions.html", rows=excursions.overview())


@bp.route("/<int:excursion_id>")
@permission_required(Permission.QUALITY)
def show(excursion_id: int) -> str:
    return _page(excursion_id, None)


@bp.route("/<int:excursion_id>/<any(lot, batch):kind>/<int:item_id>", methods=["POST"])
@permission_required(Permission.QUALITY)
def decide(excursion_id: int, kind: str, item_id: int) -> str | Response:
    """COLD-04: release (with the reference or reasoning) or discard one lot or batch."""
    user = require(Permission.QUALITY)
    form = DecisionForm(prefix=_form_key(kind, item_id))
    if form.validate_on_submit():
        request = excursions.DecisionRequest(
            decision=form.decision.data or "",
            reason=form.reason.data or "",
            lot_id=item_id if kind == "lot" else None,
            batch_id=item_id if kind == "batch" else None,
        )
        try:
            decided = excursions.decide(excursion_id, request, user=user)
        except DomainError as error:
            for name, message in error.fields.items():
                field = getattr(form, "reason" if name in ("lot_id", "batch_id") else name, None)
                if field is not None:
                    field.errors = [*field.errors, message]
            flash(error.message, "error")
        else:
            if request.decision == Decision.DISCARD:
                flash(_("Discarded: the waste is recorded."), "success")
            else:
                flash(_("Released: the hold is lifted."), "success")
            if decided.status == ExcursionStatus.CLOSED:
                flash(_("Every lot and batch is decided: the excursion is closed."), "success")
            anchor = f"{kind}-{item_id}"
            return redirect(url_for("excursions.show", excursion_id=excursion_id, _anchor=anchor))
    return _page(excursion_id, (kind, item_id, form))


def _page(excursion_id: int, failed: tuple[str, int, DecisionForm] | None) -> str:
    shown = excursions.detail(excursions.get_excursion(excursion_id))
    forms: dict[str, DecisionForm] = {}
    for held_lot in shown.lots:
        if held_lot.decision is None:
            forms[_form_key("lot", held_lot.lot.id)] = _blank_form("lot", held_lot.lot.id)
    for held_batch in shown.batches:
        if held_batch.decision is None:
            forms[_form_key("batch", held_batch.batch.id)] = _blank_form("batch", held_batch.batch.id)
    if failed is not None:
        kind, item_id, form = failed
        if _form_key(kind, item_id) in forms:
            forms[_form_key(kind, item_id)] = form
    return render_template("coldchain/excursion.html", shown=shown, forms=forms)
