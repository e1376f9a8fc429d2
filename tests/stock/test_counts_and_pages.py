"""Stock counts (expected vs seen, confirmed differences, write-off), vial and lot pages, quarantine pages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from inventory import clock
from inventory.models import AuditEntry, Lot, Vial
from inventory.models.stock import StockCount, StockCountLine
from tests import factories
from tests.conftest import login
from tests.stock.conftest import make_vials
from tests.support import csrf_from

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen_at(NOW):
        yield


def post_form(client, page_url, url, data):
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    return client.post(url, data={"csrf_token": csrf_from(page.get_data(as_text=True)), **data})


def start_count(client, **data):
    response = post_form(client, "/stock/counts", "/stock/counts", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def scan(client, count_url, code):
    return post_form(client, count_url, count_url, {"code": code})


def test_stock_count_lists_missing_and_unexpected_then_records_them(client, login_as, lidocaine, db):
    user = login_as("nurse")
    on_shelf = make_vials(lidocaine, 3, location="Fridge A")
    elsewhere = make_vials(lidocaine, 1, location="Cabinet 2")[0]
    count_url = start_count(client, location="Fridge A", product_id="0")

    assert scan(client, count_url, on_shelf[0].code).status_code == 302
    assert scan(client, count_url, " " + on_shelf[1].code.lower()).status_code == 302
    assert scan(client, count_url, on_shelf[1].code).status_code == 302  # twice counts once
    assert scan(client, count_url, elsewhere.code).status_code == 302
    page = client.get(count_url).get_data(as_text=True)
    missing_part = page.split('id="missing"')[1].split("</ul>")[0]
    unexpected_part = page.split('id="unexpected"')[1].split("</ul>")[0]
    assert on_shelf[2].code in missing_part
    assert on_shelf[0].code not in missing_part
    assert elsewhere.code in unexpected_part

    count_id = int(count_url.rstrip("/").rsplit("/", 1)[1])
    confirmed = post_form(client, count_url, f"/stock/counts/{count_id}/confirm", {"note": "monthly"})
    assert confirmed.status_code == 302
    lines = db.session.scalars(select(StockCountLine).order_by(StockCountLine.id)).all()
    assert [(line.vial_id, line.difference) for line in lines] == [
        (on_shelf[2].id, "missing"),
        (elsewhere.id, "unexpected"),
    ]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "stock_count_confirmed"))
    assert entry.details["missing"] == [on_shelf[2].code]
    assert entry.details["unexpected"] == [elsewhere.code]
    assert entry.user_id == user.id
    db.session.expire_all()
    assert db.session.get(Vial, elsewhere.id).location == "Fridge A"

    result = client.get(count_url).get_data(as_text=True)
    assert "missing" in result
    assert on_shelf[2].code in result
    written_off = post_form(
        client, count_url, f"/stock/counts/{count_id}/missing/{on_shelf[2].id}/discard", {"reason": "damaged"}
    )
    assert written_off.status_code == 302
    db.session.expire_all()
    gone = db.session.get(Vial, on_shelf[2].id)
    assert (gone.status, gone.discard_reason) == ("discarded", "damaged")
    assert "stock count" in gone.discard_note


def test_count_by_product_and_scanning_after_confirmation_is_refused(
    client, login_as, lidocaine, hyaluronidase
):
    login_as("nurse")
    lido = make_vials(lidocaine, 1)[0]
    make_vials(hyaluronidase, 1)
    count_url = start_count(client, location="", product_id=str(lidocaine.id))
    page = client.get(count_url).get_data(as_text=True)
    assert lido.code in page.split('id="missing"')[1]
    count_id = int(count_url.rsplit("/", 1)[1])
    post_form(client, count_url, f"/stock/counts/{count_id}/confirm", {})
    late = scan(client, count_url, lido.code)
    assert late.status_code == 200


@pytest.mark.parametrize("code", ["", "hello", "S1234567890", "V0000000000", "]d2010950600013435217271231"])
def test_count_scan_bad_codes_answer_on_the_page(client, login_as, lidocaine, code, db):
    login_as("nurse")
    make_vials(lidocaine, 1, location="A")
    count_url = start_count(client, location="A", product_id="0")
    response = scan(client, count_url, code)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.query(StockCount).count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"location": "", "product_id": "0"},
        {"location": "x" * 61, "product_id": "0"},
        {"location": "", "product_id": "nope"},
    ],
)
def test_start_count_needs_a_shelf_or_a_product(client, login_as, data, db):
    login_as("nurse")
    response = post_form(client, "/stock/counts", "/stock/counts", data)
    assert response.status_code == 200
    assert db.session.query(StockCount).count() == 0


def test_write_off_of_a_vial_that_was_not_missing_is_404(client, login_as, lidocaine):
    login_as("nurse")
    vial = make_vials(lidocaine, 1, location="A")[0]
    count_url = start_count(client, location="A", product_id="0")
    scan(client, count_url, vial.code)
    count_id = int(count_url.rsplit("/", 1)[1])
    post_form(client, count_url, f"/stock/counts/{count_id}/confirm", {})
    response = post_form(
        client, count_url, f"/stock/counts/{count_id}/missing/{vial.id}/discard", {"reason": "other"}
    )
    assert response.status_code == 404


def test_vial_page_shows_history_and_discards(client, login_as, lidocaine, db):
    login_as("nurse")
    vial = make_vials(lidocaine)[0]
    batch = factories.BatchFactory()
    factories.DrawFactory(vial=vial, batch=batch, volume_ul=2000)
    page = client.get(f"/stock/vials/{vial.id}").get_data(as_text=True)
    assert "received" in page
    assert batch.code in page
    bad = post_form(client, f"/stock/vials/{vial.id}", f"/stock/vials/{vial.id}/discard", {"reason": "bored"})
    assert bad.status_code == 200
    assert 'aria-invalid="true"' in bad.get_data(as_text=True)
    done = post_form(
        client,
        f"/stock/vials/{vial.id}",
        f"/stock/vials/{vial.id}/discard",
        {"reason": "damaged", "note": "broke"},
    )
    assert done.status_code == 302
    page = client.get(f"/stock/vials/{vial.id}").get_data(as_text=True)
    assert "vial_discarded" in page
    assert "broke" in page


def test_vial_list_page_filters_and_never_500(client, login_as, lidocaine):
    login_as("practitioner")
    vial = make_vials(lidocaine, lot_number="ABC1")[0]
    assert vial.code in client.get("/stock/vials").get_data(as_text=True)
    assert vial.code in client.get(f"/stock/vials?product_id={lidocaine.id}&lot=abc1&usable=1").get_data(
        as_text=True
    )
    assert vial.code not in client.get("/stock/vials?status=discarded").get_data(as_text=True)
    for query in ("product_id=x", "status=zzz", "page=-3", "page=abc", "lot=" + "x" * 300):
        assert client.get(f"/stock/vials?{query}").status_code == 200, query
    assert client.get("/stock/vials/99999").status_code == 404


def test_lots_and_expiring_pages(client, login_as, lidocaine):
    login_as("nurse")
    vial = make_vials(lidocaine, expiry=date(2026, 3, 20), lot_number="SOON1")[0]
    assert "SOON1" in client.get("/stock/lots").get_data(as_text=True)
    assert "SOON1" in client.get(f"/stock/lots/{vial.lot_id}").get_data(as_text=True)
    assert "SOON1" in client.get("/stock/expiring?days=30").get_data(as_text=True)
    assert "SOON1" not in client.get("/stock/expiring?days=7").get_data(as_text=True)
    assert client.get("/stock/expiring?days=abc").status_code == 200
    assert client.get("/stock/lots?product_id=x&status=zzz").status_code == 200


def test_safe_03_quarantine_and_release_pages_with_two_managers(client, app, lidocaine, db):
    first = factories.UserFactory(username="mgr1", roles=("manager",))
    factories.UserFactory(username="mgr2", roles=("manager",))
    vial = make_vials(lidocaine)[0]
    lot_url = f"/stock/lots/{vial.lot_id}"
    login(client, "mgr1")
    empty = post_form(client, lot_url, f"{lot_url}/quarantine", {"reason": ""})
    assert empty.status_code == 200
    assert 'aria-invalid="true"' in empty.get_data(as_text=True)
    assert post_form(client, lot_url, f"{lot_url}/quarantine", {"reason": "leaking"}).status_code == 302
    assert "quarantined" in client.get(f"/stock/vials/{vial.id}").get_data(as_text=True)

    same = post_form(client, lot_url, f"{lot_url}/release", {"reason": "fine"})
    assert same.status_code == 200
    assert "another manager must release it" in same.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Lot, vial.lot_id).status == "quarantined"

    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    login(client, "mgr2")
    assert post_form(client, lot_url, f"{lot_url}/release", {"reason": "checked"}).status_code == 302
    db.session.expire_all()
    lot = db.session.get(Lot, vial.lot_id)
    assert lot.status == "available"
    assert lot.quarantined_by_id == first.id


def test_nurse_cannot_quarantine_from_the_page(client, login_as, lidocaine):
    login_as("nurse")
    vial = make_vials(lidocaine)[0]
    page = client.get(f"/stock/lots/{vial.lot_id}").get_data(as_text=True)
    assert "Put the lot in quarantine" not in page
    response = client.post(
        f"/stock/lots/{vial.lot_id}/quarantine", data={"reason": "x", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 403
