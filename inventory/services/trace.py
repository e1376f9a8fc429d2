"""Traceability, both ways (RCL-03, RCL-06): a handful of set-based queries per trace, never one per row.

Forward: lot → vials → draws → batches → syringes → administrations → patients, whatever the dates.
Backward: patient or session → administrations → syringes → batches → every lot drawn.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, bindparam, false, func, or_, select
from sqlalchemy.ext.compiler import compiles

from inventory.errors import NotFound
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.clinic import (
    Administration,
    AdministrationCorrection,
    CorrectedField,
    Patient,
    TreatmentSession,
)
from inventory.models.compounding import (
    Batch,
    Draw,
    RecipeVersion,
    Syringe,
    SyringeStatus,
)
from inventory.models.stock import Lot, Receipt, Vial
from inventory.models.summary import LotExposure
from inventory.rules.codes import CodeKind, parse_code
from inventory.rules.text import search_key
from inventory.services import usability
from inventory.services.usability import SyringeVerdict


class Fate(StrEnum):
    """What became of a syringe, as the trace shows it."""

    ADMINISTERED = "administered"
    DESTROYED = "destroyed"  # discarded: destroyed, not administered (RCL-03)
    UNUSED = "unused"


class LotRow(NamedTuple):
    id: int
    product_id: int
    product: str
    number: str
    expiry: date
    status: str


class VialRow(NamedTuple):
    id: int
    code: str
    status: str
    initial_ul: int
    remaining_ul: int
    supplier: str
    received_at: datetime


class DrawRow(NamedTuple):
    """One vial → batch link with what it carried: the edges of the family tree."""

    batch_id: int
    batch_code: str
    vial_id: int
    vial_code: str
    volume_ul: int
    drawn_at: datetime
    lot_id: int
    lot: str
    expiry: date
    lot_status: str
    product_id: int
    product: str
    supplier: str
    received_at: datetime
    #: The draw's own id (the key of the lot trace's pages); not sent by the API.
    draw_id: int


class BatchRow(NamedTuple):
    id: int
    code: str
    status: str
    category: str
    recipe: str
    prepared_at: datetime
    bud: datetime
    patient_id: int | None


class AdministrationRow(NamedTuple):
    id: int
    session_id: int
    patient_id: int
    patient_name: str
    syringe_id: int
    syringe_code: str
    batch_id: int
    administered_at: datetime
    volume_ul: int
    site: str
    #: Scanned, not given (SAFE-14): kept in the trace, counted for no exposure.
    voided: bool = False
    #: Site or volume corrected after the scan (SAFE-14): ``site`` and ``volume_ul`` are the corrected ones.
    corrected: bool = False


class SyringeRow(NamedTuple):
    id: int
    code: str
    batch_id: int
    batch_code: str
    number: int
    status: str
    volume_ul: int
    discarded_at: datetime | None
    discard_reason: str | None
    administration: AdministrationRow | None
    verdict: SyringeVerdict

    @property
    def blocked_reason(self) -> str | None:
        return self.verdict.blocked_reason

    @property
    def blocked_reasons(self) -> list[str]:
        return list(self.verdict.reasons)

    @property
    def fate(self) -> Fate:
        if self.administration is not None:
            return Fate.ADMINISTERED
        if self.status == SyringeStatus.DISCARDED:
            return Fate.DESTROYED
        return Fate.UNUSED


class PatientRow(NamedTuple):
    id: int
    name: str
    date_of_birth: date
    phone: str
    email: str
    administrations: int


@dataclass
class BatchTrace:
    batch: BatchRow
    draws: list[DrawRow]
    syringes: list[SyringeRow]
    patients: list[PatientRow]

    @property
    def lots(self) -> list[DrawRow]:
        return _one_per_lot(self.draws)

    @property
    def administrations(self) -> list[AdministrationRow]:
        return [s.administration for s in self.syringes if s.administration is not None]


@dataclass(frozen=True)
class ReceivedItem:
    """One administration of a patient with its batch and every lot in that batch (RCL-06)."""

    administration: AdministrationRow
    session_started_at: datetime
    batch: BatchRow
    lots: list[DrawRow]


@dataclass
class PatientTrace:
    patient: PatientRow
    items: list[ReceivedItem]
    session_id: int | None = None
    lots: list[DrawRow] = field(default_factory=list)


def _grouped(rows: Iterable[Any], key: Callable[[Any], int]) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def _one_per_lot(draws: Iterable[DrawRow]) -> list[DrawRow]:
    seen: dict[int, DrawRow] = {}
    for draw in draws:
        seen.setdefault(draw.lot_id, draw)
    return sorted(seen.values(), key=lambda d: (d.product, d.lot))


# --- building blocks -------------------------------------------------------------------------------


def _rows(query: Any, parameters: dict[str, Any] | None = None) -> Any:
    """Plain rows of a select of columns (Core: no ORM bookkeeping per row on the long lists). A statement
    built once takes its `parameters` here: `.params()` would copy it, and its cache key be built again."""
    return db.session.connection().execute(query, parameters)


#: From this many ids on, `among` writes the list itself (see there).
LONG_LIST = 250


class _Integers(ColumnElement[Any]):
    """A list of integers written into the SQL as they are: `(1, 2, …)`."""

    # A new list every time: the statement is compiled afresh and never fills the statement cache.
    inherit_cache = False

    def __init__(self, values: list[int]) -> None:
        self.values = values


@compiles(_Integers)
def _integers_sql(element: _Integers, compiler: Any, **kw: Any) -> str:
    return "(" + ",".join(map(str, element.values)) + ")"


def among(column: Any, ids: Iterable[int]) -> Any:
    """`column IN (1, 2, …)` with the integers written into the SQL: no bound-parameter limit, and
    PostgreSQL's planner sees how few they are (a subquery there made it scan every draw; a join, planned
    for a bound lot id, flips between a hash of every draw and an index as the plan is generic or not).

    A short list is a bound parameter written in at execution (the statement is compiled once, cached);
    a long one (a busy lot's 1,800 vials) is written by `_Integers`: SQLAlchemy's literal rendering costs
    about 3 µs a value, more than compiling the statement again. (On SQLite, bound parameters for a long
    list, `IN (?, ?, …)`, and one JSON array read by `json_each` measured no faster: what compiling saves,
    expanding 433 parameters or parsing the array spends.)"""
    values = sorted({int(value) for value in ids})
    if not values:
        return false()
    if len(values) >= LONG_LIST:
        return column.op("IN", is_comparison=True)(_Integers(values))
    return column.in_(bindparam(None, values, expanding=True, literal_execute=True))


def batch_ids_of_lot(lot_id: int) -> list[int]:
    """Every batch that drew from this lot: answered from the indexes (lot_id, id) of vials and
    (vial_id, batch_id) of draws."""
    query = select(Draw.batch_id).join(Vial, Vial.id == Draw.vial_id).where(Vial.lot_id == lot_id).distinct()
    return list(db.session.scalars(query))


@cache
def _lot_statement() -> Any:
    """Built once: the lot `lot` and its product's name (every page of a lot's trace asks)."""
    return (
        select(Lot.id, Lot.product_id, Product.name, Lot.number, Lot.expiry, Lot.status)
        .join(Product, Product.id == Lot.product_id)
        .where(Lot.id == bindparam("lot"))
    )


def _lot_row(lot_id: int) -> LotRow:
    row = _rows(_lot_statement(), {"lot": lot_id}).one_or_none()
    if row is None:
        raise NotFound("not_found", _("No lot with id %(id)s.", id=lot_id))
    return LotRow(*row)


def _draws(where: Any) -> list[DrawRow]:
    query = (
        select(
            Draw.batch_id,
            Batch.code,
            Draw.vial_id,
            Vial.code,
            Draw.volume_ul,
            Draw.drawn_at,
            Lot.id,
            Lot.number,
            Lot.expiry,
            Lot.status,
            Product.id,
            Product.name,
            Receipt.supplier,
            Receipt.received_at,
            Draw.id,
        )
        .join(Batch, Batch.id == Draw.batch_id)
        .join(Vial, Vial.id == Draw.vial_id)
        .join(Lot, Lot.id == Vial.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .join(Receipt, Receipt.id == Vial.receipt_id)
        .where(where)
        .order_by(Draw.batch_id, Product.name, Draw.id)
    )
    return [DrawRow._make(row) for row in _rows(query).all()]


def batch_query(where: Any, *order: Any) -> Any:
    """The columns of a `BatchRow` of these batches, by the time they were prepared unless `order` says
    otherwise."""
    return (
        select(
            Batch.id,
            Batch.code,
            Batch.status,
            Batch.category,
            RecipeVersion.name,
            Batch.prepared_at,
            Batch.bud,
            Batch.patient_id,
        )
        .join(RecipeVersion, RecipeVersion.id == Batch.recipe_version_id)
        .where(where)
        .order_by(*(order or (Batch.prepared_at, Batch.id)))
    )


def _batches(where: Any, *order: Any) -> list[BatchRow]:
    return [BatchRow._make(row) for row in _rows(batch_query(where, *order)).all()]


def _syringe_rows(batch_ids: list[int]) -> Any:
    """Every syringe of these batches with its administration and patient id, if any."""
    return (
        db.session.connection()
        .execute(
            select(
                Syringe.id,
                Syringe.code,
                Syringe.batch_id,
                Syringe.number,
                Syringe.status,
                Syringe.volume_ul,
                Syringe.discarded_at,
                Syringe.discard_reason,
                Administration.id,
                Administration.session_id,
                TreatmentSession.patient_id,
                Administration.administered_at,
                Administration.volume_ul,
                Administration.site,
            )
            .select_from(Syringe)
            .outerjoin(Administration, and_(Administration.syringe_id == Syringe.id, Administration.given()))
            .outerjoin(TreatmentSession, TreatmentSession.id == Administration.session_id)
            .where(among(Syringe.batch_id, batch_ids))
            .order_by(Syringe.batch_id, Syringe.number, Syringe.id)
        )
        .all()
    )


def _patients_by_id(counts: Counter[int]) -> list[PatientRow]:
    if not counts:
        return []
    query = (
        select(Patient.id, Patient.name, Patient.date_of_birth, Patient.phone, Patient.email)
        .where(among(Patient.id, list(counts)))
        .order_by(Patient.name, Patient.id)
    )
    return [
        PatientRow(patient_id, name, born, phone, email, counts[patient_id])
        for patient_id, name, born, phone, email in _rows(query)
    ]


def _forward(batches: list[BatchRow]) -> tuple[list[SyringeRow], list[PatientRow]]:
    """The syringes of these batches, what became of each, and the patients who received them (once
    each, with their number of administrations): one read of syringes with their administrations, one
    of patients. Batch codes come from the rows already read."""
    if not batches:
        return [], []
    by_id = {batch.id: batch for batch in batches}
    rows = _syringe_rows(list(by_id))
    verdicts = usability.syringe_verdicts([row[0] for row in rows])
    patients = _patients_by_id(Counter(row[10] for row in rows if row[8] is not None))
    names = {patient.id: patient.name for patient in patients}
    syringes = []
    for row in rows:
        sid, code, batch_id, number, status, volume, discarded_at, reason, admin_id, *given = row
        administration = None
        if admin_id is not None:
            session_id, patient_id, at, admin_volume, site = given
            administration = AdministrationRow(
                admin_id,
                session_id,
                patient_id,
                names[patient_id],
                sid,
                code,
                batch_id,
                at,
                admin_volume,
                site,
            )
        batch = by_id[batch_id]
        syringes.append(
            SyringeRow(
                sid,
                code,
                batch_id,
                batch.code,
                number,
                status,
                volume,
                discarded_at,
                reason,
                administration,
                verdicts[sid],
            )
        )
    return syringes_as_corrected(syringes), patients


def exposed_patients(lot_id: int) -> list[PatientRow]:
    """Each patient who received something made from this lot, once, with their number of
    administrations (not voided): read from the lot's exposures (services/summaries.py keeps them)."""
    query = (
        select(
            Patient.id,
            Patient.name,
            Patient.date_of_birth,
            Patient.phone,
            Patient.email,
            func.count(LotExposure.administration_id),
        )
        .select_from(LotExposure)
        .join(Patient, Patient.id == LotExposure.patient_id)
        .where(LotExposure.lot_id == lot_id)
        .group_by(Patient.id, Patient.name, Patient.date_of_birth, Patient.phone, Patient.email)
        .order_by(Patient.name, Patient.id)
    )
    return [PatientRow._make(row) for row in _rows(query).all()]


# --- batch both ways ---------------------------------------------------------------------------------


def batch_trace(batch_id: int) -> BatchTrace:
    batches = _batches(Batch.id == batch_id)
    if not batches:
        raise NotFound("not_found", _("No batch with id %(id)s.", id=batch_id))
    syringes, patients = _forward(batches)
    return BatchTrace(batches[0], _draws(Draw.batch_id == batch_id), syringes, patients)


# --- backward: patient or session to lots ------------------------------------------------------------


def _patient_row(patient_id: int) -> PatientRow:
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("not_found", _("No patient with id %(id)s.", id=patient_id))
    count = db.session.scalar(
        select(func.count(Administration.id))
        .join(TreatmentSession, TreatmentSession.id == Administration.session_id)
        .where(TreatmentSession.patient_id == patient_id, Administration.given())
    )
    return PatientRow(
        patient.id, patient.name, patient.date_of_birth, patient.phone, patient.email, int(count or 0)
    )


def administration_query(where: Any, *extra: Any, order: tuple[Any, ...] = (Administration.id,)) -> Any:
    """The columns of an `AdministrationRow` of these administrations (then `extra`), in `order`."""
    return (
        select(
            Administration.id,
            Administration.session_id,
            TreatmentSession.patient_id,
            Patient.name,
            Syringe.id,
            Syringe.code,
            Syringe.batch_id,
            Administration.administered_at,
            Administration.volume_ul,
            Administration.site,
            *extra,
        )
        .join(TreatmentSession, TreatmentSession.id == Administration.session_id)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .join(Syringe, Syringe.id == Administration.syringe_id)
        .where(where)
        .order_by(*order)
    )


def _received(where: Any) -> list[ReceivedItem]:
    query = administration_query(
        where,
        TreatmentSession.started_at,
        Administration.given(),
        order=(Administration.administered_at, Administration.id),
    )
    rows: Any = db.session.execute(query).all()
    if not rows:
        return []
    batch_ids = sorted({row[6] for row in rows})
    batches = {batch.id: batch for batch in _batches(among(Batch.id, batch_ids))}
    lots_by_batch: dict[int, list[DrawRow]] = defaultdict(list)
    for draw in _draws(among(Draw.batch_id, batch_ids)):
        lots_by_batch[draw.batch_id].append(draw)
    corrected = _corrected_values([row[0] for row in rows])
    return [
        ReceivedItem(
            _administration_row(row, corrected.get(row[0], (row[8], row[9], False))),
            row[10],
            batches[row[6]],
            _one_per_lot(lots_by_batch[row[6]]),
        )
        for row in rows
    ]


def _administration_row(row: Any, now: tuple[int, str, bool]) -> AdministrationRow:
    volume, site, corrected = now
    return AdministrationRow._make((*row[:8], volume, site, not row[11], corrected))


Corrected = dict[int, tuple[int, str, bool]]


def as_corrected(rows: list[AdministrationRow], found: Corrected | None = None) -> list[AdministrationRow]:
    """These administrations with the volume and site they have now: the latest correction of each
    (SAFE-14), flagged `corrected`, so that every trace says what the patient trace says (`found`: their
    `_corrected_values`, when the caller has read them already)."""
    if found is None:
        found = _corrected_values([row.id for row in rows]) if rows else {}
    return [
        row._replace(volume_ul=found[row.id][0], site=found[row.id][1], corrected=True)
        if row.id in found
        else row
        for row in rows
    ]


def syringes_as_corrected(syringes: list[SyringeRow], found: Corrected | None = None) -> list[SyringeRow]:
    """These syringes with their administrations `as_corrected`."""
    given = [s.administration for s in syringes if s.administration]
    now = {row.id: row for row in as_corrected(given, found)}
    return [s._replace(administration=now[s.administration.id]) if s.administration else s for s in syringes]


@cache
def _corrections_statement() -> Any:
    """Built once: the corrections of some administrations (`ids`), oldest first."""
    return (
        select(
            AdministrationCorrection.administration_id,
            AdministrationCorrection.field,
            AdministrationCorrection.site_after,
            AdministrationCorrection.volume_ul_after,
            Administration.volume_ul,
            Administration.site,
        )
        .join(Administration, Administration.id == AdministrationCorrection.administration_id)
        .where(AdministrationCorrection.administration_id.in_(bindparam("ids", expanding=True)))
        .order_by(AdministrationCorrection.id)
    )


#: Administrations whose corrections are asked at once (bound parameters: well under every limit).
CORRECTIONS_CHUNK = 1000


def _corrected_values(administration_ids: list[int]) -> Corrected:
    """The latest corrected volume and site of these administrations (one read of the corrections a
    thousand administrations)."""
    ids = sorted(set(administration_ids))
    # An administration's corrections all come in its chunk, in order.
    rows = [
        row
        for start in range(0, len(ids), CORRECTIONS_CHUNK)
        for row in _rows(_corrections_statement(), {"ids": ids[start : start + CORRECTIONS_CHUNK]})
    ]
    found: dict[int, tuple[int, str, bool]] = {}
    for administration_id, corrected_field, site_after, volume_after, volume, site in rows:
        volume_now, site_now, _flag = found.get(administration_id, (volume, site, True))
        if corrected_field == CorrectedField.SITE:
            site_now = site_after or ""
        else:
            volume_now = volume_after or volume_now
        found[administration_id] = (volume_now, site_now, True)
    return found


def patient_back(patient_id: int, session_id: int | None = None) -> PatientTrace:
    """RCL-06: every lot a patient received (in one session when given), through syringes and batches."""
    patient = _patient_row(patient_id)
    where = TreatmentSession.patient_id == patient_id
    if session_id is not None:
        where = where & (TreatmentSession.id == session_id)
    items = _received(where)
    lots = _one_per_lot(draw for item in items if not item.administration.voided for draw in item.lots)
    return PatientTrace(patient, items, session_id, lots)


def session_back(session_id: int) -> PatientTrace:
    session = db.session.get(TreatmentSession, session_id)
    if session is None:
        raise NotFound("not_found", _("No session with id %(id)s.", id=session_id))
    return patient_back(session.patient_id, session_id)


# --- search ------------------------------------------------------------------------------------------


@dataclass
class SearchResults:
    query: str
    lots: list[LotRow] = field(default_factory=list)
    patients: list[Patient] = field(default_factory=list)
    batch_id: int | None = None
    lot_id: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.lots or self.patients or self.batch_id or self.lot_id)


def _code_target(query: str) -> tuple[str, int] | None:
    """A scanned or typed vial, batch or syringe code → ("lot"|"batch", id)."""
    parsed = parse_code(query)
    if parsed is None:
        return None
    kind, code = parsed
    if kind is CodeKind.VIAL:
        lot_id = db.session.scalar(select(Vial.lot_id).where(Vial.code == code))
        return ("lot", lot_id) if lot_id else None
    if kind is CodeKind.BATCH:
        batch_id = db.session.scalar(select(Batch.id).where(Batch.code == code))
        return ("batch", batch_id) if batch_id else None
    batch_id = db.session.scalar(select(Syringe.batch_id).where(Syringe.code == code))
    return ("batch", batch_id) if batch_id else None


def search(query: str, *, limit: int = 25) -> SearchResults:
    """Find a lot by number or product, a patient by name or MRN, or a vial/batch/syringe by code."""
    query = query.strip()
    results = SearchResults(query)
    if not query:
        return results
    target = _code_target(query)
    if target is not None:
        kind, target_id = target
        if kind == "lot":
            results.lot_id = target_id
        else:
            results.batch_id = target_id
        return results
    needle = f"%{query.upper()}%"
    product_needle = f"%{search_key(query)}%"
    lots = db.session.execute(
        select(Lot.id, Lot.product_id, Product.name, Lot.number, Lot.expiry, Lot.status)
        .join(Product, Product.id == Lot.product_id)
        .where(or_(Lot.number.like(needle), func.lower(Product.name).like(product_needle)))
        .order_by(Product.name, Lot.expiry.desc())
        .limit(limit)
    )
    results.lots = [LotRow(*row) for row in lots]
    results.patients = list(
        db.session.scalars(
            select(Patient)
            .where(or_(Patient.search_key.like(f"%{search_key(query)}%"), Patient.mrn == query))
            .order_by(Patient.name)
            .limit(limit)
        )
    )
    return results
