"""The clinic's policy page (managers, admins): the BUD table and the in-use limits, the same service
as PUT /api/v1/policy. Hours may be typed with a decimal comma; an empty cell means "not allowed"."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from inventory.errors import DomainError, Invalid
from inventory.permissions import Permission, permission_required
from inventory.rules.policy import USP_797_MAXIMA, LimitRow, Storage
from inventory.services import policy as policy_service
from inventory.services.audit import AuditFilter, entries

bp = Blueprint("policy", __name__, url_prefix="/policy")

ROW_LABELS = {
    LimitRow.IMMEDIATE: _l("Immediate use"),
    LimitRow.CATEGORY_1: _l("Category 1"),
    LimitRow.CATEGORY_2_STERILE: _l("Category 2, all components sterile"),
    LimitRow.CATEGORY_2_NONSTERILE: _l("Category 2, a non-sterile component"),
}
STORAGE_HEADINGS = {Storage.ROOM: _l("Room"), Storage.FRIDGE: _l("Fridge"), Storage.FREEZER: _l("Freezer")}
IN_USE = ("single_dose_hours", "multi_dose_days")


def _number(text: str) -> int | float:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _cell(row: LimitRow, storage: Storage) -> str:
    return f"bud_hours.{row.value}.{storage.value}"


def _document_from(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The policy document from the form, and what could not be read, by document path."""
    errors: dict[str, str] = {}
    bud: dict[str, dict[str, Any]] = {}
    for row in LimitRow:
        bud[row.value] = {}
        for storage in Storage:
            text = (form.get(_cell(row, storage)) or "").strip()
            try:
                bud[row.value][storage.value] = _number(text) if text else None
            except ValueError:
                errors[_cell(row, storage)] = _("A number of hours, or empty for not allowed.")
    in_use: dict[str, Any] = {}
    for key in IN_USE:
        text = (form.get(f"in_use.{key}") or "").strip()
        try:
            in_use[key] = _number(text)
            if key == "multi_dose_days" and not isinstance(in_use[key], int):
                raise ValueError(text)
        except ValueError:
            errors[f"in_use.{key}"] = _("A whole number.") if key == "multi_dose_days" else _("A number.")
    return {"bud_hours": bud, "in_use": in_use}, errors


def _shown(document: dict[str, Any]) -> dict[str, str]:
    values = {
        _cell(row, storage): _text(document["bud_hours"][row.value][storage.value])
        for row in LimitRow
        for storage in Storage
    }
    values.update({f"in_use.{key}": _text(document["in_use"][key]) for key in IN_USE})
    return values


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@bp.route("", methods=["GET", "POST"])
@permission_required(Permission.POLICY)
def edit() -> str | Response:
    form = FlaskForm()
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        document, errors = _document_from(request.form)
        try:
            if errors:
                raise Invalid("invalid_policy", _("Some values are not numbers."), fields=errors)
            policy_service.update_policy(document, reason=request.form.get("reason"))
        except DomainError as error:
            errors = {**errors, **{name: str(message) for name, message in error.fields.items()}}
            flash(error.message, "error")
        else:
            flash(_("The policy is saved and governs every computation from now on."), "success")
            return redirect(url_for("policy.edit"))
        values = {key: request.form.get(key, "") for key in _shown(_usp_document())}
    else:
        values = _shown(policy_service.policy_document(policy_service.current_policy()))
    history, _more = entries(AuditFilter(action="policy_changed"), page=1, per_page=20)
    return render_template(
        "policy/edit.html",
        form=form,
        values=values,
        errors=errors,
        reason=request.form.get("reason", ""),
        maxima=_shown(_usp_document()),
        rows=[(row, ROW_LABELS[row]) for row in LimitRow],
        storages=[(storage, STORAGE_HEADINGS[storage]) for storage in Storage],
        history=history,
    )


def _usp_document() -> dict[str, Any]:
    return policy_service.policy_document(USP_797_MAXIMA)


@bp.app_template_global()
def policy_multi_dose_days() -> int:
    """The clinic's stored multi-dose in-use limit, for pages that mention it (never a hard-coded 28)."""
    return policy_service.current_policy().multi_dose_in_use_days
