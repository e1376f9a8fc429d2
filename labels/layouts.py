"""Label stock: rolls (one label per page) and sheets (a grid of labels on a page). Sizes in mm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

A4_MM = (210.0, 297.0)


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    label_width_mm: float
    label_height_mm: float
    kind: Literal["roll", "sheet"] = "roll"
    page_width_mm: float = 0.0  # sheets only; 0: A4. A roll's page is the label itself
    page_height_mm: float = 0.0
    columns: int = 1
    rows: int = 1
    left_mm: float = 0.0  # sheet: from the page's left edge to the first column
    top_mm: float = 0.0  # sheet: from the page's top edge to the first row
    pitch_x_mm: float = 0.0  # 0: the label's width (no gap)
    pitch_y_mm: float = 0.0
    margin_mm: float = 1.0  # white kept inside each label edge (printer registration tolerance)
    max_font_pt: float = 8.0
    min_font_pt: float = 6.0  # LBL-02: what does not fit at this size continues on a second label
    qr_max_fraction: float = 0.3  # the QR with its quiet zone takes at most this share of the width

    def __post_init__(self) -> None:
        if self.label_width_mm <= 0 or self.label_height_mm <= 0:
            raise ValueError(f"layout {self.name!r}: label size must be positive")
        if self.is_sheet:
            right = self.left_mm + (self.columns - 1) * self.step_x_mm + self.label_width_mm
            bottom = self.top_mm + (self.rows - 1) * self.step_y_mm + self.label_height_mm
            if right > self.page_size_mm[0] + 1e-6 or bottom > self.page_size_mm[1] + 1e-6:
                raise ValueError(f"layout {self.name!r}: the label grid does not fit on the page")

    @property
    def is_roll(self) -> bool:
        return self.kind == "roll"

    @property
    def is_sheet(self) -> bool:
        return self.kind == "sheet"

    @property
    def page_size_mm(self) -> tuple[float, float]:
        if self.is_roll:
            return (self.label_width_mm, self.label_height_mm)
        return (self.page_width_mm or A4_MM[0], self.page_height_mm or A4_MM[1])

    @property
    def step_x_mm(self) -> float:
        return self.pitch_x_mm or self.label_width_mm

    @property
    def step_y_mm(self) -> float:
        return self.pitch_y_mm or self.label_height_mm

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def cell_origin_mm(self, cell: int) -> tuple[float, float]:
        """Top-left corner of a cell on its page, from the page's top-left, row by row."""
        if not 0 <= cell < self.per_page:
            raise IndexError(f"cell {cell} is not on a {self.name} page")
        row, column = divmod(cell, self.columns)
        return (self.left_mm + column * self.step_x_mm, self.top_mm + row * self.step_y_mm)

    @property
    def size_text(self) -> str:
        return f"{_mm(self.label_width_mm)} x {_mm(self.label_height_mm)} mm"


def _mm(value: float) -> str:
    return f"{value:g}"


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout("roll-50x25", "Roll 50 x 25 mm", 50.0, 25.0),
        Layout("roll-62x29", "Roll 62 x 29 mm (Brother DK-11209 style)", 62.0, 29.0, max_font_pt=8.5),
        Layout("zebra-2x1in", "Zebra 2 x 1 inch", 50.8, 25.4),
        Layout(
            "a4-l7651",
            "A4 sheet, 65 labels 38.1 x 21.2 mm (Avery L7651)",
            38.1,
            21.2,
            kind="sheet",
            columns=5,
            rows=13,
            left_mm=4.7,
            top_mm=10.7,
            pitch_x_mm=40.6,
            pitch_y_mm=21.2,
            margin_mm=1.0,
            max_font_pt=7.0,
            min_font_pt=5.0,
        ),
        Layout(
            "a4-l7163",
            "A4 sheet, 14 labels 99.1 x 38.1 mm (Avery L7163)",
            99.1,
            38.1,
            kind="sheet",
            columns=2,
            rows=7,
            left_mm=4.65,
            top_mm=15.15,
            pitch_x_mm=101.6,
            pitch_y_mm=38.1,
            margin_mm=1.5,
            max_font_pt=9.0,
            qr_max_fraction=0.25,
        ),
    )
}


def get_layout(layout: str | Layout) -> Layout:
    if isinstance(layout, Layout):
        return layout
    try:
        return LAYOUTS[layout]
    except KeyError:
        known = ", ".join(sorted(LAYOUTS))
        raise ValueError(f"unknown label layout {layout!r}; known layouts: {known}") from None
