"""/api/v1 endpoints of the trace area (api.md "Traceability, recalls, adverse events")."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from flask import Response, jsonify
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from inventory.models.recall import AdverseEventSeverity, FollowUpStatus, Recall, RecallClass
from inventory.permissions import Permission, permission_required, require
from inventory.rules.units import ml_number
from inventory.services import lot_trace, recalls, trace, vigilance
from inventory.web.api import ApiBlueprint
from inventory.web.api.fields import InputSchema, QuerySchema, VolumeMl

blp = ApiBlueprint("api_trace", __name__, url_prefix="/api/v1", description="trace")


# --- trace ---------------------------------------------------------------------------------------


class TraceLotOut(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    product = fields.String()
    number = fields.String()
    expiry = fields.Date()
    status = fields.String()


class TraceVialOut(Schema):
    id = fields.Integer()
    code = fields.String()
    status = fields.String()
    initial_ml = VolumeMl(attribute="initial_ul", allow_zero=True)
    remaining_ml = VolumeMl(attribute="remaining_ul", allow_zero=True)
    supplier = fields.String()
    received_at = fields.DateTime()


class TraceDrawOut(Schema):
    """One vial → batch link (with the lot, its expiry and its receipt)."""

    batch_id = fields.Integer()
    batch_code = fields.String()
    vial_id = fields.Integer()
    vial_code = fields.String()
    volume_ml = VolumeMl(attribute="volume_ul")
    drawn_at = fields.DateTime()
    lot_id = fields.Integer()
    product_id = fields.Integer()
    product = fields.String()
    lot = fields.String()
    expiry = fields.Date()
    lot_status = fields.String()
    supplier = fields.String()
    received_at = fields.DateTime()


class TraceBatchOut(Schema):
    id = fields.Integer()
    code = fields.String()
    status = fields.String()
    category = fields.String()
    recipe = fields.String()
    prepared_at = fields.DateTime()
    bud = fields.DateTime()
    patient_id = fields.Integer(allow_none=True)


class TraceAdministrationOut(Schema):
    id = fields.Integer()
    session_id = fields.Integer()
    patient_id = fields.Integer()
    syringe_code = fields.String()
    batch_id = fields.Integer()
    administered_at = fields.DateTime()
    volume_ml = VolumeMl(attribute="volume_ul")
    site = fields.String()


class TraceSyringeOut(Schema):
    id = fields.Integer()
    code = fields.String()
    batch_id = fields.Integer()
    status = fields.String()
    fate = fields.String(metadata={"description": "administered, destroyed (not administered) or unused"})
    blocked_reason = fields.String(allow_none=True)
    blocked_reasons = fields.List(fields.String(), metadata={"description": "every reason, in order"})
    discarded_at = fields.DateTime(allow_none=True)
    administration_id = fields.Function(lambda s: s.administration.id if s.administration else None)


class TracePatientOut(Schema):
    id = fields.Integer()
    name = fields.String()
    date_of_birth = fields.Date()
    phone = fields.String()
    email = fields.String()
    administrations = fields.Integer()


class TraceSignalOut(Schema):
    lot_id = fields.Integer()
    lot = fields.String()
    product_id = fields.Integer()
    product = fields.String()
    expiry = fields.Date()
    patients = fields.Integer()
    events = fields.Integer()


class TraceLotCountsOut(Schema):
    """How many rows each list has in all (a page holds at most `per_page` of each)."""

    vials = fields.Integer()
    draws = fields.Integer()
    batches = fields.Integer()
    syringes = fields.Integer()
    administrations = fields.Integer()
    patients = fields.Integer()


def _cursor(text: str | None) -> lot_trace.Cursor | None:
    """The `next` of a lot trace's answer, passed back as `?page=`: where each list goes on."""
    if text is None:
        return None
    try:
        return lot_trace.Cursor.decode(text)
    except lot_trace.BadCursor as error:
        raise ValidationError(_("Not a page of this list: pass back the “next” of an answer.")) from error


class TraceLotQuery(QuerySchema):
    page = fields.String(
        load_default=None,
        validate=[validate.Length(max=2000), _cursor],
        metadata={"description": "the `next` of the previous answer; without it, the first page"},
    )
    per_page = fields.Integer(
        load_default=lot_trace.PER_PAGE, validate=validate.Range(min=1, max=lot_trace.MAX_PER_PAGE)
    )


class TraceOfLotOut(Schema):
    """A page of a lot's forward trace: the counts of every list and the next `per_page` rows of each.
    Orders: vials, batches and administrations by id; draws by batch id then id; syringes by batch id,
    number and id; patients by name then id. A list complete on an earlier page comes back empty (or
    with the rows added since); `next` is null when no list has more rows."""

    lot = fields.Nested(TraceLotOut)
    counts = fields.Nested(TraceLotCountsOut)
    vials = fields.List(fields.Nested(TraceVialOut))
    draws = fields.List(fields.Nested(TraceDrawOut))
    batches = fields.List(fields.Nested(TraceBatchOut))
    syringes = fields.List(fields.Nested(TraceSyringeOut))
    administrations = fields.List(fields.Nested(TraceAdministrationOut))
    patients = fields.List(fields.Nested(TracePatientOut))
    signal = fields.Nested(TraceSignalOut, allow_none=True)
    next = fields.String(
        allow_none=True, metadata={"description": "pass it back as `?page=` for the following page"}
    )


class TraceReceivedLotOut(Schema):
    lot_id = fields.Integer()
    product_id = fields.Integer()
    product = fields.String()
    lot = fields.String()
    expiry = fields.Date()
    lot_status = fields.String()
    supplier = fields.String()
    received_at = fields.DateTime()


class TraceReceivedOut(TraceAdministrationOut):
    #: api.md 1.1: "voided" for a scan that was not followed by an injection (SAFE-14), else "given".
    status = fields.Function(lambda item: "voided" if item.get("voided") else "given")
    corrected = fields.Boolean()
    batch = fields.Nested(TraceBatchOut)
    lots = fields.List(fields.Nested(TraceReceivedLotOut))


class TraceOfPatientOut(Schema):
    patient = fields.Nested(TracePatientOut)
    administrations = fields.List(fields.Nested(TraceReceivedOut))
    lots = fields.List(fields.Nested(TraceReceivedLotOut))


class TraceOfBatchOut(Schema):
    batch = fields.Nested(TraceBatchOut)
    lots = fields.List(fields.Nested(TraceReceivedLotOut))
    vials = fields.List(fields.Nested(TraceDrawOut))
    syringes = fields.List(fields.Nested(TraceSyringeOut))
    administrations = fields.List(fields.Nested(TraceAdministrationOut))
    patients = fields.List(fields.Nested(TracePatientOut))


@blp.route("/trace/lots/<int:lot_id>", methods=["GET"])
@permission_required(Permission.TRACE)
@blp.arguments(TraceLotQuery, location="query")
@blp.response(200, TraceOfLotOut)
def trace_lot(query: dict[str, Any], lot_id: int) -> Response:
    """Forward trace of a lot, a page at a time: vials, batches, syringes, administrations, patients
    (RCL-03), with the count of each list and `next` for the following page (keyset: no row is skipped
    or repeated while the lot is used)."""
    found = lot_trace.lot_page(lot_id, cursor=_cursor(query["page"]), per_page=query["per_page"])
    return jsonify(_lot_trace_body(found, vigilance.signal_for_lot(lot_id)))


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _lot_trace_body(found: lot_trace.LotPage, signal: vigilance.Signal | None) -> dict[str, Any]:
    """TraceOfLotOut written out by hand: a busy lot has thousands of syringes, and marshmallow would
    spend most of the request on them. tests/trace checks the keys against the schema."""
    lot = found.lot
    return {
        "lot": {**lot._asdict(), "expiry": _iso(lot.expiry)},
        "counts": asdict(found.counts),
        "vials": [
            {
                "id": v.id,
                "code": v.code,
                "status": v.status,
                "initial_ml": ml_number(v.initial_ul),
                "remaining_ml": ml_number(v.remaining_ul),
                "supplier": v.supplier,
                "received_at": _iso(v.received_at),
            }
            for v in found.vials
        ],
        "draws": [
            {
                "batch_id": d.batch_id,
                "batch_code": d.batch_code,
                "vial_id": d.vial_id,
                "vial_code": d.vial_code,
                "volume_ml": ml_number(d.volume_ul),
                "drawn_at": _iso(d.drawn_at),
                "lot_id": d.lot_id,
                "product_id": d.product_id,
                "product": d.product,
                "lot": d.lot,
                "expiry": _iso(d.expiry),
                "lot_status": d.lot_status,
                "supplier": d.supplier,
                "received_at": _iso(d.received_at),
            }
            for d in found.draws
        ],
        "batches": [
            {**b._asdict(), "prepared_at": _iso(b.prepared_at), "bud": _iso(b.bud)} for b in found.batches
        ],
        "syringes": [
            {
                "id": s.id,
                "code": s.code,
                "batch_id": s.batch_id,
                "status": s.status,
                "fate": s.fate.value,
                "blocked_reason": s.blocked_reason,
                "blocked_reasons": s.blocked_reasons,
                "discarded_at": _iso(s.discarded_at),
                "administration_id": s.administration.id if s.administration else None,
            }
            for s in found.syringes
        ],
        "administrations": [
            {
                "id": a.id,
                "session_id": a.session_id,
                "patient_id": a.patient_id,
                "syringe_code": a.syringe_code,
                "batch_id": a.batch_id,
                "administered_at": _iso(a.administered_at),
                "volume_ml": ml_number(a.volume_ul),
                "site": a.site,
            }
            for a in found.administrations
        ],
        "patients": [{**p._asdict(), "date_of_birth": _iso(p.date_of_birth)} for p in found.patients],
        "signal": {**signal._asdict(), "expiry": _iso(signal.expiry)} if signal else None,
        "next": found.next.encode() if found.next else None,
    }


def _patient_trace(found: trace.PatientTrace) -> dict[str, Any]:
    return {
        "patient": found.patient,
        "administrations": [
            {**item.administration._asdict(), "batch": item.batch, "lots": item.lots} for item in found.items
        ],
        "lots": found.lots,
    }


@blp.route("/trace/patients/<int:patient_id>", methods=["GET"])
@permission_required(Permission.TRACE)
@blp.response(200, TraceOfPatientOut)
def trace_patient(patient_id: int) -> dict[str, Any]:
    """Backward trace of a patient: every administration with its batch and every lot drawn (RCL-06)."""
    return _patient_trace(trace.patient_back(patient_id))


@blp.route("/trace/sessions/<int:session_id>", methods=["GET"])
@permission_required(Permission.TRACE)
@blp.response(200, TraceOfPatientOut)
def trace_session(session_id: int) -> dict[str, Any]:
    """Backward trace of one session."""
    return _patient_trace(trace.session_back(session_id))


@blp.route("/trace/batches/<int:batch_id>", methods=["GET"])
@permission_required(Permission.TRACE)
@blp.response(200, TraceOfBatchOut)
def trace_batch(batch_id: int) -> dict[str, Any]:
    """A batch both ways: lots and vials drawn, syringes and administrations."""
    found = trace.batch_trace(batch_id)
    return {
        "batch": found.batch,
        "lots": found.lots,
        "vials": found.draws,
        "syringes": found.syringes,
        "administrations": found.administrations,
        "patients": found.patients,
    }


# --- recalls -------------------------------------------------------------------------------------


class RecallIn(InputSchema):
    lot_id = fields.Integer(load_default=None, allow_none=True)
    product_id = fields.Integer(load_default=None, allow_none=True)
    gtin = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    lot = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    classification = fields.String(required=True, validate=validate.OneOf([c.value for c in RecallClass]))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    reference = fields.String(load_default="", validate=validate.Length(max=80))


class TraceQuarantinedOut(Schema):
    vials = fields.Integer()
    batches = fields.Integer()
    syringes = fields.Integer()


class RecallPatientOut(Schema):
    patient_id = fields.Integer()
    name = fields.Function(lambda row: row.patient.name)
    date_of_birth = fields.Function(lambda row: row.patient.date_of_birth.isoformat())
    phone = fields.Function(lambda row: row.patient.phone)
    email = fields.Function(lambda row: row.patient.email)
    administrations = fields.Integer()
    status = fields.String()
    note = fields.String()
    updated_at = fields.DateTime()


class RecallOut(Schema):
    id = fields.Integer()
    lot_id = fields.Integer(allow_none=True)
    product_id = fields.Integer()
    product = fields.String()
    lot = fields.String()
    classification = fields.String()
    reason = fields.String()
    reference = fields.String()
    created_at = fields.DateTime()
    received = fields.Boolean(metadata={"description": "false while the clinic has not received the lot"})


class RecallDetailOut(RecallOut):
    quarantined = fields.Nested(TraceQuarantinedOut)
    patients = fields.List(fields.Nested(RecallPatientOut))


class RecallSummaryOut(RecallOut):
    patients = fields.Integer()
    pending = fields.Integer()


class RecallList(Schema):
    items = fields.List(fields.Nested(RecallSummaryOut))


class FollowUpIn(InputSchema):
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in FollowUpStatus]))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


def _recall_dict(recall: Recall) -> dict[str, Any]:
    return {
        "id": recall.id,
        "lot_id": recall.lot_id,
        "product_id": recall.product_id,
        "product": recall.product.name,
        "lot": recall.lot_number,
        "classification": recall.classification,
        "reason": recall.reason,
        "reference": recall.reference,
        "created_at": recall.created_at,
        "received": recall.lot_id is not None,
    }


def _recall_detail(recall: Recall, quarantined: recalls.Quarantined) -> dict[str, Any]:
    return {**_recall_dict(recall), "quarantined": quarantined, "patients": list(recall.patients)}


@blp.route("/recalls", methods=["POST"])
@permission_required(Permission.QUALITY)
@blp.arguments(RecallIn)
@blp.response(201, RecallDetailOut)
def create_recall(data: dict[str, Any]) -> dict[str, Any]:
    """Enter a recall by lot id, or by product (id or GTIN) and lot number; quarantines at once (RCL-02)."""
    user = require(Permission.QUALITY)
    recall, quarantined = recalls.enter_recall(
        user=user,
        classification=data["classification"],
        reason=data["reason"],
        reference=data["reference"],
        lot_id=data["lot_id"],
        product_id=data["product_id"],
        gtin=data["gtin"],
        lot_number=data["lot"],
    )
    return _recall_detail(recall, quarantined)


@blp.route("/recalls", methods=["GET"])
@permission_required(Permission.QUALITY)
@blp.response(200, RecallList)
def list_recalls() -> dict[str, Any]:
    """Every recall, newest first, with its exposed and still-pending patients."""
    items = [
        {**_recall_dict(s.recall), "patients": s.patients, "pending": s.pending}
        for s in recalls.list_recalls()
    ]
    return {"items": items}


@blp.route("/recalls/<int:recall_id>", methods=["GET"])
@permission_required(Permission.QUALITY)
@blp.response(200, RecallDetailOut)
def get_recall(recall_id: int) -> dict[str, Any]:
    """A recall with what is quarantined now and the follow-up of each exposed patient (RCL-05)."""
    recall = recalls.get_recall(recall_id)
    return _recall_detail(recall, recalls.current_quarantine(recall))


@blp.route("/recalls/<int:recall_id>/patients/<int:patient_id>", methods=["PATCH"])
@permission_required(Permission.QUALITY)
@blp.arguments(FollowUpIn)
@blp.response(200, RecallPatientOut)
def update_follow_up(data: dict[str, Any], recall_id: int, patient_id: int) -> Any:
    """Record the notification of an exposed patient; not_required needs a note. Audited."""
    user = require(Permission.QUALITY)
    return recalls.update_follow_up(
        recall_id, patient_id, status=data["status"], note=data["note"], user=user
    )


# --- adverse events and signals ------------------------------------------------------------------


class AdverseEventIn(InputSchema):
    session_id = fields.Integer(required=True)
    onset_at = fields.AwareDateTime(required=True)
    severity = fields.String(required=True, validate=validate.OneOf([s.value for s in AdverseEventSeverity]))
    description = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    outcome = fields.String(load_default="", validate=validate.Length(max=5000))


class TraceSuspectLotOut(Schema):
    lot_id = fields.Integer()
    product_id = fields.Integer()
    product = fields.String()
    lot = fields.String()
    expiry = fields.Date()
    status = fields.String()


class TraceExposedPatientOut(Schema):
    patient_id = fields.Integer()
    name = fields.String()
    date_of_birth = fields.Date()
    lots = fields.List(fields.Integer())


class AdverseEventUpdateIn(InputSchema):
    outcome = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    note = fields.String(load_default="", validate=validate.Length(max=5000))


class AdverseEventUpdateOut(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    outcome = fields.String()
    note = fields.String()
    by = fields.Integer(attribute="by_id")
    at = fields.DateTime()


class AdverseEventOut(Schema):
    id = fields.Integer()
    session_id = fields.Integer()
    patient_id = fields.Integer()
    onset_at = fields.DateTime()
    severity = fields.String()
    description = fields.String()
    outcome = fields.String()
    reporter_id = fields.Integer()
    created_at = fields.DateTime()
    current_outcome = fields.String()
    updates = fields.List(fields.Nested(AdverseEventUpdateOut))
    suspect_lots = fields.List(fields.Nested(TraceSuspectLotOut))
    other_exposed_patients = fields.List(fields.Nested(TraceExposedPatientOut))


class TraceSignalQuery(QuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(
        load_default=vigilance.SIGNALS_PER_PAGE,
        validate=validate.Range(min=1, max=vigilance.SIGNALS_MAX_PAGE),
    )


class TraceSignalList(Schema):
    items = fields.List(fields.Nested(TraceSignalOut))
    next = fields.Integer(allow_none=True)


def _event_out(event_id: int) -> dict[str, Any]:
    found = vigilance.report(event_id)
    event = found.event
    return {
        **{key: getattr(event, key) for key in AdverseEventOut._declared_fields if hasattr(event, key)},
        "suspect_lots": found.suspect_lots,
        "other_exposed_patients": found.other_patients,
    }


@blp.route("/adverse-events", methods=["POST"])
@permission_required(Permission.ADMINISTER)
@blp.arguments(AdverseEventIn)
@blp.response(201, AdverseEventOut)
def create_adverse_event(data: dict[str, Any]) -> dict[str, Any]:
    """Record an adverse event on a session; lists the suspect lots and the other exposed patients (AE-01)."""
    user = require(Permission.ADMINISTER)
    event = vigilance.record_adverse_event(reporter=user, **data)
    return _event_out(event.id)


@blp.route("/adverse-events/<int:event_id>", methods=["GET"])
@permission_required(Permission.ADMINISTER)
@blp.response(200, AdverseEventOut)
def get_adverse_event(event_id: int) -> dict[str, Any]:
    return _event_out(event_id)


@blp.route("/adverse-events/<int:event_id>/updates", methods=["POST"])
@permission_required(Permission.ADMINISTER)
@blp.arguments(AdverseEventUpdateIn)
@blp.response(201, AdverseEventUpdateOut)
def add_adverse_event_update(data: dict[str, Any], event_id: int) -> Any:
    """A follow-up of an adverse event (outcome now, note), appended; the event is never edited."""
    user = require(Permission.ADMINISTER)
    return vigilance.add_update(event_id, outcome=data["outcome"], note=data["note"], user=user)


@blp.route("/signals", methods=["GET"])
@permission_required(Permission.QUALITY)
@blp.arguments(TraceSignalQuery, location="query")
@blp.response(200, TraceSignalList)
def list_signals(query: dict[str, Any]) -> dict[str, Any]:
    """Lots with adverse events from two or more different patients (AE-02), the most patients first,
    a page at a time (`next` is the next page's number, null on the last)."""
    found, more = vigilance.signal_page(query["page"], query["per_page"])
    return {"items": found, "next": query["page"] + 1 if more else None}
