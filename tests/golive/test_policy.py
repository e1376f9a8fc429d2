"""The clinic's policy (issue 14 §3): GET/PUT /api/v1/policy, the page, USP <797> maxima need a reason,
before → after in the audit trail, and stored values govern computations at once."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from inventory import clock
from inventory.models import AuditEntry
from tests import factories
from tests.support import csrf_from

USP: dict[str, Any] = {
    "bud_hours": {
        "immediate": {"room": 4, "fridge": 4, "freezer": None},
        "category_1": {"room": 12, "fridge": 24, "freezer": None},
        "category_2_sterile": {"room": 96, "fridge": 240, "freezer": 1080},
        "category_2_nonsterile": {"room": 24, "fridge": 96, "freezer": 1080},
    },
    "in_use": {"single_dose_hours": 12, "multi_dose_days": 28},
}


def _policy_entries(db):
    return db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "policy_changed")).all()


def test_policy_api_answers_the_usp_797_defaults_until_changed(api_as):
    response = api_as("manager").get("/api/v1/policy")
    assert response.status_code == 200
    assert response.get_json() == USP
    assert api_as("nurse").get("/api/v1/policy").status_code == 403


def test_vial_01_single_dose_limit_of_6_hours_changes_usable_until_of_opened_vials_at_once(app, db, api_as):
    api = api_as("manager")
    opened = clock.now() - timedelta(hours=7)
    vial = factories.VialFactory(
        lot=factories.LotFactory(product=factories.ProductFactory(container="single_dose", volume_ul=1000)),
        status="open",
        opened_at=opened,
        remaining_ul=500,
    )
    db.session.commit()

    def item():
        items = api.get(f"/api/v1/vials?lot_id={vial.lot_id}").get_json()["items"]
        return next(i for i in items if i["id"] == vial.id)

    assert item()["usable"] is True  # 7 h after puncture, under 12 h
    document = copy.deepcopy(USP)
    document["in_use"]["single_dose_hours"] = 6
    response = api.put("/api/v1/policy", json=document)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["in_use"]["single_dose_hours"] == 6
    now = item()
    assert (now["usable"], now["blocked_reason"]) == (False, "in_use_limit")
    assert now["usable_until"].startswith((opened + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"))
    (entry,) = _policy_entries(db)
    assert entry.details["changed"] == {"in_use.single_dose_hours": [12, 6]}


def test_policy_above_usp_maxima_needs_a_reason_and_keeps_it(db, api_as):
    api = api_as("admin")
    document = copy.deepcopy(USP)
    document["bud_hours"]["category_1"]["room"] = 48
    document["bud_hours"]["category_1"]["freezer"] = 100
    refused = api.put("/api/v1/policy", json=document)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "reason_required"
    assert {"reason", "bud_hours.category_1.room", "bud_hours.category_1.freezer"} <= set(error["fields"])
    assert api.get("/api/v1/policy").get_json() == USP  # nothing stored
    accepted = api.put(
        "/api/v1/policy", json={**document, "reason": "Stability study ST-12 (sterility tested)"}
    )
    assert accepted.status_code == 200
    (entry,) = _policy_entries(db)
    assert entry.reason == "Stability study ST-12 (sterility tested)"
    assert entry.details["changed"] == {
        "bud_hours.category_1.room": [12, 48],
        "bud_hours.category_1.freezer": [None, 100],
    }


def test_policy_put_refuses_a_partial_or_bad_document(api_as):
    api = api_as("manager")
    partial = copy.deepcopy(USP)
    del partial["bud_hours"]["category_1"]["room"]
    response = api.put("/api/v1/policy", json=partial)
    assert response.status_code == 422
    assert "bud_hours.category_1.room" in response.get_json()["error"]["fields"]
    bad = copy.deepcopy(USP)
    bad["bud_hours"]["category_1"]["room"] = -3
    assert api.put("/api/v1/policy", json=bad).status_code == 422
    unknown = copy.deepcopy(USP)
    unknown["bud_hours"]["category_9"] = {"room": 1}
    assert api.put("/api/v1/policy", json=unknown).status_code == 422


def test_policy_page_saves_with_a_decimal_comma_and_shows_before_after(db, client, login_as):
    login_as("manager")
    page = client.get("/policy").get_data(as_text=True)
    assert "USP 797: 12" in page
    form = {f"bud_hours.{row}.{storage}": "" if hours is None else str(hours)
            for row, limits in USP["bud_hours"].items() for storage, hours in limits.items()}  # fmt: skip
    form |= {"in_use.single_dose_hours": "1,5", "in_use.multi_dose_days": "14", "csrf_token": csrf_from(page)}
    response = client.post("/policy", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    shown = client.get("/policy").get_data(as_text=True)
    assert 'value="1.5"' in shown
    assert "12 → 1.5" in shown
    assert "28 → 14" in shown
    # The product form says what the policy says, not "28 days".
    assert "policy (14 days)" in client.get("/products/new").get_data(as_text=True)


def test_policy_page_keeps_what_was_typed_when_a_reason_is_missing(client, login_as):
    login_as("admin")
    page = client.get("/policy").get_data(as_text=True)
    form = {f"bud_hours.{row}.{storage}": "" if hours is None else str(hours)
            for row, limits in USP["bud_hours"].items() for storage, hours in limits.items()}  # fmt: skip
    form |= {"in_use.single_dose_hours": "12", "in_use.multi_dose_days": "42", "csrf_token": csrf_from(page)}
    response = client.post("/policy", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="42"' in html
    assert "Longer than USP &lt;797&gt; allows." in html
    form["in_use.multi_dose_days"] = "abc"
    html = client.post("/policy", data=form).get_data(as_text=True)
    assert 'value="abc"' in html
    assert "A whole number." in html
