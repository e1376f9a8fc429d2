"""Cold-chain pages (COLD-01): storage units, a unit's contents and moves, moving by scanning a code."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import Field, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from inventory import charts, clock
from inventory.errors import DomainError, Invalid
from inventory.models.coldchain import StorageUnit
from inventory.permissions import Permission, can, permission_required, require
from inventory.rules import coldchain as cold_rules
from inventory.rules.errors import RuleError
from inventory.rules.policy import Storage
from inventory.rules.sensors import TOPIC_MAX
from inventory.services import batches, coldlog, excursions, placement, readings, receiving, storage
from inventory.web.errors import form_failed
from inventory.web.forms import choices

bp = Blueprint("coldchain", __name__, url_prefix="/cold")

UNIT_KIND_LABELS = {Storage.ROOM: _l("Room"), Storage.FRIDGE: _l("Fridge"), Storage.FREEZER: _l("Freezer")}


def celsius(tenths: int) -> str:
    """A temperature for a page: one decimal in the reader's locale (4.5 °C / 4,5 °C)."""
    return f"{format_decimal(cold_rules.from_dc(tenths), format='#,##0.0')} °C"


def unit_label(unit: StorageUnit) -> str:
    """What a unit is called in lists: its name, kind and range."""
    return str(
        _(
            "%(name)s (%(kind)s, %(low)s to %(high)s)",
            name=unit.name,
            kind=UNIT_KIND_LABELS.get(Storage(unit.kind), unit.kind),
            low=celsius(unit.min_dc),
            high=celsius(unit.max_dc),
        )
    )


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "celsius": celsius,
        "unit_kind_label": lambda value: UNIT_KIND_LABELS.get(value, value),
    }


class CelsiusField(StringField):
    """Degrees Celsius typed with a point or a comma; ``tenths`` holds the value read, or None if empty."""

    tenths: int | None = None

    def pre_validate(self, form: Any) -> None:
        self.tenths = None
        text = (self.data or "").strip()
        if not text:
            return
        try:
            self.tenths = cold_rules.to_dc(text)
        except RuleError:
            raise ValidationError(_("Enter a temperature in °C between −80 and 50, such as 4.5.")) from None


class UnitForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=storage.NAME_MAX)])
    kind = SelectField(_l("Kind"), default=Storage.FRIDGE.value)
    min_c = CelsiusField(_l("Lowest allowed (°C)"))
    max_c = CelsiusField(_l("Highest allowed (°C)"))
    mqtt_topic = StringField(_l("MQTT topic of its network sensor"), validators=[Length(max=TOPIC_MAX)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = choices([(kind.value, label) for kind, label in UNIT_KIND_LABELS.items()])


@bp.route("/units", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
def units() -> str:
    """Every unit with its range and what it holds; a manager adds units here."""
    return _units_page(UnitForm(formdata=None))


@bp.route("/units", methods=["POST"])
@permission_required(Permission.QUALITY)
def add_unit() -> str | Response:
    form = UnitForm()
    if form.validate_on_submit():
        unit_request = storage.UnitRequest(
            name=form.name.data or "",
            kind=form.kind.data or "",
            min_dc=_tenths(form.min_c),
            max_dc=_tenths(form.max_c),
            mqtt_topic=form.mqtt_topic.data or None,
        )
        try:
            unit = storage.create_unit(unit_request, user=require(Permission.QUALITY))
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(
                _("%(name)s is ready: put vials in it when receiving or moving.", name=unit.name),
                "success",
            )
            return redirect(url_for("coldchain.unit", unit_id=unit.id))
    return _units_page(form)


def _units_page(form: UnitForm) -> str:
    found = storage.list_units()
    return render_template(
        "coldchain/units.html",
        units=found,
        contents=storage.contents(unit.id for unit in found),
        form=form if can(current_user, Permission.QUALITY) else None,
        defaults={kind.value: cold_rules.DEFAULT_RANGES_DC[kind] for kind in Storage},
    )


def _tenths(field: Field) -> int | None:
    return getattr(field, "tenths", None)


class TopicForm(FlaskForm):
    mqtt_topic = StringField(_l("MQTT topic"), validators=[Length(max=TOPIC_MAX)])


@bp.route("/units/<int:unit_id>")
@permission_required(Permission.READ_CATALOGUE)
def unit(unit_id: int) -> str:
    found = storage.get_unit(unit_id)
    return _unit_page(found, TopicForm(formdata=None, mqtt_topic=found.mqtt_topic))


@bp.route("/units/<int:unit_id>/topic", methods=["POST"])
@permission_required(Permission.QUALITY)
def set_topic(unit_id: int) -> str | Response:
    """COLD-02: the topic a network sensor in the unit publishes on (empty: none); a manager's."""
    found = storage.get_unit(unit_id)
    form = TopicForm()
    if form.validate_on_submit():
        try:
            changed = storage.set_topic(found.id, form.mqtt_topic.data, user=require(Permission.QUALITY))
        except DomainError as error:
            form_failed(form, error)
        else:
            if changed.mqtt_topic:
                flash(
                    _(
                        "%(name)s now records what its sensor publishes on %(topic)s.",
                        name=changed.name,
                        topic=changed.mqtt_topic,
                    ),
                    "success",
                )
            else:
                flash(_("%(name)s has no network sensor now.", name=changed.name), "success")
            return redirect(url_for("coldchain.unit", unit_id=found.id))
    return _unit_page(found, form)


def _unit_page(found: StorageUnit, topic_form: TopicForm) -> str:
    return render_template(
        "coldchain/unit.html",
        topic_form=topic_form if can(current_user, Permission.QUALITY) else None,
        unit=found,
        contents=storage.contents([found.id])[found.id],
        moves=storage.moves_of_unit(found.id),
        open_excursions=excursions.open_of_unit(found.id),
        readings=readings.readings_of_unit(found.id),
        chart=_chart(found),
        month=clock.today().strftime("%Y-%m"),
    )


def _chart(unit: StorageUnit) -> Markup | None:
    """The last 30 days of readings as a server-side SVG line chart (now, min, max)."""
    since = clock.now() - timedelta(days=30)
    shown = [r for r in reversed(readings.readings_of_unit(unit.id, limit=500)) if r.at >= since]
    if len(shown) < 2:
        return None
    below_zero = unit.max_dc <= 0
    sign = -1 if below_zero else 1

    def values(pick: Any) -> list[float]:
        return [
            max(0.0, sign * cold_rules.from_dc(pick(r) if pick(r) is not None else r.temperature_dc))
            for r in shown
        ]

    return charts.line_chart(
        [clock.local(r.at).strftime("%d/%m %H:%M") for r in shown],
        [
            charts.Series(_("Now"), values(lambda r: r.temperature_dc)),
            charts.Series(_("Min"), values(lambda r: r.min_dc)),
            charts.Series(_("Max"), values(lambda r: r.max_dc)),
        ],
        title=_("Readings, last 30 days"),
        unit=_("°C below zero") if below_zero else "°C",
    )


class ImportForm(FlaskForm):
    file = FileField(_l("The data logger's CSV export"), validators=[FileRequired()])
    time_column = StringField(_l("Column of the time"), validators=[Length(max=60)])
    temperature_column = StringField(_l("Column of the temperature"), validators=[Length(max=60)])


@bp.route("/units/<int:unit_id>/import", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_STOCK)
def import_readings(unit_id: int) -> str | Response:
    """COLD-02: a logger's export; the columns are asked once and kept for the unit."""
    found = storage.get_unit(unit_id)
    form = ImportForm(
        time_column=found.import_time_column, temperature_column=found.import_temperature_column
    )
    rows: list[readings.ImportRow] = []
    if form.validate_on_submit():
        try:
            text = form.file.data.read().decode("utf-8-sig")
            result = readings.import_csv(
                found.id,
                text,
                user=require(Permission.MANAGE_STOCK),
                time_column=form.time_column.data or None,
                temperature_column=form.temperature_column.data or None,
            )
        except UnicodeDecodeError:
            form.file.errors = [_("The file is not UTF-8 text.")]
        except DomainError as error:
            rows = [readings.ImportRow(**row) for row in error.extra.get("rows", [])]
            form_failed(form, error)
        else:
            flash(
                _(
                    "%(created)s readings imported, %(skipped)s already known.",
                    created=result.created,
                    skipped=result.skipped,
                ),
                "success",
            )
            return redirect(url_for("coldchain.unit", unit_id=found.id))
    return render_template("coldchain/import.html", unit=found, form=form, rows=[r for r in rows if r.errors])


def _month_arg() -> date:
    text = request.args.get("month", "")
    try:
        return date.fromisoformat(f"{text}-01") if text else clock.today().replace(day=1)
    except ValueError:
        raise Invalid("invalid_input", _("Give the month as YYYY-MM."), fields={"month": text}) from None


@bp.route("/units/<int:unit_id>/log.csv")
@permission_required(Permission.READ_CATALOGUE)
def log_csv(unit_id: int) -> Response:
    """COLD-06: a month's readings as CSV (?month=YYYY-MM, default this month)."""
    log = coldlog.month_log(storage.get_unit(unit_id), _month_arg())
    name = f"temperature-log-{unit_id}-{log.month:%Y-%m}.csv"
    return Response(
        coldlog.log_csv(log),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/units/<int:unit_id>/log.pdf")
@permission_required(Permission.READ_CATALOGUE)
def log_pdf(unit_id: int) -> Response:
    """COLD-06: the monthly log, printable (readings, min/max, initials, excursions and decisions)."""
    log = coldlog.month_log(storage.get_unit(unit_id), _month_arg())
    name = f"temperature-log-{unit_id}-{log.month:%Y-%m}.pdf"
    pdf = coldlog.log_pdf(log, clinic_name=current_app.config.get("CLINIC_NAME", ""))
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


class ReadingForm(FlaskForm):
    temperature_c = CelsiusField(_l("Temperature now (°C)"), validators=[DataRequired()])
    min_c = CelsiusField(_l("Lowest since the last reading (°C)"))
    max_c = CelsiusField(_l("Highest since the last reading (°C)"))


@bp.route("/units/<int:unit_id>/reading", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_STOCK)
def reading(unit_id: int) -> str | Response:
    """COLD-02 from a phone in front of the fridge: now, min and max since the last reading."""
    found = storage.get_unit(unit_id)
    form = ReadingForm()
    if form.validate_on_submit():
        reading_request = readings.ReadingRequest(
            temperature_dc=_tenths(form.temperature_c) or 0,
            min_dc=_tenths(form.min_c),
            max_dc=_tenths(form.max_c),
        )
        try:
            recorded = readings.record_reading(
                found.id, reading_request, user=require(Permission.MANAGE_STOCK)
            ).reading
        except DomainError as error:
            form_failed(form, error)
        else:
            if recorded.in_range:
                flash(_("%(value)s recorded: in range.", value=celsius(recorded.temperature_dc)), "success")
            else:
                flash(
                    _(
                        "%(value)s recorded: OUT OF RANGE (%(low)s to %(high)s). Keep the door shut, "
                        "do not use what is inside and tell the manager now.",
                        value=celsius(recorded.temperature_dc),
                        low=celsius(found.min_dc),
                        high=celsius(found.max_dc),
                    ),
                    "error",
                )
            return redirect(url_for("coldchain.unit", unit_id=found.id))
    return render_template("coldchain/reading.html", unit=found, form=form)


class MoveForm(FlaskForm):
    code = StringField(_l("Scan the vial, syringe or batch"), validators=[DataRequired(), Length(max=200)])
    storage_unit_id = SelectField(_l("Put it in"), coerce=int, default=0, validate_choice=False)


@bp.route("/move", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_STOCK)
def move() -> str | Response:
    """Scan a vial (or a syringe or batch: every unused syringe of the batch moves), pick the unit."""
    form = MoveForm(storage_unit_id=request.args.get("unit", 0, type=int))
    form.storage_unit_id.choices = choices(
        [(0, _("— choose the unit —"))] + [(unit.id, unit_label(unit)) for unit in storage.list_units()]
    )
    if form.validate_on_submit():
        try:
            message = _move(form.code.data or "", form.storage_unit_id.data or None)
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(message, "success")
            return redirect(url_for("coldchain.move", unit=form.storage_unit_id.data))
    return render_template("coldchain/move.html", form=form)


def _move(code: str, unit_id: int | None) -> str:
    user = require(Permission.MANAGE_STOCK)
    unit = placement.unit_for_placing(unit_id)
    try:
        reading = receiving.read_scan(code)
    except DomainError as error:
        # The scan service names its field "data"; here the field is "code".
        raise type(error)(error.code, error.message, fields={"code": error.message}) from None
    if reading.kind == "vial" and reading.id is not None:
        vial = storage.move_vial(reading.id, unit.id, user=user)
        return str(_("Vial %(code)s is now in %(unit)s.", code=vial.code, unit=unit.name))
    batch_id = reading.id
    if reading.kind == "syringe" and reading.code is not None:
        batch_id = batches.get_syringe(reading.code).batch_id
    if reading.kind in ("syringe", "batch") and batch_id is not None:
        batch = storage.move_batch(batch_id, unit.id, user=user)
        return str(
            _("The unused syringes of batch %(code)s are now in %(unit)s.", code=batch.code, unit=unit.name)
        )
    message = _("Scan one of our vial, syringe or batch codes, not a manufacturer's pack.")
    raise Invalid("invalid_barcode", message, fields={"code": message})
