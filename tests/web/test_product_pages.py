"""Product pages: managers create and edit, everyone reads; bad input keeps what was typed."""

from __future__ import annotations

from inventory.models import AuditEntry, Product
from tests import factories
from tests.support import csrf_from

FORM = {
    "name": "Biotin 5 mg/mL 1 mL",
    "category": "vitamin",
    "strength": "5 mg/mL",
    "container": "ampoule",
    "volume_ul": "1",
    "storage": "room",
    "in_use_days": "",
    "sterile": "y",
    "gtin": "",
    "reorder_point": "4",
    "reorder_quantity": "10",
    "lead_time_days": "7",
    "unit_cost_minor": "6,00",
    "active": "y",
}


def test_manager_creates_a_product_typing_a_decimal_comma(client, login_as, db):
    login_as("manager")
    page = client.get("/products/new")
    response = client.post(
        "/products/new", data={**FORM, "volume_ul": "2,5", "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302
    product = db.session.scalars(db.select(Product)).one()
    assert product.volume_ul == 2500
    assert product.unit_cost_minor == 600
    # signing in is audited too: the product's own entry is the one about it
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.entity_type == "product")).one()
    assert (entry.action, entry.entity_id) == ("product_created", product.id)


def test_a_bad_form_keeps_what_was_typed_and_says_what_is_wrong(client, login_as, db):
    login_as("manager")
    page = client.get("/products/new")
    data = {**FORM, "volume_ul": "2,5555", "gtin": "12345", "csrf_token": csrf_from(page.text)}
    response = client.post("/products/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "at most 3 decimals" in html
    assert 'value="2,5555"' in html
    assert 'value="Biotin 5 mg/mL 1 mL"' in html
    assert db.session.scalar(db.select(db.func.count(Product.id))) == 0


def test_a_wrong_gtin_check_digit_is_shown_on_the_form(client, login_as, db):
    login_as("manager")
    page = client.get("/products/new")
    response = client.post(
        "/products/new", data={**FORM, "gtin": "09506000134353", "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Product.id))) == 0


def test_editing_records_the_changed_fields(client, login_as, db):
    login_as("manager")
    product = factories.ProductFactory(name="Caffeine 5 mL", reorder_point=2)
    page = client.get(f"/products/{product.id}/edit")
    assert page.status_code == 200
    data = {**FORM, "name": "Caffeine 5 mL", "reorder_point": "5", "csrf_token": csrf_from(page.text)}
    assert client.post(f"/products/{product.id}/edit", data=data).status_code == 302
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "product_updated")).one()
    assert entry.details["changed"]["reorder_point"] == [2, 5]
    history = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "product_updated" in history


def test_nurse_reads_but_cannot_create(client, login_as):
    login_as("nurse")
    factories.ProductFactory(name="Saline 10 mL")
    listing = client.get("/products/")
    assert "Saline 10 mL" in listing.get_data(as_text=True)
    assert "New product" not in listing.get_data(as_text=True)
    assert client.get("/products/new").status_code == 403


def test_empty_catalogue_says_what_to_do(client, login_as):
    login_as("manager")
    html = client.get("/products/").get_data(as_text=True)
    assert "The catalogue is empty" in html
    assert "Add the first product" in html


def test_audit_page_filters_by_action(client, login_as):
    login_as("manager")
    page = client.get("/products/new")
    client.post("/products/new", data={**FORM, "csrf_token": csrf_from(page.text)})
    html = client.get("/manager/audit?action=product_created").get_data(as_text=True)
    assert "product_created" in html
    html = client.get("/manager/audit?action=login_locked").get_data(as_text=True)
    assert "No entry matches these filters." in html
