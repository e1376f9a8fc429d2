"""Where everything goes on one label, in mm from the label's top-left corner.

The QR sits top-left with its quiet zone inside the label; text flows to its right, then, below the
QR, across the full width. The font shrinks in half points down to the layout's minimum (6 pt on
rolls, 5 pt on the small L7651 cells); what still does not fit continues on a second label of the
same syringe (LBL-02). PDF and ZPL both draw from the same composition.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import NamedTuple

from labels.layouts import Layout
from labels.model import Captions, Ingredient, Label, LabelDoesNotFit, SyringeLabel, VialLabel
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
DENSITIES = 3  # ways to group a syringe's facts, roomiest first (never two ingredients on a line)


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


class _Set(NamedTuple):
    """How one label of a syringe was set: its facts start:stop, "part of parts", the grouping
    (density), the font size and whether words were broken."""

    start: int
    stop: int
    part: int
    parts: int
    density: int
    size_pt: float
    split_units: bool
    lines: Lines


class BatchFitting:
    """The fitting of one batch's syringe labels, done once: the labels of a batch differ only in
    their code and their number ("3 of 12"), so the first one's choices (font size, grouping of the
    facts, continuations) are tried first on the others and kept when they fit, which sets each in
    one pass instead of a search. A label they do not fit is fitted afresh. The labels of a batch
    come out alike. One instance per document: what it holds is never shared between requests."""

    def __init__(self) -> None:
        self._sets: dict[tuple[object, ...], list[_Set]] = {}

    @staticmethod
    def key(label: SyringeLabel, layout: Layout, captions: Captions, dots_per_mm: int) -> tuple[object, ...]:
        same = tuple(
            getattr(label, name.name) for name in fields(label) if name.name not in ("code", "index")
        )
        return (same, layout, captions, dots_per_mm)

    def get(self, key: tuple[object, ...]) -> list[_Set] | None:
        return self._sets.get(key)

    def keep(self, key: tuple[object, ...], sets: list[_Set]) -> None:
        self._sets[key] = sets


def compose(
    label: Label,
    layout: Layout,
    captions: Captions,
    dots_per_mm: int = PDF_DOTS_PER_MM,
    batch: BatchFitting | None = None,
) -> tuple[LabelArt, ...]:
    """The label, or for a syringe whose ingredients do not fit at the layout's smallest size, the
    label and its continuations (LBL-02: "1/2", "2/2", each with the code and the BUD). With `batch`,
    the fitting of the batch's earlier labels is reused when it fits this one."""
    qr = place_qr(label.code, layout, dots_per_mm)
    area = text_area(layout, qr)
    if isinstance(label, VialLabel):
        fitted = _fit(layout, area, [vial_paragraphs(label, captions)], split_units=False)
        fitted = fitted or _fit(layout, area, [vial_paragraphs(label, captions)], split_units=True)
        if fitted is None:
            raise _does_not_fit(label, layout, " / ".join(p.text for p in vial_paragraphs(label, captions)))
        return (LabelArt(layout.label_width_mm, layout.label_height_mm, qr, fitted),)
    key = BatchFitting.key(label, layout, captions, dots_per_mm) if batch is not None else ()
    known = batch.get(key) if batch is not None else None
    sets = _reset(label, captions, area, known) if known else None
    if sets is None:
        sets = _syringe_parts(label, captions, layout, area)
        if sets is None:
            raise _does_not_fit(label, layout, label.recipe_name)
        if batch is not None:
            batch.keep(key, sets)
    return tuple(LabelArt(layout.label_width_mm, layout.label_height_mm, qr, one.lines) for one in sets)


def _reset(label: SyringeLabel, captions: Captions, area: TextArea, known: list[_Set]) -> list[_Set] | None:
    """The label set with the choices of an earlier label of its batch, or None where they do not fit."""
    sets = []
    for one in known:
        paragraphs = syringe_paragraphs(
            label, captions, one.density, one.start, one.stop, one.part, one.parts
        )
        lines, unplaced = flow(paragraphs, one.size_pt, area, one.split_units)
        if unplaced:
            return None
        sets.append(one._replace(lines=lines))
    return sets


Lines = tuple[TextLine, ...]


def _fit(
    layout: Layout, area: TextArea, options: list[list[Paragraph]], *, split_units: bool
) -> Lines | None:
    """The lines at the largest size (down to the layout's minimum) at which one of the options fits."""
    chosen = _choose(layout, area, options, split_units=split_units)
    return chosen[2] if chosen else None


def _choose(
    layout: Layout, area: TextArea, options: list[list[Paragraph]], *, split_units: bool
) -> tuple[float, int, Lines] | None:
    """The largest size (down to the layout's minimum) at which one of the options fits: (size, the
    option's index, its lines)."""
    for size in font_sizes(layout.max_font_pt, layout.min_font_pt):
        for index, paragraphs in enumerate(options):
            lines, unplaced = flow(paragraphs, size, area, split_units)
            if not unplaced:
                return size, index, lines
    return None


def _syringe_parts(
    label: SyringeLabel, captions: Captions, layout: Layout, area: TextArea
) -> list[_Set] | None:
    """All facts on one label if they fit at the layout's smallest size; otherwise the facts flow
    over as many labels as needed, each with the name, "1/2", the BUD and the code. The number of
    labels is printed on each, so plan until that number holds."""

    def fits(start: int, stop: int, part: int, parts: int) -> _Set | None:
        options = [syringe_paragraphs(label, captions, d, start, stop, part, parts) for d in range(DENSITIES)]
        # A word is broken inside only when this label cannot be set otherwise.
        for split_units in (False, True):
            chosen = _choose(layout, area, options, split_units=split_units)
            if chosen is not None:
                size, density, lines = chosen
                return _Set(start, stop, part, parts, density, size, split_units, lines)
        return None

    facts = len(syringe_body(label, captions))
    single = fits(0, facts, 1, 1)
    if single is not None:
        return [single]
    parts = 2
    for _attempt in range(5):
        planned = _plan(facts, parts, fits)
        if planned is None:
            return None
        if len(planned) == parts:
            return planned
        parts = len(planned)
    return None


def _plan(facts: int, parts: int, fits: Callable[[int, int, int, int], _Set | None]) -> list[_Set] | None:
    """Fill label after label with the most facts that fit (at least one each); None when one fact
    alone does not fit a label."""
    planned: list[_Set] = []
    start = 0
    while start < facts:
        part = len(planned) + 1
        # The most facts that fit: fitting only gets harder as facts are added, so bisect.
        low, high, best = start + 1, facts, None
        while low <= high:
            middle = (low + high) // 2
            chosen = fits(start, middle, part, parts)
            if chosen is not None:
                best, low = (middle, chosen), middle + 1
            else:
                high = middle - 1
        if best is None:
            return None
        start, chosen = best
        planned.append(chosen)
    return planned


def _does_not_fit(label: Label, layout: Layout, unplaced: str) -> LabelDoesNotFit:
    return LabelDoesNotFit(
        f"{describe(label)} does not fit on layout {layout.name!r} ({layout.size_text}) "
        f"even at the {layout.min_font_pt:g} pt minimum: no room left for {_shorten(unplaced)!r}. "
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


def font_sizes(largest_pt: float, smallest_pt: float = MIN_FONT_PT) -> list[float]:
    smallest_pt = max(smallest_pt, MIN_FONT_PT)
    steps = round((largest_pt - smallest_pt) / FONT_STEP_PT)
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


def ingredient_text(item: Ingredient) -> str:
    """LBL-01: "name (strength): amount in this syringe". A strength already at the end of the
    name moves into the brackets; a strength elsewhere in the name is not printed twice."""
    name = " ".join(item.name.split())
    strength = " ".join(item.strength.split())
    if strength and name.casefold().endswith(strength.casefold()) and len(name) > len(strength):
        name = name[: -len(strength)].rstrip(" ,")
    if strength and strength.casefold() not in name.casefold():
        name = f"{name} ({strength})"
    return f"{name}: {item.amount}"


def syringe_body(label: SyringeLabel, c: Captions) -> list[Paragraph]:
    """The facts that may continue on a second label, in reading order: the patient, a line per
    ingredient (LBL-01), then total volume, route, batch, "n of N", preparer run together."""
    bold, plain = True, False
    patient: list[Run] = []
    if label.patient_name:
        patient.append(Run(f"{c.patient} {label.patient_name}", bold))
        if label.patient_dob:
            patient.append(Run(f"{c.dob} {label.patient_dob}", bold))
    rest = [
        Run(f"{c.total} {label.total_volume}", plain),
        Run(f"{c.route} {label.route}", plain),
        Run(f"{c.batch} {label.batch_code}", plain),
        Run(c.syringe_of.format(index=label.index, count=label.count), plain),
        Run(f"{c.prepared_by} {label.preparer_initials}", plain),
        Run(c.compounded, plain),
    ]
    body = [Paragraph(tuple(patient))] if patient else []
    body += [Paragraph((Run(ingredient_text(item), plain),)) for item in label.ingredients]
    return [*body, Paragraph(tuple(rest))]


def syringe_paragraphs(
    label: SyringeLabel,
    c: Captions,
    density: int,
    start: int = 0,
    stop: int | None = None,
    part: int = 1,
    parts: int = 1,
) -> list[Paragraph]:
    """One label of a syringe: the name (with "1/2" when it continues), the facts start:stop of
    syringe_body, then the BUD with the storage, and the code. Every label of the syringe carries
    the name, the BUD and the code (LBL-02). density 0 to DENSITIES - 1: the BUD, the storage and
    the code from a line each to run together."""
    name = [Run(label.recipe_name, True)]
    if parts > 1:
        name.append(Run(c.part_of.format(part=part, parts=parts), True))
    use = [Run(f"{c.bud} {label.bud}", True, keep=True)]
    if label.storage:
        use.append(Run(label.storage, True, keep=True))
    body = syringe_body(label, c)[start:stop]
    head = [Paragraph(tuple(name)), *body]
    if density == 0:  # the BUD, the storage and the code each on a line
        return [*head, *(Paragraph((run,)) for run in use), paragraph(label.code)]
    if density == 1:
        return [*head, Paragraph(tuple(use)), paragraph(label.code)]
    return [*head, Paragraph((*use, Run(label.code)))]


def vial_paragraphs(label: VialLabel, c: Captions) -> list[Paragraph]:
    """LBL-03: product, lot, expiry, code; a multi-dose vial has room for "Opened ____ Use by ____"."""
    blank = "________"
    paragraphs = [
        paragraph(label.product_name, bold=True),
        paragraph(f"{c.lot} {label.lot}", f"{c.expiry} {label.expiry}"),
    ]
    if label.multi_dose or label.opened_at:
        paragraphs.append(paragraph(f"{c.opened} {label.opened_at or blank}"))
        paragraphs.append(paragraph(f"{c.use_until} {label.usable_until or blank}", bold=True))
    paragraphs.append(paragraph(label.code))
    return paragraphs


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(label: Label) -> str:
    if isinstance(label, SyringeLabel):
        return f"the syringe label {label.code} ({label.recipe_name!r}, {len(label.ingredients)} ingredients)"
    return f"the vial label {label.code} ({label.product_name!r})"
