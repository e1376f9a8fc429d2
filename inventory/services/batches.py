"""Preparing a batch (draws, BUD, syringes), two-person release, discards and storage moves.

One use case, one transaction: a preparation draws every vial or none (SAFE-11), its BUD comes from
`rules.bud` over every vial drawn (BUD-02..06), and only a different person releases it (SAFE-05).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update

from inventory import clock
from inventory.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, from_rule
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.clinic import Patient
from inventory.models.compounding import Batch, BatchStatus, Draw, Recipe, Syringe, SyringeStatus
from inventory.models.stock import DiscardReason
from inventory.models.users import User
from inventory.names import BATCH_STATUS_LABELS, label
from inventory.rules import bud as bud_rules
from inventory.rules import verification
from inventory.rules.codes import CodeKind, new_code, parse_code
from inventory.rules.errors import RuleError
from inventory.rules.policy import Category, Container, Storage
from inventory.services import audit, draws, placement, summaries, transaction
from inventory.services.policy import current_policy
from inventory.services.recipes import get_recipe

MAX_SYRINGES = 100
#: How long a proposal shown to the nurse stays valid as the preparation's start (BUD-02).
MAX_PREPARATION_AGE = timedelta(hours=12)
SYRINGE_DISCARD_REASONS = (*(reason.value for reason in DiscardReason), "bud_passed")


@dataclass(frozen=True)
class BatchRequest:
    recipe_id: int
    syringes: int
    category: str
    storage: str
    patient_id: int | None = None
    vial_ids: tuple[int, ...] | None = None
    override_reason: str | None = None
    prepared_at: datetime | None = None
    #: COLD-01: the unit the syringes go into; None: the clinic's only unit of the batch's storage kind.
    storage_unit_id: int | None = None


# --- reading ---------------------------------------------------------------------------------------


def get_batch(batch_id: int) -> Batch:
    batch = db.session.get(Batch, batch_id)
    if batch is None:
        raise NotFound("not_found", _("No batch with id %(id)s.", id=batch_id))
    return batch


def find_batch(scan: str) -> Batch:
    """The batch of a scanned or typed code (B…)."""
    parsed = parse_code(scan)
    if parsed is None or parsed[0] is not CodeKind.BATCH:
        raise Invalid("not_a_batch_code", _("“%(scan)s” is not a batch code (B…).", scan=scan.strip()))
    batch = db.session.scalar(select(Batch).where(Batch.code == parsed[1]))
    if batch is None:
        raise NotFound("not_found", _("No batch has the code %(code)s.", code=parsed[1]))
    return batch


def get_syringe(code: str) -> Syringe:
    parsed = parse_code(code)
    syringe = (
        db.session.scalar(select(Syringe).where(Syringe.code == parsed[1]))
        if parsed and parsed[0] is CodeKind.SYRINGE
        else None
    )
    if syringe is None:
        raise NotFound("not_found", _("No syringe has the code %(code)s.", code=code))
    return syringe


def list_batches(*, status: str | None = None, limit: int = 200) -> list[Batch]:
    query = select(Batch).order_by(Batch.prepared_at.desc(), Batch.id.desc())
    if status:
        query = query.where(Batch.status == status)
    return list(db.session.scalars(query.limit(limit)))


def draws_with_lots(batch: Batch) -> list[dict[str, Any]]:
    """Each draw with its vial, lot and product, in one query (for pages and the API)."""
    from inventory.models.stock import Lot, Vial

    rows = db.session.execute(
        select(Draw, Vial, Lot, Product)
        .join(Vial, Draw.vial_id == Vial.id)
        .join(Lot, Vial.lot_id == Lot.id)
        .join(Product, Draw.product_id == Product.id)
        .where(Draw.batch_id == batch.id)
        .order_by(Draw.id)
    )
    return [
        {
            "vial_id": vial.id,
            "vial_code": vial.code,
            "product_id": product.id,
            "product": product.name,
            "lot_id": lot.id,
            "lot": lot.number,
            "expiry": lot.expiry,
            "volume_ul": draw.volume_ul,
            "override_reason": draw.override_reason,
            "drawn_at": draw.drawn_at,
        }
        for draw, vial, lot, product in rows
    ]


def recipe_needs(recipe: Recipe, syringes: int) -> dict[int, int]:
    """product_id → µL for this many syringes (each component × syringes)."""
    needs: dict[int, int] = defaultdict(int)
    for component in recipe.components:
        needs[component.product_id] += component.volume_ul * syringes
    return dict(needs)


# --- preparing -------------------------------------------------------------------------------------


def check_request(request: BatchRequest) -> tuple[Recipe, Category, Storage, Patient | None]:
    """Everything that can be refused before touching stock: syringes, recipe, storage allowed for the
    category (BUD-04), patient (BUD-05) and immediate-use limits (BUD-05)."""
    if not 1 <= request.syringes <= MAX_SYRINGES:
        raise Invalid(
            "invalid_syringes",
            _("A batch makes 1 to %(max)s syringes.", max=MAX_SYRINGES),
            fields={"syringes": _("From 1 to %(max)s.", max=MAX_SYRINGES)},
        )
    recipe = get_recipe(request.recipe_id)
    if not recipe.active:
        raise Invalid("recipe_inactive", _("The recipe %(name)s is no longer in use.", name=recipe.name))
    category, storage = Category(request.category), Storage(request.storage)
    policy = current_policy()
    sterile = all(component.product.sterile for component in recipe.components)
    try:
        bud_rules.category_limit(category, storage, all_sterile=sterile, policy=policy)
    except RuleError as error:
        raise from_rule(error) from None
    patient = _patient(request.patient_id)
    if category is Category.IMMEDIATE:
        if patient is None:
            raise Invalid(
                "patient_required",
                _("An immediate-use preparation is for one patient: choose the patient."),
                fields={"patient_id": _("Required for immediate use.")},
            )
        _check_immediate_products(recipe, policy.immediate_max_products)
    return recipe, category, storage, patient


def _patient(patient_id: int | None) -> Patient | None:
    if patient_id is None:
        return None
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        raise Invalid(
            "unknown_patient",
            _("No patient with id %(id)s.", id=patient_id),
            fields={"patient_id": _("Unknown patient.")},
        )
    return patient


def _check_immediate_products(recipe: Recipe, max_products: int) -> None:
    products = {component.product_id for component in recipe.components}
    non_sterile = [c.product.name for c in recipe.components if not c.product.sterile]
    if non_sterile:
        raise Invalid(
            "immediate_use_limit",
            _("Immediate use allows sterile products only; %(name)s is not sterile.", name=non_sterile[0]),
        )
    if len(products) > max_products:
        raise Invalid(
            "immediate_use_limit",
            _(
                "An immediate-use preparation combines at most %(max)s different sterile products; "
                "%(recipe)s has %(n)s. Prepare it as category 1 or 2.",
                max=max_products,
                recipe=recipe.name,
                n=len(products),
            ),
            fields={"category": _("At most %(max)s products for immediate use.", max=max_products)},
        )


def _prepared_at(requested: datetime | None, now: datetime) -> datetime:
    """BUD-02: the clock starts when preparation starts (whole seconds, rounded down: never later); never in
    the future, never long ago."""
    if requested is None:
        return now.replace(microsecond=0)
    if requested.tzinfo is None:
        raise Invalid("invalid_prepared_at", _("The start of preparation needs a time zone."))
    if requested > now:
        raise Invalid(
            "invalid_prepared_at",
            _("The start of preparation cannot be in the future."),
            fields={"prepared_at": _("In the future.")},
        )
    if now - requested > MAX_PREPARATION_AGE:
        raise Invalid(
            "invalid_prepared_at",
            _("This proposal is too old: start the preparation again."),
            fields={"prepared_at": _("Too long ago.")},
        )
    return requested.replace(microsecond=0)


def propose(request: BatchRequest) -> draws.DrawPlan:
    """What the app would draw for this request (FEFO, or the vials chosen), without drawing."""
    recipe, _category, _storage, _patient_row = check_request(request)
    needs = recipe_needs(recipe, request.syringes)
    stock = draws.load_stock(list(needs), extra_vial_ids=request.vial_ids or ())
    return draws.plan(needs, stock, request.vial_ids)


def expected_bud(request: BatchRequest, plan: draws.DrawPlan) -> datetime | None:
    """The BUD the syringes will carry if the proposal is confirmed now (None if it cannot be)."""
    _recipe, category, storage, _patient = check_request(request)
    try:
        drawn = [(line.stock, line.stock.opened) for line in plan.lines]
        return _bud(drawn, category, storage, request.prepared_at or clock.now())
    except DomainError:
        return None


def prefer_vial(request: BatchRequest, scan: str) -> tuple[int, ...]:
    """The nurse swaps in a vial she scanned: it is drawn first for its product, then FEFO.

    Returns the vial ids of the new plan (to carry in the form until she confirms)."""
    vial_id = draws.find_vial_id(scan)
    recipe, *_rest = check_request(request)
    needs = recipe_needs(recipe, request.syringes)
    stock = draws.load_stock(list(needs), extra_vial_ids=(vial_id, *(request.vial_ids or ())))
    by_id = {item.vial.id: item for item in stock}
    item = by_id.get(vial_id)
    if item is None or item.product.id not in needs or not item.state.usable:
        draws.plan(needs, stock, (vial_id,))  # raises vial_unusable, saying why
    assert item is not None
    product_id = item.product.id
    others = [i for i in request.vial_ids or () if i in by_id and by_id[i].product.id != product_id]
    same = [s for s in stock if s.product.id == product_id and s.state.usable and s.vial.id != vial_id]
    rest = [s.vial.id for s in sorted(same, key=_fefo_key)]
    return tuple(draws.plan(needs, stock, (vial_id, *rest, *others)).vial_ids)


def _fefo_key(item: draws.StockVial) -> tuple[Any, ...]:
    return (not (item.opened and item.state.usable), item.lot.expiry, item.received_at, item.vial.id)


def prepare_batch(request: BatchRequest, user: User) -> Batch:
    """Draw every component (all or nothing), compute the BUD, create the syringes (SAFE-04, SAFE-11,
    BUD-02..06). Immediate use is released at once and its single-dose leftovers are discarded."""
    now = clock.now()
    prepared_at = _prepared_at(request.prepared_at, now)
    with transaction():
        recipe, category, storage, patient = check_request(request)
        unit = placement.unit_for_syringes(request.storage_unit_id, storage)
        needs = recipe_needs(recipe, request.syringes)
        result = draws.draw(
            needs, chosen_vial_ids=request.vial_ids, override_reason=request.override_reason, now=now
        )
        bud = _bud([(d.stock, d.was_open) for d in result.drawn], category, storage, prepared_at)
        batch = _create_batch(recipe, request, category, storage, patient, user, prepared_at, now, bud)
        _record_draws(batch, result.drawn, user, result.override_reason, now)
        syringes = _create_syringes(batch, storage, bud)
        if unit is not None:
            placement.place(syringes, unit, user=user)
        discarded = _discard_leftovers(batch, result.drawn, category, now, user)
        audit.record(
            "batch_prepared",
            "batch",
            batch.id,
            details={
                "code": batch.code,
                "recipe_id": recipe.id,
                "recipe": recipe.name,
                "recipe_version": recipe.version,
                "category": category.value,
                "storage": storage.value,
                "storage_unit_id": unit.id if unit is not None else None,
                "patient_id": batch.patient_id,
                "syringes": batch.syringe_count,
                "volume_per_syringe_ul": batch.volume_per_syringe_ul,
                "prepared_at": prepared_at,
                "bud": bud,
                "status": batch.status,
                "draws": [[d.stock.vial.code, d.volume_ul] for d in result.drawn],
                "discarded_vials": discarded,
            },
            reason=result.override_reason,
            user=user,
        )
    return batch


def _bud(
    drawn: Sequence[tuple[draws.StockVial, bool]], category: Category, storage: Storage, prepared_at: datetime
) -> datetime:
    """BUD-03 over every vial drawn, given as (vial, was it open before this preparation)."""
    components = [
        bud_rules.Component(
            product_id=item.product.id,
            sterile=item.product.sterile,
            lot_expiry=item.lot.expiry,
            in_use_until=item.state.usable_until if was_open else None,
        )
        for item, was_open in drawn
    ]
    try:
        bud = bud_rules.compute_bud(
            category=category,
            storage=storage,
            prepared_at=prepared_at,
            components=components,
            tz=clock.clinic_zone(),
            policy=current_policy(),
        )
    except RuleError as error:
        raise from_rule(error) from None
    # Whole seconds, never later than computed: a label shows no fraction, and the scan compares exactly.
    return bud.replace(microsecond=0)


def _create_batch(
    recipe: Recipe,
    request: BatchRequest,
    category: Category,
    storage: Storage,
    patient: Patient | None,
    user: User,
    prepared_at: datetime,
    now: datetime,
    bud: datetime,
) -> Batch:
    immediate = category is Category.IMMEDIATE
    batch = Batch(
        code=new_code(CodeKind.BATCH),
        recipe_id=recipe.id,
        recipe_version_id=recipe.current.id,
        category=category.value,
        storage=storage.value,
        patient_id=patient.id if patient else None,
        status=BatchStatus.RELEASED if immediate else BatchStatus.AWAITING_VERIFICATION,
        syringe_count=request.syringes,
        volume_per_syringe_ul=recipe.volume_ul,
        prepared_by_id=user.id,
        prepared_at=prepared_at,
        completed_at=now,
        bud=bud,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def _record_draws(
    batch: Batch, drawn: Sequence[draws.DrawnVial], user: User, reason: str | None, now: datetime
) -> None:
    rows = []
    for item in drawn:
        row = Draw(
            batch_id=batch.id,
            vial_id=item.stock.vial.id,
            product_id=item.stock.product.id,
            volume_ul=item.volume_ul,
            drawn_at=now,
            drawn_by_id=user.id,
            override_reason=reason,
        )
        db.session.add(row)
        rows.append(row)
        audit.record(
            "vial_drawn",
            "vial",
            item.stock.vial.id,
            details={
                "code": item.stock.vial.code,
                "batch": batch.code,
                "volume_ul": item.volume_ul,
                "remaining_ul": item.stock.vial.remaining_ul,
                "opened": not item.was_open,
            },
            reason=reason,
            user=user,
        )
    summaries.drawn(rows)  # the day totals of usage, in this transaction


def _create_syringes(batch: Batch, storage: Storage, bud: datetime) -> list[Syringe]:
    status = (
        SyringeStatus.AVAILABLE
        if batch.status == BatchStatus.RELEASED
        else SyringeStatus.AWAITING_VERIFICATION
    )
    syringes = [
        Syringe(
            code=new_code(CodeKind.SYRINGE),
            batch_id=batch.id,
            number=number,
            volume_ul=batch.volume_per_syringe_ul,
            status=status,
            storage=storage.value,
            bud=bud,
        )
        for number in range(1, batch.syringe_count + 1)
    ]
    db.session.add_all(syringes)
    db.session.flush()
    return syringes


def _discard_leftovers(
    batch: Batch, drawn: Sequence[draws.DrawnVial], category: Category, now: datetime, user: User
) -> list[str]:
    """VIAL-02: an opened ampoule is never stored; BUD-06: after immediate use, what is left in a
    single-dose vial is discarded too. Multi-dose vials keep their in-use limit (VIAL-03)."""
    discard = {Container.AMPOULE.value}
    if category is Category.IMMEDIATE:
        discard.add(Container.SINGLE_DOSE.value)
    codes = []
    for item in drawn:
        if item.stock.product.container in discard and item.stock.vial.remaining_ul > 0:
            note = _("Left over after preparing %(batch)s (never stored once opened).", batch=batch.code)
            draws.discard_remainder(item.stock.vial, note=note, user=user)
            codes.append(item.stock.vial.code)
    return codes


# --- release ---------------------------------------------------------------------------------------


def _locked_batch(batch_id: int) -> Batch:
    batch = db.session.scalar(
        select(Batch)
        .where(Batch.id == batch_id)
        .with_for_update(of=Batch)
        .execution_options(populate_existing=True)
    )
    if batch is None:
        raise NotFound("not_found", _("No batch with id %(id)s.", id=batch_id))
    return batch


def verify_batch(batch_id: int, volume_ul: int, user: User, vials: Sequence[str] | None) -> Batch:
    """SAFE-05, SAFE-15: a different person scans every vial drawn and re-enters the volume per
    syringe, blind. A match releases the batch and makes its syringes available. Every attempt is
    recorded; a refusal never says what the expected volume or the expected vials are."""
    refusal: DomainError | None = None
    with transaction():
        batch = _locked_batch(batch_id)
        comparison = verification.compare(
            volume_ul, batch.volume_per_syringe_ul, vials, [draw.vial.code for draw in batch.draws]
        )
        refusal = _verification_refusal(batch, user, comparison)
        attempt = {
            "code": batch.code,
            "entered_ul": volume_ul,
            "recorded_ul": batch.volume_per_syringe_ul,
            "vials_scanned": list(comparison.scanned),
            "vials_missing": list(comparison.missing),
            "vials_extra": list(comparison.extra),
            "not_vial_codes": list(comparison.not_vial_codes),
        }
        if refusal is not None:
            mismatch = refusal.code == "verification_mismatch"
            action = "verification_mismatch" if mismatch else "verification_refused"
            audit.record(action, "batch", batch.id, details={**attempt, "refused": refusal.code}, user=user)
        else:
            now = clock.now()
            batch.status = BatchStatus.RELEASED
            batch.verified_by_id = user.id
            batch.verified_at = now
            for syringe in batch.syringes:
                if syringe.status == SyringeStatus.AWAITING_VERIFICATION:
                    syringe.status = SyringeStatus.AVAILABLE
            audit.record(
                "batch_released",
                "batch",
                batch.id,
                details={
                    "code": batch.code,
                    "volume_ul": volume_ul,
                    "vials_scanned": list(comparison.scanned),
                    "prepared_by_id": batch.prepared_by_id,
                },
                user=user,
            )
    if refusal is not None:
        raise refusal
    return batch


def _verification_refusal(
    batch: Batch, user: User, comparison: verification.Comparison
) -> DomainError | None:
    """Why this attempt cannot release the batch, or None. The mismatch says which part differs
    (the vials, the volume) but never what was expected (SAFE-15)."""
    if batch.prepared_by_id == user.id:
        return Forbidden(
            "own_batch", _("You prepared this batch: another person must verify it (two-person check).")
        )
    if batch.status != BatchStatus.AWAITING_VERIFICATION:
        return Conflict(
            "not_awaiting_verification",
            _(
                "Batch %(code)s is not awaiting verification (it is %(status)s).",
                code=batch.code,
                status=label(BATCH_STATUS_LABELS, batch.status),
            ),
        )
    if not comparison.matches:
        fields: dict[str, str] = {}
        if comparison.not_vial_codes:
            fields["vials"] = _(
                "Not a vial code: %(scans)s. Scan the code on each vial's label (V…).",
                scans=", ".join(comparison.not_vial_codes),
            )
        elif not comparison.vials_match:
            fields["vials"] = _(
                "The vials you scanned are not the vials drawn for this batch: scan every vial that "
                "was drawn, and only those."
            )
        if not comparison.volume_matches:
            fields["volume_ml"] = _("Does not match the recorded volume per syringe.")
        return Invalid(
            "verification_mismatch",
            _(
                "What you entered does not match the batch record. Check the vials and the syringes, "
                "then scan and measure again."
            ),
            fields=fields,
        )
    if bud_rules.bud_passed(batch.bud, clock.now()):
        return Conflict("bud_passed", _("Batch %(code)s is past its BUD: discard it.", code=batch.code))
    return None


def verification_view(batch: Batch) -> dict[str, Any]:
    """What the verifier may see before a correct entry (SAFE-15): the recipe, its products and the
    number of syringes; never a volume, a vial or a lot."""
    return {
        "code": batch.code,
        "recipe": batch.recipe_version.name,
        "syringes": len(batch.syringes),
        "components": [
            {"product": component.product.name, "strength": component.product.strength}
            for component in batch.recipe_version.components
        ],
    }


# --- syringes --------------------------------------------------------------------------------------


def discard_syringe(code: str, reason: str, note: str, user: User) -> Syringe:
    if reason not in SYRINGE_DISCARD_REASONS:
        raise Invalid(
            "invalid_reason",
            _("Choose why the syringe is discarded."),
            fields={"reason": ", ".join(SYRINGE_DISCARD_REASONS)},
        )
    with transaction():
        syringe = get_syringe(code)
        before = syringe.status
        # Guarded on the status (a scan at the same moment changes it): given or discarded, never both.
        discarded = cast(
            CursorResult[Any],
            db.session.execute(
                update(Syringe)
                .where(
                    Syringe.id == syringe.id,
                    Syringe.status.not_in([SyringeStatus.ADMINISTERED, SyringeStatus.DISCARDED]),
                )
                .values(
                    status=SyringeStatus.DISCARDED,
                    discarded_at=clock.now(),
                    discarded_by_id=user.id,
                    discard_reason=reason,
                    discard_note=note or None,
                )
                .execution_options(synchronize_session=False)
            ),
        )
        db.session.refresh(syringe)
        if discarded.rowcount != 1 and syringe.status == SyringeStatus.ADMINISTERED:
            raise Conflict("already_administered", _("Syringe %(code)s was administered.", code=syringe.code))
        if discarded.rowcount != 1:
            raise Conflict(
                "already_discarded", _("Syringe %(code)s is already discarded.", code=syringe.code)
            )
        summaries.syringe_discarded(syringe)
        audit.record(
            "syringe_discarded",
            "syringe",
            syringe.id,
            details={
                "code": syringe.code,
                "batch_id": syringe.batch_id,
                "status_before": before,
                "discard_reason": reason,
                "volume_ul": syringe.volume_ul,
            },
            reason=note or reason,
            user=user,
        )
    return syringe


def discard_syringe_in_transaction(syringe: Syringe, reason: str, note: str, user: User) -> None:
    """Discard an unused syringe inside the caller's transaction; audited."""
    before = syringe.status
    syringe.status = SyringeStatus.DISCARDED
    syringe.discarded_at = clock.now()
    syringe.discarded_by_id = user.id
    syringe.discard_reason = reason
    syringe.discard_note = note or None
    summaries.syringe_discarded(syringe)
    audit.record(
        "syringe_discarded",
        "syringe",
        syringe.id,
        details={
            "code": syringe.code,
            "batch_id": syringe.batch_id,
            "status_before": before,
            "discard_reason": reason,
            "volume_ul": syringe.volume_ul,
        },
        reason=note or reason,
        user=user,
    )


def move_storage(batch_id: int, storage: str, user: User) -> Batch:
    """BUD-07: the batch's unused syringes move to another storage; somewhere warmer can shorten
    their BUD (min(current BUD, prepared_at + the new limit)), somewhere colder never extends it."""
    with transaction():
        batch = _locked_batch(batch_id)
        change_storage(batch, Storage(storage), user)
    return batch


def locked_batch(batch_id: int) -> Batch:
    """The batch, locked for a change of its syringes (the caller owns the transaction)."""
    return _locked_batch(batch_id)


def rewarmed_bud(batch: Batch, syringe: Syringe, storage: Storage, *, all_sterile: bool) -> datetime:
    """BUD-07 for one syringe under the clinic's policy: min(its BUD, prepared_at + the storage's limit)."""
    try:
        return bud_rules.rewarmed_bud(
            current_bud=syringe.bud,
            prepared_at=batch.prepared_at,
            category=Category(batch.category),
            new_storage=storage,
            all_sterile=all_sterile,
            policy=current_policy(),
        )
    except RuleError as error:
        raise from_rule(error) from None


def change_storage(batch: Batch, new_storage: Storage, user: User) -> list[Syringe]:
    """BUD-07 inside the caller's transaction (the batch locked): the unused syringes get the new
    storage and min(current BUD, prepared_at + its limit); audited. Returns the syringes changed."""
    sterile = all_sterile(batch)
    moved: list[list[Any]] = []
    unused: list[Syringe] = []
    for syringe in batch.syringes:
        if syringe.status in (SyringeStatus.ADMINISTERED, SyringeStatus.DISCARDED):
            continue
        new_bud = rewarmed_bud(batch, syringe, new_storage, all_sterile=sterile)
        moved.append([syringe.code, syringe.storage, syringe.bud, new_bud])
        syringe.storage = new_storage.value
        syringe.bud = new_bud
        unused.append(syringe)
    if not moved:
        raise Conflict("nothing_to_move", _("Batch %(code)s has no unused syringe.", code=batch.code))
    before = batch.storage
    batch.storage = new_storage.value
    batch.bud = min(row[3] for row in moved)
    audit.record(
        "batch_storage_changed",
        "batch",
        batch.id,
        details={"code": batch.code, "storage": [before, new_storage.value], "syringes": moved},
        user=user,
    )
    return unused


def all_sterile(batch: Batch) -> bool:
    product_ids = {draw.product_id for draw in batch.draws}
    sterile = db.session.scalars(select(Product.sterile).where(Product.id.in_(product_ids)))
    return all(sterile)
