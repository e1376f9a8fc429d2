"""The scan at the treatment chair (SAFE-06): one verdict, every reason that applies, one function.

The scan page and ``POST /api/v1/sessions/{id}/scans`` both call :func:`scan`. What blocks a syringe
whatever the session is decided in ``services.usability`` (the batch API, trace, recall and printing ask
it too); this module adds what blocks it in this session: the patient, her allergies, the indication
and whether the session is open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, bindparam, select, update

from inventory import clock
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.clinic import (
    Administration,
    PatientAllergy,
    ScanAttempt,
    SessionStatus,
    Verdict,
)
from inventory.models.compounding import (
    Batch,
    Draw,
    Indication,
    RecipeComponent,
    RecipeVersion,
    Syringe,
    SyringeStatus,
)
from inventory.models.stock import Lot, Vial
from inventory.models.users import User
from inventory.names import SCAN_REASON_LABELS, label
from inventory.rules import substances
from inventory.rules.codes import CodeKind, parse_code
from inventory.services import audit, insert_row, summaries, transaction, usability
from inventory.services.sessions import (
    LockedSession,
    check_volume,
    lock_session_values,
    pending_id_statement,
    refuse_if_pending,
    refuse_while_pending,
)

UNKNOWN_CODE = "unknown_code"
WRONG_PATIENT = "wrong_patient"
WRONG_INDICATION = "wrong_indication"
ALLERGY = "allergy"
SESSION_CLOSED = "session_closed"
TEMPERATURE_HOLD = usability.TEMPERATURE_HOLD

#: What blocks a syringe in this session in particular (SAFE-06, SAFE-12, SAFE-13).
SESSION_REASONS: tuple[str, ...] = (WRONG_PATIENT, WRONG_INDICATION, ALLERGY, SESSION_CLOSED)
#: api.md's fixed list, in the order a screen shows them.
REASONS: tuple[str, ...] = (UNKNOWN_CODE, *usability.SYRINGE_REASONS, *SESSION_REASONS)


def reason_text(reason: str) -> str:
    return label(SCAN_REASON_LABELS, reason)


def allergy_text(substances: Sequence[str]) -> str:
    """The red screen's line naming what the patient is allergic to (SAFE-12)."""
    return str(_("The patient is allergic to %(substances)s.", substances=", ".join(substances)))


def reason_texts(reasons: Sequence[str], allergens: Sequence[str] = ()) -> dict[str, str]:
    """Each reason's line on the red screen, in order; the allergy's names the substances (SAFE-12)."""
    return {
        reason: allergy_text(allergens) if reason == ALLERGY and allergens else reason_text(reason)
        for reason in reasons
    }


def blocked_message(texts: dict[str, str]) -> str:
    """The red screen's sentence, from `reason_texts`."""
    return str(_("Do not inject: %(reasons)s", reasons=" ".join(texts.values())))


def _ordered(found: Iterable[str]) -> list[str]:
    present = set(found)
    return [reason for reason in REASONS if reason in present]


def indication_fits(recipe_indication: str, session_indication: str) -> bool:
    """SAFE-13: the recipe's indication is the session's; ``other`` on either side matches any."""
    return (
        Indication.OTHER in (recipe_indication, session_indication) or recipe_indication == session_indication
    )


def allergens_in(recipe_version_id: int, allergies: Sequence[str]) -> list[str]:
    """SAFE-12: the substances of the recipe's components the patient is allergic to (`allergies`, read
    with the syringe; the recipe's substances are read only when she has any)."""
    if not allergies:
        return []
    contained = db.session.scalars(
        select(Product.substances)
        .join(RecipeComponent, RecipeComponent.product_id == Product.id)
        .where(RecipeComponent.recipe_version_id == recipe_version_id)
    )
    return substances.allergens([name for listed in contained for name in listed or []], list(allergies))


@dataclass(frozen=True)
class SessionCheck:
    reasons: list[str]
    allergens: list[str] = field(default_factory=list)


def session_reasons(treatment: LockedSession, found: _Found) -> SessionCheck:
    """What blocks a syringe in this session in particular: its patient, her allergies, the session's
    indication and whether it is open."""
    reasons = []
    allergic: list[str] = []
    if found.batch_patient_id is not None and found.batch_patient_id != treatment.patient_id:
        reasons.append(WRONG_PATIENT)
    if found.syringe is not None:
        if not indication_fits(found.recipe_indication, treatment.indication):
            reasons.append(WRONG_INDICATION)
        allergic = allergens_in(found.recipe_version_id, found.allergies)
        if allergic:
            reasons.append(ALLERGY)
    if treatment.status != SessionStatus.OPEN:
        reasons.append(SESSION_CLOSED)
    return SessionCheck(reasons, allergic)


def scan_reasons(found: _Found, treatment: LockedSession, now: datetime) -> SessionCheck:
    """Every reason, in screen order: the syringe's own (whatever the session, read with the syringe)
    and this session's."""
    check = session_reasons(treatment, found)
    if found.syringe is None:
        return SessionCheck(_ordered([UNKNOWN_CODE, *check.reasons]))
    return SessionCheck(_ordered([*found.blocking, *check.reasons]), check.allergens)


def _reasons_again(found: _Found, treatment: LockedSession, now: datetime) -> list[str]:
    """Every reason, the syringe's read afresh (another scan or a discard took it meanwhile)."""
    assert found.syringe is not None
    blocking = usability.syringe_reasons([found.syringe.id], now).get(found.syringe.id, [])
    return _ordered([*blocking, *session_reasons(treatment, found).reasons])


@dataclass(frozen=True)
class Identity:
    """The two identifiers the practitioner checks (SAFE-07)."""

    name: str
    date_of_birth: date


@dataclass(frozen=True)
class Given:
    """The administration a green scan recorded."""

    id: int
    syringe_code: str
    batch_id: int
    volume_ul: int
    administered_at: datetime
    site: str
    practitioner_id: int


@dataclass(frozen=True)
class _Administered:
    """The administration a green scan has just inserted: the values it was inserted with."""

    id: int
    session_id: int
    syringe_id: int
    practitioner_id: int
    volume_ul: int
    site: str
    administered_at: datetime


@dataclass(frozen=True)
class LotUsed:
    lot: str
    expiry: date


@dataclass(frozen=True)
class Component:
    product: str
    volume_ul: int
    biological: bool
    lots: list[LotUsed] = field(default_factory=list)


@dataclass(frozen=True)
class Contents:
    """What is in a syringe, for the practitioner to read before injecting."""

    code: str
    recipe: str
    volume_ul: int
    bud: datetime
    batch_id: int
    batch_code: str
    components: list[Component]


@dataclass(frozen=True)
class ScanOutcome:
    """The verdict, as plain values read inside the scan's transaction (nothing to reload after)."""

    session_id: int
    patient: Identity
    attempt_id: int
    reasons: list[str]
    code: str | None
    message: str
    administration: Given | None = None
    contents: Contents | None = None
    allergens: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # each reason's line (`reason_texts`)

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class ScannedSyringe:
    """The scanned syringe's own values, read with its verdict (the scan loads no ORM object)."""

    id: int
    code: str
    batch_id: int
    volume_ul: int
    bud: datetime


@dataclass(frozen=True)
class _Found:
    code: str | None = None
    syringe: ScannedSyringe | None = None
    batch_patient_id: int | None = None
    batch_code: str = ""
    recipe_version_id: int = 0
    recipe_name: str = ""
    recipe_indication: str = ""
    allergies: tuple[str, ...] = ()  # the session's patient's, read with the syringe (SAFE-12)
    blocking: tuple[str, ...] = ()  # what blocks it whatever the session (`usability.row_reasons`)


def _find_syringe(raw: str, treatment: LockedSession, now: datetime) -> _Found:
    """The syringe and its batch, from forgiving input (lower case, spaces, a trailing Enter, our own
    URL) that never guesses; in the same query the patient's allergies (a row per allergy), what
    blocks the syringe whatever the session, and the session's scan still to confirm, if any.

    Raises `previous_pending` (SAFE-14) when the session is open and a scan still waits for "Given"
    or "Not given". This runs after the session's lock, a statement of its own: it sees a scan
    committed while this one waited."""
    parsed = parse_code(raw)
    code = parsed[1] if parsed is not None else None
    rows: Sequence[Any] = ()
    if parsed is not None and parsed[0] is CodeKind.SYRINGE:
        parameters = {"code": code, "patient_id": treatment.patient_id, "session_id": treatment.id}
        rows = db.session.connection().execute(_syringe_statement(), parameters).all()
    if treatment.status == SessionStatus.OPEN:
        if rows:
            refuse_if_pending(rows[0].pending_id)
        else:
            refuse_while_pending(treatment.id)
    if not rows:
        return _Found(code)
    first = rows[0]
    allergies = tuple(row.substance for row in rows if row.substance is not None)
    return _Found(
        code,
        ScannedSyringe(first.syringe_id, first.syringe_code, first.batch_id, first.volume_ul, first.bud),
        first.patient_id,
        first.batch_code,
        first.recipe_version_id,
        first.recipe_name,
        first.recipe_indication,
        allergies,
        tuple(usability.row_reasons(first, now)),
    )


@cache
def _syringe_statement() -> Any:
    """Built once (a scan runs it every time): the syringe by its code, its batch and recipe, a row
    per allergy of the session's patient (none: one row with a NULL), the syringe's verdict
    (`usability.with_verdict`, which reads its status and BUD) and the session's pending scan."""
    syringe = (
        select(
            Syringe.id.label("syringe_id"),
            Syringe.code.label("syringe_code"),
            Syringe.batch_id,
            Syringe.volume_ul,
            Batch.patient_id,
            Batch.code.label("batch_code"),
            Batch.recipe_version_id,
            RecipeVersion.name.label("recipe_name"),
            RecipeVersion.indication.label("recipe_indication"),
            PatientAllergy.substance,
            pending_id_statement().scalar_subquery().label("pending_id"),
        )
        .join(Batch, Batch.id == Syringe.batch_id)
        .join(RecipeVersion, RecipeVersion.id == Batch.recipe_version_id)
        .outerjoin(PatientAllergy, PatientAllergy.patient_id == bindparam("patient_id"))
        .where(Syringe.code == bindparam("code"))
        .order_by(PatientAllergy.id)
    )
    by_code = select(Syringe.batch_id).where(Syringe.code == bindparam("code"))
    return usability.with_verdict(syringe, by_code)


def _administer(
    syringe: ScannedSyringe, treatment: LockedSession, *, user: User, volume_ul: int, site: str, now: datetime
) -> _Administered | None:
    """Mark the syringe administered and record it; None when another scan got there first."""
    taken = cast(
        CursorResult[Any],
        db.session.execute(
            update(Syringe)
            .where(Syringe.id == syringe.id, Syringe.status == SyringeStatus.AVAILABLE)
            .values(status=SyringeStatus.ADMINISTERED)
            .execution_options(synchronize_session=False)
        ),
    )
    if taken.rowcount != 1:
        return None
    row = {
        "session_id": treatment.id,
        "syringe_id": syringe.id,
        "practitioner_id": user.id,
        "volume_ul": volume_ul,
        "site": site,
        "administered_at": now,
    }
    # One INSERT … RETURNING id, built once (an ORM object's flush cost 1 ms): the guarded UPDATE
    # above already made the syringe ours.
    administration = _Administered(insert_row(Administration.__table__, row), **row)  # type: ignore[arg-type]
    session = (treatment.started_at, treatment.indication, treatment.patient_id)
    summaries.administration_counted(administration, known=summaries.CountedAs(*session, syringe.batch_id))
    return administration


def scan(
    session_id: int,
    raw: str,
    *,
    user: User,
    site: str = "",
    volume_ul: int | None = None,
) -> ScanOutcome:
    """Scan a syringe in a session: record the administration (ok) or the near miss (blocked).

    A blocked scan is committed too (a near miss is evidence); invalid input (a volume larger than the
    syringe) and a previous scan not yet confirmed as given or not given (``previous_pending``) raise,
    and record nothing. The session row is locked first, so a close waits for the scan or the scan sees
    the close; a discard and a scan race on the guarded UPDATE of the syringe's status.
    """
    site = " ".join(site.split())[:80]
    with transaction():
        treatment = lock_session_values(session_id)
        now = clock.now()
        found = _find_syringe(raw, treatment, now)
        check = scan_reasons(found, treatment, now)
        reasons = check.reasons
        administration = None
        contents = None
        if not reasons and found.syringe is not None:
            volume = check_volume(found.syringe.volume_ul, volume_ul)
            administration = _administer(
                found.syringe, treatment, user=user, volume_ul=volume, site=site, now=now
            )
            if administration is None:
                reasons = _reasons_again(found, treatment, now) or [usability.ALREADY_ADMINISTERED]
            else:
                contents = _contents(found)
        attempt_id = _record_attempt(
            treatment, raw, found, reasons, administration, user=user, now=now, allergens=check.allergens
        )
        texts = reason_texts(reasons, check.allergens)
        outcome = ScanOutcome(
            session_id=treatment.id,
            patient=Identity(treatment.patient_name, treatment.patient_date_of_birth),
            attempt_id=attempt_id,
            reasons=reasons,
            code=found.code,
            message=blocked_message(texts) if reasons else _("Syringe recorded."),
            administration=_given(administration, found) if administration else None,
            contents=contents,
            allergens=check.allergens if ALLERGY in reasons else [],
            texts=texts,
        )
    return outcome


def _given(administration: _Administered, found: _Found) -> Given:
    assert found.syringe is not None
    return Given(
        id=administration.id,
        syringe_code=found.syringe.code,
        batch_id=found.syringe.batch_id,
        volume_ul=administration.volume_ul,
        administered_at=administration.administered_at,
        site=administration.site,
        practitioner_id=administration.practitioner_id,
    )


def _record_attempt(
    treatment: LockedSession,
    raw: str,
    found: _Found,
    reasons: list[str],
    administration: _Administered | None,
    *,
    user: User,
    now: datetime,
    allergens: list[str],
) -> int:
    """The scan attempt and its audit entry (the administration's, or the near miss's), in one
    statement on PostgreSQL; returns the attempt's id."""
    syringe = found.syringe
    attempt = {
        "session_id": treatment.id,
        "user_id": user.id,
        "scanned_at": now,
        "raw": raw[:300],
        "code": found.code[:24] if found.code else None,
        "syringe_id": syringe.id if syringe else None,
        "verdict": Verdict.BLOCKED if reasons else Verdict.OK,
        "reasons": list(reasons),
        "administration_id": administration.id if administration else None,
    }
    table = ScanAttempt.__table__
    if administration is not None and syringe is not None:
        return audit.insert_with(
            table,  # type: ignore[arg-type]
            attempt,
            "syringe_administered",
            "syringe",
            syringe.id,
            details={
                "code": syringe.code,
                "session_id": treatment.id,
                "patient_id": treatment.patient_id,
                "administration_id": administration.id,
                "volume_ul": administration.volume_ul,
                "site": administration.site,
            },
            user=user,
        )
    return audit.insert_with(
        table,  # type: ignore[arg-type]
        attempt,
        "scan_blocked",
        "session",
        treatment.id,
        details={
            "attempt_id": None,  # the attempt's id, once inserted
            "code": found.code,
            "syringe_id": syringe.id if syringe else None,
            "reasons": reasons,
            **({"allergens": allergens} if ALLERGY in reasons else {}),
        },
        id_detail="attempt_id",
        reason=", ".join(reasons),
        user=user,
    )


def _contents(found: _Found) -> Contents:
    assert found.syringe is not None
    syringe = found.syringe
    return _build_contents(syringe, found.batch_code, found.recipe_version_id, found.recipe_name)


def syringe_contents(syringe: Syringe) -> Contents:
    """The recipe version the batch was made from, each component with the lots actually drawn into
    the batch, and the BUD (a later recipe edit changes none of it)."""
    batch_code, version_id, recipe_name = db.session.execute(
        select(Batch.code, Batch.recipe_version_id, RecipeVersion.name)
        .join(RecipeVersion, RecipeVersion.id == Batch.recipe_version_id)
        .where(Batch.id == syringe.batch_id)
    ).one()
    return _build_contents(syringe, batch_code, version_id, recipe_name)


def _build_contents(
    syringe: Syringe | ScannedSyringe, batch_code: str, version_id: int, recipe_name: str
) -> Contents:
    recipe_rows = db.session.execute(
        select(RecipeComponent.product_id, RecipeComponent.volume_ul, Product.name, Product.biological)
        .join(Product, Product.id == RecipeComponent.product_id)
        .where(RecipeComponent.recipe_version_id == version_id)
        .order_by(RecipeComponent.position, RecipeComponent.id)
    ).all()
    lot_rows = db.session.execute(
        select(Draw.product_id, Lot.number, Lot.expiry)
        .join(Vial, Vial.id == Draw.vial_id)
        .join(Lot, Lot.id == Vial.lot_id)
        .where(Draw.batch_id == syringe.batch_id)
        .group_by(Draw.product_id, Lot.number, Lot.expiry)
        .order_by(Lot.expiry, Lot.number)
    ).all()
    lots: dict[int, list[LotUsed]] = {}
    for product_id, number, expiry in lot_rows:
        lots.setdefault(product_id, []).append(LotUsed(number, expiry))
    components = [
        Component(name, volume, biological, lots.get(product_id, []))
        for product_id, volume, name, biological in recipe_rows
    ]
    return Contents(
        code=syringe.code,
        recipe=recipe_name,
        volume_ul=syringe.volume_ul,
        bud=syringe.bud,
        batch_id=syringe.batch_id,
        batch_code=batch_code,
        components=components,
    )
