"""PDF labels: they scan as standard QR codes, state the facts, embed a font with Turkish letters,
and never shrink text under 5 pt or clip it."""

from __future__ import annotations

import dataclasses

import pytest
import zxingcpp

from labels import (
    LAYOUTS,
    Captions,
    Ingredient,
    LabelDoesNotFit,
    Layout,
    SyringeLabel,
    VialLabel,
    render_calibration_pdf,
    render_pdf,
)
from labels.compose import LabelArt, compose
from labels.typeset import MIN_FONT_PT, PT_PER_MM, runs_width_mm

ROLLS = [name for name, layout in LAYOUTS.items() if layout.is_roll]
SHEETS = [name for name, layout in LAYOUTS.items() if layout.is_sheet]
QR = zxingcpp.BarcodeFormat.QRCode


def assert_one_standard_qr(found: list[zxingcpp.Barcode], code: str) -> None:
    assert [(symbol.text, symbol.format) for symbol in found] == [(code, QR)]


def test_layouts_include_the_five_stocks() -> None:
    assert {"roll-50x25", "roll-62x29", "zebra-2x1in", "a4-l7651", "a4-l7163"} <= set(LAYOUTS)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("layout", ROLLS)
def test_each_roll_label_scans_as_standard_qr(layout, dpi, syringe, vial, pdf_pages, decode_qr):
    pages = pdf_pages(render_pdf([syringe, vial], layout))

    parts = len(compose(syringe, LAYOUTS[layout], Captions()))
    assert len(pages) == parts + 1
    for page in pages[:parts]:
        assert_one_standard_qr(decode_qr(page, dpi), syringe.code)
    assert_one_standard_qr(decode_qr(pages[-1], dpi), vial.code)


@pytest.mark.parametrize("layout", ROLLS)
def test_roll_page_is_exactly_the_label(layout, syringe, pdf_pages):
    spec = LAYOUTS[layout]
    for page in pdf_pages(render_pdf([syringe], layout)):
        width, height = page.get_size()
        assert width == pytest.approx(spec.label_width_mm * PT_PER_MM, abs=0.01)
        assert height == pytest.approx(spec.label_height_mm * PT_PER_MM, abs=0.01)


def test_pdf_asks_viewers_to_print_at_actual_size(syringe):
    assert b"/PrintScaling /None" in render_pdf([syringe], "roll-50x25")


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("sheet", SHEETS)
def test_sheet_finds_every_code_and_starts_a_new_page_when_full(
    sheet, dpi, stock_syringe, pdf_pages, decode_qr
):
    spec = LAYOUTS[sheet]
    labels = [
        dataclasses.replace(stock_syringe, code=f"S{number:04d}K7QX2", index=1 + number % 3)
        for number in range(spec.per_page + 2)
    ]
    pages = pdf_pages(render_pdf(labels, sheet))

    assert len(pages) == 2
    first = decode_qr(pages[0], dpi)
    assert {symbol.format for symbol in first} == {QR}
    assert sorted(symbol.text for symbol in first) == sorted(label.code for label in labels[: spec.per_page])
    second = decode_qr(pages[1], dpi)
    assert sorted(symbol.text for symbol in second) == sorted(label.code for label in labels[spec.per_page :])


def test_sheet_skip_leaves_used_cells_empty(stock_syringe, pdf_pages, decode_qr):
    (page,) = pdf_pages(render_pdf([stock_syringe], "a4-l7651", skip=7))

    (symbol,) = decode_qr(page, 203)
    left, top = LAYOUTS["a4-l7651"].cell_origin_mm(7)
    assert symbol.position.top_left.x / 203 * 25.4 == pytest.approx(left + 1.5, abs=0.5)
    assert symbol.position.top_left.y / 203 * 25.4 == pytest.approx(top + 1.5, abs=0.5)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_calibration_page_scans_and_names_the_layout(layout, dpi, pdf_pages, decode_qr, text_of):
    spec = LAYOUTS[layout]
    (page,) = pdf_pages(render_calibration_pdf(layout))

    found = decode_qr(page, dpi)
    assert found
    assert {(symbol.text, symbol.format) for symbol in found} == {("CALIBRATE", QR)}
    text = text_of(page)
    assert spec.name in text
    assert spec.size_text in text
    assert "10 mm" in text
    assert page.get_size() == pytest.approx(tuple(side * PT_PER_MM for side in spec.page_size_mm), abs=0.01)


@pytest.mark.parametrize("layout", ROLLS)
def test_bud_01_syringe_label_states_the_facts(layout, syringe, pdf_pages, text_of):
    text = " ".join(text_of(page) for page in pdf_pages(render_pdf([syringe], layout)))

    for fact in (
        "Saç kokteyli",
        "Hyaluronic acid 1.5 % (15 mg/mL): 1 mL",
        "Vitamin C (100 mg/mL): 0.5 mL",
        "Lidocaine 2 %: 0.2 mL",
        "Total 1.7 mL",
        "Route ID",
        "BUD 2025-03-10 21:00",
        "Refrigerate 2–8 °C",
        "Compounded",
        "Batch B4H8N2KQ7R",
        "Syringe 1 of 3",
        "Prep AK",
        "Patient Işıl Güneş Çağlar",
        "DOB 1990-04-12",
        "S7K3M9QX2A",
    ):
        assert fact in text
    assert "Exp" not in text


def test_bud_01_sheet_label_states_the_facts(stock_syringe, pdf_pages, text_of):
    (page,) = pdf_pages(render_pdf([stock_syringe], "a4-l7651"))
    text = text_of(page)

    for fact in (
        "NCTF boost",
        "Polynucleotides: 1 mL",
        "BUD 2025-03-10 13:30",
        "1 of 3",
        "Prep MY",
        "Compounded",
    ):
        assert fact in text
    assert "Exp" not in text


def test_room_temperature_and_stock_syringes_leave_storage_and_patient_out(stock_syringe, pdf_pages, text_of):
    (page,) = pdf_pages(render_pdf([stock_syringe], "roll-50x25"))
    text = text_of(page)

    assert "Refrigerate" not in text
    assert "Patient" not in text
    assert "DOB" not in text


def test_turkish_captions_and_letters_survive_the_embedded_font(syringe, pdf_pages, text_of):
    turkish = Captions(
        bud="SKT",
        compounded="Hazırlanmış",
        syringe_of="Şırınga {index}/{count}",
        batch="Parti",
        prepared_by="Hazırlayan",
        patient="Hasta",
        dob="Doğum",
        total="Toplam",
        route="Yol",
    )
    pdf = render_pdf([syringe], "roll-62x29", turkish)
    (page,) = pdf_pages(pdf)
    text = text_of(page)

    for fact in ("Hasta Işıl Güneş Çağlar", "Saç kokteyli", "Şırınga 1/3", "Hazırlanmış", "Doğum 1990-04-12"):
        assert fact in text
    assert b"FontFile2" in pdf  # TrueType embedded, not a standard font without ş ğ ı


def test_vial_label_states_the_facts(vial, pdf_pages, text_of):
    (page,) = pdf_pages(render_pdf([vial], "roll-50x25"))
    text = text_of(page)

    for fact in (
        "Lidocaine 2 % 20 mL",
        "Lot ABC123",
        "Exp 2026-05-31",
        "Opened 2025-03-10 09:00",
        "Use by 2025-04-07 09:00",
    ):
        assert fact in text
    assert "V9M2K7QX4B" in text


def assert_legible_and_inside(art: LabelArt, margin: float) -> None:
    qr = art.qr
    assert qr.module_mm == qr.module_dots * 0.125  # whole 203 dpi dots
    assert qr.x_mm >= qr.quiet_mm
    assert qr.y_mm >= qr.quiet_mm
    qr_right = qr.x_mm + qr.side_mm + qr.quiet_mm
    qr_bottom = qr.y_mm + qr.side_mm + qr.quiet_mm
    assert qr_right <= art.width_mm
    assert qr_bottom <= art.height_mm
    for line in art.lines:
        assert line.size_pt >= MIN_FONT_PT
        assert line.x_mm >= qr_right - 1e-6 or line.top_mm >= qr_bottom - 1e-6  # off the quiet zone
        assert line.x_mm + runs_width_mm(line.runs, line.size_pt) <= art.width_mm - margin + 1e-6
        assert line.top_mm + line.size_pt * 1.15 / PT_PER_MM <= art.height_mm - margin + 1e-6


@pytest.mark.parametrize("layout", ROLLS)
def test_quiet_zone_whole_dots_and_no_clipping(layout, syringe, vial):
    spec = LAYOUTS[layout]
    for label in (syringe, vial):
        for art in compose(label, spec, Captions()):
            assert_legible_and_inside(art, spec.margin_mm)


def test_lbl_02_long_ingredient_list_shrinks_but_stays_at_6_pt_or_more_on_rolls(syringe):
    many = tuple(Ingredient(f"Extract {n}", f"0.{n} mL") for n in range(1, 6))
    label = dataclasses.replace(syringe, ingredients=many, patient_name=None, patient_dob=None, storage=None)
    spec = LAYOUTS["roll-62x29"]

    (art,) = compose(label, spec, Captions())

    assert_legible_and_inside(art, spec.margin_mm)
    assert spec.min_font_pt <= min(line.size_pt for line in art.lines) < spec.max_font_pt


def test_lbl_02_huge_ingredient_list_continues_instead_of_refusing_or_rendering_tiny(syringe):
    many = tuple(Ingredient(f"Polydeoxyribonucleotide fraction {n}", "0.05 mL") for n in range(40))
    label = dataclasses.replace(syringe, ingredients=many)
    spec = LAYOUTS["roll-50x25"]

    arts = compose(label, spec, Captions())

    assert len(arts) > 2
    texts = [" ".join(line.text for line in art.lines) for art in arts]
    for part, (art, text) in enumerate(zip(arts, texts, strict=True), start=1):
        assert_legible_and_inside(art, spec.margin_mm)
        assert min(line.size_pt for line in art.lines) >= spec.min_font_pt
        assert f"Label {part}/{len(arts)}" in text
        assert "BUD 2025-03-10 21:00" in text
        assert "S7K3M9QX2A" in text
    every = " ".join(texts)
    for n in range(40):
        assert every.count(f"fraction {n}:") == 1


def test_a_qr_that_cannot_fit_is_still_refused_with_the_reason(syringe):
    tiny = Layout("roll-10x5", "Roll 10 x 5 mm", 10, 5)
    with pytest.raises(LabelDoesNotFit, match="roll-10x5"):
        render_pdf([syringe], tiny)


def test_label_does_not_fit_is_a_value_error():
    assert issubclass(LabelDoesNotFit, ValueError)


def test_unknown_layout_and_empty_input_are_refused(syringe):
    with pytest.raises(ValueError, match="roll-50x25"):
        render_pdf([syringe], "roll-99x99")
    with pytest.raises(ValueError, match="no labels"):
        render_pdf([], "roll-50x25")


def test_syringe_number_must_be_within_its_batch():
    with pytest.raises(ValueError, match="index"):
        SyringeLabel("S7K3M9QX2A", "R", (), "1 mL", "ID", "2025-03-10 21:00", None, "B1", 4, 3, "AK")


def test_vial_code_must_not_be_blank():
    with pytest.raises(ValueError, match="non-empty"):
        VialLabel(" ", "P", "L", "2026-01-31")
