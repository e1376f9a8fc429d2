"""The scan at the treatment chair (SAFE-06): one verdict, every reason that applies, one function.

The scan page and ``POST /api/v1/sessions/{id}/scans`` both call :func:`scan`. What blocks a syringe
whatever the session is decided by ``services.usability.syringe_reasons``; this module adds only what
depends on the session (:func:`session_reasons`), and :func:`scan_reasons` combines the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from inventory import clock
from inventory.errors import Invalid
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.clinic import Administration, ScanAttempt, SessionStatus, TreatmentSession, Verdict
from inventory.models.compounding import Batch, Draw, Recipe, RecipeComponent, Syringe, SyringeStatus
from inventory.models.stock import Lot, Vial
from inventory.models.users import User
from inventory.names import SCAN_REASON_LABELS, label
from inventory.rules.codes import CodeKind, parse_code
from inventory.rules.units import format_ml
from inventory.services import audit, transaction, usability
from inventory.services.sessions import get_session

# The reasons of the syringe itself come from services.usability; the scan adds the session's own.
UNKNOWN_CODE = "unknown_code"
WRONG_PATIENT = "wrong_patient"
SESSION_CLOSED = "session_closed"
NOT_RELEASED = usability.NOT_RELEASED
BUD_PASSED = usability.BUD_PASSED
EXPIRED_COMPONENT = usability.EXPIRED_COMPONENT
QUARANTINED = usability.QUARANTINED
RECALLED = usability.RECALLED
MISSING_LOT = usability.MISSING_LOT
ALREADY_ADMINISTERED = usability.ALREADY_ADMINISTERED
DISCARDED = usability.DISCARDED

#: api.md's fixed list, in the order a screen shows them.
SESSION_REASONS: tuple[str, ...] = (WRONG_PATIENT, SESSION_CLOSED)
REASONS: tuple[str, ...] = (UNKNOWN_CODE, *usability.SYRINGE_REASONS, *SESSION_REASONS)


def reason_text(reason: str) -> str:
    return label(SCAN_REASON_LABELS, reason)


def blocked_message(reasons: Sequence[str]) -> str:
    return str(_("Do not inject: %(reasons)s", reasons=" ".join(reason_text(reason) for reason in reasons)))


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
        return scan_reasons(None, treatment, None, now)
    return scan_reasons(found.syringe.id, treatment, found.batch_patient_id, now)


def scan_reasons(
    syringe_id: int | None, treatment: TreatmentSession, batch_patient_id: int | None, now: datetime
) -> list[str]:
    """Every reason that blocks this scan: the syringe's own (usability) and this session's, in order.
    ``syringe_id`` None: the code names no syringe of ours."""
    own = (
        [UNKNOWN_CODE]
        if syringe_id is None
        else usability.syringe_reasons([syringe_id], now).get(syringe_id, [])
    )
    return usability.ordered([*own, *session_reasons(treatment, batch_patient_id)], REASONS)


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
