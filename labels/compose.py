"""Where everything goes on one label, in mm from the label's top-left corner.

The QR sits top-left with its quiet zone inside the label; text flows to its right, then, below the
QR, across the full width. The font shrinks in half points down to 5 pt; below that the label does
not fit. PDF and ZPL both draw from the same composition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from labels.layouts import Layout
from labels.model import Captions, Label, LabelDoesNotFit, SyringeLabel, VialLabel
from labels.qr import QUIET_ZONE_MODULES, Matrix, qr_matrix
from labels.typeset import (
    ASCENT,
    MIN_FONT_PT,
    PT_PER_MM,
    Paragraph,
    Run,
    line_pitch_mm,
    paragraph,
    runs_width_mm,
    take_line,
)

PDF_DOTS_PER_MM = 8  # PDF modules sit on the grid of a 203 dpi printer
MIN_MODULE_MM = 0.25
MAX_MODULE_DOTS = 10  # the largest ^BQ magnification
FONT_STEP_PT = 0.5
EPS = 1e-6


@dataclass(frozen=True)
class TextLine:
    runs: tuple[Run, ...]
    x_mm: float
    top_mm: float
    size_pt: float
    width_mm: float  # the room the line was set in

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)

    @property
    def baseline_mm(self) -> float:
        return self.top_mm + ASCENT * self.size_pt / PT_PER_MM


@dataclass(frozen=True)
class QrArt:
    data: str
    matrix: Matrix
    x_mm: float  # the symbol's top-left, inside its quiet zone
    y_mm: float
    module_dots: int
    dots_per_mm: int

    @property
    def module_mm(self) -> float:
        return self.module_dots / self.dots_per_mm

    @property
    def side_mm(self) -> float:
        return len(self.matrix) * self.module_mm

    @property
    def quiet_mm(self) -> float:
        return QUIET_ZONE_MODULES * self.module_mm


@dataclass(frozen=True)
class LabelArt:
    width_mm: float
    height_mm: float
    qr: QrArt
    lines: tuple[TextLine, ...]


@dataclass(frozen=True)
class TextArea:
    top_mm: float
    bottom_mm: float
    beside_x_mm: float
    beside_width_mm: float
    below_from_mm: float  # lines starting here or lower take the full width
    below_x_mm: float
    below_width_mm: float

    def slot(self, top_mm: float) -> tuple[float, float]:
        if top_mm < self.below_from_mm - EPS:
            return self.beside_x_mm, self.beside_width_mm
        return self.below_x_mm, self.below_width_mm


def compose(label: Label, layout: Layout, captions: Captions, dots_per_mm: int = PDF_DOTS_PER_MM) -> LabelArt:
    qr = place_qr(label.code, layout, dots_per_mm)
    area = text_area(layout, qr)
    unplaced = ""
    # A smaller font is better than a line break inside a fact ("0.5" / "mL").
    for split_units in (False, True):
        for size in font_sizes(layout.max_font_pt):
            for paragraphs in paragraph_options(label, captions):
                lines, unplaced = flow(paragraphs, size, area, split_units)
                if not unplaced:
                    return LabelArt(layout.label_width_mm, layout.label_height_mm, qr, lines)
    raise LabelDoesNotFit(
        f"{describe(label)} does not fit on layout {layout.name!r} ({layout.size_text}) "
        f"even at the {MIN_FONT_PT:g} pt minimum: no room left for {_shorten(unplaced)!r}. "
        "Shorten the names or use a larger layout."
    )


def place_qr(code: str, layout: Layout, dots_per_mm: int) -> QrArt:
    matrix = qr_matrix(code)
    cell_modules = len(matrix) + 2 * QUIET_ZONE_MODULES
    room_mm = min(layout.label_height_mm, layout.label_width_mm * layout.qr_max_fraction)
    module_dots = min(MAX_MODULE_DOTS, math.floor(room_mm * dots_per_mm / cell_modules + EPS))
    if module_dots / dots_per_mm < MIN_MODULE_MM - EPS:
        raise LabelDoesNotFit(
            f"the QR code of {code!r} ({len(matrix)} modules) does not fit on layout {layout.name!r} "
            f"({layout.size_text}) with modules of at least {MIN_MODULE_MM} mm"
        )
    quiet_mm = QUIET_ZONE_MODULES * module_dots / dots_per_mm
    offset_mm = math.ceil(max(quiet_mm, layout.margin_mm) * dots_per_mm - EPS) / dots_per_mm
    return QrArt(code, matrix, offset_mm, offset_mm, module_dots, dots_per_mm)


def text_area(layout: Layout, qr: QrArt) -> TextArea:
    margin = layout.margin_mm
    qr_right = qr.x_mm + qr.side_mm + qr.quiet_mm
    qr_bottom = qr.y_mm + qr.side_mm + qr.quiet_mm
    return TextArea(
        top_mm=margin,
        bottom_mm=layout.label_height_mm - margin,
        beside_x_mm=qr_right,
        beside_width_mm=layout.label_width_mm - margin - qr_right,
        below_from_mm=qr_bottom,
        below_x_mm=margin,
        below_width_mm=layout.label_width_mm - 2 * margin,
    )


def font_sizes(largest_pt: float) -> list[float]:
    steps = round((largest_pt - MIN_FONT_PT) / FONT_STEP_PT)
    return [largest_pt - i * FONT_STEP_PT for i in range(steps + 1)]


def flow(
    paragraphs: list[Paragraph], size_pt: float, area: TextArea, split_units: bool = True
) -> tuple[tuple[TextLine, ...], str]:
    """Set the paragraphs line by line; also return the text that found no room ("" when all fit)."""
    pitch = line_pitch_mm(size_pt)
    top = area.top_mm
    lines: list[TextLine] = []
    for number, current in enumerate(paragraphs):
        units = list(current.units)
        while units:
            x, width = area.slot(top)
            if top + pitch > area.bottom_mm + EPS:
                return tuple(lines), leftover(units, current, paragraphs[number + 1 :])
            runs = take_line(units, current.sep, width, size_pt, split_units)
            if not runs and width < area.below_width_mm - EPS:
                top += pitch  # leave the line beside the QR empty: the lines below are wider
                continue
            if not runs:
                return tuple(lines), units[0].text
            if runs_width_mm(runs, size_pt) > width + EPS:
                return tuple(lines), "".join(run.text for run in runs)
            lines.append(TextLine(runs, x, top, size_pt, width))
            top += pitch
    return tuple(lines), ""


def leftover(units: list[Run], current: Paragraph, rest: list[Paragraph]) -> str:
    return " / ".join([Paragraph(tuple(units), current.sep).text, *(p.text for p in rest)])


def paragraph_options(label: Label, captions: Captions) -> list[list[Paragraph]]:
    """Ways to set the same facts, roomiest first: a line per fact, then facts run together."""
    if isinstance(label, VialLabel):
        return [vial_paragraphs(label, captions)]
    return [syringe_paragraphs(label, captions, density) for density in range(4)]


def syringe_paragraphs(label: SyringeLabel, c: Captions, density: int) -> list[Paragraph]:
    """density 0: a line per fact; 1: facts grouped; 2: ingredients run together too;
    3: everything after the recipe's name in one stream."""
    bold, plain = True, False
    patient: list[Run] = []
    if label.patient_name:
        patient.append(Run(f"{c.patient} {label.patient_name}", bold))
        if label.patient_dob:
            patient.append(Run(f"{c.dob} {label.patient_dob}", bold))
    ingredients = [Run(f"{item.name} {item.amount}", plain) for item in label.ingredients]
    use = [Run(f"{c.bud} {label.bud}", bold)]
    if label.storage:
        use.append(Run(label.storage, bold))
    volume = [Run(f"{c.total} {label.total_volume}", plain), Run(f"{c.route} {label.route}", plain)]
    origin = [
        Run(f"{c.batch} {label.batch_code}", plain),
        Run(c.syringe_of.format(index=label.index, count=label.count), plain),
        Run(f"{c.prepared_by} {label.preparer_initials}", plain),
    ]
    identity = [Run(c.compounded, plain), Run(label.code, plain)]
    each_ingredient = [[item] for item in ingredients]
    if density == 0:
        groups = [patient, *each_ingredient, volume, *([fact] for fact in use), origin, identity]
    elif density == 1:
        groups = [patient, *each_ingredient, use, volume + origin + identity]
    elif density == 2:
        groups = [patient, ingredients, use, volume + origin + identity]
    else:
        groups = [patient + ingredients + use + volume + origin + identity]
    name = paragraph(label.recipe_name, bold=True)
    return [name, *(Paragraph(tuple(group)) for group in groups if group)]


def vial_paragraphs(label: VialLabel, c: Captions) -> list[Paragraph]:
    return [
        paragraph(label.product_name, bold=True),
        paragraph(f"{c.lot} {label.lot}"),
        paragraph(f"{c.opened} {label.opened_at}"),
        paragraph(f"{c.use_until} {label.usable_until}", bold=True),
        paragraph(label.code),
    ]


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(label: Label) -> str:
    if isinstance(label, SyringeLabel):
        return f"the syringe label {label.code} ({label.recipe_name!r}, {len(label.ingredients)} ingredients)"
    return f"the vial label {label.code} ({label.product_name!r})"
