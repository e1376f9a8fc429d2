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
