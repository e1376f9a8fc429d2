"""COLD-03..05 on the manager's pages: the list of excursions, one excursion with its readings, every lot
and batch held, a decision form for each (the service the API uses), and the patients exposed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.models import AuditEntry, Excursion, StorageUnit, Syringe, Vial
from inventory.models.clinic import AdministrationVoid
from inventory.services import excursions
from tests import factories
from tests.coldchain.conftest import NOW


def _reading(api: Any, unit: StorageUnit, celsius: float, at: Any, **extra: Any) -> Any:
    body = {"temperature_c": celsius, "at": at.isoformat(), **extra}
    response = api.post(f"/api/v1/storage-units/{unit.id}/readings", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _token(html: str, prefix: str) -> str:
    match = re.search(rf'name="{prefix}-csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no decision form {prefix} on the page"
    return match.group(1)


def _decide(client: FlaskClient, excursion_id: int, kind: str, item_id: int, **fields: str) -> Any:
    page = client.get(f"/cold/excursions/{excursion_id}").get_data(as_text=True)
    prefix = f"{kind}{item_id}"
    data = {f"{prefix}-{name}": value for name, value in fields.items()}
    data[f"{prefix}-csrf_token"] = _token(page, prefix)
    return client.post(f"/cold/excursions/{excursion_id}/{kind}/{item_id}", data=data)


def test_cold_03_the_list_puts_open_excursions_first_with_how_far_out_and_what_waits(
    client: FlaskClient,
    login_as: Any,
    api_as: Any,
    fridge: StorageUnit,
    room: StorageUnit,
    stocked: dict[str, Any],
) -> None:
    nurse = api_as("nurse")
    manager_api = api_as("manager")
    older = _reading(nurse, room, 27.5, NOW - timedelta(hours=5))["excursion_id"]
    newer = _reading(nurse, fridge, 9.0, NOW - timedelta(hours=3), max_c=10.5)["excursion_id"]
    _reading(nurse, fridge, 5.0, NOW - timedelta(hours=2))
    for body in (
        {"lot_id": stocked["lot"].id, "decision": "release", "reason": "Stable 24 h up to 25 °C"},
        {"batch_id": stocked["batch"].id, "decision": "discard", "reason": "No data"},
    ):
        assert manager_api.post(f"/api/v1/excursions/{newer}/decisions", json=body).status_code == 200

    login_as("manager")
    html = client.get("/cold/excursions").get_data(as_text=True)
    assert html.index(f'id="excursion-{older}"') < html.index(f'id="excursion-{newer}"'), "open first"
    open_row = html[html.index(f'id="excursion-{older}"') : html.index(f'id="excursion-{newer}"')]
    assert "Shelf A" in open_row
    assert "2.5 °C" in open_row
    assert "still out of range" in open_row
    assert '<span class="tag warn">1</span>' in open_row, "the shelf's lot waits for a decision"
    closed_row = html[html.index(f'id="excursion-{newer}"') :]
    assert "Fridge 1" in closed_row
    assert "2.5 °C" in closed_row, "10.5 °C is 2.5 above 8 °C"
    assert "closed" in closed_row


def test_cold_03_the_list_is_for_managers_only(client: FlaskClient, login_as: Any) -> None:
    login_as("nurse")
    assert client.get("/cold/excursions").status_code == 403
    assert "/cold/excursions" not in client.get("/cold/units").get_data(as_text=True)


def test_cold_03_a_manager_finds_the_excursions_from_the_navigation_and_dashboard(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("manager")
    html = client.get("/cold/excursions").get_data(as_text=True)
    assert "No excursion" in html
    assert 'href="/cold/excursions"' in client.get("/").get_data(as_text=True)
    assert 'href="/cold/excursions"' in client.get("/manager/").get_data(as_text=True)


def test_cold_04_a_manager_decides_each_lot_and_batch_on_the_page(
    client: FlaskClient,
    login_as: Any,
    api_as: Any,
    db: Any,
    fridge: StorageUnit,
    stocked: dict[str, Any],
) -> None:
    nurse = api_as("nurse")
    excursion_id = _reading(nurse, fridge, 9.5, NOW - timedelta(minutes=30))["excursion_id"]
    manager = login_as("manager")
    html = client.get(f"/cold/excursions/{excursion_id}").get_data(as_text=True)
    assert "9.5 °C" in html, "the readings during the excursion"
    assert stocked["lot"].number in html
    assert stocked["batch"].code in html
    assert "2 vials held" in html
    assert "2 syringes held" in html
    assert f'href="/cold/excursions/{excursion_id}"' in client.get(f"/cold/units/{fridge.id}").get_data(
        as_text=True
    ), "the unit page links its open excursion"

    lot_id, batch_id = stocked["lot"].id, stocked["batch"].id
    refused = _decide(client, excursion_id, "lot", lot_id, decision="release", reason="   ")
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "the manufacturer&#39;s reference or the stability reasoning" in page
    assert re.search(rf'name="lot{lot_id}-decision"[^>]*value="release"[^>]*checked', page) or re.search(
        rf'checked[^>]*name="lot{lot_id}-decision"[^>]*value="release"', page
    ), "the choice made is kept"
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "excursion_decided")).all() == []

    kept = _decide(client, excursion_id, "lot", lot_id, decision="", reason="Ref. 2026-17 of the maker")
    assert "Choose release or discard." in kept.get_data(as_text=True)
    assert "Ref. 2026-17 of the maker" in kept.get_data(as_text=True), "the reason typed is kept"

    released = _decide(client, excursion_id, "lot", lot_id, decision="release", reason="Maker: stable 72 h")
    assert released.status_code == 302
    assert {db.session.get(Vial, v.id).status for v in stocked["vials"]} == {"sealed"}
    discarded = _decide(client, excursion_id, "batch", batch_id, decision="discard", reason="No data")
    assert discarded.status_code == 302
    assert {s.status for s in db.session.scalars(select(Syringe))} == {"discarded"}

    html = client.get(discarded.headers["Location"]).get_data(as_text=True)
    assert "Maker: stable 72 h" in html
    assert "No data" in html
    assert html.count(f"by {manager.display_name}") == 2, "who decided, for each"
    assert "decision-form" not in html, "nothing left to decide"
    assert db.session.get(Excursion, excursion_id).status == "open", "still out of range"
    assert "Nobody was given a syringe" in html


def test_cold_04_a_decision_on_the_page_twice_is_refused_without_a_second_record(
    client: FlaskClient, login_as: Any, api_as: Any, db: Any, fridge: StorageUnit, stocked: dict[str, Any]
) -> None:
    excursion_id = _reading(api_as("nurse"), fridge, 9.5, NOW - timedelta(minutes=30))["excursion_id"]
    login_as("manager")
    page = client.get(f"/cold/excursions/{excursion_id}").get_data(as_text=True)
    prefix = f"lot{stocked['lot'].id}"
    data = {
        f"{prefix}-decision": "release",
        f"{prefix}-reason": "Ref 1",
        f"{prefix}-csrf_token": _token(page, prefix),
    }
    url = f"/cold/excursions/{excursion_id}/lot/{stocked['lot'].id}"
    assert client.post(url, data=data).status_code == 302
    again = client.post(url, data=data)
    assert again.status_code == 200
    assert "That lot or batch has its decision already." in again.get_data(as_text=True)
    elsewhere = {key.replace(prefix, "lot999999"): value for key, value in data.items()}
    missing = client.post(f"/cold/excursions/{excursion_id}/lot/999999", data=elsewhere)
    assert missing.status_code == 200
    assert "was not in the unit during this excursion" in missing.get_data(as_text=True)
    assert (
        len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "excursion_decided")).all()) == 1
    )


def test_cold_05_the_page_lists_patients_given_a_discarded_batch_and_not_a_voided_scan(
    client: FlaskClient, login_as: Any, api_as: Any, db: Any, fridge: StorageUnit, stocked: dict[str, Any]
) -> None:
    batch = stocked["batch"]
    given, voided = (
        factories.SyringeFactory(
            batch=batch, number=n, storage="fridge", status="administered", storage_unit_id=fridge.id
        )
        for n in (3, 4)
    )
    exposed = factories.PatientFactory(name="Ayşe Yılmaz")
    spared = factories.PatientFactory(name="Zeynep Kaya")
    factories.AdministrationFactory(
        session=factories.SessionFactory(patient=exposed),
        syringe=given,
        administered_at=NOW - timedelta(minutes=30),
    )
    scan = factories.AdministrationFactory(
        session=factories.SessionFactory(patient=spared),
        syringe=voided,
        administered_at=NOW - timedelta(minutes=20),
    )
    db.session.add(
        AdministrationVoid(administration_id=scan.id, reason="not_given", voided_by_id=scan.practitioner_id)
    )
    db.session.commit()
    excursion_id = _reading(api_as("nurse"), fridge, 11.0, NOW - timedelta(hours=1))["excursion_id"]
    api_as("manager").post(
        f"/api/v1/excursions/{excursion_id}/decisions",
        json={"batch_id": batch.id, "decision": "discard", "reason": "11 °C for an hour"},
    )
    found = excursions.exposed_patients(db.session.get(Excursion, excursion_id))
    assert [(p.patient_id, p.syringe_code) for p in found] == [(exposed.id, given.code)]
    login_as("manager")
    html = client.get(f"/cold/excursions/{excursion_id}").get_data(as_text=True)
    assert f'id="patient-{exposed.id}"' in html
    assert "Ayşe Yılmaz" in html
    assert "Zeynep Kaya" not in html, "a voided administration exposes nobody"


def test_cold_03_overview_counts_in_a_few_queries(
    api_as: Any, db: Any, fridge: StorageUnit, room: StorageUnit, stocked: dict[str, Any]
) -> None:
    nurse = api_as("nurse")
    _reading(nurse, room, 19.0, NOW - timedelta(hours=5))
    _reading(nurse, fridge, 1.0, NOW - timedelta(hours=4), min_c=-0.5)
    rows = {row.excursion.storage_unit_id: row for row in excursions.overview()}
    assert (rows[room.id].out_dc, rows[room.id].undecided) == (10, 1)
    assert (rows[fridge.id].out_dc, rows[fridge.id].undecided) == (25, 2), "−0.5 °C is 2.5 below 2 °C"
