"""/api/v1 patients, sessions and scans (api.md "Patients, sessions, scanning")."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields, validate

from inventory.models.clinic import Patient, TreatmentSession
from inventory.models.compounding import Indication
from inventory.permissions import Permission, permission_required, require
from inventory.services import patients, scanning, sessions
from inventory.web.api import ApiBlueprint
from inventory.web.api.fields import InputSchema, VolumeMl

blp = ApiBlueprint("api_clinic", __name__, url_prefix="/api/v1", description="clinic")


class ClinicPatientIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    date_of_birth = fields.Date(required=True)
    mrn = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    phone = fields.String(load_default="", validate=validate.Length(max=40))
    email = fields.String(load_default="", validate=validate.Length(max=200))


class ClinicPatientOut(Schema):
    id = fields.Integer()
    name = fields.String()
    date_of_birth = fields.Date()
    mrn = fields.String(allow_none=True)
    phone = fields.String()
    email = fields.String()
    created_at = fields.DateTime()


class ClinicPatientQuery(InputSchema):
    q = fields.String(load_default="")
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=patients.SEARCH_LIMIT, validate=validate.Range(min=1, max=200))


class ClinicPatientList(Schema):
    items = fields.List(fields.Nested(ClinicPatientOut))
    next = fields.Integer(allow_none=True)


class ClinicSessionIn(InputSchema):
    patient_id = fields.Integer(required=True)
    indication = fields.String(required=True, validate=validate.OneOf([i.value for i in Indication]))
    area = fields.String(load_default="", validate=validate.Length(max=80))


class ClinicWarningOut(Schema):
    code = fields.String()
    message = fields.String()


class ClinicSessionOut(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    practitioner_id = fields.Integer()
    indication = fields.String()
    area = fields.String()
    status = fields.String()
    started_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    warnings = fields.List(fields.Nested(ClinicWarningOut))


class ClinicSessionRowOut(Schema):
    id = fields.Integer()
    indication = fields.String()
    area = fields.String()
    status = fields.String()
    started_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    practitioner_id = fields.Integer()


class ClinicPatientSessionsOut(ClinicPatientOut):
    sessions = fields.List(fields.Nested(ClinicSessionRowOut))


class ClinicIdentityOut(Schema):
    name = fields.String()
    date_of_birth = fields.Date()


class ClinicAdministrationOut(Schema):
    id = fields.Integer()
    syringe_code = fields.String()
    batch_id = fields.Integer()
    volume_ml = VolumeMl(attribute="volume_ul")
    administered_at = fields.DateTime()
    site = fields.String()
    practitioner_id = fields.Integer()
    identity_checked = fields.Boolean()


class ClinicScanRecordOut(Schema):
    id = fields.Integer()
    scanned_at = fields.DateTime()
    user_id = fields.Integer()
    raw = fields.String()
    code = fields.String(allow_none=True)
    syringe_id = fields.Integer(allow_none=True)
    verdict = fields.String()
    reasons = fields.List(fields.String())
    administration_id = fields.Integer(allow_none=True)


class ClinicSessionDetailOut(ClinicSessionOut):
    patient = fields.Nested(ClinicIdentityOut)
    administrations = fields.List(fields.Nested(ClinicAdministrationOut))
    scans = fields.List(fields.Nested(ClinicScanRecordOut))


class ClinicScanIn(InputSchema):
    code = fields.String(required=True, validate=validate.Length(max=300))
    site = fields.String(load_default="", validate=validate.Length(max=80))
    volume_ul = VolumeMl(load_default=None, allow_none=True, data_key="volume_ml")


class ClinicLotOut(Schema):
    lot = fields.String()
    expiry = fields.Date()


class ClinicComponentOut(Schema):
    product = fields.String()
    volume_ml = VolumeMl(attribute="volume_ul")
    biological = fields.Boolean()
    lots = fields.List(fields.Nested(ClinicLotOut))


class ClinicContentsOut(Schema):
    code = fields.String()
    recipe = fields.String()
    volume_ml = VolumeMl(attribute="volume_ul")
    bud = fields.DateTime()
    batch_id = fields.Integer()
    components = fields.List(fields.Nested(ClinicComponentOut))


class ClinicScanOkOut(Schema):
    verdict = fields.String()
    administration = fields.Nested(ClinicAdministrationOut)
    patient = fields.Nested(ClinicIdentityOut)
    syringe = fields.Nested(ClinicContentsOut)


class ClinicScanBlockedOut(Schema):
    verdict = fields.String()
    reasons = fields.List(fields.String())
    error = fields.Dict()


def _patient(patient: Patient) -> dict[str, Any]:
    return {column.key: getattr(patient, column.key) for column in Patient.__table__.columns}


def _session(
    treatment: TreatmentSession, warnings: list[sessions.SessionWarning] | None = None
) -> dict[str, Any]:
    data = {column.key: getattr(treatment, column.key) for column in TreatmentSession.__table__.columns}
    data["warnings"] = [{"code": w.code, "message": w.message} for w in warnings or []]
    return data


def _administrations(session_id: int) -> list[dict[str, Any]]:
    rows = sessions.administrations_of(session_id)
    checked = sessions.identity_checked([row.id for row in rows])
    return [
        {
            "id": row.id,
            "syringe_code": row.syringe.code,
            "batch_id": row.syringe.batch_id,
            "volume_ul": row.volume_ul,
            "administered_at": row.administered_at,
            "site": row.site,
            "practitioner_id": row.practitioner_id,
            "identity_checked": row.id in checked,
        }
        for row in rows
    ]


@blp.route("/patients", methods=["POST"])
@permission_required(Permission.WRITE_PATIENTS)
@blp.arguments(ClinicPatientIn)
@blp.response(201, ClinicPatientOut)
def create_patient(data: dict[str, Any]) -> dict[str, Any]:
    """Add a patient: name and date of birth (the two identifiers), record number, contact details."""
    return _patient(patients.create_patient(data))


@blp.route("/patients", methods=["GET"])
@permission_required(Permission.READ_PATIENTS)
@blp.arguments(ClinicPatientQuery, location="query")
@blp.response(200, ClinicPatientList)
def search_patients(args: dict[str, Any]) -> dict[str, Any]:
    """Patients by name (accents and Turkish i ignored), record number, phone or date of birth."""
    found, more = patients.search_patients(args["q"], page=args["page"], per_page=args["per_page"])
    return {"items": [_patient(p) for p in found], "next": args["page"] + 1 if more else None}


@blp.route("/patients/<int:patient_id>", methods=["GET"])
@permission_required(Permission.READ_PATIENTS)
@blp.response(200, ClinicPatientSessionsOut)
def get_patient(patient_id: int) -> dict[str, Any]:
    patient = patients.get_patient(patient_id)
    return {**_patient(patient), "sessions": [_session(s) for s in patients.sessions_of(patient.id)]}


@blp.route("/sessions", methods=["POST"])
@permission_required(Permission.ADMINISTER)
@blp.arguments(ClinicSessionIn)
@blp.response(201, ClinicSessionOut)
def open_session(data: dict[str, Any]) -> dict[str, Any]:
    """Open a session; a session of the same indication sooner than the clinic's interval is a warning."""
    user = require(Permission.ADMINISTER)
    opened = sessions.open_session(data["patient_id"], data["indication"], data["area"], practitioner=user)
    return _session(opened.session, opened.warnings)


@blp.route("/sessions/<int:session_id>/close", methods=["POST"])
@permission_required(Permission.ADMINISTER)
@blp.response(200, ClinicSessionOut)
def close_session(session_id: int) -> dict[str, Any]:
    user = require(Permission.ADMINISTER)
    return _session(sessions.close_session(session_id, user=user))


@blp.route("/sessions/<int:session_id>", methods=["GET"])
@permission_required(Permission.ADMINISTER)
@blp.response(200, ClinicSessionDetailOut)
def get_session(session_id: int) -> dict[str, Any]:
    """The session with its administrations and every scan, verdicts and reasons included."""
    treatment = sessions.get_session(session_id)
    return {
        **_session(treatment),
        "patient": treatment.patient,
        "administrations": _administrations(treatment.id),
        "scans": sessions.scans_of(treatment.id),
    }


@blp.route("/sessions/<int:session_id>/scans", methods=["POST"])
@permission_required(Permission.ADMINISTER)
@blp.arguments(ClinicScanIn)
@blp.response(201, ClinicScanOkOut)
@blp.alt_response(409, schema=ClinicScanBlockedOut, description="Blocked: every reason that applies")
def scan_syringe(data: dict[str, Any], session_id: int) -> Any:
    """Scan a syringe at the chair (SAFE-06): 201 administered, or 409 blocked with every reason."""
    user = require(Permission.ADMINISTER)
    outcome = scanning.scan(
        session_id, data["code"], user=user, site=data["site"], volume_ul=data["volume_ul"]
    )
    if not outcome.ok or outcome.administration is None:
        return blocked_response(outcome)
    return {
        "verdict": "ok",
        "administration": {**asdict(outcome.administration), "identity_checked": False},
        "patient": outcome.patient,
        "syringe": outcome.contents,
    }


class ClinicIdentityCheckOut(Schema):
    administration_id = fields.Integer()
    checked_by_id = fields.Integer()
    checked_at = fields.DateTime()


@blp.route(
    "/sessions/<int:session_id>/administrations/<int:administration_id>/identity-check", methods=["POST"]
)
@permission_required(Permission.ADMINISTER)
@blp.response(201, ClinicIdentityCheckOut)
def confirm_identity(session_id: int, administration_id: int) -> Any:
    """SAFE-07: the practitioner checked the patient's name and date of birth (recorded once)."""
    user = require(Permission.ADMINISTER)
    return sessions.confirm_identity(session_id, administration_id, user=user)


def blocked_response(outcome: scanning.ScanOutcome) -> tuple[Response, int]:
    body = {
        "verdict": "blocked",
        "reasons": outcome.reasons,
        "error": {
            "code": "scan_blocked",
            "message": outcome.message,
            "fields": {reason: scanning.reason_text(reason) for reason in outcome.reasons},
        },
    }
    return jsonify(body), 409
