"""/api/v1 patients, sessions and scans (api.md "Patients, sessions, scanning")."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields, validate

from inventory.models.clinic import Administration, CorrectedField, Patient, TreatmentSession, VoidReason
from inventory.models.compounding import Indication
from inventory.permissions import Permission, permission_required, require
from inventory.rules.units import ml_number
from inventory.services import patients, scanning, sessions
from inventory.web.api import ApiBlueprint
from inventory.web.api.fields import InputSchema, QuerySchema, VolumeMl

blp = ApiBlueprint("api_clinic", __name__, url_prefix="/api/v1", description="clinic")


class ClinicPatientIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    date_of_birth = fields.Date(required=True)
    mrn = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    phone = fields.String(load_default="", validate=validate.Length(max=40))
    email = fields.String(load_default="", validate=validate.Length(max=200))
    confirm_new = fields.Boolean(load_default=False)


class ClinicPatientPatch(InputSchema):
    """Only the fields sent change; each change is kept as before → after."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    date_of_birth = fields.Date()
    mrn = fields.String(allow_none=True, validate=validate.Length(max=40))
    phone = fields.String(validate=validate.Length(max=40))
    email = fields.String(validate=validate.Length(max=200))


class ClinicPatientMergeIn(InputSchema):
    into_patient_id = fields.Integer(required=True, validate=validate.Range(min=1))


class ClinicPatientOut(Schema):
    id = fields.Integer()
    name = fields.String()
    date_of_birth = fields.Date()
    mrn = fields.String(allow_none=True)
    phone = fields.String()
    email = fields.String()
    created_at = fields.DateTime()
    merged_into_id = fields.Integer(allow_none=True)
    merged_at = fields.DateTime(allow_none=True)


class ClinicPatientQuery(QuerySchema):
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


class ClinicAllergyIn(InputSchema):
    substance = fields.String(required=True, validate=validate.Length(min=1, max=80))
    reaction = fields.String(load_default="", validate=validate.Length(max=1000))


class ClinicAllergyOut(Schema):
    id = fields.Integer()
    substance = fields.String()
    reaction = fields.String()
    noted_at = fields.DateTime()


class ClinicPatientEventOut(Schema):
    id = fields.Integer()
    session_id = fields.Integer()
    onset_at = fields.DateTime()
    severity = fields.String()
    description = fields.String()
    outcome = fields.String()


class ClinicPatientRecallOut(Schema):
    recall_id = fields.Integer()
    lot = fields.String()
    product = fields.String()
    classification = fields.String()
    status = fields.String()
    note = fields.String()


class ClinicPatientSessionsOut(ClinicPatientOut):
    sessions = fields.List(fields.Nested(ClinicSessionRowOut))
    allergies = fields.List(fields.Nested(ClinicAllergyOut))
    adverse_events = fields.List(fields.Nested(ClinicPatientEventOut))
    recalls = fields.List(fields.Nested(ClinicPatientRecallOut))


class ClinicIdentityOut(Schema):
    name = fields.String()
    date_of_birth = fields.Date()


class ClinicVoidOut(Schema):
    reason = fields.String()
    note = fields.String()
    by = fields.Integer(attribute="voided_by_id")
    at = fields.DateTime(attribute="voided_at")


class ClinicCorrectionOut(Schema):
    field = fields.String()
    before = fields.Raw()
    after = fields.Raw()
    reason = fields.String()
    by = fields.Integer()
    at = fields.DateTime()


class ClinicAdministrationOut(Schema):
    id = fields.Integer()
    syringe_code = fields.String()
    batch_id = fields.Integer()
    volume_ml = VolumeMl(attribute="volume_ul")
    administered_at = fields.DateTime()
    site = fields.String()
    practitioner_id = fields.Integer()
    identity_checked = fields.Boolean()
    status = fields.String()
    void = fields.Nested(ClinicVoidOut, allow_none=True)
    corrections = fields.List(fields.Nested(ClinicCorrectionOut))


class ClinicVoidIn(InputSchema):
    reason = fields.String(required=True, validate=validate.OneOf([r.value for r in VoidReason]))
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class ClinicSyringeStateOut(Schema):
    code = fields.String()
    status = fields.String()


class ClinicVoidedOut(Schema):
    id = fields.Integer()
    status = fields.String()
    void = fields.Nested(ClinicVoidOut)
    syringe = fields.Nested(ClinicSyringeStateOut)


class ClinicCorrectionIn(InputSchema):
    site = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    volume_ul = VolumeMl(load_default=None, allow_none=True, data_key="volume_ml")
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


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
    allergens = fields.List(fields.String())
    error = fields.Dict()


def _patient(patient: Patient) -> dict[str, Any]:
    return {column.key: getattr(patient, column.key) for column in Patient.__table__.columns}


def _session(
    treatment: TreatmentSession, warnings: list[sessions.SessionWarning] | None = None
) -> dict[str, Any]:
    data = {column.key: getattr(treatment, column.key) for column in TreatmentSession.__table__.columns}
    data["warnings"] = [{"code": w.code, "message": w.message} for w in warnings or []]
    return data


def _corrections(row: Administration) -> list[dict[str, Any]]:
    out = []
    for item in row.corrections:
        site = item.field == CorrectedField.SITE
        out.append(
            {
                "field": item.field,
                "before": item.site_before if site else ml_number(item.volume_ul_before or 0),
                "after": item.site_after if site else ml_number(item.volume_ul_after or 0),
                "reason": item.reason,
                "by": item.corrected_by_id,
                "at": item.corrected_at,
            }
        )
    return out


def _administration(row: Administration, checked: set[int]) -> dict[str, Any]:
    """An administration as it stands: corrected values, and its void when it was not given."""
    return {
        "id": row.id,
        "syringe_code": row.syringe.code,
        "batch_id": row.syringe.batch_id,
        "volume_ul": row.volume_ul_now,
        "administered_at": row.administered_at,
        "site": row.site_now,
        "practitioner_id": row.practitioner_id,
        "identity_checked": row.id in checked,
        "status": "voided" if row.voided else "given",
        "void": row.void,
        "corrections": _corrections(row),
    }


def _administrations(session_id: int) -> list[dict[str, Any]]:
    rows = sessions.administrations_of(session_id)
    checked = sessions.identity_checked([row.id for row in rows])
    return [_administration(row, checked) for row in rows]


@blp.route("/patients", methods=["POST"])
@permission_required(Permission.WRITE_PATIENTS)
@blp.arguments(ClinicPatientIn)
@blp.response(201, ClinicPatientOut)
def create_patient(data: dict[str, Any]) -> dict[str, Any]:
    """Add a patient: name and date of birth (the two identifiers), record number, contact details."""
    confirm_new = data.pop("confirm_new")
    return _patient(patients.create_patient(data, confirm_new=confirm_new))


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
    return _patient_detail(patients.get_patient(patient_id))


def _patient_detail(patient: Patient) -> dict[str, Any]:
    context = patients.safety_context(patient.id)
    return {
        **_patient(patient),
        "sessions": [_session(s) for s in patients.sessions_of(patient.id)],
        "allergies": context.allergies,
        "adverse_events": context.adverse_events,
        "recalls": [asdict(recall) for recall in context.recalls],
    }


@blp.route("/patients/<int:patient_id>/allergies", methods=["POST"])
@permission_required(Permission.WRITE_PATIENTS)
@blp.arguments(ClinicAllergyIn)
@blp.response(201, ClinicAllergyOut)
def add_allergy(data: dict[str, Any], patient_id: int) -> Any:
    """SAFE-12: record a substance the patient is allergic to, with the reaction (audited)."""
    user = require(Permission.WRITE_PATIENTS)
    return patients.add_allergy(patient_id, data["substance"], data["reaction"], user=user)


@blp.route("/patients/<int:patient_id>", methods=["PATCH"])
@permission_required(Permission.WRITE_PATIENTS)
@blp.arguments(ClinicPatientPatch)
@blp.response(200, ClinicPatientSessionsOut)
def update_patient(data: dict[str, Any], patient_id: int) -> dict[str, Any]:
    """Correct a patient's record; the history keeps every change as before → after."""
    return _patient_detail(patients.update_patient(patient_id, data))


@blp.route("/patients/<int:patient_id>/merge", methods=["POST"])
@permission_required(Permission.WRITE_PATIENTS)
@blp.arguments(ClinicPatientMergeIn)
@blp.response(200, ClinicPatientSessionsOut)
def merge_patient(data: dict[str, Any], patient_id: int) -> dict[str, Any]:
    """Merge this duplicate record into another: its sessions, events and recall follow-ups move;
    this record stays, pointing at the kept one. Answers the kept patient."""
    return _patient_detail(patients.merge_patients(patient_id, data["into_patient_id"]))


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


#: Built once (webargs builds a schema given as a class at every request): the scan is the hot path.
SCAN_IN = ClinicScanIn()


@blp.route("/sessions/<int:session_id>/scans", methods=["POST"])
@permission_required(Permission.ADMINISTER)
@blp.arguments(SCAN_IN)
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
        "administration": {
            **asdict(outcome.administration),
            "identity_checked": False,
            "status": "given",
            "void": None,
            "corrections": [],
        },
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


@blp.route("/administrations/<int:administration_id>/void", methods=["POST"])
@permission_required(Permission.ADMINISTER)
@blp.arguments(ClinicVoidIn)
@blp.response(200, ClinicVoidedOut)
def void_administration(data: dict[str, Any], administration_id: int) -> Any:
    """SAFE-14: scanned, not given. The syringe goes back to available (or discarded when dropped)."""
    user = require(Permission.ADMINISTER)
    void = sessions.void_administration(administration_id, data["reason"], data["note"], user=user)
    syringe = sessions.syringe_of(administration_id)
    return {
        "id": administration_id,
        "status": "voided",
        "void": void,
        "syringe": {"code": syringe.code, "status": syringe.status},
    }


@blp.route("/administrations/<int:administration_id>/corrections", methods=["POST"])
@permission_required(Permission.ADMINISTER)
@blp.arguments(ClinicCorrectionIn)
@blp.response(201, ClinicAdministrationOut)
def correct_administration(data: dict[str, Any], administration_id: int) -> Any:
    """SAFE-14: a wrong site or volume corrected by an appended correction with a reason."""
    user = require(Permission.ADMINISTER)
    correction = sessions.Correction(reason=data["reason"], site=data["site"], volume_ul=data["volume_ul"])
    row = sessions.correct_administration(administration_id, correction, user=user)
    return _administration(row, sessions.identity_checked([row.id]))


def blocked_response(outcome: scanning.ScanOutcome) -> tuple[Response, int]:
    fields = dict(outcome.texts)
    body = {
        "verdict": "blocked",
        "reasons": outcome.reasons,
        "allergens": outcome.allergens,
        "error": {"code": "scan_blocked", "message": outcome.message, "fields": fields},
    }
    return jsonify(body), 409
