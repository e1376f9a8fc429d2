"""Go-live import (issue 14 §6): catalogue and opening stock from CSV or .xlsx, a dry run with every
row's outcome, errors by line and column, all or nothing, audited, a template to download."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import Workbook

from inventory import clock
from inventory.models import AuditEntry, Lot, Product, Vial
from tests import factories
from tests.support import csrf_from

HEADER = "name,category,strength,container,volume_ml,storage,in_use_days,sterile,biological,gtin,reorder_point,reorder_quantity,lead_time_days,unit_cost\n"  # noqa: E501
GOOD = (
    HEADER
    + "Lidocaine HCl 2% 20 mL,anaesthetic,20 mg/mL,multi_dose,20,room,28,true,false,"
    + "00363323208011,4,10,7,12.50\n"
    + "Biotin 5 mg/mL 1 mL,vitamin,5 mg/mL,single_dose,1,room,,true,false,,2,10,7,3.20\n"
)


def _post(api, path, content, filename="catalogue.csv"):
    return api.client.post(
        path,
        data={"file": (io.BytesIO(content), filename)},
        headers=api.headers,
        content_type="multipart/form-data",
    )


def _count(db, model):
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_import_dry_run_shows_every_row_and_stores_nothing(db, api_as):
    api = api_as("manager")
    response = _post(api, "/api/v1/imports/products?dry_run=true", GOOD.encode())
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "rows": [{"line": 2, "status": "ok", "errors": {}}, {"line": 3, "status": "ok", "errors": {}}],
        "created": 0,
    }
    assert _count(db, Product) == 0
    done = _post(api, "/api/v1/imports/products", GOOD.encode())
    assert done.status_code == 200
    assert done.get_json()["created"] == 2
    lido = db.session.scalars(db.select(Product).where(Product.gtin == "00363323208011")).one()
    assert (lido.volume_ul, lido.unit_cost_minor, lido.in_use_days) == (20_000, 1250, 28)
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "import_products")).one()
    assert entry.details == {"file": "catalogue.csv", "rows": 2, "created": 2}
    assert (
        len(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "product_created")).all())
        == 2
    )


def test_import_one_bad_row_creates_nothing_and_says_line_and_column(db, api_as):
    factories.ProductFactory(name="Already here 5 mL")
    db.session.commit()
    bad = (
        GOOD
        + "Vitamin C 5 mL,vitamin,,ampoule,-5,room,,true,false,,0,0,7,1\n"
        + "Already here 5 mL,vitamin,,ampoule,5,room,,true,false,00363323208012,0,0,7,1\n"
        + "Odd,vitamin,,ampoule,5,attic,,maybe,false,,0,0,7,1\n"
    )
    response = _post(api_as("manager"), "/api/v1/imports/products", bad.encode())
    assert response.status_code == 422
    body = response.get_json()
    assert body["created"] == 0
    assert body["error"]["code"] == "import_failed"
    rows = {row["line"]: row for row in body["rows"]}
    assert rows[2]["status"] == rows[3]["status"] == "ok"
    assert set(rows[4]["errors"]) == {"volume_ml"}
    assert set(rows[5]["errors"]) == {"gtin"}  # invalid check digit
    assert set(rows[6]["errors"]) == {"storage", "sterile"}
    assert _count(db, Product) == 1  # all or nothing


def test_import_products_from_xlsx(db, api_as):
    book = Workbook()
    sheet = book.active
    for line in GOOD.strip().splitlines():
        sheet.append(line.split(","))
    sheet.append(
        ["Caffeine 5 mL", "extract", "", "ampoule", 5, "room", None, True, False, None, 0, 0, 7, 1.5]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    response = _post(api_as("admin"), "/api/v1/imports/products", buffer.getvalue(), "catalogue.xlsx")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 3
    assert (
        db.session.scalars(db.select(Product).where(Product.name == "Caffeine 5 mL")).one().unit_cost_minor
        == 150
    )


def test_import_opening_stock_by_gtin_or_name(db, api_as):
    lido = factories.ProductFactory(name="Lidocaine HCl 2% 20 mL", gtin="00363323208011", volume_ul=20_000)
    factories.ProductFactory(name="Biotin 5 mg/mL 1 mL", volume_ul=1000)
    db.session.commit()
    expiry = (clock.today() + timedelta(days=300)).isoformat()
    csv = (
        "product_gtin,product_name,lot,expiry,vials,supplier,unit_cost,location\n"
        f"00363323208011,,lido-77,{expiry},3,Acme,12.50,Shelf A\n"
        f",Biotin 5 mg/mL 1 mL,BIO-1,{expiry},2,,,Fridge 1\n"
    )
    api = api_as("manager")
    dry = _post(api, "/api/v1/imports/stock?dry_run=true", csv.encode(), "stock.csv")
    assert dry.status_code == 200
    assert _count(db, Vial) == 0
    response = _post(api, "/api/v1/imports/stock", csv.encode(), "stock.csv")
    assert response.status_code == 200, response.get_json()
    lot = db.session.scalars(db.select(Lot).where(Lot.product_id == lido.id)).one()
    assert (lot.number, lot.expiry) == ("LIDO-77", date.fromisoformat(expiry))
    assert _count(db, Vial) == 5
    assert {v.location for v in db.session.scalars(db.select(Vial))} == {"Shelf A", "Fridge 1"}


def test_import_stock_errors_unknown_product_expired_lot_and_not_for_nurses(db, api_as):
    factories.ProductFactory(name="Biotin 5 mg/mL 1 mL", volume_ul=1000)
    db.session.commit()
    past = (clock.today() - timedelta(days=1)).isoformat()
    csv = (
        "product_gtin;product_name;lot;expiry;vials\n"
        f"09506000134352;;A1;{past};1\n"
        f";Biotin 5 mg/mL 1 mL;B1;{past};1\n"
        ";Biotin 5 mg/mL 1 mL;B2;2030-01-01;0\n"
    )
    response = _post(api_as("manager"), "/api/v1/imports/stock", csv.encode(), "stock.csv")
    assert response.status_code == 422
    rows = {row["line"]: row["errors"] for row in response.get_json()["rows"]}
    assert set(rows[2]) == {"product_gtin"}
    assert rows[3]
    assert set(rows[4]) == {"vials"}
    assert _count(db, Vial) == 0
    assert _post(api_as("nurse"), "/api/v1/imports/stock", csv.encode(), "stock.csv").status_code == 403


def test_import_refuses_a_file_that_is_not_csv_or_xlsx(api_as):
    api = api_as("manager")
    response = _post(api, "/api/v1/imports/products", b"%PDF-1.4", "catalogue.pdf")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"file": "CSV or .xlsx."}
    fake = _post(api, "/api/v1/imports/products", b"not a zip", "catalogue.xlsx")
    assert fake.status_code == 422
    assert fake.get_json()["error"]["code"] == "invalid_file"
    assert api.client.post("/api/v1/imports/products", headers=api.headers).status_code == 422


def test_import_pages_check_then_import_and_offer_the_template(db, client, login_as):
    login_as("manager")
    template = client.get("/imports/template/products.csv")
    assert template.status_code == 200
    assert template.get_data(as_text=True).startswith("name,category,")
    page = client.get("/imports").get_data(as_text=True)
    assert "Download the template" in page

    def send(action, content):
        return client.post(
            "/imports",
            data={
                "kind": "products",
                "action": action,
                "csrf_token": csrf_from(page),
                "file": (io.BytesIO(content), "c.csv"),
            },
            content_type="multipart/form-data",
        ).get_data(as_text=True)

    checked = send("check", GOOD.encode())
    assert "Every row can be imported" in checked
    assert _count(db, Product) == 0
    wrong = send("import", (GOOD + "X,vitamin,,ampoule,abc,room,,true,false,,0,0,7,1\n").encode())
    assert "nothing was imported" in wrong
    assert "<code>volume_ml</code>" in wrong
    assert _count(db, Product) == 0
    done = send("import", GOOD.encode())
    assert "2 rows imported." in done
    assert _count(db, Product) == 2
