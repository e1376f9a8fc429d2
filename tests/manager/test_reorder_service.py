"""The reorder list from the database: rate over the window, usable vials only, lapsing stock, orders."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest

from inventory.extensions import db
from inventory.rules.reorder import ReorderReason
from inventory.services import purchasing
from inventory.services import reorder as reorder_service
from tests.manager.conftest import NOW, TODAY, draw, lot, product, vials


@pytest.fixture
def vitamin(app, frozen, in_request):
    """5 mL vials used 0.1 mL a day over the 90-day window (9 mL), plus older use that does not count.

    On hand: 2 vials expiring in 10 days (only 1.1 mL of them will be used), 1 vial for a year,
    and vials that are not usable: a quarantined lot, an expired lot, an opened single-dose past 12 h.
    """
    prod = product(
        name="Vitamin C 5 mL", volume_ul=5000, reorder_point=2, reorder_quantity=10, lead_time_days=7
    )
    old_lot = lot(prod, expiry=TODAY + timedelta(days=400))
    spent = vials(old_lot, received_at=NOW - timedelta(days=200))[0]
    draw(spent, 3000, at=NOW - timedelta(days=100))  # before the window
    draw(spent, 2000, at=NOW - timedelta(days=80))
    spent.remaining_ul, spent.status = 0, "empty"
    second = vials(old_lot, received_at=NOW - timedelta(days=200))[0]
    draw(second, 5000, at=NOW - timedelta(days=40))
    draw(second, 2000, at=NOW - timedelta(days=1))  # 2 + 5 + 2 = 9 mL in the window
    second.remaining_ul, second.status = 0, "empty"
    vials(lot(prod, expiry=TODAY + timedelta(days=10)), 2, received_at=NOW - timedelta(days=60))
    vials(lot(prod, expiry=TODAY + timedelta(days=365)), 1, received_at=NOW - timedelta(days=17))
    vials(lot(prod, expiry=TODAY + timedelta(days=365), status="quarantined"), 3)
    vials(lot(prod, expiry=TODAY - timedelta(days=1)), 3)
    db.session.commit()
    return prod


def _line(prod):
    return next(line for line in reorder_service.reorder_lines() if line.product.id == prod.id)


def test_reorder_service_counts_only_usable_stock_used_before_expiry(vitamin):
    result = _line(vitamin).suggestion
    assert result.daily_use_ul == 100
    assert (result.on_hand_vials, result.on_hand_ul) == (3, 15_000)
    # the 10-day lot: 11 days × 0.1 mL = 1.1 mL used, 8.9 mL lapse; the year lot is used in full
    assert (result.usable_ul, result.expiring_unused_ul, result.usable_vials) == (6_100, 8_900, 2)
    assert result.days_of_cover == 61


def test_reorder_service_suggestion_is_capped_by_the_shelf_life_of_the_last_delivery(vitamin, app):
    result = _line(vitamin).suggestion
    # 1.22 vials of cover is below the reorder point of 2; the last delivery had 365 + 17 = 382 days
    # of shelf life: new vials start being drawn on day 61, so 0.1 mL × (7 + 382 − 61) = 32.8 mL → 6 vials
    assert result.reason is ReorderReason.BELOW_REORDER_POINT
    assert (result.needs_reorder, result.suggested_vials, result.capped_by_shelf_life) == (True, 6, True)
    assert "8.9 mL will expire before use" in _line(vitamin).reason_text


def test_reorder_service_window_comes_from_settings(vitamin, config):
    config(REORDER_WINDOW_DAYS=30)
    assert _line(vitamin).suggestion.daily_use_ul == Fraction(2000, 30)  # only the 2 mL of yesterday


def test_reorder_service_young_product_rate_over_its_own_history(app, frozen):
    prod = product(name="New serum", volume_ul=5000, created_at=NOW - timedelta(days=9))
    vial = vials(lot(prod, expiry=TODAY + timedelta(days=300)), 2, received_at=NOW - timedelta(days=9))[0]
    draw(vial, 2000, at=NOW - timedelta(days=5))
    db.session.commit()
    line = _line(prod)
    assert line.observed_days == 10
    assert line.suggestion.daily_use_ul == 200


def test_reorder_service_sent_orders_count_as_on_order(vitamin):
    order = purchasing.create_order("Acme", lines=[purchasing.LineInput(vitamin.id, 10)])
    assert _line(vitamin).suggestion.on_order_vials == 0  # a draft is not on order
    purchasing.mark_sent(order)
    result = _line(vitamin).suggestion
    assert result.on_order_vials == 10
    assert (result.needs_reorder, result.reason) == (False, ReorderReason.ENOUGH_COVER)


def test_reorder_service_only_needed_lists_products_to_order_most_urgent_first(vitamin, app):
    idle = product(name="Idle extract", volume_ul=5000, reorder_point=0)
    vials(lot(idle, expiry=TODAY + timedelta(days=300)), 1)
    db.session.commit()
    assert [line.product.name for line in reorder_service.reorder_lines(only_needed=True)] == [
        "Vitamin C 5 mL"
    ]
    idle_line = _line(idle)
    assert idle_line.suggestion.reason is ReorderReason.NO_RECENT_USE
    assert "Nothing drawn in the last 90 days" in idle_line.reason_text


def test_reorder_api_contract(vitamin, api_as):
    api = api_as("manager")
    body = api.get("/api/v1/reorder").get_json()
    item = next(item for item in body["items"] if item["product_id"] == vitamin.id)
    assert {
        key: item[key]
        for key in (
            "name",
            "usable_vials",
            "usable_ml",
            "daily_use_ml",
            "days_of_cover",
            "expiring_unused_ml",
            "reorder_point",
            "lead_time_days",
            "needs_reorder",
            "suggested_vials",
            "reason",
        )
    } == {
        "name": "Vitamin C 5 mL",
        "usable_vials": 2,
        "usable_ml": 6.1,
        "daily_use_ml": 0.1,
        "days_of_cover": 61.0,
        "expiring_unused_ml": 8.9,
        "reorder_point": 2,
        "lead_time_days": 7,
        "needs_reorder": True,
        "suggested_vials": 6,
        "reason": "below_reorder_point",
    }
    assert item["reason_text"]
    only = api.get("/api/v1/reorder?all=false").get_json()["items"]
    assert [item["product_id"] for item in only] == [vitamin.id]


def test_reorder_api_needs_the_reports_permission(app, api_as):
    assert api_as("nurse").get("/api/v1/reorder").status_code == 403
    assert api_as("practitioner").get("/api/v1/reorder").get_json()["error"]["code"] == "forbidden"


def test_reorder_07_go_live_stock_below_the_reorder_point_is_suggested_without_use(app, frozen, in_request):
    fresh = product(name="Biotin 1 mL", volume_ul=1000, reorder_point=3)
    vials(lot(fresh, expiry=TODAY + timedelta(days=200)), 2)
    vials(lot(fresh, expiry=TODAY - timedelta(days=1)), 5)  # expired: not on hand
    db.session.commit()
    line = _line(fresh)
    assert (line.suggestion.needs_reorder, line.suggestion.reason) == (
        True,
        ReorderReason.BELOW_REORDER_POINT,
    )
    assert line.suggestion.suggested_vials == 10
    assert "No use recorded yet; 2 in-date vials on hand" in line.reason_text
    assert "Biotin 1 mL" in [line.product.name for line in reorder_service.reorder_lines(only_needed=True)]


def test_reorder_service_young_product_history_begins_at_its_first_receipt(app, frozen):
    """A product drawn only inside the window: its history starts at its first receipt when that is
    earlier than its first draw (the receipts are read only for such products)."""
    prod = product(name="Newer serum", volume_ul=5000, created_at=NOW - timedelta(days=2))
    vial = vials(lot(prod, expiry=TODAY + timedelta(days=300)), 2, received_at=NOW - timedelta(days=11))[0]
    vials(lot(prod, expiry=TODAY + timedelta(days=200)), 1, received_at=NOW - timedelta(days=4))
    draw(vial, 2400, at=NOW - timedelta(days=5))
    db.session.commit()
    line = _line(prod)
    assert line.observed_days == 12
    assert line.suggestion.daily_use_ul == 200


def test_reorder_service_takes_the_supplier_and_shelf_life_of_the_newest_receipt_of_any_lot(app, frozen):
    """The newest receipt by its time (then id) among every lot of the product, whichever lot holds it and
    whatever order the receipts were entered in: each lot's newest is found by index, then compared."""
    from tests import factories as f

    prod = f.ProductFactory()
    older = f.LotFactory(product=prod, expiry=TODAY + timedelta(days=100))
    newer = f.LotFactory(product=prod, expiry=TODAY + timedelta(days=300))
    f.ReceiptFactory(lot=newer, supplier="First", received_at=NOW - timedelta(days=50))
    f.ReceiptFactory(lot=older, supplier="Latest", received_at=NOW - timedelta(days=10))
    f.ReceiptFactory(
        lot=newer, supplier="Entered last, received earlier", received_at=NOW - timedelta(days=30)
    )
    f.ReceiptFactory(lot=f.LotFactory(), supplier="Another product", received_at=NOW)
    db.session.flush()
    assert reorder_service.last_receipts([prod.id]) == {prod.id: ("Latest", 110)}
    assert reorder_service.last_receipts([]) == {}
