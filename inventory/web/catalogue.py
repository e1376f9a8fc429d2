"""Product pages: everyone reads, managers create and edit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from inventory.errors import DomainError
from inventory.models import ProductCategory
from inventory.names import CATEGORY_LABELS, CONTAINER_LABELS, STORAGE_LABELS
from inventory.permissions import Permission, permission_required
from inventory.rules.policy import Container, Storage
from inventory.services import audit, catalogue, usability
from inventory.web.errors import form_failed
from inventory.web.forms import MoneyField, VolumeField, choices

bp = Blueprint("catalogue", __name__, url_prefix="/products")


class SubstancesField(StringField):
    """Active substances typed as a list separated by commas (SAFE-12); stored as a list."""

    def _value(self) -> str:
        return ", ".join(self.data or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]) if valuelist else ""
        self.data = [part for part in (item.strip() for item in text.split(",")) if part]


class ProductForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    label_name = StringField(_l("Name on labels"), validators=[Optional(), Length(max=200)])
    category = SelectField(
        _l("Category"), choices=choices((c.value, CATEGORY_LABELS[c]) for c in ProductCategory)
    )
    strength = StringField(_l("Strength"), validators=[Optional(), Length(max=80)])
    container = SelectField(
        _l("Container"), choices=choices((c.value, CONTAINER_LABELS[c]) for c in Container)
    )
    volume_ul = VolumeField(_l("Volume per container (mL)"), validators=[InputRequired()])
    storage = SelectField(_l("Storage"), choices=choices((s.value, STORAGE_LABELS[s]) for s in Storage))
    in_use_days = IntegerField(
        _l("Days usable after opening (multi-dose)"), validators=[Optional(), NumberRange(min=1, max=365)]
    )
    sterile = BooleanField(_l("Sterile"), default=True)
    biological = BooleanField(_l("Biological (lot always recorded)"))
    gtin = StringField(_l("GTIN (from the pack's barcode)"), validators=[Optional(), Length(max=20)])
    reorder_point = IntegerField(_l("Reorder point (vials)"), default=0, validators=[NumberRange(min=0)])
    reorder_quantity = IntegerField(
        _l("Reorder quantity (vials)"), default=0, validators=[NumberRange(min=0)]
    )
    lead_time_days = IntegerField(_l("Lead time (days)"), default=7, validators=[NumberRange(min=0, max=365)])
    unit_cost_minor = MoneyField(_l("Cost per vial"), validators=[Optional()])
    active = BooleanField(_l("In use"), default=True)
    substances = SubstancesField(_l("Active substances"), validators=[Optional(), Length(max=1000)])

    def values(self) -> dict[str, Any]:
        data = {name: field.data for name, field in self._fields.items() if name in catalogue.EDITABLE}
        data["unit_cost_minor"] = data.get("unit_cost_minor") or 0
        data["gtin"] = (data.get("gtin") or "").strip() or None
        return data


@bp.route("/")
@permission_required(Permission.READ_CATALOGUE)
def index() -> str:
    query = request.args.get("q", "").strip().lower()
    products = [p for p in catalogue.list_products() if not query or query in p.name.lower()]
    levels = usability.usable_stock([p.id for p in products])
    return render_template(
        "catalogue/index.html", products=products, levels=levels, query=query, empty=usability.StockLevel()
    )


@bp.route("/<int:product_id>")
@permission_required(Permission.READ_CATALOGUE)
def show(product_id: int) -> str:
    product = catalogue.get_product(product_id)
    level = usability.usable_stock([product.id]).get(product.id, usability.StockLevel())
    history, _more = audit.entries(
        audit.AuditFilter(entity_type="product", entity_id=product.id), per_page=20
    )
    return render_template("catalogue/show.html", product=product, level=level, history=history)


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_PRODUCTS)
def create() -> str | Response:
    form = ProductForm()
    if form.validate_on_submit():
        try:
            product = catalogue.create_product(form.values())
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("%(name)s is in the catalogue.", name=product.name), "success")
            return redirect(url_for("catalogue.show", product_id=product.id))
    return render_template("catalogue/form.html", form=form, product=None)


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_PRODUCTS)
def edit(product_id: int) -> str | Response:
    product = catalogue.get_product(product_id)
    form = ProductForm(obj=product)
    if form.validate_on_submit():
        try:
            catalogue.update_product(product, form.values())
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("Changes to %(name)s are saved.", name=product.name), "success")
            return redirect(url_for("catalogue.show", product_id=product.id))
    return render_template("catalogue/form.html", form=form, product=product)
