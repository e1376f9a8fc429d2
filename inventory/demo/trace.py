"""Demo: one open recall, entered through the service like a manager would, once other demo parts
have administered syringes (load after the clinic's demo). Does nothing when nothing was administered."""

from __future__ import annotations

from sqlalchemy import select

from inventory.demo.generate import busiest_lots
from inventory.extensions import db
from inventory.models.recall import Recall
from inventory.models.users import User
from inventory.services import recalls


def load() -> None:
    if db.session.scalar(select(Recall.id).limit(1)) is not None:
        return
    manager = db.session.scalar(select(User).where(User.username == "manager"))
    lots = list(busiest_lots(1))
    if manager is None or not lots:
        return
    lot_id, _administrations = lots[0]
    recalls.enter_recall(
        user=manager,
        classification="II",
        reason="Demo: particulates found in retained samples of this lot (manufacturer's notice).",
        reference="DEMO-RCL-001",
        lot_id=lot_id,
    )
