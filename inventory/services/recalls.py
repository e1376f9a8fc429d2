"""Recalls: enter one and everything made from the lot is quarantined at once (RCL-01..05, SAFE-03).

A recall is never undone: no function here lifts it, and the lot keeps the status "recalled".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, delete, func, insert, select, update

from inventory import clock, csvexport
from inventory.errors import Conflict, Invalid, NotFound, from_rule
from inventory.extensions import db
from inventory.models.audit import AuditEntry
from inventory.models.catalogue import Product
from inventory.models.compounding import Batch, BatchStatus, Syringe
from inventory.models.recall import FollowUpStatus, Recall, RecallClass, RecallPatient
from inventory.models.stock import Lot, LotStatus, Vial
from inventory.models.users import User
from inventory.rules.errors import RuleError
from inventory.rules.gtin import normalize_gtin
from inventory.rules.lots import normalize_lot_number
from inventory.services import audit, transaction, usability
from inventory.services.trace import PatientRow, among, batch_ids_of_lot, exposed_patients


@dataclass(frozen=True)
class Target:
    """What a recall names: a product and one lot number, and the lot when the clinic has it."""

    product: Product
    lot_number: str
    lot: Lot | None


@dataclass(frozen=True)
class Quarantined:
    vials: int = 0
    batches: int = 0
    syringes: int = 0


@dataclass(frozen=True)
class Preview:
    target: Target
    quarantined: Quarantined
    patients: list[PatientRow]


@dataclass(frozen=True)
class RecallSummary:
    recall: Recall
    product: str
    patients: int
    pending: int


# --- what a recall names -----------------------------------------------------------------------------


def _product_for(product_id: int | None, gtin: str | None) -> Product:
    if product_id is not None:
        product = db.session.get(Product, product_id)
        if product is None:
            raise Invalid(
                "unknown_product",
                _("No product with id %(id)s.", id=product_id),
                fields={"product_id": _("Unknown product.")},
            )
        return product
    try:
        normalized = normalize_gtin(gtin or "")
    except RuleError as error:
        raise from_rule(error) from None
    product = db.session.scalar(select(Product).where(Product.gtin == normalized))
    if product is None:
        raise Invalid(
            "unknown_gtin",
            _("No product has the GTIN %(gtin)s.", gtin=normalized),
            fields={"gtin": _("Unknown GTIN.")},
        )
    return product


def resolve_target(
    *,
    lot_id: int | None = None,
    product_id: int | None = None,
    gtin: str | None = None,
    lot_number: str | None = None,
) -> Target:
    """A lot by id, or a product (id or GTIN) and a lot number, which the clinic may not have received."""
    if lot_id is not None:
        lot = db.session.get(Lot, lot_id)
        if lot is None:
            raise Invalid(
                "unknown_lot", _("No lot with id %(id)s.", id=lot_id), fields={"lot_id": _("Unknown lot.")}
            )
        return Target(lot.product, lot.number, lot)
    if product_id is None and not gtin:
        raise Invalid(
            "invalid_input",
            _("Name the lot, or the product and its lot number."),
            fields={"lot_id": _("Give a lot, or a product and a lot number.")},
        )
    number = normalize_lot_number(lot_number or "")
    if not number or len(number) > 20:
        raise Invalid(
            "invalid_input",
            _("A lot number has 1 to 20 characters."),
            fields={"lot": _("A lot number has 1 to 20 characters.")},
        )
    product = _product_for(product_id, gtin)
    lot = db.session.scalar(select(Lot).where(Lot.product_id == product.id, Lot.number == number))
    return Target(product, number, lot)


def recall_for(product_id: int, lot_number: str) -> Recall | None:
    """The recall of this product's lot number, if any: receiving refuses such a lot (RCL-04)."""
    number = normalize_lot_number(lot_number)
    return db.session.scalar(
        select(Recall).where(Recall.product_id == product_id, Recall.lot_number == number).limit(1)
    )


# --- entering a recall -------------------------------------------------------------------------------


def _counts(lot_id: int, batch_ids: list[int]) -> Quarantined:
    vials = db.session.scalar(select(func.count(Vial.id)).where(Vial.lot_id == lot_id)) or 0
    syringes = 0
    if batch_ids:
        unused = select(func.count(Syringe.id)).where(
            among(Syringe.batch_id, batch_ids), Syringe.status.in_(usability.UNUSED_SYRINGE)
        )
        syringes = db.session.scalar(unused) or 0
    return Quarantined(int(vials), len(batch_ids), int(syringes))


def preview(**target: Any) -> Preview:
    """What entering this recall would quarantine, and who was exposed; changes nothing."""
    resolved = resolve_target(**target)
    _refuse_twice(resolved)
    if resolved.lot is None:
        return Preview(resolved, Quarantined(), [])
    lot_id = resolved.lot.id
    return Preview(resolved, _counts(lot_id, batch_ids_of_lot(lot_id)), exposed_patients(lot_id))


def _refuse_twice(target: Target) -> None:
    existing = recall_for(target.product.id, target.lot_number)
    if existing is not None or (target.lot is not None and usability.is_lot_recalled(target.lot)):
        raise Conflict(
            "already_recalled",
            _(
                "Lot %(lot)s of %(product)s is already recalled.",
                lot=target.lot_number,
                product=target.product.name,
            ),
            fields={"lot": _("Already recalled.")},
        )


def _mark_lot_recalled(lot: Lot, recall: Recall, user: User | None) -> None:
    lot.status = LotStatus.RECALLED
    lot.quarantined_at = clock.now()
    lot.quarantined_by_id = user.id if user else recall.created_by_id
    lot.quarantine_reason = f"Recall #{recall.id} (class {recall.classification}): {recall.reason}"
    audit.record(
        "lot_recalled",
        "lot",
        lot.id,
        details={"recall_id": recall.id, "classification": recall.classification},
        reason=recall.reason,
        user=user,
    )


def _quarantine_batches(lot_id: int, drew: list[int], recall: Recall, user: User) -> list[int]:
    """Every batch that drew from the lot is quarantined: one guarded UPDATE, one audit row per batch."""
    if not drew:
        return []
    batch_ids = list(
        db.session.scalars(
            select(Batch.id).where(among(Batch.id, drew), Batch.status != BatchStatus.QUARANTINED)
        )
    )
    if not batch_ids:
        return []
    for chunk in _chunks(batch_ids, 500):
        db.session.execute(
            update(Batch)
            .where(Batch.id.in_(chunk))
            .values(status=BatchStatus.QUARANTINED)
            .execution_options(synchronize_session=False)
        )
    now = clock.now()
    db.session.execute(
        insert(AuditEntry),
        [
            {
                "at": now,
                "user_id": user.id,
                "action": "batch_quarantined",
                "entity_type": "batch",
                "entity_id": batch_id,
                "details": {"recall_id": recall.id, "lot_id": lot_id},
                "reason": recall.reason,
            }
            for batch_id in batch_ids
        ],
    )
    return batch_ids


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def enter_recall(
    *,
    user: User,
    classification: str,
    reason: str,
    reference: str = "",
    lot_id: int | None = None,
    product_id: int | None = None,
    gtin: str | None = None,
    lot_number: str | None = None,
) -> tuple[Recall, Quarantined]:
    """RCL-02: record the recall and quarantine at once: the lot (so every vial), every batch that drew
    from it, and thereby every unused syringe of those batches. The exposed patients are listed."""
    if classification not in {c.value for c in RecallClass}:
        raise Invalid(
            "invalid_input",
            _("The class is I, II or III."),
            fields={"classification": _("Choose I, II or III.")},
        )
    if not reason.strip():
        raise Invalid("invalid_input", _("Give the reason."), fields={"reason": _("Give the reason.")})
    with transaction():
        target = resolve_target(lot_id=lot_id, product_id=product_id, gtin=gtin, lot_number=lot_number)
        _refuse_twice(target)
        recall = Recall(
            product_id=target.product.id,
            lot_id=target.lot.id if target.lot else None,
            lot_number=target.lot_number,
            classification=classification,
            reason=reason.strip(),
            reference=reference.strip(),
            created_by_id=user.id,
            created_at=clock.now(),
        )
        db.session.add(recall)
        db.session.flush()
        counts = Quarantined()
        if target.lot is not None:
            batch_ids = batch_ids_of_lot(target.lot.id)
            counts = _counts(target.lot.id, batch_ids)
            _mark_lot_recalled(target.lot, recall, user)
            _quarantine_batches(target.lot.id, batch_ids, recall, user)
            _refresh_patients(recall)
        audit.record(
            "recall_entered",
            "recall",
            recall.id,
            details={
                "product_id": target.product.id,
                "lot_id": recall.lot_id,
                "lot": target.lot_number,
                "classification": classification,
                "reference": recall.reference,
                "quarantined": counts.__dict__,
            },
            reason=recall.reason,
            user=user,
        )
    return recall, counts


# --- exposed patients and their follow-up ------------------------------------------------------------


def _refresh_patients(recall: Recall) -> None:
    """RCL-05: one row per exposed patient; missing ones are added, statuses are kept."""
    if recall.lot_id is None:
        return
    exposed = exposed_patients(recall.lot_id)
    rows: Any = db.session.execute(
        select(RecallPatient.patient_id, RecallPatient.administrations).where(
            RecallPatient.recall_id == recall.id
        )
    )
    existing: dict[int, int] = dict(rows.all())
    now = clock.now()
    missing = [
        {
            "recall_id": recall.id,
            "patient_id": row.id,
            "administrations": row.administrations,
            "status": FollowUpStatus.PENDING.value,
            "note": "",
            "updated_at": now,
        }
        for row in exposed
        if row.id not in existing
    ]
    if missing:
        db.session.execute(insert(RecallPatient), missing)
    _forget_no_longer_exposed(recall, existing, {row.id for row in exposed})
    for row in exposed:
        if row.id in existing and existing[row.id] != row.administrations:
            db.session.execute(
                update(RecallPatient)
                .where(RecallPatient.recall_id == recall.id, RecallPatient.patient_id == row.id)
                .values(administrations=row.administrations)
                .execution_options(synchronize_session=False)
            )


def _forget_no_longer_exposed(recall: Recall, existing: dict[int, int], exposed: set[int]) -> None:
    """A patient whose only administration of the lot was voided (scanned, not given) was never
    exposed: still pending, the row goes; once followed up, it stays, with no administration."""
    gone = [patient_id for patient_id in existing if patient_id not in exposed]
    if not gone:
        return
    where = (RecallPatient.recall_id == recall.id, RecallPatient.patient_id.in_(gone))
    db.session.execute(
        delete(RecallPatient)
        .where(*where, RecallPatient.status == FollowUpStatus.PENDING.value)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(RecallPatient)
        .where(*where)
        .values(administrations=0)
        .execution_options(synchronize_session=False)
    )


def get_recall(recall_id: int) -> Recall:
    """A recall and its exposed-patient list as stored. A read: it never writes (the list is kept by the
    writers: entering the recall, linking a lot received later, and `refresh_exposed_patients`)."""
    recall = db.session.get(Recall, recall_id)
    if recall is None:
        raise NotFound("not_found", _("No recall with id %(id)s.", id=recall_id))
    return recall


def refresh_exposed_patients(lot_ids: Iterable[int]) -> None:
    """RCL-05 kept true after a change of who received a lot (for example an administration voided or
    recorded late): the exposed-patient list of every recall of these lots, in the caller's transaction.
    Missing patients are added as pending; statuses already recorded are kept."""
    ids = sorted(set(lot_ids))
    if not ids:
        return
    for recall in db.session.scalars(select(Recall).where(Recall.lot_id.in_(ids))):
        assert recall.lot_id is not None
        _refresh_patients(recall)
        db.session.expire(recall, ["patients"])


def current_quarantine(recall: Recall) -> Quarantined:
    if recall.lot_id is None:
        return Quarantined()
    return _counts(recall.lot_id, batch_ids_of_lot(recall.lot_id))


def update_follow_up(recall_id: int, patient_id: int, *, status: str, note: str, user: User) -> RecallPatient:
    """A patient's notification status; not_required needs a note. Each change is audited (history)."""
    if status not in {s.value for s in FollowUpStatus}:
        raise Invalid("invalid_input", _("Unknown status."), fields={"status": _("Unknown status.")})
    note = note.strip()
    if status == FollowUpStatus.NOT_REQUIRED and not note:
        raise Invalid(
            "note_required",
            _("Say why no follow-up is needed."),
            fields={"note": _("A note is needed when no follow-up is required.")},
        )
    with transaction():
        row = db.session.scalar(
            select(RecallPatient).where(
                RecallPatient.recall_id == recall_id, RecallPatient.patient_id == patient_id
            )
        )
        if row is None:
            raise NotFound("not_found", _("This patient is not on the recall's list."))
        before = {"status": row.status, "note": row.note}
        row.status = status
        row.note = note
        row.updated_at = clock.now()
        row.updated_by_id = user.id
        audit.record(
            f"recall_patient_{status}",
            "recall",
            recall_id,
            details={
                "patient_id": patient_id,
                "changed": audit.changes(before, {"status": status, "note": note}),
            },
            reason=note or None,
            user=user,
        )
    return row


def list_recalls(*, open_only: bool = False) -> list[RecallSummary]:
    """Recalls, newest first, with how many exposed patients and how many still pending."""
    pending = func.sum(case((RecallPatient.status == FollowUpStatus.PENDING, 1), else_=0))
    query = (
        select(Recall, Product.name, func.count(RecallPatient.id), pending)
        .join(Product, Product.id == Recall.product_id)
        .outerjoin(RecallPatient, RecallPatient.recall_id == Recall.id)
        .group_by(Recall.id, Product.name)
        .order_by(Recall.created_at.desc(), Recall.id.desc())
    )
    if open_only:
        query = query.where(Recall.closed_at.is_(None))
    return [
        RecallSummary(recall, name, int(total or 0), int(waiting or 0))
        for recall, name, total, waiting in db.session.execute(query)
    ]


def recallable_lots() -> list[Lot]:
    return list(
        db.session.scalars(
            select(Lot)
            .join(Product, Product.id == Lot.product_id)
            .where(~usability.lot_recalled_clause())
            .order_by(Product.name, Lot.number)
        )
    )


# --- export ------------------------------------------------------------------------------------------

CSV_HEADER = (
    "patient_id",
    "name",
    "date_of_birth",
    "phone",
    "email",
    "administrations",
    "status",
    "note",
    "updated_at",
)


def patients_csv(recall: Recall) -> str:
    return csvexport.to_csv(
        CSV_HEADER,
        (
            (
                row.patient.id,
                row.patient.name,
                row.patient.date_of_birth.isoformat(),
                row.patient.phone,
                row.patient.email,
                row.administrations,
                row.status,
                row.note,
                _iso(row.updated_at),
            )
            for row in recall.patients
        ),
    )


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
