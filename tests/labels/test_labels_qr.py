"""QR images: standard QR symbols holding exactly the code, as PNG and SVG; random valid codes
render and scan on the smallest roll."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pypdfium2 as pdfium
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from labels import Ingredient, SyringeLabel, qr_png, qr_svg, render_pdf
from labels.qr import qr_matrix

QR = zxingcpp.BarcodeFormat.QRCode
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def test_png_scans_as_standard_qr_with_the_code():
    image = Image.open(io.BytesIO(qr_png("S7K3M9QX2A", module_px=4)))

    found = zxingcpp.read_barcodes(image)
    assert [(symbol.text, symbol.format) for symbol in found] == [("S7K3M9QX2A", QR)]
    assert image.size == ((21 + 8) * 4, (21 + 8) * 4)  # version 1 plus a 4-module quiet zone


def test_svg_is_well_formed_with_an_svg_root():
    root = ET.fromstring(qr_svg("S7K3M9QX2A"))

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 29 29"


def test_upper_case_codes_use_alphanumeric_mode():
    # 20 characters fit version 1-M only in alphanumeric mode (byte mode holds 14).
    assert len(qr_matrix("S0123456789ABCDEFGHJ")) == 21


def test_format_check_tells_micro_qr_apart():
    micro = zxingcpp.create_barcode("S7K3", zxingcpp.BarcodeFormat.MicroQRCode)
    image = zxingcpp.write_barcode_to_image(micro, scale=8, add_quiet_zones=True)

    found = zxingcpp.read_barcodes(image, formats=QR)  # type: ignore[arg-type]
    assert [symbol.format for symbol in found] == [zxingcpp.BarcodeFormat.MicroQRCode]


codes = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from("SVB"),
    st.text(alphabet=CROCKFORD, min_size=8, max_size=12),
)


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(code=codes)
def test_random_codes_render_and_scan_on_the_smallest_roll(code):
    vitamin = (Ingredient("Vitamin C", "1 mL"),)
    label = SyringeLabel(code, "Cocktail", vitamin, "1 mL", "ID", "2025-03-10 21:00", None, "B1", 1, 1, "AK")
    document = pdfium.PdfDocument(render_pdf([label], "roll-50x25"))
    try:
        page = document[0]
        image = page.render(scale=203 / 72, grayscale=True).to_pil()
        page.close()
    finally:
        document.close()

    found = zxingcpp.read_barcodes(image, formats=QR)  # type: ignore[arg-type]
    assert [(symbol.text, symbol.format) for symbol in found] == [(code, QR)]
