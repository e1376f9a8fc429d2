"""Pages of the compounding area: recipes, preparing a batch, the two-person check, syringes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from inventory import clock
from inventory.errors import DomainError
from inventory.extensions import db
from inventory.models.clinic import Patient
from inventory.models.compounding import Batch, BatchStatus
from inventory.names import (
    BATCH_CATEGORY_LABELS,
    BATCH_STATUS_LABELS,
    DISCARD_LABELS,
    INDICATION_LABELS,
    ROUTE_LABELS,
    STORAGE_LABELS,
)
from inventory.permissions import Permission, can, permission_required, require
from inventory.rules import verification
from inventory.rules.policy import Category, Storage
from inventory.services import audit, batches, catalogue, placement, recipes, storage, usability
from inventory.web.coldchain import unit_label
from inventory.web.errors import form_failed
from inventory.web.forms import VolumeField

bp = Blueprint("compounding", __name__, url_prefix="/compounding")


def _choices(labels: dict[Any, Any]) -> list[SelectChoice]:
    return [SelectChoice(str(key), label) for key, label in labels.items()]


# --- recipes ---------------------------------------------------------------------------------------


class ComponentForm(Form):
    product_id = SelectField(_l("Product"), coerce=int, default=0)
    volume_ul = VolumeField(_l("mL per syringe"), validators=[Optional()])


class RecipeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    indication = SelectField(_l("Indication"), choices=_choices(INDICATION_LABELS))
    route = SelectField(_l("Route"), choices=_choices(ROUTE_LABELS))
    storage = SelectField(_l("Storage"), choices=_choices(STORAGE_LABELS))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    active = BooleanField(_l("In use"), default=True)
    components = FieldList(FormField(ComponentForm), min_entries=3, max_entries=20)

    def set_products(self) -> None:
        choices = [SelectChoice("0", _("— choose a product —"))] + [
            SelectChoice(str(p.id), p.name) for p in catalogue.list_products() if p.active
        ]
        for entry in self.components:
            entry.form.product_id.choices = choices

    def values(self) -> dict[str, Any]:
        rows = [entry.form for entry in self.components if entry.form.product_id.data]
        return {
            "name": self.name.data,
            "indication": self.indication.data,
            "route": self.route.data,
            "storage": self.storage.data,
            "notes": self.notes.data or "",
            "active": self.active.data,
            "components": [
                {"product_id": row.product_id.data, "volume_ul": row.volume_ul.data} for row in rows
            ],
        }

    def check_components(self) -> bool:
        """Each chosen product needs its volume; at least one product."""
        ok = True
        chosen = 0
        for entry in self.components:
            row = entry.form
            if row.product_id.data:
                chosen += 1
                if row.volume_ul.data is None:
                    row.volume_ul.errors = [*row.volume_ul.errors, _("Give the volume per syringe.")]
                    ok = False
        if chosen == 0:
            flash(_("Choose at least one product."), "error")
            ok = False
        return ok


def _recipe_form(obj: Any = None) -> RecipeForm:
    form = RecipeForm(obj=obj)
    if request.method == "POST" and "add_component" in request.form:
        form.components.append_entry()
    elif obj is not None and request.method == "GET":
        while len(form.components) < len(obj.components) + 1:
            form.components.append_entry()
    form.set_products()
    return form


@bp.route("/recipes", endpoint="recipes")
@permission_required(Permission.READ_CATALOGUE)
def recipes_index() -> str:
    return render_template("compounding/recipes.html", recipes=recipes.list_recipes())


@bp.route("/recipes/<int:recipe_id>")
@permission_required(Permission.READ_CATALOGUE)
def recipe(recipe_id: int) -> str:
    row = recipes.get_recipe(recipe_id)
    history, _more = audit.entries(audit.AuditFilter(entity_type="recipe", entity_id=row.id), per_page=20)
    versions = recipes.version_history(row)
    products = {c.product_id: c.product.name for view in versions for c in view.version.components}
    return render_template(
        "compounding/recipe.html", recipe=row, history=history, versions=versions, products=products
    )


@bp.route("/recipes/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_RECIPES)
def recipe_new() -> str | Response:
    form = _recipe_form()
    if "add_component" not in request.form and form.validate_on_submit() and form.check_components():
        try:
            row = recipes.create_recipe(form.values())
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("The recipe %(name)s is saved.", name=row.name), "success")
            return redirect(url_for("compounding.recipe", recipe_id=row.id))
    return render_template("compounding/recipe_form.html", form=form, recipe=None)


@bp.route("/recipes/<int:recipe_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_RECIPES)
def recipe_edit(recipe_id: int) -> str | Response:
    row = recipes.get_recipe(recipe_id)
    form = _recipe_form(row)
    if "add_component" not in request.form and form.validate_on_submit() and form.check_components():
        try:
            recipes.update_recipe(row, form.values())
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(
                _(
                    "Changes to %(name)s are saved as version %(version)s. Batches already made keep "
                    "the version they were made from.",
                    name=row.name,
                    version=row.version,
                ),
                "success",
            )
            return redirect(url_for("compounding.recipe", recipe_id=row.id))
    return render_template("compounding/recipe_form.html", form=form, recipe=row)


# --- batches ---------------------------------------------------------------------------------------


class BatchForm(FlaskForm):
    recipe_id = SelectField(_l("Recipe"), coerce=int, validators=[InputRequired()])
    syringes = IntegerField(
        _l("Syringes"), default=1, validators=[InputRequired(), NumberRange(min=1, max=batches.MAX_SYRINGES)]
    )
    category = SelectField(
        _l("Category"), choices=_choices(BATCH_CATEGORY_LABELS), default=Category.CATEGORY_1.value
    )
    storage = SelectField(_l("Storage"), choices=_choices(STORAGE_LABELS))
    patient_id = SelectField(_l("Patient"), coerce=int, default=0)
    prepared_at = HiddenField()
    vial_ids = HiddenField()
    scan = StringField(_l("Use another vial: scan its code"), validators=[Optional(), Length(max=200)])
    override_reason = TextAreaField(
        _l("Why these vials and not the first to expire?"), validators=[Optional(), Length(max=500)]
    )
    #: COLD-01: where the syringes go; proposed as the clinic's only unit of the batch's storage.
    storage_unit_id = SelectField(_l("The syringes go into"), coerce=int, default=0, validate_choice=False)

    def set_choices(self) -> None:
        self.recipe_id.choices = [
            SelectChoice(str(r.id), r.name) for r in recipes.list_recipes(active_only=True)
        ]
        patients = db.session.scalars(select(Patient).order_by(Patient.name).limit(500))
        self.patient_id.choices = [SelectChoice("0", _("— no patient (stock syringes) —"))] + [
            SelectChoice(str(p.id), f"{p.name} ({p.date_of_birth.isoformat()})") for p in patients
        ]
        self.storage_unit_id.choices = [SelectChoice("0", _("— no storage unit —"))] + [
            SelectChoice(str(unit.id), unit_label(unit)) for unit in storage.list_units()
        ]

    def batch_request(self, *, with_vials: bool = True) -> batches.BatchRequest:
        return batches.BatchRequest(
            recipe_id=self.recipe_id.data,
            syringes=self.syringes.data or 0,
            category=self.category.data,
            storage=self.storage.data,
            patient_id=self.patient_id.data or None,
            vial_ids=_ids(self.vial_ids.data) if with_vials else None,
            override_reason=self.override_reason.data or None,
            prepared_at=_moment(self.prepared_at.data),
            storage_unit_id=self.storage_unit_id.data or None,
        )


def _ids(text: str | None) -> tuple[int, ...] | None:
    ids = tuple(int(part) for part in (text or "").split(",") if part.strip().isdigit())
    return ids or None


def _moment(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.route("/batches", endpoint="batches")
@permission_required(Permission.READ_CATALOGUE)
def batches_index() -> str:
    status = request.args.get("status") or None
    if status not in {None, *(s.value for s in BatchStatus)}:
        status = None
    return render_template(
        "compounding/batches.html",
        batches=batches.list_batches(status=status),
        status=status,
        statuses=BATCH_STATUS_LABELS,
    )


@bp.route("/batches/new", methods=["GET", "POST"])
@permission_required(Permission.COMPOUND)
def batch_new() -> str | Response:
    form = BatchForm()
    form.set_choices()
    if request.method == "GET" and request.args.get("recipe_id", "").isdigit():
        form.recipe_id.data = int(request.args["recipe_id"])
    action = request.form.get("action", "")
    if not action and request.form.get("scan", "").strip():
        action = "swap"  # a handheld scanner's Enter submits the form without a button
    if request.method == "GET" or action == "change" or not form.validate_on_submit():
        return render_template("compounding/batch_new.html", form=form, proposal=None)
    if action == "propose":
        form.prepared_at.data = clock.now().isoformat()  # BUD-02: preparation starts now
        form.vial_ids.data = ""
        form.override_reason.data = ""
    elif action == "swap":
        return _swap(form)
    elif action == "confirm":
        return _confirm(form)
    return _show_proposal(form)


def _show_proposal(form: BatchForm, *, error: DomainError | None = None) -> str:
    """The vials the app proposes (FEFO unless swapped), what each gives, and the BUD to expect."""
    if error is not None:
        form_failed(form, error)
    try:
        proposal = batches.propose(form.batch_request())
    except DomainError as refused:
        form_failed(form, refused)
        return render_template("compounding/batch_new.html", form=form, proposal=None)
    form.vial_ids.data = ",".join(str(i) for i in proposal.vial_ids)
    if not form.storage_unit_id.data and form.storage.data in {kind.value for kind in Storage}:
        default = placement.only_unit(form.storage.data)
        form.storage_unit_id.data = default.id if default is not None else 0
    return render_template(
        "compounding/batch_new.html",
        form=form,
        proposal=proposal,
        bud=batches.expected_bud(form.batch_request(), proposal),
        recipe=recipes.get_recipe(form.recipe_id.data),
        patient=db.session.get(Patient, form.patient_id.data) if form.patient_id.data else None,
    )


def _swap(form: BatchForm) -> str:
    if not (form.scan.data or "").strip():
        return _show_proposal(form)
    try:
        ids = batches.prefer_vial(form.batch_request(), form.scan.data or "")
    except DomainError as error:
        return _show_proposal(form, error=error)
    form.vial_ids.data = ",".join(str(i) for i in ids)
    form.scan.data = ""
    return _show_proposal(form)


def _confirm(form: BatchForm) -> str | Response:
    try:
        batch = batches.prepare_batch(form.batch_request(), current_user._get_current_object())
    except DomainError as error:
        return _show_proposal(form, error=error)
    flash(_("Batch %(code)s is prepared.", code=batch.code), "success")
    return redirect(url_for("compounding.batch", batch_id=batch.id))


class VerifyForm(FlaskForm):
    """The blind second check (SAFE-15): the vials scanned one after another (a scanner's Enter
    starts a new line) and the volume measured in a syringe."""

    vials = TextAreaField(_l("Scan every vial that was drawn (V…), one after another"))
    volume_ml = VolumeField(_l("Volume you measured in one syringe (mL)"), validators=[InputRequired()])


class DiscardForm(FlaskForm):
    reason = SelectField(
        _l("Reason"),
        choices=[SelectChoice(reason, DISCARD_LABELS[reason]) for reason in batches.SYRINGE_DISCARD_REASONS],
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class StorageForm(FlaskForm):
    storage = SelectField(_l("Move the syringes to"), choices=_choices(STORAGE_LABELS))


def _batch_page(batch: Batch) -> tuple[str, int]:
    patient = db.session.get(Patient, batch.patient_id) if batch.patient_id else None
    history, _more = audit.entries(audit.AuditFilter(entity_type="batch", entity_id=batch.id), per_page=30)
    return render_template(
        "compounding/batch.html",
        batch=batch,
        patient=patient,
        draws=batches.draws_with_lots(batch),
        discard_form=DiscardForm(formdata=None),
        storage_form=StorageForm(formdata=None, storage=batch.storage),
        own=batch.prepared_by_id == current_user.id,
        # SAFE-15: a possible second person sees no volume, vial or lot before the check
        blind=usability.batch_awaiting_verification(batch)
        and batch.prepared_by_id != current_user.id
        and can(current_user, Permission.COMPOUND),
        history=history,
        bud_passed=usability.bud_passed(batch.bud),
        verdicts=usability.syringe_verdicts(batch.syringes),
    ), 200


@bp.route("/batches/<int:batch_id>")
@permission_required(Permission.READ_CATALOGUE)
def batch(batch_id: int) -> tuple[str, int]:
    return _batch_page(batches.get_batch(batch_id))


def _verify_page(batch: Batch, form: VerifyForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "compounding/verify_batch.html",
        batch=batch,
        check=batches.verification_view(batch),
        form=form,
        own=batch.prepared_by_id == current_user.id,
        awaiting=batch.status == BatchStatus.AWAITING_VERIFICATION,
    ), status


@bp.route("/batches/<int:batch_id>/verify", methods=["GET", "POST"])
@permission_required(Permission.COMPOUND)
def batch_verify(batch_id: int) -> tuple[str, int] | Response:
    """SAFE-05, SAFE-15: another person scans the vials drawn and re-enters the volume, blind."""
    row = batches.get_batch(batch_id)
    if request.method == "GET":
        return _verify_page(row, VerifyForm(formdata=None))
    form = VerifyForm()
    if form.validate_on_submit() and form.volume_ml.data is not None:
        try:
            batches.verify_batch(
                batch_id,
                form.volume_ml.data,
                current_user._get_current_object(),
                verification.split_scans(form.vials.data or ""),
            )
        except DomainError as error:
            db.session.expire_all()
            form_failed(form, error)
            form.volume_ml.raw = ""  # never show back what was typed: the check is re-entry
            return _verify_page(batches.get_batch(batch_id), form, error.status)
        flash(_("Batch %(code)s is released: its syringes can be used.", code=row.code), "success")
        return redirect(url_for("compounding.batch", batch_id=batch_id))
    form.volume_ml.raw = ""
    return _verify_page(row, form, 422)


@bp.route("/verify")
@permission_required(Permission.COMPOUND)
def verify() -> str | Response:
    """Scan a batch's code (B…) to check it; lists what awaits a second person."""
    code = request.args.get("code", "").strip()
    if code:
        try:
            found = batches.find_batch(code)
        except DomainError as error:
            flash(error.message, "error")
        else:
            return redirect(url_for("compounding.batch_verify", batch_id=found.id))
    waiting = batches.list_batches(status=BatchStatus.AWAITING_VERIFICATION)
    return render_template("compounding/verify.html", waiting=waiting, code=code)


@bp.route("/syringes/<code>/discard", methods=["POST"])
@permission_required(Permission.COMPOUND)
def syringe_discard(code: str) -> Response:
    form = DiscardForm()
    syringe = batches.get_syringe(code)
    if form.validate_on_submit():
        try:
            batches.discard_syringe(
                code, form.reason.data, form.note.data or "", current_user._get_current_object()
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Syringe %(code)s is discarded.", code=syringe.code), "success")
    return redirect(url_for("compounding.batch", batch_id=syringe.batch_id))


@bp.route("/batches/<int:batch_id>/storage", methods=["POST"])
@permission_required(Permission.COMPOUND)
def batch_storage(batch_id: int) -> Response:
    """BUD-07: moving to a warmer place can shorten the BUD."""
    form = StorageForm()
    if form.validate_on_submit():
        try:
            moved = batches.move_storage(batch_id, form.storage.data, require(Permission.COMPOUND))
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(
                _(
                    "The syringes are now stored at %(where)s; BUD %(bud)s.",
                    where=STORAGE_LABELS[Storage(moved.storage)],
                    bud=clock.local(moved.bud).strftime("%Y-%m-%d %H:%M"),
                ),
                "success",
            )
    return redirect(url_for("compounding.batch", batch_id=batch_id))
