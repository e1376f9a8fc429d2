"""Treatment sessions: open, close, and what happened in them (administrations, scans)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import joinedload

from inventory import clock
from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.models.clinic import (
    Administration,
    IdentityCheck,
    Patient,
    ScanAttempt,
    SessionStatus,
    TreatmentSession,
)
from inventory.models.compounding import Indication, Syringe
from inventory.models.users import User
from inventory.names import INDICATION_LABELS, label
from inventory.services import audit, patients, transaction


@dataclass(frozen=True)
class SessionWarning:
    """Something the practitioner should know, that does not stop them."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Opened:
    session: TreatmentSession
    warnings: list[SessionWarning]


def get_session(session_id: int) -> TreatmentSession:
    treatment = db.session.get(TreatmentSession, session_id)
    if treatment is None:
        raise NotFound("not_found", _("No session with id %(id)s.", id=session_id))
    return treatment


def min_interval() -> timedelta:
    return timedelta(days=int(current_app.config.get("SESSION_MIN_INTERVAL_DAYS", 0)))


def interval_warnings(
    patient_id: int, indication: str, at: datetime, *, exclude_id: int | None = None
) -> list[SessionWarning]:
    """A session of the same indication for the same patient sooner than the clinic's minimum interval
    (SESSION_MIN_INTERVAL_DAYS) before ``at``: a warning, never a block."""
    interval = min_interval()
    if interval <= timedelta(0):
        return []
    statement = (
        select(TreatmentSession.started_at)
        .where(
            TreatmentSession.patient_id == patient_id,
            TreatmentSession.indication == indication,
            TreatmentSession.started_at > at - interval,
            TreatmentSession.started_at <= at,
            TreatmentSession.id != (exclude_id or -1),
        )
        .order_by(TreatmentSession.started_at.desc())
        .limit(1)
    )
    previous = db.session.scalar(statement)
    if previous is None:
        return []
    days = (at - previous).days
    return [
        SessionWarning(
            "interval_short",
            _(
                "The last %(indication)s session was %(days)s day(s) ago; the clinic's minimum interval "
                "is %(min)s days.",
                indication=label(INDICATION_LABELS, indication),
                days=days,
                min=interval.days,
            ),
            {"previous_started_at": previous, "days": days, "min_interval_days": interval.days},
        )
    ]


def open_session(patient_id: int, indication: str, area: str, *, practitioner: User) -> Opened:
    if indication not in {item.value for item in Indication}:
        raise Invalid(
            "invalid_input", _("Unknown indication."), fields={"indication": _("Not a known indication.")}
        )
    with transaction():
        patient = db.session.get(Patient, patient_id)
        if patient is None:
            raise Invalid(
                "unknown_patient",
                _("No patient with id %(id)s.", id=patient_id),
                fields={"patient_id": _("No such patient.")},
            )
        patients.refuse_merged(patient)
        now = clock.now()
        warnings = interval_warnings(patient.id, indication, now)
        treatment = TreatmentSession(
            patient_id=patient.id,
            practitioner_id=practitioner.id,
            indication=indication,
            area=" ".join(area.split())[:80],
            status=SessionStatus.OPEN,
            started_at=now,
        )
        db.session.add(treatment)
        db.session.flush()
        audit.record(
            "session_opened",
            "session",
            treatment.id,
            details={
                "patient_id": patient.id,
                "indication": indication,
                "area": treatment.area,
                "warnings": [warning.code for warning in warnings],
            },
            user=practitioner,
        )
    return Opened(treatment, warnings)


def close_session(session_id: int, *, user: User) -> TreatmentSession:
    """Close an open session (guarded: two closes at once close it once)."""
    with transaction():
        now = clock.now()
        closed = cast(
            CursorResult[Any],
            db.session.execute(
                update(TreatmentSession)
                .where(TreatmentSession.id == session_id, TreatmentSession.status == SessionStatus.OPEN)
                .values(status=SessionStatus.CLOSED, closed_at=now)
                .execution_options(synchronize_session=False)
            ),
        )
        treatment = get_session(session_id)
        if closed.rowcount != 1:
            raise Conflict("session_closed", _("This session is already closed."))
        db.session.refresh(treatment)
        audit.record("session_closed", "session", treatment.id, user=user)
    return treatment


def open_sessions() -> list[TreatmentSession]:
    statement = (
        select(TreatmentSession)
        .where(TreatmentSession.status == SessionStatus.OPEN)
        .order_by(TreatmentSession.started_at.desc(), TreatmentSession.id.desc())
    )
    return list(db.session.scalars(statement))


def administrations_of(session_id: int) -> list[Administration]:
    statement = (
        select(Administration)
        .where(Administration.session_id == session_id)
        .options(joinedload(Administration.syringe).joinedload(Syringe.batch))
        .order_by(Administration.administered_at, Administration.id)
    )
    return list(db.session.scalars(statement))


def scans_of(session_id: int, *, blocked_only: bool = False) -> list[ScanAttempt]:
    statement = select(ScanAttempt).where(ScanAttempt.session_id == session_id)
    if blocked_only:
        statement = statement.where(ScanAttempt.verdict == "blocked")
    return list(db.session.scalars(statement.order_by(ScanAttempt.scanned_at, ScanAttempt.id)))


def identity_checked(administration_ids: list[int]) -> set[int]:
    if not administration_ids:
        return set()
    statement = select(IdentityCheck.administration_id).where(
        IdentityCheck.administration_id.in_(administration_ids)
    )
    return set(db.session.scalars(statement))


def confirm_identity(session_id: int, administration_id: int, *, user: User) -> IdentityCheck:
    """SAFE-07: the practitioner checked name and date of birth; recorded once per administration."""
    with transaction():
        administration = db.session.get(Administration, administration_id)
        if administration is None or administration.session_id != session_id:
            raise NotFound("not_found", _("No such administration in this session."))
        existing = db.session.scalar(
            select(IdentityCheck).where(IdentityCheck.administration_id == administration_id)
        )
        if existing is not None:
            return existing
        check = IdentityCheck(
            administration_id=administration_id, checked_by_id=user.id, checked_at=clock.now()
        )
        db.session.add(check)
        db.session.flush()
        audit.record(
            "identity_confirmed",
            "administration",
            administration_id,
            details={"session_id": session_id},
            user=user,
        )
    return check
