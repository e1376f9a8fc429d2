"""ZPL for thermal printers: one format per label, UTF-8, QR field data with its mode prefix, sizes in
dots. Golden files pin the exact output; UPDATE_GOLDEN=1 rewrites them after a deliberate change."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from labels import LAYOUTS, render_zpl

GOLDEN = Path(__file__).parent / "golden"
FORMAT = re.compile(r"\^XA.*?\^XZ", re.DOTALL)
QR_FIELD = re.compile(r"\^FO(\d+),(\d+)\^BQN,2,(\d+)\^FDMA,([^\^]*)\^FS")


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("layout", [name for name, spec in LAYOUTS.items() if spec.is_roll])
def test_each_label_is_one_complete_format(layout, dpi, syringe, vial):
    zpl = render_zpl([syringe, vial], layout, dpi=dpi)
    dots_per_mm = {203: 8, 300: 12}[dpi]
    spec = LAYOUTS[layout]

    formats = FORMAT.findall(zpl)
    assert len(formats) == 2
    assert FORMAT.sub("", zpl).strip() == ""
    for label, zpl_format in zip((syringe, vial), formats, strict=True):
        assert zpl_format.count("^XA") == 1
        assert "^CI28" in zpl_format
        assert f"^PW{round(spec.label_width_mm * dots_per_mm)}\n" in zpl_format
        assert f"^LL{round(spec.label_height_mm * dots_per_mm)}\n" in zpl_format
        (qr,) = QR_FIELD.findall(zpl_format)
        assert qr[3] == label.code
        assert 1 <= int(qr[2]) <= 10
        assert "^A0N," in zpl_format
        assert "^FB" in zpl_format


def test_qr_module_is_a_whole_number_of_dots_of_at_least_two(syringe):
    (qr,) = QR_FIELD.findall(render_zpl([syringe], "zebra-2x1in"))
    assert int(qr[2]) >= 2
    assert int(qr[0]) >= 4 * int(qr[2])  # the quiet zone is inside the label
    assert int(qr[1]) >= 4 * int(qr[2])


def test_text_is_utf8_and_control_characters_are_escaped(syringe):
    label = dataclasses.replace(syringe, recipe_name="Mix ^XZ ~JA a_b")
    zpl = render_zpl([label], "roll-50x25")

    assert "Işıl Güneş Çağlar" in zpl
    assert "^FH_^FDMix _5EXZ _7EJA a_5Fb^FS" in zpl
    assert zpl.count("^XZ") == 1


def test_sheet_layouts_and_unknown_resolutions_are_refused(syringe):
    with pytest.raises(ValueError, match="sheet"):
        render_zpl([syringe], "a4-l7651")
    with pytest.raises(ValueError, match="dpi"):
        render_zpl([syringe], "zebra-2x1in", dpi=250)


@pytest.mark.parametrize("dpi", [203, 300])
def test_golden_zpl(dpi, syringe):
    path = GOLDEN / f"syringe-zebra-2x1in-{dpi}dpi.zpl"
    zpl = render_zpl([syringe], "zebra-2x1in", dpi=dpi)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(zpl, encoding="utf-8")
    assert zpl == path.read_text(encoding="utf-8")
