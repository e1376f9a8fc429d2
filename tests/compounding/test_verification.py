"""The independent second check (SAFE-05, SAFE-15): the verifier scans every vial drawn and re-enters
the volume per syringe blind; neither the API nor the pages reveal the record before a correct entry."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.models import AuditEntry, Batch
from tests.support import csrf_from

#: The hair fixture's volume per syringe is 3 mL (1 + 2): how it could show, in any locale.
EXPECTED_VOLUME = re.compile(r"(?<![\d.,])(3|3[.,]0+|3000)(?![\d.,])\s*(mL|µL|ml)?")


def _prepare(api_as: Any, hair: dict[str, Any]) -> dict[str, Any]:
    body = {"recipe_id": hair["recipe"].id, "syringes": 2, "category": "category_1", "storage": "room"}
    response = api_as("nurse").post("/api/v1/batches", json=body)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _drawn(batch: dict[str, Any]) -> list[str]:
    return [draw["vial_code"] for draw in batch["draws"]]


def _reveals(text: str, batch: dict[str, Any]) -> list[str]:
    """What of the record a text gives away: the expected volume, a drawn vial, a lot."""
    found = [match.group(0) for match in EXPECTED_VOLUME.finditer(text) if match.group(2)]
    found += [code for code in _drawn(batch) if code in text]
    found += [draw["lot"] for draw in batch["draws"] if draw["lot"] in text]
    return found


def _attempts(db: Any, batch_id: int) -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "batch", AuditEntry.entity_id == batch_id)
            .where(AuditEntry.action.in_(("verification_mismatch", "verification_refused", "batch_released")))
            .order_by(AuditEntry.id)
        )
    )


@pytest.mark.parametrize(
    "case",
    [
        "no_vials_key",
        "empty_list",
        "missing_vial",
        "extra_vial",
        "wrong_vial",
        "unknown_code",
        "wrong_volume",
    ],
)
def test_safe_15_every_kind_of_mismatch_is_refused_without_revealing_the_record(
    api_as: Any, hair: dict[str, Any], db: Any, case: str
) -> None:
    batch = _prepare(api_as, hair)
    drawn = _drawn(batch)
    spare = next(v.code for v in hair["dex_vials"] + hair["silicon_vials"] if v.code not in drawn)
    payloads: dict[str, dict[str, Any]] = {
        "no_vials_key": {"volume_ml": 3},
        "empty_list": {"volume_ml": 3, "vials": []},
        "missing_vial": {"volume_ml": 3, "vials": drawn[:1]},
        "extra_vial": {"volume_ml": 3, "vials": [*drawn, spare]},
        "wrong_vial": {"volume_ml": 3, "vials": [drawn[0], spare]},
        "unknown_code": {"volume_ml": 3, "vials": [*drawn, "V0000000000"]},
        "wrong_volume": {"volume_ml": 2.5, "vials": drawn},
    }
    response = api_as("practitioner").post(f"/api/v1/batches/{batch['id']}/verify", json=payloads[case])
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "verification_mismatch"
    assert _reveals(json.dumps(response.get_json(), ensure_ascii=False), batch) == []
    assert set(error["fields"]) == ({"volume_ml"} if case == "wrong_volume" else {"vials"})
    attempts = _attempts(db, batch["id"])
    assert [entry.action for entry in attempts] == ["verification_mismatch"]
    assert db.session.get(Batch, batch["id"]).status == "awaiting_verification"


def test_safe_15_the_right_vials_in_any_order_and_the_right_volume_release(
    api_as: Any, hair: dict[str, Any], db: Any
) -> None:
    batch = _prepare(api_as, hair)
    verifier = api_as("practitioner")
    url = f"/api/v1/batches/{batch['id']}/verify"
    wrong = verifier.post(url, json={"volume_ml": 2, "vials": _drawn(batch)})
    assert wrong.status_code == 422
    scans = [code.lower() for code in reversed(_drawn(batch))]
    right = verifier.post(url, json={"volume_ml": 3, "vials": scans})
    assert right.status_code == 200, right.get_json()
    assert right.get_json()["status"] == "released"
    attempts = _attempts(db, batch["id"])
    assert [entry.action for entry in attempts] == ["verification_mismatch", "batch_released"]
    assert attempts[0].details["entered_ul"] == 2000
    assert attempts[0].user_id == verifier.user.id
    assert sorted(attempts[1].details["vials_scanned"]) == sorted(_drawn(batch))


def test_safe_15_the_preparers_own_attempt_is_refused_and_recorded(
    api_as: Any, hair: dict[str, Any], db: Any
) -> None:
    nurse = api_as("nurse")
    body = {"recipe_id": hair["recipe"].id, "syringes": 2, "category": "category_1", "storage": "room"}
    batch = nurse.post("/api/v1/batches", json=body).get_json()
    url = f"/api/v1/batches/{batch['id']}/verify"
    response = nurse.post(url, json={"volume_ml": 3, "vials": _drawn(batch)})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "own_batch"
    assert [entry.details["refused"] for entry in _attempts(db, batch["id"])] == ["own_batch"]


def test_safe_15_the_verify_page_shows_the_recipe_but_never_the_volume_or_the_vials(
    api_as: Any, login_as: Any, client: FlaskClient, hair: dict[str, Any], db: Any
) -> None:
    batch = _prepare(api_as, hair)
    login_as("practitioner")
    page = client.get(f"/compounding/batches/{batch['id']}/verify")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Hair cocktail" in html
    assert "Dexpanthenol 5 mL" in html
    assert "Organic silicon 5 mL" in html
    assert _reveals(html, batch) == []
    missing_one = client.post(
        f"/compounding/batches/{batch['id']}/verify",
        data={"csrf_token": csrf_from(html), "volume_ml": "2,5", "vials": _drawn(batch)[0]},
    )
    again = missing_one.get_data(as_text=True)
    assert missing_one.status_code == 422
    assert "does not match" in again
    assert "not the vials drawn" in again
    assert _reveals(again.replace(_drawn(batch)[0], ""), batch) == []  # only what was scanned comes back
    assert re.search(r'<input[^>]*name="volume_ml"[^>]*value=""', again)


def test_safe_15_a_scan_that_is_no_vial_code_is_named_on_the_page(
    api_as: Any, login_as: Any, client: FlaskClient, hair: dict[str, Any]
) -> None:
    batch = _prepare(api_as, hair)
    login_as("practitioner")
    html = client.get(f"/compounding/batches/{batch['id']}/verify").get_data(as_text=True)
    scans = "\r\n".join([*_drawn(batch), "S123"])
    response = client.post(
        f"/compounding/batches/{batch['id']}/verify",
        data={"csrf_token": csrf_from(html), "volume_ml": "3", "vials": scans},
    )
    assert response.status_code == 422
    assert "Not a vial code: S123" in response.get_data(as_text=True)


def test_safe_15_the_batch_page_keeps_the_record_from_a_possible_second_person(
    api_as: Any, login_as: Any, client: FlaskClient, hair: dict[str, Any]
) -> None:
    batch = _prepare(api_as, hair)
    api_as("practitioner").post(f"/api/v1/batches/{batch['id']}/verify", json={"volume_ml": 2, "vials": []})
    login_as("practitioner")
    html = client.get(f"/compounding/batches/{batch['id']}").get_data(as_text=True)
    assert 'data-testid="blind-note"' in html
    assert 'data-testid="verify-link"' in html
    assert _reveals(html, batch) == []  # not even in the history of the wrong attempt
    released = api_as("practitioner").post(
        f"/api/v1/batches/{batch['id']}/verify", json={"volume_ml": 3, "vials": _drawn(batch)}
    )
    assert released.status_code == 200
    after = client.get(f"/compounding/batches/{batch['id']}").get_data(as_text=True)
    assert _reveals(after, batch)  # once released, the record is shown (the check can tell)
