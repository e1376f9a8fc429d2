"""Fixtures of the clinic area: a syringe made from real lots, a practitioner with an open session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from inventory.models import Batch, Lot, Syringe, TreatmentSession, User
from tests import factories
from tests.conftest import ApiClient


@dataclass
class Made:
    syringe: Syringe
    batch: Batch
    lots: list[Lot]


@pytest.fixture
def make_syringe(app: Any) -> Callable[..., Made]:
    """A syringe of a released batch drawn from one vial of each lot given (or one fresh lot).

    ``lots``: LotFactory keyword sets, one per component; the rest goes to BatchFactory
    (``status``, ``bud``, ``patient_id``…); ``syringe`` holds SyringeFactory keywords.
    """

    def _make(
        *, lots: list[dict[str, Any]] | None = None, syringe: dict[str, Any] | None = None, **batch: Any
    ) -> Made:
        made_batch = factories.BatchFactory(**batch)
        made_lots: list[Any] = []
        for lot_values in lots if lots is not None else [{}]:
            lot = factories.LotFactory(**lot_values)
            vial = factories.VialFactory(lot=lot, status="open")
            factories.RecipeComponentFactory(recipe=made_batch.recipe, product=lot.product)
            factories.DrawFactory(batch=made_batch, vial=vial)
            made_lots.append(lot)
        syringe_values = {"status": "available", **(syringe or {})}
        made = factories.SyringeFactory(batch=made_batch, **syringe_values)
        return Made(made, made_batch, made_lots)

    return _make


@pytest.fixture
def practitioner(app: Any) -> User:
    return factories.UserFactory(roles=("practitioner",), username="dr-scan")


@pytest.fixture
def open_session(practitioner: User) -> TreatmentSession:
    return factories.SessionFactory(practitioner=practitioner)


@pytest.fixture
def in_request(app: Any) -> Any:
    """Services translate their messages: give them a request (and so a locale) as a view would."""
    with app.test_request_context():
        yield


@pytest.fixture
def doctor(api_as: Callable[..., ApiClient]) -> ApiClient:
    return api_as("practitioner")


@pytest.fixture
def session_of(doctor: ApiClient) -> TreatmentSession:
    return factories.SessionFactory(practitioner=doctor.user)


def given(api: ApiClient, session_id: int, administration_id: int) -> None:
    """The practitioner taps "Given" (name and date of birth checked)."""
    path = f"/api/v1/sessions/{session_id}/administrations/{administration_id}/identity-check"
    assert api.post(path).status_code == 201
