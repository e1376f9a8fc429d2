"""SAFE-11 under real concurrency: threads, each with its own app context and database session,
drawing the last millilitres of one vial at the same moment (SQLite file or PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from inventory.errors import DomainError
from inventory.extensions import db as _db
from inventory.models import Draw, User, Vial
from inventory.services import batches, draws, transaction
from tests import factories
from tests.compounding.conftest import make_recipe, make_vials

THREADS = 6


def _race(app: Flask, count: int, work: Callable[[], Any]) -> list[Any]:
    """Run ``work`` in ``count`` threads released together; each result or exception is returned."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    _db.session.commit()  # the main thread holds no transaction (SQLite: no write lock) during the race

    def run(index: int) -> None:
        with app.test_request_context():  # a request context: services speak the user's language
            barrier.wait(timeout=10)
            try:
                results[index] = work()
            except Exception as error:  # collected and asserted by the test
                results[index] = error
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _codes(results: list[Any]) -> list[str]:
    return sorted(r.code if isinstance(r, DomainError) else type(r).__name__ for r in results)


def _check_books(vial_id: int, initial_ul: int) -> int:
    _db.session.expire_all()
    remaining = _db.session.get(Vial, vial_id).remaining_ul
    drawn = _db.session.scalar(
        select(func.coalesce(func.sum(Draw.volume_ul), 0)).where(Draw.vial_id == vial_id)
    )
    assert remaining >= 0
    assert drawn == initial_ul - remaining
    return remaining


def test_safe_11_nurses_racing_for_the_last_millilitres_never_overdraw(app: Flask) -> None:
    product = factories.ProductFactory(volume_ul=5000)
    vial = make_vials(product, remaining_ul=3000)[0]
    recipe = make_recipe([(product, 1000)])
    user_id = factories.UserFactory(roles=("nurse",)).id
    request = batches.BatchRequest(recipe_id=recipe.id, syringes=1, category="category_1", storage="room")

    def prepare() -> int:
        user = _db.session.get(User, user_id)
        assert user is not None
        return batches.prepare_batch(request, user).id

    results = _race(app, THREADS, prepare)
    succeeded = [r for r in results if isinstance(r, int)]
    assert len(succeeded) == 3, results
    assert _codes([r for r in results if not isinstance(r, int)]) == ["insufficient_stock"] * (THREADS - 3)
    assert _check_books(vial.id, 3000) == 0


@pytest.mark.postgres_only
def test_safe_11_the_guarded_update_alone_refuses_a_stale_plan(app: Flask) -> None:
    """Without the row lock, every thread plans from the same remaining volume; the guarded
    ``UPDATE … WHERE remaining_ul >= :v`` still lets only what is there be drawn."""
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises whole transactions (BEGIN IMMEDIATE): no stale plan is possible")
    product = factories.ProductFactory(volume_ul=5000)
    vial = make_vials(product, remaining_ul=1500)[0]
    product_id = product.id  # the main thread's objects stay out of the racing threads
    barrier = threading.Barrier(THREADS)

    def draw() -> int:
        with transaction():
            stock = draws.load_stock([product_id])
            plan = draws.plan({product_id: 1000}, stock)
            barrier.wait(timeout=10)
            drawn = draws.execute(plan, now=factories.clock.now())
            return drawn[0].volume_ul

    results = _race(app, THREADS, draw)
    assert results.count(1000) == 1
    assert _codes([r for r in results if r != 1000]) == ["insufficient_stock"] * (THREADS - 1)
    _db.session.expire_all()
    assert _db.session.get(Vial, vial.id).remaining_ul == 500


def test_safe_11_two_batches_racing_through_the_api_one_201_one_409(app: Flask, api_as: Any) -> None:
    product = factories.ProductFactory(volume_ul=5000)
    vial_id = make_vials(product, remaining_ul=1000)[0].id
    recipe = make_recipe([(product, 1000)])
    clients = [api_as("nurse"), api_as("nurse")]
    body = {"recipe_id": recipe.id, "syringes": 1, "category": "category_1", "storage": "room"}
    _db.session.commit()
    barrier = threading.Barrier(len(clients))
    statuses: list[Any] = [None, None]

    def post(index: int) -> None:
        barrier.wait(timeout=10)
        response = clients[index].post("/api/v1/batches", json=body)
        statuses[index] = (response.status_code, (response.get_json().get("error") or {}).get("code"))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [(201, None), (409, "insufficient_stock")]
    assert _check_books(vial_id, 1000) == 0
