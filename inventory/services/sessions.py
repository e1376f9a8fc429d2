"""Treatment sessions: open, close, and what happened in them (administrations, scans)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy.orm import joinedload

from inventory import clock
from inventory.errors import Conflict, Forbidden, Invalid, NotFound
from inventory.extensions import db
from inventory.models.clinic import (
    Administration,
    AdministrationCorrection,
    AdministrationVoid,
    CorrectedField,
    IdentityCheck,
    Patient,
    ScanAttempt,
    SessionStatus,
    TreatmentSession,
    VoidReason,
)
from inventory.models.compounding import Draw, Indication, Syringe, SyringeStatus
from inventory.models.stock import Vial
from inventory.models.users import Role, User
from inventory.names import INDICATION_LABELS, label
from inventory.rules.units import format_ml
from inventory.services import audit, patients, summaries, transaction


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


def lock_session(session_id: int) -> TreatmentSession:
    """The session, its row locked until the transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE
    already serialises writers): a scan, a void and a close of one session happen one after another."""
    locked = db.session.scalars(_lock_statement(), {"session_id": session_id})
    treatment: TreatmentSession | None = locked.first()
    if treatment is None:
        raise NotFound("not_found", _("No session with id %(id)s.", id=session_id))
    return treatment


@dataclass(frozen=True)
class LockedSession:
    """A session's values, read with its row's lock (`lock_session_values`)."""

    id: int
    patient_id: int
    status: str
    indication: str
    started_at: datetime
    patient_name: str
    patient_date_of_birth: date


def lock_session_values(session_id: int) -> LockedSession:
    """`lock_session` for the scan at the chair: the same lock, the session's values and its patient's
    name and date of birth as plain values (no ORM object to load, watch and expire at the commit)."""
    row = db.session.connection().execute(_values_lock_statement(), {"session_id": session_id}).first()
    if row is None:
        raise NotFound("not_found", _("No session with id %(id)s.", id=session_id))
    return LockedSession(*row)


def _locking(query: Any) -> Any:
    """`query` of the session `session_id`, its row locked until the transaction ends."""
    return query.where(TreatmentSession.id == bindparam("session_id")).with_for_update(of=TreatmentSession)


@cache
def _lock_statement() -> Any:
    """Built once: every void and close runs it."""
    return _locking(select(TreatmentSession)).execution_options(populate_existing=True)


@cache
def _values_lock_statement() -> Any:
    """Built once: every scan runs it."""
    columns = (
        TreatmentSession.id,
        TreatmentSession.patient_id,
        TreatmentSession.status,
        TreatmentSession.indication,
        TreatmentSession.started_at,
        Patient.name,
        Patient.date_of_birth,
    )
    return _locking(select(*columns).join(Patient, Patient.id == TreatmentSession.patient_id))


def check_volume(syringe_volume_ul: int, volume_ul: int | None) -> int:
    """The volume to record: the whole syringe when none is given; never more than it holds."""
    if volume_ul is None:
        return syringe_volume_ul
    if volume_ul <= 0 or volume_ul > syringe_volume_ul:
        raise Invalid(
            "volume_exceeds_syringe",
            _(
                "The syringe holds %(volume)s; a larger volume cannot be recorded.",
                volume=format_ml(syringe_volume_ul),
            ),
            fields={"volume_ml": _("At most %(volume)s.", volume=format_ml(syringe_volume_ul))},
        )
    return volume_ul


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
        lock_session(session_id)  # a scan or a void in progress finishes first; the close's time follows it
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


# ---- given or not given, and corrections (SAFE-07, SAFE-14) ---------------------------------------------

#: What becomes of the syringe when its administration is voided.
SYRINGE_AFTER_VOID = {
    VoidReason.NOT_GIVEN: SyringeStatus.AVAILABLE,
    VoidReason.WRONG_PATIENT: SyringeStatus.AVAILABLE,
    VoidReason.DROPPED: SyringeStatus.DISCARDED,
    VoidReason.OTHER: SyringeStatus.AVAILABLE,
}


def syringe_of(administration_id: int) -> Syringe:
    return _administration_in(administration_id).syringe


def _pending(session_id: Any, what: Any) -> Any:
    confirmed = select(IdentityCheck.id).where(IdentityCheck.administration_id == Administration.id)
    return (
        select(what)
        .where(Administration.session_id == session_id, Administration.given(), ~confirmed.exists())
        .order_by(Administration.id.desc())
        .limit(1)
    )


@cache
def pending_id_statement() -> Any:
    """Built once (asked at every scan): the id of the session's scan still waiting for "Given" or
    "Not given" (parameter ``session_id``). The scan embeds it in its syringe query, which runs after
    the session's lock: a statement of its own sees a scan committed while this one waited (SAFE-14),
    a subquery of the locking statement would not (PostgreSQL reads it in the snapshot taken before
    the wait)."""
    return _pending(bindparam("session_id"), Administration.id)


def pending_administration(session_id: int) -> Administration | None:
    """The scan of this session still waiting for "Given" or "Not given", if any."""
    return db.session.scalars(_pending(session_id, Administration)).first()


def refuse_while_pending(session_id: int) -> None:
    """The next scan is not taken until the previous one is confirmed as given or voided (the same
    question as `pending_administration`, answered with the id alone: it is asked at every scan)."""
    refuse_if_pending(db.session.scalar(pending_id_statement(), {"session_id": session_id}))


def refuse_if_pending(pending: int | None) -> None:
    """`refuse_while_pending` with the pending scan's id read already, after the session's lock."""
    if pending is not None:
        raise Conflict(
            "previous_pending",
            _("Confirm the previous syringe first: was it given or not given?"),
            fields={"administration_id": str(pending)},
        )


def _administration_in(administration_id: int, session_id: int | None = None) -> Administration:
    administration = db.session.get(Administration, administration_id, populate_existing=True)
    if administration is None or (session_id is not None and administration.session_id != session_id):
        raise NotFound("not_found", _("No administration with id %(id)s.", id=administration_id))
    return administration


def _may_chart(treatment: TreatmentSession, user: User) -> None:
    """Only the session's practitioner (or an admin) says what happened at her chair."""
    if user.id != treatment.practitioner_id and Role.ADMIN not in user.roles:
        raise Forbidden(
            "not_session_practitioner", _("Only the session's practitioner or an administrator may do this.")
        )


def void_administration(
    administration_id: int, reason: str, note: str = "", *, user: User, session_id: int | None = None
) -> AdministrationVoid:
    """SAFE-14: a scan not followed by an injection. A void row is appended (the administration is
    untouched); the syringe goes back to available, or is discarded when dropped or contaminated.

    Only while the session is open, by its practitioner or an admin, once. The session row is locked,
    so two voids at once void once and a close cannot slip between the checks and the write.
    """
    note = " ".join(note.split())
    if reason not in {item.value for item in VoidReason}:
        raise Invalid(
            "invalid_input",
            _("Choose why the syringe was not given."),
            fields={"reason": ", ".join(item.value for item in VoidReason)},
        )
    if reason == VoidReason.OTHER and not note:
        raise Invalid("note_required", _("Say why in a note."), fields={"note": _("Required for other.")})
    with transaction():
        found = _administration_in(administration_id, session_id)
        treatment = lock_session(found.session_id)
        _may_chart(treatment, user)
        if treatment.status != SessionStatus.OPEN:
            raise Conflict("session_closed", _("This session is closed: its record can only be corrected."))
        administration = _administration_in(administration_id)
        if administration.void is not None:
            raise Conflict("already_voided", _("This administration is already recorded as not given."))
        now = clock.now()
        void = AdministrationVoid(
            administration_id=administration.id, reason=reason, note=note, voided_by_id=user.id, voided_at=now
        )
        db.session.add(void)
        db.session.flush()
        syringe_status = _release_syringe(
            administration.syringe_id, SYRINGE_AFTER_VOID[VoidReason(reason)], now, user, note
        )
        _no_longer_given(administration)
        audit.record(
            "administration_voided",
            "administration",
            administration.id,
            details={
                "session_id": treatment.id,
                "patient_id": treatment.patient_id,
                "syringe_id": administration.syringe_id,
                "void_reason": reason,
                "syringe_status": syringe_status,
            },
            reason=note or reason,
            user=user,
        )
        db.session.refresh(administration)
    return void


def _no_longer_given(administration: Administration) -> None:
    """A voided scan leaves what counts what was given: the daily totals, and the exposed patients of
    every recall of the lots in the syringe (a patient the void leaves unexposed is no longer listed)."""
    from inventory.services import recalls

    summaries.administration_counted(administration, given=False)
    syringe = db.session.get(Syringe, administration.syringe_id)
    if syringe is None:  # pragma: no cover - a foreign key
        return
    if syringe.status == SyringeStatus.DISCARDED:
        summaries.syringe_discarded(syringe)
    lot_ids = db.session.scalars(
        select(Vial.lot_id)
        .join(Draw, Draw.vial_id == Vial.id)
        .where(Draw.batch_id == syringe.batch_id)
        .distinct()
    )
    recalls.refresh_exposed_patients(lot_ids)


def _release_syringe(syringe_id: int, status: SyringeStatus, now: datetime, user: User, note: str) -> str:
    """The voided syringe leaves "administered" (guarded: only from administered)."""
    values: dict[str, Any] = {"status": status}
    if status == SyringeStatus.DISCARDED:
        values |= {
            "discarded_at": now,
            "discarded_by_id": user.id,
            "discard_reason": "contaminated",
            "discard_note": note or None,
        }
    changed = cast(
        CursorResult[Any],
        db.session.execute(
            update(Syringe)
            .where(Syringe.id == syringe_id, Syringe.status == SyringeStatus.ADMINISTERED)
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    if changed.rowcount != 1:  # pragma: no cover - the session lock makes this unreachable
        raise Conflict("already_voided", _("This administration is already recorded as not given."))
    syringe = db.session.get(Syringe, syringe_id)
    if syringe is not None:
        db.session.refresh(syringe)
    return status.value


@dataclass(frozen=True)
class Correction:
    """What the practitioner says was really given; None leaves a value as recorded."""

    reason: str
    site: str | None = None
    volume_ul: int | None = None


def correct_administration(
    administration_id: int, correction: Correction, *, user: User, session_id: int | None = None
) -> Administration:
    """SAFE-14: a wrong site or volume is corrected by appended rows (before → after, with a reason);
    the administration keeps what was first recorded. Allowed after the session is closed."""
    reason = " ".join(correction.reason.split())
    site = " ".join(correction.site.split())[:80] if correction.site is not None else None
    if not reason:
        raise Invalid(
            "reason_required", _("Say why the record is corrected."), fields={"reason": _("Required.")}
        )
    if site is None and correction.volume_ul is None:
        raise Invalid(
            "invalid_input",
            _("Give the corrected site or volume."),
            fields={
                "site": _("Give the site or the volume."),
                "volume_ml": _("Give the site or the volume."),
            },
        )
    with transaction():
        found = _administration_in(administration_id, session_id)
        treatment = lock_session(found.session_id)
        _may_chart(treatment, user)
        administration = _administration_in(administration_id)
        if administration.void is not None:
            raise Conflict("already_voided", _("This administration is recorded as not given."))
        now = clock.now()
        rows = []
        if site is not None and site != administration.site_now:
            rows.append(
                AdministrationCorrection(
                    field=CorrectedField.SITE, site_before=administration.site_now, site_after=site
                )
            )
        if correction.volume_ul is not None:
            volume = check_volume(administration.syringe.volume_ul, correction.volume_ul)
            if volume != administration.volume_ul_now:
                rows.append(
                    AdministrationCorrection(
                        field=CorrectedField.VOLUME,
                        volume_ul_before=administration.volume_ul_now,
                        volume_ul_after=volume,
                    )
                )
        if not rows:
            raise Invalid(
                "nothing_to_correct", _("The record already says this."), fields={"site": _("Unchanged.")}
            )
        for row in rows:
            row.administration_id = administration.id
            row.reason = reason
            row.corrected_by_id = user.id
            row.corrected_at = now
            db.session.add(row)
        db.session.flush()
        audit.record(
            "administration_corrected",
            "administration",
            administration.id,
            details={
                "session_id": treatment.id,
                "corrections": [
                    {
                        "field": row.field,
                        "before": row.site_before
                        if row.field == CorrectedField.SITE
                        else row.volume_ul_before,
                        "after": row.site_after if row.field == CorrectedField.SITE else row.volume_ul_after,
                    }
                    for row in rows
                ],
            },
            reason=reason,
            user=user,
        )
        db.session.refresh(administration)
    return administration
