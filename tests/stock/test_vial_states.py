"""services.usability.vial_states decides whether a vial can be drawn (T10–T13, SAFE-01..03, VIAL-01..04)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inventory import clock
from inventory.models import Recall
from inventory.services import usability
from inventory.services.policy import save_policy
from inventory.services.usability import vial_states
from tests import factories
from tests.stock.conftest import make_vials
from tests.support import statements_run

ISTANBUL = ZoneInfo("Europe/Istanbul")


def at(text: str) -> datetime:
    """Clinic wall time."""
    return datetime.fromisoformat(text).replace(tzinfo=ISTANBUL)


def state_at(vial, moment: str):
    with clock.frozen_at(at(moment)):
        return vial_states([vial])[vial.id]


def opened_vial(container: str, opened: str, expiry: date, *, in_use_days: int | None = None, **extra):
    product = factories.ProductFactory(container=container, in_use_days=in_use_days)
    (vial,) = make_vials(product, expiry=expiry, opened_at=at(opened), **extra)
    return vial


def test_t10_single_dose_usable_until_12_hours_after_puncture(app):
    vial = opened_vial("single_dose", "2025-03-10 08:00", date(2026, 1, 31))
    assert state_at(vial, "2025-03-10 20:00").usable
    assert state_at(vial, "2025-03-10 20:00").usable_until == at("2025-03-10 20:00")
    blocked = state_at(vial, "2025-03-10 20:01")
    assert not blocked.usable
    assert blocked.blocked_reason == "in_use_limit"


def test_t11_multi_dose_usable_28_days_after_puncture(app):
    vial = opened_vial("multi_dose", "2025-03-01 10:00", date(2026, 1, 31))
    assert state_at(vial, "2025-03-29 10:00").usable
    assert state_at(vial, "2025-03-29 10:00").usable_until == at("2025-03-29 10:00")
    assert state_at(vial, "2025-03-29 10:01").blocked_reason == "in_use_limit"


def test_t12_multi_dose_never_past_its_lot_expiry(app):
    vial = opened_vial("multi_dose", "2025-03-01 10:00", date(2025, 3, 15))
    until = state_at(vial, "2025-03-15 23:59").usable_until
    assert until.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M:%S") == "2025-03-15 23:59:59"
    assert state_at(vial, "2025-03-15 23:59").usable
    assert state_at(vial, "2025-03-16 00:00").blocked_reason == "expired"


def test_t13_product_in_use_days_overrides_the_policy(app):
    vial = opened_vial("multi_dose", "2025-03-01 10:00", date(2026, 1, 31), in_use_days=14)
    assert state_at(vial, "2025-03-15 10:00").usable_until == at("2025-03-15 10:00")
    assert state_at(vial, "2025-03-15 10:00").usable
    assert state_at(vial, "2025-03-15 10:01").blocked_reason == "in_use_limit"


def test_vial_01_in_use_limit_is_policy_data(app):
    vial = opened_vial("single_dose", "2025-03-10 08:00", date(2026, 1, 31))
    save_policy({"single_dose_in_use_hours": 6})
    assert state_at(vial, "2025-03-10 14:00").usable
    assert state_at(vial, "2025-03-10 14:01").blocked_reason == "in_use_limit"


def test_vial_02_an_opened_ampoule_is_not_kept(app):
    vial = opened_vial("ampoule", "2025-03-10 08:00", date(2026, 1, 31))
    assert state_at(vial, "2025-03-10 08:01").blocked_reason == "in_use_limit"


def test_vial_04_opened_without_puncture_time_is_blocked(app):
    product = factories.ProductFactory(container="multi_dose")
    (vial,) = make_vials(product, expiry=date(2026, 1, 31))
    vial.status = "open"
    factories.db.session.commit()
    assert state_at(vial, "2025-03-10 08:00").blocked_reason == "in_use_limit"


def test_exp_01_sealed_vial_usable_through_its_expiry_day(app):
    product = factories.ProductFactory()
    (vial,) = make_vials(product, expiry=date(2025, 3, 31))
    assert state_at(vial, "2025-03-31 23:59").usable
    assert state_at(vial, "2025-04-01 00:00").blocked_reason == "expired"


def test_safe_03_quarantined_lot_blocks_its_vials(app):
    product = factories.ProductFactory()
    (vial,) = make_vials(product, expiry=date(2026, 1, 31), lot_status="quarantined")
    state = state_at(vial, "2025-03-10 08:00")
    assert (state.usable, state.blocked_reason) == (False, "quarantined")


def test_safe_03_a_recall_blocks_the_lot_even_before_its_status_changes(app):
    product = factories.ProductFactory()
    (vial,) = make_vials(product, expiry=date(2026, 1, 31), lot_number="HYAL-2409")
    manager = factories.UserFactory(roles=("manager",))
    factories.db.session.add(
        Recall(
            product_id=product.id,
            lot_number="hyal-2409 ",
            classification="I",
            reason="x",
            created_by_id=manager.id,
        )
    )
    factories.db.session.commit()
    assert state_at(vial, "2025-03-10 08:00").blocked_reason == "recalled"


def test_recalled_status_wins_over_expiry(app):
    product = factories.ProductFactory()
    (vial,) = make_vials(product, expiry=date(2025, 1, 31), lot_status="recalled")
    assert state_at(vial, "2025-03-10 08:00").blocked_reason == "recalled"


@pytest.mark.parametrize("status", ["empty", "discarded"])
def test_empty_or_discarded_vial_is_not_usable_without_a_rule_reason(app, status):
    product = factories.ProductFactory()
    (vial,) = make_vials(product, expiry=date(2026, 1, 31))
    vial.status = status
    vial.remaining_ul = 0
    factories.db.session.commit()
    state = state_at(vial, "2025-03-10 08:00")
    assert (state.usable, state.blocked_reason) == (False, None)


def test_product_stock_counts_only_usable_vials(app):
    product = factories.ProductFactory(container="single_dose", volume_ul=1000)
    with clock.frozen_at(at("2025-03-10 09:00")):
        make_vials(product, 2, expiry=date(2026, 1, 31))
        make_vials(product, 1, expiry=date(2026, 1, 31), lot_status="quarantined")
        make_vials(product, 1, expiry=date(2026, 1, 31), opened_at=at("2025-03-09 08:00"))  # past 12 h
        make_vials(product, 1, expiry=date(2026, 1, 31), opened_at=at("2025-03-10 08:00"))
        level = usability.usable_stock([product.id])[product.id]
    assert (level.vials, level.volume_ul) == (3, 3000)


def test_vial_states_is_set_based(app, db):
    product = factories.ProductFactory()
    vials = make_vials(product, 30, expiry=date(2026, 1, 31))
    db.session.expire_all()
    with statements_run(db.engine) as statements, clock.frozen_at(at("2025-03-10 09:00") + timedelta(0)):
        from sqlalchemy import select

        from inventory.models import Vial

        loaded = list(db.session.scalars(select(Vial)))
        statements.clear()
        states = vial_states(loaded)
    assert len(states) == len(vials)
    assert len(statements) <= 4
