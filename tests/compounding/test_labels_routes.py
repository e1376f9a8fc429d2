"""/labels/…: PDF, ZPL, PNG, SVG and the network printer; every print recorded (api.md "Labels")."""

from __future__ import annotations

import base64
import io
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from inventory.models import AuditEntry, LabelPrint
from tests import factories
from tests.compounding.conftest import make_recipe, make_vials
from tests.labels.conftest import page_text
from tests.support import csrf_from


def _prepare(api: Any, recipe_id: int, **extra: Any) -> dict[str, Any]:
    body = {"recipe_id": recipe_id, "syringes": 3, "category": "category_1", "storage": "room", **extra}
    response = api.post("/api/v1/batches", json=body)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


@pytest.mark.parametrize("layout", ["roll-50x25", "roll-62x29", "zebra-2x1in", "a4-l7651", "a4-l7163"])
def test_batch_pdf_in_every_layout_is_recorded(
    api_as: Any, hair: dict[str, Any], db: Any, layout: str
) -> None:
    api = api_as("nurse")
    batch = _prepare(api, hair["recipe"].id)
    response = api.get(f"/labels/batches/{batch['id']}.pdf?layout={layout}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    row = db.session.scalar(select(LabelPrint))
    assert (row.layout, row.output, row.reprint, row.printed_by_id) == (layout, "pdf", False, api.user.id)
    assert sorted(row.syringe_codes) == sorted(s["code"] for s in batch["syringes"])
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "labels_printed"))


def test_a_second_print_is_a_reprint(api_as: Any, hair: dict[str, Any], db: Any) -> None:
    api = api_as("nurse")
    batch = _prepare(api, hair["recipe"].id)
    api.get(f"/labels/batches/{batch['id']}.pdf")
    api.get(f"/labels/batches/{batch['id']}.zpl")
    rows = list(db.session.scalars(select(LabelPrint).order_by(LabelPrint.id)))
    assert [(r.output, r.reprint) for r in rows] == [("pdf", False), ("zpl", True)]
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "labels_reprinted"))


def test_zpl_has_one_format_per_syringe_with_a_qr_of_its_code(api_as: Any, hair: dict[str, Any]) -> None:
    api = api_as("nurse")
    batch = _prepare(api, hair["recipe"].id)
    zpl = api.get(f"/labels/batches/{batch['id']}.zpl?layout=zebra-2x1in").get_data(as_text=True)
    qr_codes = re.findall(r"\^FDMA,(\w+)\^FS", zpl)
    assert zpl.count("^XA") == zpl.count("^XZ") == len(qr_codes)
    # in syringe order, each syringe's labels together (one, or two when the recipe continues)
    assert list(dict.fromkeys(qr_codes)) == [s["code"] for s in batch["syringes"]]
    assert "^BY2,3,10" in zpl  # LBL-04
    assert "BUD" in zpl
    assert "Exp" not in zpl


def test_zpl_of_a_sheet_layout_is_refused_not_a_500(api_as: Any, hair: dict[str, Any]) -> None:
    api = api_as("nurse")
    batch = _prepare(api, hair["recipe"].id)
    response = api.get(f"/labels/batches/{batch['id']}.zpl?layout=a4-l7651")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "unsupported_layout"


def test_unknown_layout_is_422(api_as: Any, hair: dict[str, Any]) -> None:
    api = api_as("nurse")
    batch = _prepare(api, hair["recipe"].id)
    response = api.get(f"/labels/batches/{batch['id']}.pdf?layout=nope")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "unknown_layout"


def _long_patient_batch(api_as: Any) -> dict[str, Any]:
    products = [
        factories.ProductFactory(name=f"A rather long product name number {i} 5 mL") for i in range(6)
    ]
    for product in products:
        make_vials(product)
    recipe = make_recipe([(p, 500) for p in products], name="Very long cocktail name for a tiny sheet label")
    patient = factories.PatientFactory(name="Işıl Güneş Çağlar-Karaosmanoğlu")
    return _prepare(api_as("nurse"), recipe.id, storage="fridge", patient_id=patient.id, syringes=1)


def _pdf_texts(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    try:
        return [page_text(page) for page in document]
    finally:
        document.close()


def test_lbl_02_a_recipe_too_long_for_one_label_continues_on_the_next(api_as: Any, app: Any) -> None:
    batch = _long_patient_batch(api_as)
    code = batch["syringes"][0]["code"]
    response = api_as("nurse").get(f"/labels/batches/{batch['id']}.pdf?layout=a4-l7651")
    assert response.status_code == 200
    texts = _pdf_texts(response.data)
    text = " ".join(texts)
    assert "Label 1/" in text
    assert "Label 2/" in text
    assert text.count(code) >= 2
    assert text.count("BUD ") >= 2
    for i in range(6):
        assert f"A rather long product name number {i} (100 mg/mL): 0.5 mL" in text  # never "5 mL 0.5 mL"
    assert "5 mL 0.5 mL" not in text


def test_calibration_pages(api_as: Any, hair: dict[str, Any]) -> None:
    api = api_as("nurse")
    batch = _prepare(api, hair["recipe"].id)
    assert api.get("/labels/calibration/roll-50x25.pdf").data.startswith(b"%PDF")
    assert api.get(f"/labels/batches/{batch['id']}.pdf?layout=a4-l7651&calibration=1").data.startswith(
        b"%PDF"
    )


def test_syringe_qr_png_and_svg(api_as: Any, hair: dict[str, Any], db: Any) -> None:
    api = api_as("nurse")
    code = _prepare(api, hair["recipe"].id)["syringes"][0]["code"]
    png = api.get(f"/labels/syringes/{code}.png")
    assert png.status_code == 200
    assert png.data.startswith(b"\x89PNG")
    svg = api.get(f"/labels/syringes/{code}.svg")
    assert svg.status_code == 200
    assert b"<svg" in svg.data
    assert [r.output for r in db.session.scalars(select(LabelPrint).order_by(LabelPrint.id))] == [
        "png",
        "svg",
    ]
    assert api.get("/labels/syringes/SNOTACODE00.png").status_code == 404


def test_labels_need_a_user_and_the_right_role(client: Any, api_as: Any, hair: dict[str, Any]) -> None:
    batch = _prepare(api_as("nurse"), hair["recipe"].id)
    anonymous = client.get(f"/labels/batches/{batch['id']}.pdf")
    assert anonymous.status_code == 302
    bad = client.get(f"/labels/batches/{batch['id']}.pdf", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.get_json()["error"]["code"] == "unauthorized"
    assert api_as("manager").get(f"/labels/batches/{batch['id']}.pdf").status_code == 403


def test_the_page_session_gets_the_pdf_too(
    login_as: Any, client: Any, api_as: Any, hair: dict[str, Any]
) -> None:
    batch = _prepare(api_as("nurse"), hair["recipe"].id)
    login_as("nurse")
    page = client.get(f"/labels/batches/{batch['id']}")
    assert page.status_code == 200
    assert batch["syringes"][0]["code"] in page.get_data(as_text=True)
    assert client.get(f"/labels/batches/{batch['id']}.pdf").data.startswith(b"%PDF")


class FakePrinter:
    """A raw-TCP label printer on 127.0.0.1 that keeps every byte it receives."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _address = self.server.accept()
        with connection:
            while chunk := connection.recv(65536):
                self.received += chunk

    def close(self) -> None:
        self.thread.join(timeout=5)
        self.server.close()


@pytest.fixture
def printer(app: Any) -> Iterator[FakePrinter]:
    fake = FakePrinter()
    app.config.update(LABEL_PRINTER_HOST="127.0.0.1", LABEL_PRINTER_PORT=fake.port)
    yield fake
    app.config.update(LABEL_PRINTER_HOST="", LABEL_PRINTER_PORT=9100)
    fake.close()


def test_send_zpl_to_the_network_printer(
    login_as: Any, client: Any, api_as: Any, hair: dict[str, Any], printer: FakePrinter, db: Any
) -> None:
    batch = _prepare(api_as("nurse"), hair["recipe"].id)
    login_as("nurse")
    page = client.get(f"/labels/batches/{batch['id']}?layout=zebra-2x1in")
    assert "127.0.0.1" in page.get_data(as_text=True)
    response = client.post(
        f"/labels/batches/{batch['id']}/send",
        data={"layout": "zebra-2x1in", "dpi": "203", "csrf_token": csrf_from(page.get_data(as_text=True))},
    )
    assert response.status_code == 302
    printer.thread.join(timeout=5)
    text = printer.received.decode("utf-8")
    assert text.count("^XA") >= 3
    assert all(s["code"] in text for s in batch["syringes"])
    assert db.session.scalar(select(LabelPrint.output)) == "printer"


def test_an_unreachable_printer_is_a_message_not_a_500(
    login_as: Any, client: Any, api_as: Any, hair: dict[str, Any], app: Any, db: Any
) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    app.config.update(LABEL_PRINTER_HOST="127.0.0.1", LABEL_PRINTER_PORT=port)
    try:
        batch = _prepare(api_as("nurse"), hair["recipe"].id)
        login_as("nurse")
        page = client.get(f"/labels/batches/{batch['id']}")
        response = client.post(
            f"/labels/batches/{batch['id']}/send",
            data={"layout": "roll-50x25", "dpi": "203", "csrf_token": csrf_from(page.get_data(as_text=True))},
            follow_redirects=True,
        )
        assert response.status_code == 200
        assert "did not answer" in response.get_data(as_text=True)
        assert db.session.scalar(select(LabelPrint.id)) is None
    finally:
        app.config.update(LABEL_PRINTER_HOST="", LABEL_PRINTER_PORT=9100)


def test_safe_03_a_quarantined_batch_is_not_labelled(api_as: Any, hair: dict[str, Any], db: Any) -> None:
    from inventory.models import Batch

    api = api_as("nurse")
    batch = _prepare(api, hair["recipe"].id)
    db.session.get(Batch, batch["id"]).status = "quarantined"
    db.session.commit()
    response = api.get(f"/labels/batches/{batch['id']}.pdf")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "batch_quarantined"
    assert db.session.scalar(select(LabelPrint.id)) is None


def test_an_unknown_batch_is_a_404_page_not_a_redirect_loop(login_as: Any, client: Any) -> None:
    login_as("nurse")
    assert client.get("/labels/batches/999.pdf").status_code == 404
    assert client.get("/labels/batches/999").status_code == 404


def test_a_refused_pdf_is_said_on_the_print_page_in_plain_words(
    login_as: Any, client: Any, api_as: Any, hair: dict[str, Any], db: Any
) -> None:
    from inventory.models import Batch

    batch = _prepare(api_as("nurse"), hair["recipe"].id)
    db.session.get(Batch, batch["id"]).status = "quarantined"
    db.session.commit()
    login_as("nurse")
    page = client.get(f"/labels/batches/{batch['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="label-refusal"' in html
    assert "is quarantined" in html
    assert 'data-testid="pdf-link"' not in html  # nothing to click that would be refused
    response = client.get(f"/labels/batches/{batch['id']}.zpl?layout=a4-l7651", follow_redirects=True)
    assert response.status_code == 200
    assert "is quarantined" in response.get_data(as_text=True)
    assert 'target="_blank"' not in html


def test_zpl_of_a_sheet_is_refused_in_plain_words_on_the_page(
    login_as: Any, client: Any, api_as: Any, hair: dict[str, Any]
) -> None:
    batch = _prepare(api_as("nurse"), hair["recipe"].id)
    login_as("nurse")
    response = client.get(f"/labels/batches/{batch['id']}.zpl?layout=a4-l7651", follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "ZPL is for Zebra roll printers" in html
    assert "render_pdf" not in html


@pytest.mark.parametrize("layout", ["roll-50x25", "a4-l7651", "a4-l7163"])
def test_the_preview_is_a_picture_of_the_real_output(
    login_as: Any, client: Any, api_as: Any, layout: str, db: Any
) -> None:
    batch = _long_patient_batch(api_as)
    code = batch["syringes"][0]["code"]
    login_as("nurse")
    html = client.get(f"/labels/batches/{batch['id']}?layout={layout}").get_data(as_text=True)
    pictures = re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)
    assert pictures
    for picture in pictures:  # each picture is a label that scans, as printed
        image = Image.open(io.BytesIO(base64.b64decode(picture)))
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)  # type: ignore[arg-type]
        assert [(s.text, s.format) for s in found] == [(code, zxingcpp.BarcodeFormat.QRCode)]
    assert db.session.scalar(select(LabelPrint.id)) is None  # a preview is not a print
