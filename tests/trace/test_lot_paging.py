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
