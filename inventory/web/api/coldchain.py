"""/api/v1 endpoints of the cold chain (api.md, "Version 1.1 additions", "Cold chain")."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from inventory.errors import Invalid
from inventory.models.coldchain import Decision, Excursion, ExcursionStatus, StorageUnit, TemperatureReading
from inventory.permissions import Permission, permission_required, require
from inventory.rules import sensors as sensor_rules
from inventory.rules.policy import Storage
from inventory.services import excursions, readings, storage
from inventory.web.api import ApiBlueprint
from inventory.web.api.compounding import BatchOut, batch_out
from inventory.web.api.fields import Celsius
from inventory.web.api.stock import StockVialOut, one_vial

blp = ApiBlueprint("api_coldchain", __name__, url_prefix="/api/v1", description="cold chain")

ID_RANGE = validate.Range(min=1, max=2**31 - 1)


class StorageUnitIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=storage.NAME_MAX))
    kind = fields.String(required=True, validate=validate.OneOf([kind.value for kind in Storage]))
    min_c = Celsius(load_default=None, allow_none=True)
    max_c = Celsius(load_default=None, allow_none=True)
    mqtt_topic = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=sensor_rules.TOPIC_MAX),
        metadata={"description": "the MQTT topic of the unit's network sensor (no wildcards + or #)"},
    )


class StorageUnitPatch(Schema):
    mqtt_topic = fields.String(
        required=True,
        allow_none=True,
        validate=validate.Length(max=sensor_rules.TOPIC_MAX),
        metadata={"description": "the MQTT topic of the unit's network sensor; null or empty: none"},
    )


class StorageUnitOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    min_c = Celsius(attribute="min_dc")
    max_c = Celsius(attribute="max_dc")
    active = fields.Boolean()
    mqtt_topic = fields.String(allow_none=True)
    vials = fields.Integer(metadata={"description": "vials in stock in the unit now"})
    syringes = fields.Integer(metadata={"description": "unused syringes in the unit now"})


class StorageUnitList(Schema):
    items = fields.List(fields.Nested(StorageUnitOut))


class ReadingIn(Schema):
    at = fields.AwareDateTime(load_default=None, allow_none=True, metadata={"description": "default: now"})
    temperature_c = Celsius(required=True)
    min_c = Celsius(
        load_default=None, allow_none=True, metadata={"description": "lowest since the last reading"}
    )
    max_c = Celsius(
        load_default=None, allow_none=True, metadata={"description": "highest since the last reading"}
    )


class ReadingOut(Schema):
    id = fields.Integer()
    storage_unit_id = fields.Integer()
    at = fields.DateTime()
    temperature_c = Celsius(attribute="temperature_dc")
    min_c = Celsius(attribute="min_dc", allow_none=True)
    max_c = Celsius(attribute="max_dc", allow_none=True)
    in_range = fields.Boolean()
    source = fields.String()
    recorded_by = fields.Integer(attribute="recorded_by_id")
    excursion_id = fields.Integer(allow_none=True, dump_default=None)


class ExcursionQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in ExcursionStatus]))


class ExcursionLotOut(Schema):
    lot_id = fields.Integer(attribute="id")
    decision = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class ExcursionBatchOut(Schema):
    batch_id = fields.Integer(attribute="id")
    decision = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class ExposedPatientOut(Schema):
    patient_id = fields.Integer()
    name = fields.String()
    date_of_birth = fields.Date()
    phone = fields.String()
    syringe_code = fields.String()
    batch_id = fields.Integer()
    administered_at = fields.DateTime()


class ExcursionOut(Schema):
    id = fields.Integer()
    storage_unit_id = fields.Integer()
    start = fields.DateTime()
    end = fields.DateTime(allow_none=True)
    above = fields.Boolean(metadata={"description": "a reading went above the range (BUD-07 on release)"})
    status = fields.String()
    closed_at = fields.DateTime(allow_none=True)
    lots = fields.List(fields.Nested(ExcursionLotOut))
    batches = fields.List(fields.Nested(ExcursionBatchOut))
    patients = fields.List(fields.Nested(ExposedPatientOut))


class ExcursionList(Schema):
    items = fields.List(fields.Nested(ExcursionOut))


class DecisionIn(Schema):
    lot_id = fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE)
    batch_id = fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE)
    decision = fields.String(required=True, validate=validate.OneOf([d.value for d in Decision]))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=excursions.REASON_MAX))


class ImportFileIn(Schema):
    file = Upload(required=True)


class ImportMappingIn(Schema):
    time_column = fields.String(load_default=None, validate=validate.Length(max=60))
    temperature_column = fields.String(load_default=None, validate=validate.Length(max=60))


class ImportRowOut(Schema):
    line = fields.Integer()
    status = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.String())


class ReadingsImportOut(Schema):
    rows = fields.List(fields.Nested(ImportRowOut))
    created = fields.Integer()
    skipped = fields.Integer(metadata={"description": "times the unit had already"})


class MoveIn(Schema):
    storage_unit_id = fields.Integer(required=True, validate=ID_RANGE)


def _units_out(units: list[StorageUnit]) -> list[dict[str, Any]]:
    held = storage.contents(unit.id for unit in units)
    return [
        {
            "id": unit.id,
            "name": unit.name,
            "kind": unit.kind,
            "min_dc": unit.min_dc,
            "max_dc": unit.max_dc,
            "active": unit.active,
            "mqtt_topic": unit.mqtt_topic,
            "vials": held[unit.id].vials,
            "syringes": held[unit.id].syringes,
        }
        for unit in units
    ]


@blp.route("/storage-units", methods=["POST"])
@permission_required(Permission.QUALITY)
@blp.arguments(StorageUnitIn)
@blp.response(201, StorageUnitOut)
def create_unit(data: dict[str, Any]) -> dict[str, Any]:
    """COLD-01: a room shelf, fridge or freezer; its range defaults from the kind (manager, admin)."""
    user = require(Permission.QUALITY)
    request = storage.UnitRequest(
        name=data["name"],
        kind=data["kind"],
        min_dc=data["min_c"],
        max_dc=data["max_c"],
        mqtt_topic=data["mqtt_topic"],
    )
    return _units_out([storage.create_unit(request, user=user)])[0]


@blp.route("/storage-units/<int:unit_id>", methods=["PATCH"])
@permission_required(Permission.QUALITY)
@blp.arguments(StorageUnitPatch)
@blp.response(200, StorageUnitOut)
def update_unit(data: dict[str, Any], unit_id: int) -> dict[str, Any]:
    """COLD-02: set or clear the MQTT topic of the unit's network sensor (manager, admin); unique
    across units (409 `duplicate_topic`); `flask coldchain listen` follows it at its next refresh."""
    user = require(Permission.QUALITY)
    return _units_out([storage.set_topic(unit_id, data["mqtt_topic"], user=user)])[0]


@blp.route("/storage-units", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.response(200, StorageUnitList)
def list_units() -> dict[str, Any]:
    return {"items": _units_out(storage.list_units())}


@blp.route("/storage-units/<int:unit_id>", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.response(200, StorageUnitOut)
def get_unit(unit_id: int) -> dict[str, Any]:
    return _units_out([storage.get_unit(unit_id)])[0]


@blp.route("/vials/<int:vial_id>/move", methods=["POST"])
@permission_required(Permission.MANAGE_STOCK)
@blp.arguments(MoveIn)
@blp.response(200, StockVialOut)
def move_vial(data: dict[str, Any], vial_id: int) -> dict[str, Any]:
    """COLD-01: put a vial in stock into another unit; the move is recorded."""
    user = require(Permission.MANAGE_STOCK)
    return one_vial(storage.move_vial(vial_id, data["storage_unit_id"], user=user))


@blp.route("/batches/<int:batch_id>/move", methods=["POST"])
@permission_required(Permission.MANAGE_STOCK)
@blp.arguments(MoveIn)
@blp.response(200, BatchOut)
def move_batch(data: dict[str, Any], batch_id: int) -> dict[str, Any]:
    """COLD-01: the batch's unused syringes go to another unit; a warmer one can shorten their BUD
    (BUD-07), a colder one never extends it."""
    user = require(Permission.MANAGE_STOCK)
    return batch_out(storage.move_batch(batch_id, data["storage_unit_id"], user=user))


@blp.route("/storage-units/<int:unit_id>/readings", methods=["POST"])
@permission_required(Permission.MANAGE_STOCK)
@blp.arguments(ReadingIn)
@blp.response(201, ReadingOut)
def record_reading(data: dict[str, Any], unit_id: int) -> Any:
    """COLD-02: a reading (now, and the minimum and maximum since the last one), by the signed-in user."""
    user = require(Permission.MANAGE_STOCK)
    request = readings.ReadingRequest(
        temperature_dc=data["temperature_c"], min_dc=data["min_c"], max_dc=data["max_c"], at=data["at"]
    )
    recorded = readings.record_reading(unit_id, request, user=user)
    return {
        **{c.key: getattr(recorded.reading, c.key) for c in TemperatureReading.__table__.columns},
        "excursion_id": recorded.excursion_id,
    }


def _excursion_out(excursion: Excursion) -> dict[str, Any]:
    shown = excursions.view(excursion)
    return {
        "id": excursion.id,
        "storage_unit_id": excursion.storage_unit_id,
        "start": excursion.started_at,
        "end": excursion.ended_at,
        "above": excursion.above,
        "status": excursion.status,
        "closed_at": excursion.closed_at,
        "lots": shown.lots,
        "batches": shown.batches,
        "patients": excursions.exposed_patients(excursion),
    }


@blp.route("/excursions", methods=["GET"])
@permission_required(Permission.QUALITY)
@blp.arguments(ExcursionQuery, location="query")
@blp.response(200, ExcursionList)
def list_excursions(query: dict[str, Any]) -> dict[str, Any]:
    """COLD-03: excursions, newest first; `status` open or closed."""
    return {"items": [_excursion_out(e) for e in excursions.list_excursions(query["status"])]}


@blp.route("/excursions/<int:excursion_id>", methods=["GET"])
@permission_required(Permission.QUALITY)
@blp.response(200, ExcursionOut)
def get_excursion(excursion_id: int) -> dict[str, Any]:
    return _excursion_out(excursions.get_excursion(excursion_id))


@blp.route("/excursions/<int:excursion_id>/decisions", methods=["POST"])
@permission_required(Permission.QUALITY)
@blp.arguments(DecisionIn)
@blp.response(200, ExcursionOut)
def decide(data: dict[str, Any], excursion_id: int) -> dict[str, Any]:
    """COLD-04: release (with the manufacturer's reference or stability reasoning) or discard one lot or
    batch; the excursion closes when every lot and batch has a decision and a reading is back in range."""
    user = require(Permission.QUALITY)
    request = excursions.DecisionRequest(
        decision=data["decision"], reason=data["reason"], lot_id=data["lot_id"], batch_id=data["batch_id"]
    )
    return _excursion_out(excursions.decide(excursion_id, request, user=user))


@blp.route("/storage-units/<int:unit_id>/readings/import", methods=["POST"])
@permission_required(Permission.MANAGE_STOCK)
@blp.arguments(ImportMappingIn, location="form")
@blp.arguments(ImportFileIn, location="files")
@blp.response(200, ReadingsImportOut)
def import_readings(mapping: dict[str, Any], files: dict[str, Any], unit_id: int) -> Any:
    """COLD-02: a data logger's CSV export (multipart `file`); `time_column` and `temperature_column`
    the first time, then kept for the unit. All or nothing: 422 with every row when one is wrong."""
    user = require(Permission.MANAGE_STOCK)
    try:
        text = files["file"].read().decode("utf-8-sig")
    except UnicodeDecodeError:
        message = _("The file is not UTF-8 text.")
        raise Invalid("invalid_file", message, fields={"file": message}) from None
    return readings.import_csv(
        unit_id,
        text,
        user=user,
        time_column=mapping["time_column"],
        temperature_column=mapping["temperature_column"],
    )
