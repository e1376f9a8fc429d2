"""AUD: the audit trail an inspector reads: words, before → after, clinic time, links, filters, CSV;
and what gets an entry (sign-in, sign-out, failed sign-in, count scans, downloads)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from inventory import clock
from inventory.extensions import db
from inventory.models import AuditEntry, PurchaseOrder, User
from inventory.names import AUDIT_ACTION_LABELS
from inventory.services import audit, purchasing
from tests import factories
from tests.conftest import ApiClient, login
from tests.support import TEST_PASSWORD, csrf_from

ROOT = Path(__file__).resolve().parent.parent.parent


def _entries(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_aud_01_every_action_the_code_writes_has_a_label() -> None:
    """A raw code on the page is a defect: every action literal in the code is named in names.py."""
    written: set[str] = set()
    pattern = re.compile(r"""audit\.record\(\s*f?["']([a-z_{}]+)["']""")
    for path in (ROOT / "inventory").rglob("*.py"):
        written |= set(pattern.findall(path.read_text(encoding="utf-8")))
    written |= {"batch_quarantined", "exported", "signed_in", "signed_out", "sign_in_failed"}
    expanded = {
        name.replace("{status}", status).replace("{kind}", kind)
        for name in written
        for status in ("pending", "contacted", "unreachable", "not_required")
        for kind in ("products", "stock")
    }
    assert expanded - set(AUDIT_ACTION_LABELS) == set()


def test_aud_02_the_page_shows_words_before_after_and_clinic_time(client: FlaskClient, login_as: Any) -> None:
    manager = login_as("manager")
    moment = datetime(2026, 3, 18, 9, 5, tzinfo=UTC)  # 12:05 in Istanbul
    with clock.frozen_at(moment), client.application.test_request_context():
        order = purchasing.create_order("Acme", "")
        purchasing.update_order(_order(order.id), supplier="Medisupply", note="")
        audit.record(
            "vial_discarded",
            "vial",
            None,
            details={"changed": {"waste_cost_minor": [0, 4500], "status": ["open", "discarded"]}},
            user=manager,
        )
        db.session.commit()
    html = client.get("/manager/audit").get_data(as_text=True)
    assert "Purchase order changed" in html
    assert "purchase_order_updated</span>" not in html
    assert "supplier: Acme → Medisupply" in html
    assert "waste cost: TRY0.00 → TRY45.00" in html
    assert "waste_cost_minor" not in html
    assert "status: open → discarded" in html, re.findall(r"status: [^<]*", html)
    assert ">2026-03-18 12:05<" in html
    assert "09:05<" not in html
    assert f'href="/manager/orders/{order.id}"' in html
    assert "{" not in re.sub(r"<script.*?</script>", "", html, flags=re.S).split("<main", 1)[-1]


def test_aud_02_turkish_words_and_currency(client: FlaskClient, login_as: Any) -> None:
    manager = login_as("manager")
    with client.application.test_request_context():
        audit.record(
            "vial_discarded", "vial", None, details={"changed": {"waste_cost_minor": [0, 4500]}}, user=manager
        )
        db.session.commit()
    html = client.get("/manager/audit", headers={"Accept-Language": "tr"}).get_data(as_text=True)
    assert "Flakon imha edildi" in html
    assert "fire maliyeti: ₺0,00 → ₺45,00" in html


def test_aud_03_filters_by_who_what_when_and_entity(client: FlaskClient, login_as: Any) -> None:
    manager = login_as("manager")
    other = factories.UserFactory(username="someone-else", roles=("nurse",))
    with client.application.test_request_context():
        with clock.frozen_at(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)):
            audit.record("lot_quarantined", "lot", 7, user=other)
        with clock.frozen_at(datetime(2026, 3, 10, 9, 0, tzinfo=UTC)):
            audit.record("lot_released", "lot", 7, user=manager)
            audit.record("product_created", "product", 3, user=manager)
        db.session.commit()

    def shown(query: str) -> set[str]:
        html = client.get(f"/manager/audit?{query}").get_data(as_text=True)
        return set(re.findall(r'<tr data-action="([a-z_]+)"', html))

    assert shown(f"user_id={other.id}") == {"lot_quarantined"}
    assert shown("action=lot_released") == {"lot_released"}
    assert shown("entity_type=lot&entity_id=7") == {"lot_quarantined", "lot_released"}
    assert shown("since=2026-03-05&until=2026-03-10&entity_type=lot") == {"lot_released"}
    assert "No entry matches these filters." in client.get("/manager/audit?entity_id=999").get_data(
        as_text=True
    )


def test_aud_04_keyset_pages_walk_the_whole_trail_once(client: FlaskClient, login_as: Any) -> None:
    manager = login_as("manager")
    moment = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with client.application.test_request_context():
        for number in range(120):
            # several entries share one instant: the id breaks the tie
            with clock.frozen_at(moment + timedelta(minutes=number // 3)):
                audit.record("product_updated", "product", number + 1, user=manager)
        db.session.commit()
    seen: list[int] = []
    url = "/manager/audit?entity_type=product"
    pages = 0
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [int(n) for n in re.findall(r"Product #(\d+)</a>|Product #(\d+)", html) for n in n if n]
        older = re.search(r'href="([^"]*before=\d+[^"]*)"', html)
        url = older.group(1).replace("&amp;", "&") if older else ""
        pages += 1
    assert pages == 3
    assert seen == list(range(120, 0, -1))
    newer = re.search(r'href="([^"]*after=\d+[^"]*)"', html)
    assert newer is not None
    back = client.get(newer.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Product #70<" in back
    assert "Product #21<" in back
    assert "Product #20<" not in back


def test_aud_05_csv_export_with_the_bearer_token_and_audited(api_as: Callable[..., ApiClient]) -> None:
    api = api_as("manager")
    with api.client.application.test_request_context():
        audit.record("product_updated", "product", 5, details={"changed": {"unit_cost_minor": [100, 250]}})
        db.session.commit()
    response = api.get("/manager/audit.csv?entity_type=product")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    (row,) = _csv(response.get_data(as_text=True))
    assert row["what"] == "Product changed"
    assert row["action"] == "product_updated"
    assert row["details"] == "cost per vial: TRY1.00 → TRY2.50"
    assert row["at"].endswith("+03:00")
    exported = _entries("exported")
    assert [(e.entity_type, e.user_id) for e in exported] == [("audit", api.user.id)]
    assert api_as("nurse").get("/manager/audit.csv").status_code == 403
    assert api.client.get("/manager/audit.csv").status_code in (302, 401)


def test_aud_06_sign_in_sign_out_and_failures_are_audited(client: FlaskClient, db: Any) -> None:
    user = factories.UserFactory(username="ayse", roles=("nurse",))
    assert login(client, "ayse", "wrong-password").status_code == 200
    assert login(client, "nobody-here", "x").status_code == 200
    assert login(client, "ayse").status_code == 302
    page = client.get("/account").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    failed = _entries("sign_in_failed")
    assert [(e.details["username"], e.details["why"], e.entity_id) for e in failed] == [
        ("ayse", "invalid_credentials", user.id),
        ("nobody-here", "invalid_credentials", None),
    ]
    assert "password" not in str([e.details for e in failed]).replace("username", "")
    assert [e.user_id for e in _entries("signed_in")] == [user.id]
    assert [e.user_id for e in _entries("signed_out")] == [user.id]


def test_aud_06_api_tokens_sign_in_and_failures_are_audited(client: FlaskClient) -> None:
    factories.UserFactory(username="elif", roles=("manager",))
    assert client.post("/api/v1/tokens", json={"username": "elif", "password": "nope"}).status_code == 401
    assert (
        client.post("/api/v1/tokens", json={"username": "elif", "password": TEST_PASSWORD}).status_code == 201
    )
    assert [e.details["via"] for e in _entries("sign_in_failed")] == ["api"]
    assert [e.details["via"] for e in _entries("signed_in")] == ["api"]


def test_aud_07_downloads_of_orders_reports_and_recall_lists_are_audited(
    client: FlaskClient, login_as: Any
) -> None:
    manager: User = login_as("manager")
    with client.application.test_request_context():
        order = purchasing.create_order("Acme", "")
    assert client.get(f"/manager/orders/{order.id}.pdf").status_code == 200
    assert client.get(f"/manager/orders/{order.id}.csv").status_code == 200
    assert client.get("/manager/reports/waste.csv?from=2026-03-01&to=2026-03-10").status_code == 200
    rows = [(e.entity_type, e.entity_id, e.details["file"], e.user_id) for e in _entries("exported")]
    assert rows == [
        ("purchase_order", order.id, f"{order.number}.pdf", manager.id),
        ("purchase_order", order.id, f"{order.number}.csv", manager.id),
        ("report", None, "waste-2026-03-01-2026-03-10.csv", manager.id),
    ]


def _order(order_id: int) -> PurchaseOrder:
    order = db.session.get(PurchaseOrder, order_id)
    assert order is not None
    return order
