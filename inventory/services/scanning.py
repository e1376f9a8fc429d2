"""The scan at the treatment chair (SAFE-06): one verdict, every reason that applies, one function.

The scan page and ``POST /api/v1/sessions/{id}/scans`` both call :func:`scan`. What blocks a syringe
whatever the session (:func:`syringe_block_reasons`) is one set-based query, reusable by the
compounding API and the recall pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, and_, bindparam, case, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from inventory import clock
from inventory.errors import Invalid
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.clinic import Administration, ScanAttempt, SessionStatus, TreatmentSession, Verdict
from inventory.models.compounding import (
    Batch,
    BatchStatus,
    Draw,
    Recipe,
    RecipeComponent,
    Syringe,
    SyringeStatus,
)
from inventory.models.recall import Recall
from inventory.models.stock import Lot, LotStatus, Vial
from inventory.models.users import User
from inventory.rules import bud as rules_bud
from inventory.rules.codes import CodeKind, parse_code
from inventory.rules.expiry import is_expired
from inventory.rules.units import format_ml
from inventory.services import audit, transaction, usability
from inventory.services.sessions import get_session

# api.md's fixed list, in the order a screen shows them; ``missing_lot`` (SAFE-08) is an addition.
UNKNOWN_CODE = "unknown_code"
NOT_RELEASED = "not_released"
BUD_PASSED = "bud_passed"
EXPIRED_COMPONENT = "expired_component"
QUARANTINED = "quarantined"
RECALLED = "recalled"
MISSING_LOT = "missing_lot"
ALREADY_ADMINISTERED = "already_administered"
DISCARDED = "discarded"
WRONG_PATIENT = "wrong_patient"
SESSION_CLOSED = "session_closed"
TEMPERATURE_HOLD = usability.TEMPERATURE_HOLD

REASONS: tuple[str, ...] = (
    UNKNOWN_CODE,
    NOT_RELEASED,
    BUD_PASSED,
    EXPIRED_COMPONENT,
    QUARANTINED,
    RECALLED,
    TEMPERATURE_HOLD,
    MISSING_LOT,
    ALREADY_ADMINISTERED,
    DISCARDED,
    WRONG_PATIENT,
    SESSION_CLOSED,
)

# Larger IN lists make SQLite's planner switch to scans (seconds instead of milliseconds at ~5,000 ids).
IDS_PER_QUERY = 1000

REASON_TEXT = {
    UNKNOWN_CODE: _l("Unknown code: this is not a syringe prepared by this clinic."),
    NOT_RELEASED: _l("Not released: the batch is waiting for its second-person check."),
    BUD_PASSED: _l("Past its beyond-use date (BUD)."),
    EXPIRED_COMPONENT: _l("A component's lot is past its expiry date."),
    QUARANTINED: _l("Quarantined: the batch or a lot in it is on hold."),
    RECALLED: _l("Recalled: a lot in this syringe is recalled."),
    TEMPERATURE_HOLD: _l(
        "Temperature hold: it was in a fridge or freezer out of its range; a manager must decide first."
    ),
    MISSING_LOT: _l("A biological component has no recorded lot."),
    ALREADY_ADMINISTERED: _l("Already administered: this syringe was used before."),
    DISCARDED: _l("Discarded: this syringe was destroyed."),
    WRONG_PATIENT: _l("Wrong patient: this syringe was prepared for another patient."),
    SESSION_CLOSED: _l("This session is closed: open a new session to treat the patient."),
}


def reason_text(reason: str) -> str:
    return str(REASON_TEXT.get(reason, reason))


def blocked_message(reasons: Sequence[str]) -> str:
    return _("Do not inject: %(reasons)s", reasons=" ".join(reason_text(reason) for reason in reasons))


def _ordered(found: Iterable[str]) -> list[str]:
    present = set(found)
    return [reason for reason in REASONS if reason in present]


def _recall_exists() -> Any:
    """A recall of the lot, by its id or by product and number (RCL-01: exact, already normalised)."""
    return exists().where(
        or_(
            Recall.lot_id == Lot.id,
            and_(Recall.product_id == Lot.product_id, Recall.lot_number == Lot.number),
        )
    )


def _lot_facts() -> Any:
    """Per batch of the syringes asked about: the earliest expiry, and whether a lot drawn is on hold or
    recalled."""
    batches = select(Syringe.batch_id).where(Syringe.id.in_(bindparam("ids", expanding=True)))
    return (
        select(
            Draw.batch_id.label("batch_id"),
            func.min(Lot.expiry).label("earliest_expiry"),
            func.max(case((Lot.status == LotStatus.QUARANTINED, 1), else_=0)).label("lot_quarantined"),
            func.max(case((or_(Lot.status == LotStatus.RECALLED, _recall_exists()), 1), else_=0)).label(
                "lot_recalled"
            ),
        )
        .join(Vial, Vial.id == Draw.vial_id)
        .join(Lot, Lot.id == Vial.lot_id)
        .where(Draw.batch_id.in_(batches))
        .group_by(Draw.batch_id)
        .subquery()
    )


def _biological_without_lot() -> Any:
    """SAFE-08: a biological product of the recipe with no draw (so no lot) in the batch."""
    drawn = (
        exists()
        .where(Draw.batch_id == Batch.id, Draw.product_id == RecipeComponent.product_id)
        .correlate(Batch, RecipeComponent)
    )
    return (
        exists()
        .where(
            RecipeComponent.recipe_id == Batch.recipe_id,
            Product.id == RecipeComponent.product_id,
            Product.biological.is_(True),
        )
        .where(~drawn)
        .correlate(Batch)
    )


@cache
def _block_reasons_statement() -> Any:
    """Built once: the scan is the hot path, and building this statement costs more than running it."""
    facts = _lot_facts()
    administered = exists().where(Administration.syringe_id == Syringe.id)
    return (
        select(
            Syringe.id,
            Syringe.status,
            Syringe.bud,
            Batch.status.label("batch_status"),
            facts.c.earliest_expiry,
            facts.c.lot_quarantined,
            facts.c.lot_recalled,
            administered.label("administered"),
            _biological_without_lot().label("missing_lot"),
            usability.syringe_held(Syringe.id).label("temperature_hold"),
        )
        .join(Batch, Batch.id == Syringe.batch_id)
        .outerjoin(facts, facts.c.batch_id == Syringe.batch_id)
        .where(Syringe.id.in_(bindparam("ids", expanding=True)))
    )


def syringe_block_reasons(syringes: Iterable[int] | Iterable[Syringe], now: datetime) -> dict[int, list[str]]:
    """Every reason each syringe cannot be administered now, whatever the session (SAFE-01..03, 06, 08).

    One query per ``IDS_PER_QUERY`` syringes (joins through draws → vials → lots); an empty list means
    the syringe may be given. A syringe id that does not exist is absent from the answer.
    """
    ids = list(dict.fromkeys(item.id if isinstance(item, Syringe) else int(item) for item in syringes))
    zone = clock.clinic_zone()
    found: dict[int, list[str]] = {}
    for start in range(0, len(ids), IDS_PER_QUERY):
        rows = db.session.execute(_block_reasons_statement(), {"ids": ids[start : start + IDS_PER_QUERY]})
        found.update((row.id, _ordered(_row_reasons(row, now, zone))) for row in rows)
    return found


#: api.md: a syringe's single `blocked_reason` is a vial's (recalled, quarantined, expired) plus bud_passed.
_BLOCKED_REASON_OF = (
    (RECALLED, "recalled"),
    (QUARANTINED, "quarantined"),
    (EXPIRED_COMPONENT, "expired"),
    (TEMPERATURE_HOLD, TEMPERATURE_HOLD),
    (BUD_PASSED, "bud_passed"),
)


def blocked_reason(reasons: Sequence[str]) -> str | None:
    """The one reason shown beside a syringe's status, the gravest first; None when nothing blocks it
    beyond its status (awaiting verification, administered, discarded)."""
    return next((shown for reason, shown in _BLOCKED_REASON_OF if reason in reasons), None)


def bud_passed(bud: datetime, now: datetime) -> bool:
    """BUD-01: administration must not begin after the BUD, not even within its last minute (T8)."""
    return rules_bud.bud_passed(bud, now)


def _row_reasons(row: Any, now: datetime, zone: Any) -> list[str]:
    reasons = []
    if SyringeStatus.AWAITING_VERIFICATION in (row.status, row.batch_status):
        reasons.append(NOT_RELEASED)
    if bud_passed(row.bud, now):
        reasons.append(BUD_PASSED)
    if row.earliest_expiry is not None and is_expired(row.earliest_expiry, now, zone):
        reasons.append(EXPIRED_COMPONENT)
    if row.batch_status == BatchStatus.QUARANTINED or row.lot_quarantined:
        reasons.append(QUARANTINED)
    if row.lot_recalled:
        reasons.append(RECALLED)
    if row.temperature_hold:
        reasons.append(TEMPERATURE_HOLD)
    if row.missing_lot:
        reasons.append(MISSING_LOT)
    if row.status == SyringeStatus.ADMINISTERED or row.administered:
        reasons.append(ALREADY_ADMINISTERED)
    if row.status == SyringeStatus.DISCARDED:
        reasons.append(DISCARDED)
    return reasons


def session_reasons(treatment: TreatmentSession, batch_patient_id: int | None) -> list[str]:
    """What blocks a syringe in this session in particular."""
    reasons = []
    if batch_patient_id is not None and batch_patient_id != treatment.patient_id:
        reasons.append(WRONG_PATIENT)
    if treatment.status != SessionStatus.OPEN:
        reasons.append(SESSION_CLOSED)
    return reasons


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

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class _Found:
    code: str | None = None
    syringe: Syringe | None = None
    batch_patient_id: int | None = None
    batch_code: str = ""
    recipe_id: int = 0
    recipe_name: str = ""


def _find_syringe(raw: str) -> _Found:
    """The syringe and its batch, from forgiving input (lower case, spaces, a trailing Enter, our own
    URL) that never guesses."""
    parsed = parse_code(raw)
    if parsed is None:
        return _Found()
    kind, code = parsed
    if kind is not CodeKind.SYRINGE:
        return _Found(code)
    row = db.session.execute(
        select(Syringe, Batch.patient_id, Batch.code, Batch.recipe_id, Recipe.name)
        .join(Batch, Batch.id == Syringe.batch_id)
        .join(Recipe, Recipe.id == Batch.recipe_id)
        .where(Syringe.code == code)
    ).first()
    return _Found(code, *row) if row else _Found(code)


def _volume_to_give(syringe: Syringe, volume_ul: int | None) -> int:
    if volume_ul is None:
        return syringe.volume_ul
    if volume_ul <= 0 or volume_ul > syringe.volume_ul:
        raise Invalid(
            "volume_exceeds_syringe",
            _(
                "The syringe holds %(volume)s; a larger volume cannot be recorded.",
                volume=format_ml(syringe.volume_ul),
            ),
            fields={"volume_ml": _("At most %(volume)s.", volume=format_ml(syringe.volume_ul))},
        )
    return volume_ul


def _administer(
    syringe: Syringe, treatment: TreatmentSession, *, user: User, volume_ul: int, site: str, now: datetime
) -> Administration | None:
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
    set_committed_value(syringe, "status", SyringeStatus.ADMINISTERED.value)
    administration = Administration(
        session_id=treatment.id,
        syringe_id=syringe.id,
        practitioner_id=user.id,
        volume_ul=volume_ul,
        site=site,
        administered_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(administration)
    except IntegrityError:  # the unique syringe_id: the last line of defence
        return None
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

    A blocked scan is committed too (a near miss is evidence); only invalid input (a volume larger than
    the syringe) raises, and records nothing.
    """
    site = " ".join(site.split())[:80]
    with transaction():
        treatment = get_session(session_id)
        now = clock.now()
        found = _find_syringe(raw)
        reasons = _reasons_now(found, treatment, now)
        administration = None
        contents = None
        if not reasons and found.syringe is not None:
            volume = _volume_to_give(found.syringe, volume_ul)
            administration = _administer(
                found.syringe, treatment, user=user, volume_ul=volume, site=site, now=now
            )
            if administration is None:
                reasons = _reasons_now(found, treatment, now) or [ALREADY_ADMINISTERED]
            else:
                contents = _contents(found)
        attempt = _record_attempt(treatment, raw, found, reasons, administration, user=user, now=now)
        outcome = ScanOutcome(
            session_id=treatment.id,
            patient=Identity(treatment.patient.name, treatment.patient.date_of_birth),
            attempt_id=attempt.id,
            reasons=reasons,
            code=found.code,
            message=blocked_message(reasons) if reasons else _("Syringe recorded."),
            administration=_given(administration, found) if administration else None,
            contents=contents,
        )
    return outcome


def _given(administration: Administration, found: _Found) -> Given:
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


def _reasons_now(found: _Found, treatment: TreatmentSession, now: datetime) -> list[str]:
    if found.syringe is None:
        return _ordered([UNKNOWN_CODE, *session_reasons(treatment, None)])
    blocking = syringe_block_reasons([found.syringe.id], now).get(found.syringe.id, [])
    return _ordered([*blocking, *session_reasons(treatment, found.batch_patient_id)])


def _record_attempt(
    treatment: TreatmentSession,
    raw: str,
    found: _Found,
    reasons: list[str],
    administration: Administration | None,
    *,
    user: User,
    now: datetime,
) -> ScanAttempt:
    syringe = found.syringe
    attempt = ScanAttempt(
        session_id=treatment.id,
        user_id=user.id,
        scanned_at=now,
        raw=raw[:300],
        code=found.code[:24] if found.code else None,
        syringe_id=syringe.id if syringe else None,
        verdict=Verdict.BLOCKED if reasons else Verdict.OK,
        reasons=list(reasons),
        administration_id=administration.id if administration else None,
    )
    db.session.add(attempt)
    db.session.flush()
    if administration is not None and syringe is not None:
        audit.record(
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
    else:
        audit.record(
            "scan_blocked",
            "session",
            treatment.id,
            details={
                "attempt_id": attempt.id,
                "code": found.code,
                "syringe_id": attempt.syringe_id,
                "reasons": reasons,
            },
            reason=", ".join(reasons),
            user=user,
        )
    return attempt


def _contents(found: _Found) -> Contents:
    assert found.syringe is not None
    syringe = found.syringe
    return _build_contents(syringe, found.batch_code, found.recipe_id, found.recipe_name)


def syringe_contents(syringe: Syringe) -> Contents:
    """The recipe, each component with the lots actually drawn into the batch, and the BUD."""
    batch_code, recipe_id, recipe_name = db.session.execute(
        select(Batch.code, Batch.recipe_id, Recipe.name)
        .join(Recipe, Recipe.id == Batch.recipe_id)
        .where(Batch.id == syringe.batch_id)
    ).one()
    return _build_contents(syringe, batch_code, recipe_id, recipe_name)


def _build_contents(syringe: Syringe, batch_code: str, recipe_id: int, recipe_name: str) -> Contents:
    recipe_rows = db.session.execute(
        select(RecipeComponent.product_id, RecipeComponent.volume_ul, Product.name, Product.biological)
        .join(Product, Product.id == RecipeComponent.product_id)
        .where(RecipeComponent.recipe_id == recipe_id)
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
