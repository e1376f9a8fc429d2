"""RCL-03 on a busy lot: the trace page shows every count and a page of each long list, with paging,
and the CSV has every administration (a page never grows with the lot)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from inventory import clock
from tests import factories as f

PATIENTS = 60  # more than a page of 50


@pytest.fixture
def busy_lot(app: Any) -> Any:
    nurse = f.UserFactory(roles=("nurse",), username="busy-nurse")
    lot = f.LotFactory(number="BUSY-1")
    vial = f.VialFactory(lot=lot, status="empty", remaining_ul=0)
    batch = f.BatchFactory(prepared_by=nurse, syringe_count=PATIENTS, prepared_at=clock.now())
    f.DrawFactory(batch=batch, vial=vial, volume_ul=600)
    for number in range(1, PATIENTS + 1):
        syringe = f.SyringeFactory(batch=batch, number=number, status="administered")
        patient = f.PatientFactory(name=f"Patient {number:03d}")
        session = f.SessionFactory(patient=patient, started_at=clock.now())
        f.AdministrationFactory(session=session, syringe=syringe, administered_at=clock.now())
    return lot


def _patient_rows(html: str) -> list[str]:
    return re.findall(r"<td><a href=\"/trace/patients/\d+\">(Patient \d+)</a></td>", html)


def test_rcl_03_busy_lot_page_shows_counts_and_a_page_of_patients(
    busy_lot: Any, client: Any, login_as: Any
) -> None:
    login_as("manager")
    first = client.get(f"/trace/lots/{busy_lot.id}").get_data(as_text=True)
    assert f"{PATIENTS} administrations, {PATIENTS} patients" in first
    shown = set(_patient_rows(first))
    assert len(shown) == 50
    assert "Page 1 of 2 (60 in all)" in first
    assert f"/trace/lots/{busy_lot.id}?patients=2#patients" in first
    second = client.get(f"/trace/lots/{busy_lot.id}?patients=2").get_data(as_text=True)
    rest = set(_patient_rows(second))
    assert len(rest) == PATIENTS - 50
    assert not rest & shown
    assert "Page 2 of 2 (60 in all)" in second


def test_rcl_03_busy_lot_csv_has_every_administration(busy_lot: Any, client: Any, login_as: Any) -> None:
    login_as("manager")
    response = client.get(f"/trace/lots/{busy_lot.id}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == PATIENTS
    assert {row["patient"] for row in rows} == {f"Patient {n:03d}" for n in range(1, PATIENTS + 1)}


def test_rcl_03_lot_page_with_a_page_past_the_end_shows_the_last(
    busy_lot: Any, client: Any, login_as: Any
) -> None:
    login_as("manager")
    page = client.get(f"/trace/lots/{busy_lot.id}?patients=99&vials=abc")
    assert page.status_code == 200
    assert "Page 2 of 2 (60 in all)" in page.get_data(as_text=True)


def _walk(api: Any, lot_id: int, per_page: int) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """Every page of the lot's trace API, following `next` until it is null."""
    bodies: list[dict[str, Any]] = []
    rows: dict[str, list[Any]] = {}
    url = f"/api/v1/trace/lots/{lot_id}?per_page={per_page}"
    while url:
        assert len(bodies) < 50, "the cursor does not move on"
        response = api.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        bodies.append(body)
        for name in ("vials", "draws", "batches", "syringes", "administrations", "patients"):
            assert len(body[name]) <= per_page
            rows.setdefault(name, []).extend(body[name])
        url = f"/api/v1/trace/lots/{lot_id}?per_page={per_page}&page={body['next']}" if body["next"] else ""
    return bodies, rows


def test_rcl_03_lot_trace_api_pages_every_list_with_counts_and_a_cursor(busy_lot: Any, api_as: Any) -> None:
    api = api_as("manager")
    first = api.get(f"/api/v1/trace/lots/{busy_lot.id}").get_json()
    assert first["counts"] == {
        "vials": 1,
        "draws": 1,
        "batches": 1,
        "syringes": PATIENTS,
        "administrations": PATIENTS,
        "patients": PATIENTS,
    }
    assert len(first["patients"]) == PATIENTS  # the default page holds 100
    assert first["next"] is None

    bodies, rows = _walk(api, busy_lot.id, 25)
    assert len(bodies) == 3  # 25 + 25 + 10
    assert all(body["counts"] == first["counts"] for body in bodies)
    assert [p["id"] for p in rows["patients"]] == [p["id"] for p in first["patients"]]
    assert [p["name"] for p in rows["patients"]] == sorted(p["name"] for p in first["patients"])
    assert len({s["id"] for s in rows["syringes"]}) == PATIENTS
    assert len({a["id"] for a in rows["administrations"]}) == PATIENTS
    assert len(rows["vials"]) == len(rows["batches"]) == len(rows["draws"]) == 1
    assert bodies[1]["vials"] == []
    assert bodies[1]["batches"] == []


def test_rcl_03_lot_trace_api_cursor_neither_skips_nor_repeats_while_the_lot_is_used(
    busy_lot: Any, api_as: Any
) -> None:
    api = api_as("manager")
    first = api.get(f"/api/v1/trace/lots/{busy_lot.id}?per_page=50").get_json()
    # A patient whose name sorts first receives a syringe of the lot between the two pages.
    batch = f.BatchFactory(syringe_count=1, prepared_at=clock.now())
    f.DrawFactory(batch=batch, vial=busy_lot.vials[0], volume_ul=10)
    syringe = f.SyringeFactory(batch=batch, number=1, status="administered")
    session = f.SessionFactory(patient=f.PatientFactory(name="Aaron First"), started_at=clock.now())
    f.AdministrationFactory(session=session, syringe=syringe, administered_at=clock.now())
    second = api.get(f"/api/v1/trace/lots/{busy_lot.id}?per_page=50&page={first['next']}").get_json()
    names = [p["name"] for p in first["patients"] + second["patients"]]
    assert names == [f"Patient {n:03d}" for n in range(1, PATIENTS + 1)]
    assert second["counts"]["patients"] == PATIENTS + 1
    assert [b["id"] for b in second["batches"]] == [batch.id]  # a new batch has a higher id: not skipped


def test_rcl_03_lot_trace_counts_and_lists_a_vial_never_drawn_from_and_a_vial_drawn_twice(
    busy_lot: Any, api_as: Any
) -> None:
    drawn_twice = f.VialFactory(lot=busy_lot)
    for _ in range(2):
        f.DrawFactory(batch=f.BatchFactory(syringe_count=1, prepared_at=clock.now()), vial=drawn_twice)
    sealed = f.VialFactory(lot=busy_lot)
    body = api_as("manager").get(f"/api/v1/trace/lots/{busy_lot.id}").get_json()
    assert (body["counts"]["vials"], body["counts"]["draws"], body["counts"]["batches"]) == (3, 3, 3)
    assert [v["id"] for v in body["vials"]] == sorted([busy_lot.vials[0].id, drawn_twice.id, sealed.id])
    assert [d["vial_id"] for d in body["draws"]].count(drawn_twice.id) == 2
    assert sealed.id not in {d["vial_id"] for d in body["draws"]}


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=W251bGxd",
        "page=" + "A" * 3_000,
        "page=",
        "per_page=0",
        "per_page=501",
        "per_page=1.5",
    ],
)
def test_rcl_03_lot_trace_api_bad_page_is_422_with_the_error_body(
    busy_lot: Any, api_as: Any, query: str
) -> None:
    response = api_as("manager").get(f"/api/v1/trace/lots/{busy_lot.id}?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"]
    assert error["message"]
    assert set(error["fields"]) <= {"page", "per_page"}
    assert error["fields"]


def test_rcl_03_lot_csv_is_streamed(busy_lot: Any, client: Any, login_as: Any) -> None:
    login_as("manager")
    response = client.get(f"/trace/lots/{busy_lot.id}.csv")
    assert response.is_streamed
    assert response.get_data(as_text=True).startswith('\ufeff"administered_at","patient_id"')


@pytest.fixture
def spread_lot(app: Any) -> Any:
    """A lot of 7 vials drawn into 5 batches out of id order (a batch made first draws from the last vial),
        one vial never drawn from, and 2–3 syringes a batch, one of each given: every list spans several pages
    of 2."""
    lot = f.LotFactory(number="SPREAD-1")
    vials = [f.VialFactory(lot=lot) for _ in range(7)]
    batches = [f.BatchFactory(syringe_count=3, prepared_at=clock.now()) for _ in range(5)]
    patients = [f.PatientFactory(name=name) for name in ("Zoe", "Ali", "Émile", "Ali")]
    for index, batch in enumerate(batches):
        for vial in (vials[5 - index], vials[(2 * index) % 6]):
            f.DrawFactory(batch=batch, vial=vial, volume_ul=100)
        for number in (2, 1, 3)[: 2 + index % 2]:
            syringe = f.SyringeFactory(batch=batch, number=number)
            if number == 1:  # given, to patients of whom one receives two
                session = f.SessionFactory(patient=patients[index % 4], started_at=clock.now())
                f.AdministrationFactory(session=session, syringe=syringe, administered_at=clock.now())
    f.DrawFactory(vial=f.VialFactory())  # another lot's draw, never counted
    return lot


def test_rcl_03_both_ways_of_paging_give_the_same_counts_and_pages(spread_lot: Any) -> None:
    """One answer whichever way the pages come (asked of SQLite, keys read first on PostgreSQL): the
    counts, and every page after every key and past every offset, in the list's order."""
    from inventory.services import lot_trace
    from inventory.services.trace import _lot_row

    lot = _lot_row(spread_lot.id)
    asked, keys_first = lot_trace._Asked.of(spread_lot.id), lot_trace._KeysFirst.of(spread_lot.id)
    assert asked.counts == keys_first.counts
    assert asked.counts == lot_trace.LotCounts(7, 10, 5, 12, 5, 4)
    for limit in (1, 2, 100):
        for offset in (0, 1, 4):
            assert asked.vials(None, limit, offset) == keys_first.vials(None, limit, offset)
            assert asked.batches(None, limit, offset) == keys_first.batches(None, limit, offset)
    vials = keys_first.vials(None, 100)
    assert [v.id for v in vials] == sorted(vial.id for vial in spread_lot.vials)
    draw_keys = [(d.batch_id, d.draw_id) for d in keys_first.draws(lot, None, 100)]
    syringe_keys = [(s.batch_id, s.number, s.id) for s in keys_first.syringes(None, 100)]
    assert draw_keys == sorted(draw_keys)
    assert syringe_keys == sorted(syringe_keys)
    assert (len(draw_keys), len(syringe_keys)) == (10, 12)
    for after in [None, *[(v.id,) for v in vials]]:
        assert asked.vials(after, 2) == keys_first.vials(after, 2)
    for after in [None, *[(b,) for b in keys_first.batch_ids]]:
        assert asked.batches(after, 2) == keys_first.batches(after, 2)
    for draw in [None, *draw_keys]:
        assert asked.draws(lot, draw, 3) == keys_first.draws(lot, draw, 3)
    for syringe in [None, *syringe_keys]:
        assert asked.syringes(syringe, 3) == keys_first.syringes(syringe, 3)
    given = [(a.id,) for a in keys_first.administrations(None, 100)]
    assert given == sorted(given)
    assert len(given) == 5
    for after in [None, *given]:
        assert asked.administrations(after, 2) == keys_first.administrations(after, 2)


def test_rcl_03_lot_page_and_api_walk_many_vials_and_batches_in_order(
    spread_lot: Any, api_as: Any, client: Any, login_as: Any
) -> None:
    _bodies, rows = _walk(api_as("manager"), spread_lot.id, 2)
    assert [v["id"] for v in rows["vials"]] == sorted(v.id for v in spread_lot.vials)
    draws = [(d["batch_id"], d["vial_id"]) for d in rows["draws"]]
    assert [batch for batch, _vial in draws] == sorted(batch for batch, _vial in draws)
    assert len(draws) == len(set(draws)) == 10
    assert len({b["id"] for b in rows["batches"]}) == len(rows["batches"]) == 5
    syringes = [(s["batch_id"], s["id"]) for s in rows["syringes"]]
    assert len(syringes) == 12
    assert [b for b, _s in syringes] == sorted(b for b, _s in syringes)

    from inventory.services import lot_trace

    overview = lot_trace.lot_overview(spread_lot.id, vials=2, batches=2, per_page=3, batches_per_page=2)
    second_vials = sorted(v.id for v in spread_lot.vials)[3:6]
    assert [v.id for v in overview.vials.items] == second_vials
    assert {d.vial_id for d in overview.draws} <= set(second_vials)
    assert len(overview.draws) == sum(1 for _b, vial in draws if vial in second_vials)
    assert [b.id for b in overview.batches.items] == [b["id"] for b in rows["batches"]][2:4]
    assert {s.batch_id for s in overview.syringes} == {b.id for b in overview.batches.items}
