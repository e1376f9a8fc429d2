"""Demo batches, prepared through the services: a released category 1 hair batch of 3 syringes, a skin
batch awaiting its second person and an immediate-use preparation for a demo patient.

Load after the catalogue, stock and patients; whatever cannot be prepared (no stock, no patient) is
skipped, never half made.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy import select

from inventory.errors import DomainError
from inventory.extensions import db
from inventory.models.clinic import Patient
from inventory.models.compounding import Batch, Recipe
from inventory.models.users import User
from inventory.services import batches

log = logging.getLogger(__name__)


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _recipe(name: str) -> Recipe | None:
    return db.session.scalar(select(Recipe).where(Recipe.name == name))


def _prepare(recipe_name: str, preparer: User, **fields: Any) -> Batch | None:
    recipe = _recipe(recipe_name)
    if recipe is None:
        return None
    request = batches.BatchRequest(recipe_id=recipe.id, **fields)
    try:
        return batches.prepare_batch(request, preparer)
    except DomainError as error:
        log.info("demo batch of %s skipped: %s", recipe_name, error.message)
        return None


def load() -> None:
    """Prepare the demo batches once (nothing when batches exist already)."""
    if db.session.scalar(select(Batch.id).limit(1)) is not None:
        return
    nurse, practitioner = _user("nurse"), _user("practitioner")
    if nurse is None or practitioner is None:
        return
    # Services speak the user's language: outside a request (the CLI) give them one.
    context = nullcontext() if has_request_context() else current_app.test_request_context()
    with context:
        _load(nurse, practitioner)


def _load(nurse: User, practitioner: User) -> None:
    hair = _prepare("Hair cocktail", nurse, syringes=3, category="category_1", storage="fridge")
    if hair is not None:
        try:
            batches.verify_batch(
                hair.id,
                hair.volume_per_syringe_ul,
                practitioner,
                [draw.vial.code for draw in hair.draws],  # the practitioner scans every vial drawn
            )
        except DomainError as error:
            log.info("demo hair batch not released: %s", error.message)
    _prepare("Skin cocktail", nurse, syringes=2, category="category_1", storage="room")
    patient = db.session.scalar(select(Patient).order_by(Patient.id).limit(1))
    if patient is not None:
        _prepare(
            "Glow booster (immediate use)",
            practitioner,
            syringes=1,
            category="immediate",
            storage="room",
            patient_id=patient.id,
        )
