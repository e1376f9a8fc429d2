"""ZPL for thermal printers: one format per label, UTF-8, QR field data with its mode prefix, sizes in
dots, the QR's place independent of what the printer printed before (LBL-04). Golden files pin the
exact output; UPDATE_GOLDEN=1 rewrites them after a deliberate change."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from labels import LAYOUTS, Captions, render_calibration_zpl, render_zpl
from labels.compose import compose

GOLDEN = Path(__file__).parent / "golden"
FORMAT = re.compile(r"\^XA.*?\^XZ", re.DOTALL)
QR_FIELD = re.compile(r"\^FO(\d+),(\d+)\^BQN,2,(\d+)\^FDMA,([^\^]*)\^FS")
ROLLS = [name for name, spec in LAYOUTS.items() if spec.is_roll]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("layout", ROLLS)
def test_each_label_is_one_complete_format(layout, dpi, syringe, vial):
    zpl = render_zpl([syringe, vial], layout, dpi=dpi)
    dots_per_mm = {203: 8, 300: 12}[dpi]
    spec = LAYOUTS[layout]
    parts = len(compose(syringe, spec, Captions(), dots_per_mm))

    formats = FORMAT.findall(zpl)
    assert len(formats) == parts + 1
    assert FORMAT.sub("", zpl).strip() == ""
    codes = [syringe.code] * parts + [vial.code]
    for code, zpl_format in zip(codes, formats, strict=True):
        assert zpl_format.count("^XA") == 1
        assert "^CI28" in zpl_format
        assert f"^PW{round(spec.label_width_mm * dots_per_mm)}\n" in zpl_format
        assert f"^LL{round(spec.label_height_mm * dots_per_mm)}\n" in zpl_format
        (qr,) = QR_FIELD.findall(zpl_format)
        assert qr[3] == code
        assert 1 <= int(qr[2]) <= 10
        assert "^ATN," in zpl_format
        assert "^FB" in zpl_format


def test_qr_module_is_a_whole_number_of_dots_of_at_least_two(syringe):
    for qr in QR_FIELD.findall(render_zpl([syringe], "zebra-2x1in")):
        assert int(qr[2]) >= 2
        assert int(qr[0]) >= 4 * int(qr[2])  # the quiet zone is inside the label
        assert int(qr[1]) >= 4 * int(qr[2])


def test_text_is_utf8_and_control_characters_are_escaped(syringe):
    label = dataclasses.replace(syringe, recipe_name="Mix ^XZ ~JA a_b")
    zpl = render_zpl([label], "roll-62x29")

    assert "Işıl Güneş Çağlar" in zpl
    assert "^FH_^FDMix _5EXZ _7EJA a_5Fb" in zpl
    assert zpl.count("^XZ") == len(FORMAT.findall(zpl))


def test_turkish_letters_use_a_printer_font_that_has_them(syringe):
    """Font 0 of older firmware prints ı ş ğ İ as blanks: every text field uses Swiss 721
    (TT0003M_), assigned in every label, never ^A0."""
    zpl = render_zpl([syringe], "zebra-2x1in")
    for zpl_format in FORMAT.findall(zpl):
        assert "^CWT,E:TT0003M_.FNT" in zpl_format
        assert "^A0" not in zpl_format
        for field in re.findall(r"\^FO\d+,\d+(\^A.)", zpl_format):
            assert field == "^AT"


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


class Printer:
    """Just enough of a Zebra's command interpreter to place a ^FO-placed QR: ^BY persists from one
    job to the next (until power-off), and the firmware shifts a ^FO-placed ^BQ down by the bar
    code height in effect (the fault seen on real printers, issue 12)."""

    POWER_ON_BAR_HEIGHT = 10

    def __init__(self) -> None:
        self.bar_height = self.POWER_ON_BAR_HEIGHT

    def qr_tops(self, job: str) -> list[tuple[int, int]]:
        placed: list[tuple[int, int]] = []
        origin = (0, 0)
        for command in job.split("^")[1:]:
            if command.startswith("BY"):
                values = command[2:].split(",")
                if len(values) > 2 and values[2].strip():
                    self.bar_height = int(values[2])
            elif command.startswith("FO"):
                x, y = command[2:].split(",")[:2]
                origin = (int(x), int(y))
            elif command.startswith("BQ"):
                placed.append((origin[0], origin[1] + self.bar_height))
        return placed


PREVIOUS_JOBS = [
    "",
    "^XA^BY3,3,50^FO10,10^BCN^FD12345678^FS^XZ",
    "^XA^BY4,2,100^FO10,10^BCN^FD12345678^FS^XZ",
    "^XA^BY1,2.5,300^FO10,10^B3N^FDABC^FS^XZ",
]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("previous", PREVIOUS_JOBS)
def test_lbl_04_qr_position_does_not_depend_on_the_previous_job(previous, dpi, syringe, vial):
    ours = render_zpl([syringe, vial], "zebra-2x1in", dpi=dpi)
    fresh = Printer().qr_tops(ours)

    printer = Printer()
    printer.qr_tops(previous)
    assert printer.qr_tops(ours) == fresh


def test_lbl_04_the_model_printer_does_shift_a_label_without_its_own_bar_defaults(syringe):
    """The check above can fail: the same ZPL without the ^BY of each label moves after a ^BY…,100."""
    bare = render_zpl([syringe], "zebra-2x1in").replace("^BY2,3,10\n", "")
    printer = Printer()
    printer.qr_tops(PREVIOUS_JOBS[2])
    assert printer.qr_tops(bare) != Printer().qr_tops(bare)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("layout", ROLLS)
def test_calibration_label_outlines_the_label_with_a_10_mm_scale(layout, dpi):
    spec = LAYOUTS[layout]
    dots_per_mm = {203: 8, 300: 12}[dpi]
    zpl = render_calibration_zpl(layout, dpi=dpi)

    (one,) = FORMAT.findall(zpl)
    width, height = round(spec.label_width_mm * dots_per_mm), round(spec.label_height_mm * dots_per_mm)
    assert f"^FO0,0^GB{width},{height}," in one
    (qr,) = QR_FIELD.findall(one)
    assert qr[3] == "CALIBRATE"
    assert "^BY2,3,10" in one
    assert spec.name in one
    assert spec.size_text in one
    assert "10 mm" in one
    ticks = re.findall(r"\^FO(\d+),\d+\^GB\d+,(\d+),\d+\^FS", one)
    tick_x = sorted(int(x) for x, h in ticks if dots_per_mm <= int(h) < height)
    assert len(tick_x) == 11
    assert tick_x[-1] - tick_x[0] == 10 * dots_per_mm  # the scale is 10 mm of the printer's dots
    with pytest.raises(ValueError, match="sheet"):
        render_calibration_zpl("a4-l7163")
