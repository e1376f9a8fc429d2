"""One verdict per syringe (SAFE-01..03, 06): the scan, the batch API, both trace APIs, the batch and
trace pages and the label endpoints answer the same for a syringe blocked for one reason each."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from inventory import clock
from tests import factories

#: reason → (the scan's reasons, the single blocked_reason, what the label endpoints answer)
CASES: dict[str, tuple[list[str], str | None, tuple[int, str | None]]] = {
    "bud_passed": (["bud_passed"], "bud_passed", (200, None)),
    "expired_component": (["expired_component"], "expired", (200, None)),
    "quarantined": (["quarantined"], "quarantined", (409, "batch_quarantined")),
    "recalled": (["recalled"], "recalled", (409, "batch_recalled")),
    "not_released": (["not_released"], None, (200, None)),
    "administered": (["already_administered"], None, (422, "unknown_syringe")),
    "discarded": (["discarded"], None, (422, "unknown_syringe")),
}


def _build(case: str, make_syringe: Callable[..., Any]) -> Any:
    yesterday = clock.today() - timedelta(days=1)
    if case == "bud_passed":
        return make_syringe(bud=clock.now() - timedelta(minutes=1))
    if case == "expired_component":
        return make_syringe(lots=[{}, {"expiry": yesterday}])
    if case == "quarantined":
        return make_syringe(lots=[{"status": "quarantined"}])
    if case == "recalled":
        return make_syringe(lots=[{"status": "recalled"}])
    if case == "not_released":
        return make_syringe(status="awaiting_verification", syringe={"status": "awaiting_verification"})
    made = make_syringe()
    if case == "administered":
        made.syringe.status = "administered"
        factories.AdministrationFactory(syringe=made.syringe)
    else:
        made.syringe.status = "discarded"
        made.syringe.discarded_at = clock.now()
        made.syringe.discard_reason = "damaged"
    factories.db.session.commit()
    return made


def _row(html: str, code: str) -> tuple[str, list[str]]:
    found = re.search(rf'data-code="{code}" data-blocked-reason="([^"]*)" data-reasons="([^"]*)"', html)
    assert found, f"no row of {code} on the page"
    return found.group(1), found.group(2).split()


@pytest.mark.parametrize("case", list(CASES))
def test_safe_06_every_face_gives_the_same_verdict(
    case: str,
    make_syringe: Callable[..., Any],
    api_as: Callable[..., Any],
    login_as: Callable[..., Any],
    client: Any,
) -> None:
    reasons, blocked, (label_status, label_code) = CASES[case]
    made = _build(case, make_syringe)
    code, batch_id = made.syringe.code, made.batch.id

    doctor = api_as("practitioner")
    patient = factories.PatientFactory()
    session = doctor.post(
        "/api/v1/sessions", json={"patient_id": patient.id, "indication": "skin", "area": "face"}
    ).get_json()
    scan = doctor.post(f"/api/v1/sessions/{session['id']}/scans", json={"code": code})
    assert scan.status_code == 409, scan.get_json()
    assert scan.get_json()["reasons"] == reasons

    manager = api_as("manager")
    batch = manager.get(f"/api/v1/batches/{batch_id}").get_json()
    (shown,) = [s for s in batch["syringes"] if s["code"] == code]
    assert (shown["blocked_reasons"], shown["blocked_reason"]) == (reasons, blocked)

    traced = manager.get(f"/api/v1/trace/batches/{batch_id}").get_json()
    (row,) = [s for s in traced["syringes"] if s["code"] == code]
    assert (row["blocked_reasons"], row["blocked_reason"]) == (reasons, blocked)
    for lot in made.lots:
        forward = manager.get(f"/api/v1/trace/lots/{lot.id}").get_json()
        (row,) = [s for s in forward["syringes"] if s["code"] == code]
        assert (row["blocked_reasons"], row["blocked_reason"]) == (reasons, blocked)

    login_as("manager")
    batch_page = client.get(f"/compounding/batches/{batch_id}").get_data(as_text=True)
    assert _row(batch_page, code) == (blocked or "", reasons)
    trace_page = client.get(f"/trace/batches/{batch_id}").get_data(as_text=True)
    assert _row(trace_page, code) == (blocked or "", reasons)
    for lot in made.lots:
        lot_page = client.get(f"/trace/lots/{lot.id}").get_data(as_text=True)
        assert _row(lot_page, code) == (blocked or "", reasons)

    nurse = api_as("nurse")
    for path in (
        f"/labels/batches/{batch_id}.pdf?syringe={code}",
        f"/labels/batches/{batch_id}.zpl?syringe={code}",
    ):
        answer = nurse.get(path)
        assert answer.status_code == label_status, (path, answer.get_data(as_text=True)[:200])
        if label_code is not None:
            assert answer.get_json()["error"]["code"] == label_code
        if blocked in ("quarantined", "recalled"):
            assert answer.get_json()["error"]["fields"]["reason"] == blocked
    qr = nurse.get(f"/labels/syringes/{code}.png")
    assert qr.status_code == (409 if blocked in ("quarantined", "recalled") else 200)


def test_safe_03_the_print_page_says_why_it_refuses(
    make_syringe: Callable[..., Any], login_as: Callable[..., Any], client: Any
) -> None:
    made = make_syringe(lots=[{"status": "recalled"}])
    login_as("nurse")
    html = client.get(f"/labels/batches/{made.batch.id}").get_data(as_text=True)
    assert 'data-testid="label-refusal" data-reason="recalled"' in html
    assert "holds a recalled lot" in html
    assert 'data-testid="pdf-link"' not in html
