"""Adverse events and lot signals (AE-01, AE-02)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from inventory import clock
from inventory.errors import Invalid, NotFound
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.clinic import Administration, Patient, TreatmentSession
from inventory.models.compounding import Draw, Syringe
from inventory.models.recall import AdverseEvent, AdverseEventSeverity, AdverseEventUpdate
from inventory.models.stock import Lot, Vial
from inventory.models.summary import AdverseEventLot
from inventory.models.users import User
from inventory.services import audit, summaries, transaction
from inventory.services.paging import Page
from inventory.services.trace import PatientTrace, session_back

SIGNAL_PATIENTS = 2
ONSET_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class SuspectLot:
    lot_id: int
    product_id: int
    product: str
    lot: str
    expiry: date
    status: str


@dataclass(frozen=True)
class ExposedPatient:
    patient_id: int
    name: str
    date_of_birth: date
    lots: list[int]


class Signal(NamedTuple):
    lot_id: int
    lot: str
    product_id: int
    product: str
    expiry: date
    patients: int
    events: int


@dataclass
class EventReport:
    """What a regulator's form asks for: patient, reporter, products with lot and expiry, batch and
    BUD, the event and its dates, and who else received the same lots."""

    event: AdverseEvent
    patient: Patient
    reporter: User
    session: TreatmentSession
    received: PatientTrace
    suspect_lots: list[SuspectLot]
    other_patients: list[ExposedPatient]


def _lots_of_session(session_ids: list[int]) -> list[SuspectLot]:
    """AE-01: every lot in every syringe given in these sessions; a cocktail counts against each lot."""
    query = (
        select(Lot.id, Product.id, Product.name, Lot.number, Lot.expiry, Lot.status)
        .select_from(Administration)
        .join(Syringe, Syringe.id == Administration.syringe_id)
        .join(Draw, Draw.batch_id == Syringe.batch_id)
        .join(Vial, Vial.id == Draw.vial_id)
        .join(Lot, Lot.id == Vial.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(Administration.session_id.in_(session_ids), Administration.given())
        .distinct()
        .order_by(Product.name, Lot.number)
    )
    return [SuspectLot(*row) for row in db.session.execute(query)]


def suspect_lots(session_id: int) -> list[SuspectLot]:
    return _lots_of_session([session_id])


def other_exposed_patients(lot_ids: list[int], patient_id: int) -> list[ExposedPatient]:
    """AE-01: every other patient who received any of these lots, with which of them."""
    if not lot_ids:
        return []
    query = (
        select(Patient.id, Patient.name, Patient.date_of_birth, Vial.lot_id)
        .select_from(Administration)
        .join(TreatmentSession, TreatmentSession.id == Administration.session_id)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .join(Syringe, Syringe.id == Administration.syringe_id)
        .join(Draw, Draw.batch_id == Syringe.batch_id)
        .join(Vial, Vial.id == Draw.vial_id)
        .where(Vial.lot_id.in_(lot_ids), Patient.id != patient_id, Administration.given())
        .distinct()
        .order_by(Patient.name, Patient.id, Vial.lot_id)
    )
    by_patient: dict[tuple[int, str, date], list[int]] = defaultdict(list)
    for pid, name, born, lot_id in db.session.execute(query):
        by_patient[(pid, name, born)].append(lot_id)
    return [ExposedPatient(pid, name, born, lots) for (pid, name, born), lots in by_patient.items()]


def record_adverse_event(
    *,
    session_id: int,
    onset_at: datetime,
    severity: str,
    description: str,
    outcome: str,
    reporter: User,
) -> AdverseEvent:
    """AE-01: an adverse event on a session, reported by the signed-in user."""
    session = db.session.get(TreatmentSession, session_id)
    if session is None:
        raise Invalid(
            "unknown_session",
            _("No session with id %(id)s.", id=session_id),
            fields={"session_id": _("Unknown session.")},
        )
    _check(onset_at, severity, description)
    _check_onset(onset_at, session)
    with transaction():
        event = AdverseEvent(
            session_id=session.id,
            patient_id=session.patient_id,
            onset_at=onset_at,
            severity=severity,
            description=description.strip(),
            outcome=outcome.strip(),
            reporter_id=reporter.id,
            created_at=clock.now(),
        )
        db.session.add(event)
        db.session.flush()
        summaries.adverse_event_recorded(event)
        lots = suspect_lots(session.id)
        audit.record(
            "adverse_event_recorded",
            "adverse_event",
            event.id,
            details={
                "session_id": session.id,
                "patient_id": session.patient_id,
                "severity": severity,
                "lot_ids": [lot.lot_id for lot in lots],
            },
            user=reporter,
        )
    return event


def _check(onset_at: datetime, severity: str, description: str) -> None:
    if severity not in {s.value for s in AdverseEventSeverity}:
        raise Invalid("invalid_input", _("Unknown severity."), fields={"severity": _("Unknown severity.")})
    if not description.strip():
        raise Invalid(
            "invalid_input", _("Describe the event."), fields={"description": _("Describe the event.")}
        )
    if onset_at.tzinfo is None:
        raise Invalid(
            "invalid_input", _("Give the onset with its time zone."), fields={"onset_at": _("No zone.")}
        )


def _check_onset(onset_at: datetime, session: TreatmentSession) -> None:
    """An onset lies between the start of the session (to the minute a form can give) and now."""
    if onset_at > clock.now() + ONSET_TOLERANCE:
        raise Invalid(
            "invalid_onset",
            _("The onset cannot be in the future."),
            fields={"onset_at": _("The onset cannot be in the future.")},
        )
    started = session.started_at.replace(second=0, microsecond=0)
    if onset_at < started:
        when = clock.local(session.started_at).strftime("%Y-%m-%d %H:%M")
        raise Invalid(
            "invalid_onset",
            _("The onset cannot be before the session started (%(when)s).", when=when),
            fields={"onset_at": _("Not before the session started (%(when)s).", when=when)},
        )


def add_update(event_id: int, *, outcome: str, note: str, user: User) -> AdverseEventUpdate:
    """A follow-up of an event, appended: the outcome now and a note; the event itself is never edited."""
    outcome, note = outcome.strip(), note.strip()
    if not outcome:
        raise Invalid(
            "invalid_input",
            _("Give the outcome now, for example resolved or still swollen."),
            fields={"outcome": _("Required.")},
        )
    with transaction():
        event = get_event(event_id)
        update = AdverseEventUpdate(
            event_id=event.id, outcome=outcome, note=note, by_id=user.id, at=clock.now()
        )
        db.session.add(update)
        db.session.flush()
        audit.record(
            "adverse_event_followed_up",
            "adverse_event",
            event.id,
            details={"outcome": [event.current_outcome, outcome], "note": note, "update_id": update.id},
            user=user,
        )
        db.session.expire(event, ["updates"])
    return update


def events_of_patient(patient_id: int) -> list[AdverseEvent]:
    """Newest onset first, each with its follow-ups."""
    return list(
        db.session.scalars(
            select(AdverseEvent)
            .where(AdverseEvent.patient_id == patient_id)
            .order_by(AdverseEvent.onset_at.desc(), AdverseEvent.id.desc())
        )
    )


def get_event(event_id: int) -> AdverseEvent:
    event = db.session.get(AdverseEvent, event_id)
    if event is None:
        raise NotFound("not_found", _("No adverse event with id %(id)s.", id=event_id))
    return event


def report(event_id: int) -> EventReport:
    event = get_event(event_id)
    lots = suspect_lots(event.session_id)
    patient = db.session.get(Patient, event.patient_id)
    assert patient is not None
    return EventReport(
        event,
        patient,
        event.reporter,
        event.session,
        session_back(event.session_id),
        lots,
        other_exposed_patients([lot.lot_id for lot in lots], event.patient_id),
    )


def events_of_session(session_id: int) -> list[AdverseEvent]:
    return list(
        db.session.scalars(
            select(AdverseEvent).where(AdverseEvent.session_id == session_id).order_by(AdverseEvent.onset_at)
        )
    )


# --- signals -----------------------------------------------------------------------------------------


SIGNALS_PER_PAGE = 25
SIGNALS_MAX_PAGE = 100
#: The signals page lists each lot's newest events; the lot's trace lists them all.
EVENTS_PER_SIGNAL = 3


def _signal_query(*where: Any) -> Any:
    """AE-02 over the adverse events' lots (`adverse_event_lots`, kept by services/summaries.py with
    each event and each administration of its session): grouped per lot first along the index (lot_id,
    patient_id), then only the lots that are signals joined to their names, so the cost follows the
    number of events, never the draws of history. `where`: which of the events' lots count."""
    patients = func.count(func.distinct(AdverseEventLot.patient_id))
    per_lot = (
        # A lot's event once each: (event_id, lot_id) is the summary's key.
        select(AdverseEventLot.lot_id, patients.label("patients"), func.count().label("events"))
        .where(*where)
        .group_by(AdverseEventLot.lot_id)
        .having(patients >= SIGNAL_PATIENTS)
        .subquery("signal")
    )
    return (
        select(Lot.id, Lot.number, Product.id, Product.name, Lot.expiry, per_lot.c.patients, per_lot.c.events)
        .select_from(per_lot)
        .join(Lot, Lot.id == per_lot.c.lot_id)
        .join(Product, Product.id == Lot.product_id)
    )


def _signal_order(query: Any) -> Any:
    """The most patients first, then by product and lot."""
    return query.order_by(query.selected_columns.patients.desc(), Product.name, Lot.number, Lot.id)


def signals(lot_ids: list[int] | None = None, *, limit: int | None = None, offset: int = 0) -> list[Signal]:
    """AE-02: lots with adverse events from two or more different patients, the most patients first;
    `limit` and `offset` give a page of them."""
    where = () if lot_ids is None else (AdverseEventLot.lot_id.in_(lot_ids),)
    query = _signal_order(_signal_query(*where))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return [Signal(*row) for row in db.session.execute(query)]


def signal_page(page: int = 1, per_page: int = SIGNALS_PER_PAGE) -> tuple[list[Signal], bool]:
    """A page of the signals and whether there is a next one."""
    page, per_page = max(page, 1), min(max(per_page, 1), SIGNALS_MAX_PAGE)
    found = signals(limit=per_page + 1, offset=(page - 1) * per_page)
    return found[:per_page], len(found) > per_page


def signals_paged(number: int | None, per_page: int = SIGNALS_PER_PAGE) -> Page[Signal]:
    """A page of the signals, with the count of them all in the same query (a window count): the
    signals page, and the dashboard's first few."""
    number = max(1, number or 1)
    query = _signal_order(_signal_query().add_columns(func.count().over()))
    rows = db.session.execute(query.limit(per_page).offset((number - 1) * per_page)).all()
    total = int(rows[0][-1]) if rows else signal_count()
    pages = max(1, -(-total // per_page))
    if not rows and number > pages:  # past the end: the last page
        return signals_paged(pages, per_page)
    return Page([Signal(*row[:-1]) for row in rows], number, pages, total)


def signal_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(_signal_query().subquery())) or 0)


@cache
def _signal_of_lot() -> Any:
    """Built once (every page of a lot's trace asks): the signal of the lot `lot`."""
    return _signal_query(AdverseEventLot.lot_id == bindparam("lot"))


def signal_for_lot(lot_id: int) -> Signal | None:
    """The lot's signal, if it has one: its rows of the summary alone (the lot trace asks)."""
    row = db.session.execute(_signal_of_lot(), {"lot": lot_id}).first()
    return Signal(*row) if row is not None else None


def events_by_lot(lot_ids: list[int], *, newest: int | None = None) -> dict[int, list[AdverseEvent]]:
    """The adverse events after which something of each lot had been given, newest onset first;
    `newest`: only that many per lot (the signals page; the lot's trace lists them all)."""
    if not lot_ids:
        return {}
    order = (AdverseEvent.onset_at.desc(), AdverseEvent.id.desc())
    rank = func.row_number().over(partition_by=AdverseEventLot.lot_id, order_by=order).label("rank")
    ranked = (
        select(AdverseEventLot.lot_id, AdverseEventLot.event_id, rank)
        .join(AdverseEvent, AdverseEvent.id == AdverseEventLot.event_id)
        .where(AdverseEventLot.lot_id.in_(lot_ids))
        .subquery()
    )
    query = (
        select(ranked.c.lot_id, AdverseEvent)
        .join(AdverseEvent, AdverseEvent.id == ranked.c.event_id)
        .order_by(*order)
    )
    if newest is not None:
        query = query.where(ranked.c.rank <= newest)
    found: dict[int, list[AdverseEvent]] = defaultdict(list)
    for lot_id, event in db.session.execute(query):
        found[lot_id].append(event)
    return dict(found)


def events_of_lot(lot_id: int) -> list[AdverseEvent]:
    """The adverse events recorded on sessions where something of this lot was given."""
    return events_by_lot([lot_id]).get(lot_id, [])
