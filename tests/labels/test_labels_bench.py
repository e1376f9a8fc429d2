"""Issue 12 "done when": every demo recipe and a synthetic 8-ingredient one render on every layout
at 203 and 300 dpi, continuing on a second label rather than refusing (LBL-02); every QR decodes as
a standard QR with a clear quiet zone of 4 modules; the text is "name (strength): amount" per
ingredient, never the pack size, never two bare volumes in a row (LBL-01, the ISMP check)."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from inventory.demo.catalogue import DEMO_PRODUCTS, DEMO_RECIPES
from inventory.rules.labelling import default_label_name, has_two_bare_volumes
from labels import LAYOUTS, Captions, Ingredient, SyringeLabel, render_pdf, render_zpl
from labels.compose import compose, ingredient_text
from labels.qr import QUIET_ZONE_MODULES, qr_matrix
from labels.typeset import words_of
from tests.labels.conftest import render_page

QR = zxingcpp.BarcodeFormat.QRCode
PRODUCTS = {row[0]: row for row in DEMO_PRODUCTS}
UNIT_START = re.compile(r"^(?:mL|µL|L|mg|U|%|°C)(?=$|[\s):·])")


def _product(prefix: str) -> tuple[str, str, int]:
    (name,) = [name for name in PRODUCTS if name.startswith(prefix)]
    return name, PRODUCTS[name][2], PRODUCTS[name][4]


def _demo_label(recipe: str, parts: tuple[tuple[str, float], ...], **extra: object) -> SyringeLabel:
    items = []
    for prefix, ml in parts:
        name, strength, _pack = _product(prefix)
        items.append(Ingredient(default_label_name(name), f"{ml:g} mL", strength))
    total = sum(ml for _prefix, ml in parts)
    return SyringeLabel(
        code="S7K3M9QX2A",
        recipe_name=recipe,
        ingredients=tuple(items),
        total_volume=f"{total:g} mL",
        route="Subcutaneous",
        bud="2026-12-02 21:00",
        storage="Refrigerate 2–8 °C",
        batch_code="B4H8N2KQ7R",
        index=3,
        count=12,
        preparer_initials="AK",
        patient_name="Işıl Güneş Çağlar-Karaosmanoğlu",
        patient_dob="1990-04-12",
        **extra,
    )


EIGHT = tuple(
    (prefix, 0.5)
    for prefix in (
        "Non-crosslinked",
        "Vitamin C",
        "Dexpanthenol",
        "Biotin",
        "Hyaluronidase",
        "Lidocaine",
        "Phosphatidylcholine",
        "Sodium chloride",
    )
)
CASES = {recipe: _demo_label(recipe, parts) for recipe, _indication, _route, parts in DEMO_RECIPES}
CASES["Synthetic 8-ingredient cocktail"] = _demo_label("Synthetic 8-ingredient cocktail", EIGHT)


def _quiet_zone_is_white(image: Image.Image, symbol: zxingcpp.Barcode, modules: int) -> None:
    xs = [symbol.position.top_left.x, symbol.position.bottom_right.x]
    ys = [symbol.position.top_left.y, symbol.position.bottom_right.y]
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    module = (right - left) / modules  # zxing gives the symbol's outer corners
    quiet = QUIET_ZONE_MODULES * module
    inset = max(2.0, module)  # zxing's corners are a pixel or two off at 203 dpi
    ring = tuple(
        round(v)
        for v in (left - quiet + inset, top - quiet + inset, right + quiet - inset, bottom + quiet - inset)
    )
    gray = image.convert("L")
    for x in range(ring[0], ring[2]):
        for y in (ring[1], ring[3]):
            assert _light(gray, x, y), "a mark in the QR's quiet zone"
    for y in range(ring[1], ring[3]):
        for x in (ring[0], ring[2]):
            assert _light(gray, x, y), "a mark in the QR's quiet zone"


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("recipe", list(CASES))
def test_lbl_02_every_recipe_prints_on_every_layout_and_every_qr_decodes(
    recipe, layout, dpi, pdf_pages, text_of
):
    label = CASES[recipe]
    spec = LAYOUTS[layout]
    arts = compose(label, spec, Captions())
    pdf = render_pdf([label], layout)

    modules = len(qr_matrix(label.code))
    found = []
    for page in pdf_pages(pdf):
        image = render_page(page, dpi)
        symbols = zxingcpp.read_barcodes(image, formats=QR)  # type: ignore[arg-type]
        for symbol in symbols:
            _quiet_zone_is_white(image, symbol, modules)
        found += [(symbol.text, symbol.format) for symbol in symbols]
    assert found == [(label.code, QR)] * len(arts)  # every label of the syringe scans, as standard QR

    for part, art in enumerate(arts, start=1):
        assert min(line.size_pt for line in art.lines) >= spec.min_font_pt
        text = " ".join(line.text for line in art.lines)
        assert label.code in text
        assert f"BUD {label.bud}" in text
        if len(arts) > 1:
            assert f"{part}/{len(arts)}" in text
    assert len(arts) <= (2 if layout == "a4-l7163" else 7)
    if recipe != "Synthetic 8-ingredient cocktail" and layout == "a4-l7163":
        assert len(arts) == 1  # the large sheet holds every demo recipe on one label


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("recipe", list(CASES))
def test_lbl_01_pdf_text_is_name_strength_then_the_amount_in_this_syringe(recipe, layout, pdf_pages, text_of):
    label = CASES[recipe]
    text = " ".join(text_of(page) for page in pdf_pages(render_pdf([label], layout)))

    for item in label.ingredients:  # a word too long for the cell may break: compare without spaces
        assert ingredient_text(item).replace(" ", "") in text.replace(" ", "")
    for prefix, ml in dict(EIGHT).items() if recipe.startswith("Synthetic") else ():
        _name, _strength, pack = _product(prefix)
        if pack != ml:
            assert f"{pack:g} mL: " not in text
            assert f"{pack:g} mL {ml:g} mL" not in text
    assert not has_two_bare_volumes(text), text
    assert "Exp" not in text


def test_lbl_01_demo_names_lose_their_pack_size_on_labels():
    assert ingredient_text(
        Ingredient(default_label_name("Vitamin C 100 mg/mL 5 mL"), "1 mL", "100 mg/mL")
    ) == ("Vitamin C (100 mg/mL): 1 mL")
    assert ingredient_text(
        Ingredient(default_label_name("Non-crosslinked hyaluronic acid 1% 2 mL"), "2 mL", "10 mg/mL")
    ) == ("Non-crosslinked hyaluronic acid 1% (10 mg/mL): 2 mL")
    assert default_label_name("Phosphatidylcholine/deoxycholate 250 mg/5 mL (off-label)").endswith(
        "(off-label)"
    )


@pytest.mark.parametrize(
    "text",
    ["Vitamin C 100 mg/mL 5 mL 1 mL", "hyaluronic acid 1% 2 mL 2 mL", "Saline 10 mL 0,5 mL"],
)
def test_ismp_check_catches_the_labels_of_issue_12(text):
    assert has_two_bare_volumes(text)


@pytest.mark.parametrize("dpi_dots", [8, 12])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("recipe", list(CASES))
def test_lbl_01_a_number_and_its_unit_are_never_split_across_lines(recipe, layout, dpi_dots):
    for art in compose(CASES[recipe], LAYOUTS[layout], Captions(), dpi_dots):
        texts = [line.text for line in art.lines]
        assert not has_two_bare_volumes(" ".join(texts))
        for before, after in itertools.pairwise(texts):
            assert not (before[-1:].isdigit() and UNIT_START.match(after)), (before, after)


def test_words_keep_numbers_with_their_units_and_dates_with_their_times():
    assert words_of("Vitamin C (100 mg/mL): 0.5 mL") == ["Vitamin", "C", "(100 mg/mL):", "0.5 mL"]
    assert words_of("BUD 2026-12-02 21:00") == ["BUD", "2026-12-02 21:00"]
    assert words_of("Refrigerate 2–8 °C") == ["Refrigerate", "2–8 °C"]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("layout", [name for name, spec in LAYOUTS.items() if spec.is_roll])
@pytest.mark.parametrize("recipe", list(CASES))
def test_lbl_04_every_recipe_prints_in_zpl_with_its_qr_and_bar_defaults_in_each_label(recipe, layout, dpi):
    label = CASES[recipe]
    zpl = render_zpl([label], layout, dpi=dpi)
    formats = re.findall(r"\^XA.*?\^XZ", zpl, re.DOTALL)
    assert len(formats) == len(compose(label, LAYOUTS[layout], Captions(), {203: 8, 300: 12}[dpi]))
    for one in formats:
        assert re.findall(r"\^FDMA,(\w+)\^FS", one) == [label.code]
        assert one.index("^BY2,3,10") < one.index("^BQN")
        assert f"BUD {label.bud}" in one
        assert not has_two_bare_volumes(" ".join(re.findall(r"\^FD([^\^]*)\^FS", one)))


def _light(gray: Any, x: int, y: int) -> bool:
    value = gray.getpixel((x, y))
    assert isinstance(value, int | float)
    return value > 160
