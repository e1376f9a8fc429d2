from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeAlias

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from labels import Ingredient, SyringeLabel, VialLabel

Page: TypeAlias = pdfium.PdfPage


@pytest.fixture
def syringe() -> SyringeLabel:
    """A patient-specific, refrigerated syringe with Turkish letters: the richest usual label."""
    return SyringeLabel(
        code="S7K3M9QX2A",
        recipe_name="Saç kokteyli",
        ingredients=(
            Ingredient("Hyaluronic acid 1.5 %", "1 mL", "15 mg/mL"),
            Ingredient("Vitamin C", "0.5 mL", "100 mg/mL"),
            Ingredient("Lidocaine 2 %", "0.2 mL"),
        ),
        total_volume="1.7 mL",
        route="ID",
        bud="2025-03-10 21:00",
        storage="Refrigerate 2–8 °C",
        batch_code="B4H8N2KQ7R",
        index=1,
        count=3,
        preparer_initials="AK",
        patient_name="Işıl Güneş Çağlar",
        patient_dob="1990-04-12",
    )


@pytest.fixture
def stock_syringe() -> SyringeLabel:
    """A syringe prepared ahead for the clinic, not for a patient, kept at room temperature."""
    return SyringeLabel(
        code="S2W9PQ4ZKD",
        recipe_name="NCTF boost",
        ingredients=(Ingredient("Polynucleotides", "1 mL"), Ingredient("Vitamin C", "0.5 mL")),
        total_volume="1.5 mL",
        route="ID",
        bud="2025-03-10 13:30",
        storage=None,
        batch_code="B9QX7M2KHT",
        index=1,
        count=3,
        preparer_initials="MY",
    )


@pytest.fixture
def vial() -> VialLabel:
    return VialLabel(
        code="V9M2K7QX4B",
        product_name="Lidocaine 2 % 20 mL",
        lot="ABC123",
        expiry="2026-05-31",
        multi_dose=True,
        opened_at="2025-03-10 09:00",
        usable_until="2025-04-07 09:00",
    )


def render_page(page: Page, dpi: int) -> Image.Image:
    return page.render(scale=dpi / 72, grayscale=True).to_pil()


def page_text(page: Page) -> str:
    """The page's text with every run of white space (line ends included) made one space."""
    return " ".join(page.get_textpage().get_text_range().split())


@pytest.fixture
def pdf_pages() -> Iterator[Callable[[bytes], list[Page]]]:
    """Opens a PDF and returns its pages; everything is closed after the test."""
    opened: list[pdfium.PdfDocument | Page] = []

    def open_pages(data: bytes) -> list[Page]:
        document = pdfium.PdfDocument(data)
        pages = list(document)
        opened.extend([document, *pages])
        return pages

    yield open_pages
    for item in reversed(opened):
        item.close()


@pytest.fixture
def decode_qr() -> Callable[[Page, int], list[zxingcpp.Barcode]]:
    """Every QR-family symbol on the page rendered at dpi (Micro QR included: callers check the format)."""

    def decode(page: Page, dpi: int) -> list[zxingcpp.Barcode]:
        return list(zxingcpp.read_barcodes(render_page(page, dpi), formats=zxingcpp.BarcodeFormat.QRCode))  # type: ignore[arg-type]

    return decode


@pytest.fixture
def text_of() -> Callable[[Page], str]:
    return page_text
