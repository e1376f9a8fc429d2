"""Adverse events that can be followed (api.md 1.1 "Records", AE-01): the onset lies between the start
of the session and now; follow-ups are appended and shown on the event, the patient and signal pages."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from inventory import clock
from inventory.models import AdverseEvent, AdverseEventUpdate, AuditEntry
from tests.support import csrf_from


def _event(api: Any, session_id: int, onset: Any) -> Any:
    return api.post(
        "/api/v1/adverse-events",
        json={
            "session_id": session_id,
            "onset_at": onset.isoformat(),
            "severity": "moderate",
            "description": "Swelling at the injection sites",
            "outcome": "cold packs",
        },
    )


@pytest.mark.parametrize(
    "offset",
    [timedelta(days=-365 * 5), timedelta(minutes=-2), timedelta(hours=2), timedelta(days=30)],
    ids=["years-before", "minutes-before", "hours-ahead", "month-ahead"],
)
def test_ae_01_onset_before_the_session_or_in_the_future_is_invalid_onset(
    scenario: SimpleNamespace, api_as: Any, db: Any, offset: timedelta
) -> None:
    response = _event(api_as("practitioner"), scenario.session_12.id, clock.now() + offset)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_onset"
    assert "onset_at" in error["fields"]
    assert db.session.scalar(select(func.count()).select_from(AdverseEvent)) == 0


def test_ae_01_onset_at_the_start_of_the_session_or_now_is_accepted(
    scenario: SimpleNamespace, api_as: Any
) -> None:
    api = api_as("practitioner")
    assert _event(api, scenario.session_12.id, clock.now()).status_code == 201
    with clock.frozen_at(clock.now() + timedelta(hours=3)):
        later = api_as("practitioner")
        assert _event(later, scenario.session_12.id, clock.now() - timedelta(hours=1)).status_code == 201


def test_ae_01_follow_ups_are_appended_and_audited(scenario: SimpleNamespace, api_as: Any, db: Any) -> None:
    api = api_as("practitioner")
    event = _event(api, scenario.session_12.id, clock.now()).get_json()
    path = f"/api/v1/adverse-events/{event['id']}/updates"
    first = api.post(path, json={"outcome": "improving", "note": "Day 2"})
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert (body["event_id"], body["outcome"], body["note"]) == (event["id"], "improving", "Day 2")
    assert body["by"] == api.user.id
    api.post(path, json={"outcome": "resolved"})

    shown = api.get(f"/api/v1/adverse-events/{event['id']}").get_json()
    assert [u["outcome"] for u in shown["updates"]] == ["improving", "resolved"]
    assert shown["current_outcome"] == "resolved"
    assert shown["outcome"] == "cold packs"  # what was recorded first stays
    followed = select(AuditEntry).where(AuditEntry.action == "adverse_event_followed_up")
    entries = db.session.scalars(followed.order_by(AuditEntry.id)).all()
    assert [e.details["outcome"] for e in entries] == [["cold packs", "improving"], ["improving", "resolved"]]


def test_ae_01_follow_up_needs_an_outcome_and_an_event(
    scenario: SimpleNamespace, api_as: Any, db: Any
) -> None:
    api = api_as("practitioner")
    event = _event(api, scenario.session_12.id, clock.now()).get_json()
    path = f"/api/v1/adverse-events/{event['id']}/updates"
    assert api.post(path, json={"outcome": "  "}).status_code == 422
    assert api.post(path, json={"note": "x"}).status_code == 422
    assert api.post("/api/v1/adverse-events/99999/updates", json={"outcome": "resolved"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AdverseEventUpdate)) == 0


@pytest.mark.parametrize(("role", "status"), [("nurse", 403), ("manager", 403), ("admin", 201)])
def test_follow_ups_follow_the_role_table(
    scenario: SimpleNamespace, api_as: Any, role: str, status: int
) -> None:
    event = _event(api_as("practitioner"), scenario.session_12.id, clock.now()).get_json()
    path = f"/api/v1/adverse-events/{event['id']}/updates"
    response = api_as(role).post(path, json={"outcome": "resolved"})
    assert response.status_code == status


def test_ae_01_follow_ups_show_on_the_event_patient_and_signal_pages(
    scenario: SimpleNamespace, api_as: Any, client: Any, login_as: Any
) -> None:
    api = api_as("practitioner")
    event = _event(api, scenario.session_12.id, clock.now()).get_json()
    _event(api, scenario.session_15a.id, clock.now())
    login_as("admin")  # practitioners follow events up, managers read signals: an admin does both
    page = client.get(f"/trace/adverse-events/{event['id']}").get_data(as_text=True)
    assert "No follow-up yet" in page
    posted = client.post(
        f"/trace/adverse-events/{event['id']}/updates",
        data={"csrf_token": csrf_from(page), "outcome": "resolved without scarring", "note": "seen on day 7"},
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)
    page = client.get(posted.location).get_data(as_text=True)
    assert "resolved without scarring" in page
    assert "seen on day 7" in page
    patient_page = client.get(f"/clinic/patients/{scenario.p12.id}").get_data(as_text=True)
    assert "resolved without scarring" in patient_page
    assert "Swelling at the injection sites" in patient_page
    signals = client.get("/trace/signals").get_data(as_text=True)
    assert "resolved without scarring" in signals
    assert "1 follow-up" in signals


def test_follow_up_form_without_an_outcome_says_what_is_wrong(
    scenario: SimpleNamespace, api_as: Any, client: Any, login_as: Any
) -> None:
    event = _event(api_as("practitioner"), scenario.session_12.id, clock.now()).get_json()
    login_as("practitioner")
    page = client.get(f"/trace/adverse-events/{event['id']}").get_data(as_text=True)
    response = client.post(
        f"/trace/adverse-events/{event['id']}/updates",
        data={"csrf_token": csrf_from(page), "outcome": "", "note": "typed note"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "typed note" in html
    assert 'aria-invalid="true"' in html
