"""Small server-side SVG charts: bars, lines, sparklines. No JavaScript, no inline styles.

The strict CSP (style-src 'self') forbids style="…" attributes, so colours and strokes are SVG
presentation attributes (fill=, stroke=), which it allows. Every text is escaped. The SVG is
returned as Markup, ready to embed in a page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#1f6fb2", "#d9822b", "#13795b", "#b3261e", "#7b4bb3", "#6b7280")
AXIS = "#6b7280"
GRID = "#e5e7eb"
TEXT = "#374151"

NumberFormat = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def plain_number(value: float) -> str:
    """1200 → "1200", 2.5 → "2.5", 0.125 → "0.125"."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


def nice_ticks(maximum: float, count: int = 5, *, integers: bool = False) -> list[float]:
    """Round tick values from 0 to at least `maximum`: 0, 20, 40 … (steps of 1, 2, 2.5 or 5 × 10ⁿ;
    whole steps only when counting things)."""
    if maximum <= 0 or not math.isfinite(maximum):
        return [0.0, 1.0]
    raw = maximum / max(1, count - 1)
    if integers:
        raw = max(raw, 1.0)
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integers else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw)
    top = math.ceil(maximum / step - 1e-9) * step
    ticks, value = [], 0.0
    while value <= top + step / 1000:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _attrs(**attributes: object) -> str:
    parts = []
    for name, value in attributes.items():
        if value is None:
            continue
        parts.append(f'{name.rstrip("_").replace("_", "-")}="{escape(str(value))}"')
    return " ".join(parts)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Canvas:
    """Plot area inside margins, with a y scale from 0 to the top tick."""

    def __init__(
        self,
        width: int,
        height: int,
        maximum: float,
        *,
        left: int = 56,
        bottom: int = 44,
        integers: bool = False,
    ) -> None:
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = left, 12, 16, bottom
        self.ticks = nice_ticks(maximum, integers=integers)
        self.y_max = self.ticks[-1] or 1.0
        self.parts: list[str] = []

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, value: float) -> float:
        return self.top + self.plot_height * (1 - max(0.0, value) / self.y_max)

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(self, x: float, y: float, content: str, **attributes: object) -> None:
        head = _attrs(x=_n(x), y=_n(y), fill=TEXT, font_size=11, **attributes)
        self.add(f"<text {head}>{escape(content)}</text>")

    def y_axis(self, fmt: NumberFormat, unit: str) -> None:
        for tick in self.ticks:
            y = self.y(tick)
            self.add(
                f"<line {_attrs(x1=self.left, x2=self.width - self.right, y1=_n(y), y2=_n(y), stroke=GRID)}/>"
            )
            self.text(self.left - 6, y + 4, fmt(tick), text_anchor="end")
        if unit:
            self.text(4, self.top - 4, unit)
        bottom = self.height - self.bottom
        self.add(f"<line {_attrs(x1=self.left, x2=self.left, y1=self.top, y2=bottom, stroke=AXIS)}/>")
        self.add(
            f"<line {_attrs(x1=self.left, x2=self.width - self.right, y1=bottom, y2=bottom, stroke=AXIS)}/>"
        )

    def x_labels(self, labels: Sequence[str], centres: Sequence[float]) -> None:
        every = max(1, math.ceil(len(labels) / max(1, int(self.plot_width // 56))))
        for i, (label, x) in enumerate(zip(labels, centres, strict=True)):
            if i % every == 0:
                self.text(x, self.height - self.bottom + 16, label, text_anchor="middle")

    def svg(self, title: str, css_class: str) -> Markup:
        head = _attrs(
            xmlns="http://www.w3.org/2000/svg",
            viewBox=f"0 0 {self.width} {self.height}",
            role="img",
            aria_label=title,
            class_=css_class,
            font_family="sans-serif",
        )
        body = "".join(self.parts)
        return Markup(f"<svg {head}><title>{escape(title)}</title>{body}</svg>")


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 260,
    fmt: NumberFormat = plain_number,
    color: str = PALETTE[0],
    integers: bool = False,
) -> Markup:
    """One bar per label, with a y axis of round ticks and each bar's value in its tooltip;
    `integers` for counts (no tick at 0.5 syringe)."""
    if len(labels) != len(values):
        raise ValueError("one value per label")
    canvas = _Canvas(width, height, max(values, default=0), integers=integers)
    canvas.y_axis(fmt, unit)
    slot = canvas.plot_width / max(1, len(values))
    bar = max(1.0, min(slot * 0.7, 72.0))
    centres = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = canvas.left + slot * i + (slot - bar) / 2
        top = canvas.y(value)
        bar_height = canvas.height - canvas.bottom - top
        centres.append(x + bar / 2)
        rect = _attrs(x=_n(x), y=_n(top), width=_n(bar), height=_n(bar_height), fill=color, class_="bar")
        canvas.add(f"<rect {rect}><title>{escape(label)}: {escape(fmt(value))}</title></rect>")
    canvas.x_labels(labels, centres)
    return canvas.svg(title, "chart bar-chart")


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 280,
    fmt: NumberFormat = plain_number,
) -> Markup:
    """One line per series over shared x labels, with a legend under the axis."""
    for one in series:
        if len(one.values) != len(labels):
            raise ValueError(f"series {one.name!r} needs one value per label")
    legend_rows = math.ceil(len(series) / 3)
    canvas = _Canvas(
        width,
        height + 18 * legend_rows,
        max((max(s.values, default=0) for s in series), default=0),
        bottom=44 + 18 * legend_rows,
    )
    canvas.y_axis(fmt, unit)
    step = canvas.plot_width / max(1, len(labels) - 1) if len(labels) > 1 else 0
    centres = [
        canvas.left + (step * i if len(labels) > 1 else canvas.plot_width / 2) for i in range(len(labels))
    ]
    for index, one in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        points = " ".join(f"{_n(x)},{_n(canvas.y(v))}" for x, v in zip(centres, one.values, strict=True))
        canvas.add(
            f"<polyline {_attrs(points=points, fill='none', stroke=color, stroke_width=2, class_='line')}/>"
        )
        for x, value, label in zip(centres, one.values, labels, strict=True):
            dot = _attrs(cx=_n(x), cy=_n(canvas.y(value)), r=3, fill=color)
            tip = f"{escape(one.name)}, {escape(label)}: {escape(fmt(value))}"
            canvas.add(f"<circle {dot}><title>{tip}</title></circle>")
        row, column = divmod(index, 3)
        lx = canvas.left + column * (canvas.plot_width / 3)
        ly = canvas.height - 18 * (legend_rows - row) + 4
        canvas.add(f"<rect {_attrs(x=_n(lx), y=_n(ly - 9), width=10, height=10, fill=color)}/>")
        canvas.text(lx + 14, ly, one.name)
    canvas.x_labels(labels, centres)
    return canvas.svg(title, "chart line-chart")


def sparkline(
    values: Sequence[float], *, title: str, width: int = 120, height: int = 32, bars: bool = False
) -> Markup:
    """A tiny trend with no axes, for a dashboard tile: a line, or bars."""
    top = max(values, default=0) or 1
    n = len(values)
    parts = []
    if bars:
        slot = width / max(1, n)
        for i, value in enumerate(values):
            h = max(1.0, (height - 2) * value / top) if value else 1.0
            rect = _attrs(
                x=_n(i * slot + slot * 0.1),
                y=_n(height - h),
                width=_n(slot * 0.8),
                height=_n(h),
                fill=PALETTE[0],
            )
            parts.append(f"<rect {rect}/>")
    elif n:
        step = width / max(1, n - 1)
        points = " ".join(
            f"{_n(i * step if n > 1 else width / 2)},{_n(height - 2 - (height - 4) * v / top)}"
            for i, v in enumerate(values)
        )
        parts.append(f"<polyline {_attrs(points=points, fill='none', stroke=PALETTE[0], stroke_width=2)}/>")
    head = _attrs(
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        role="img",
        aria_label=title,
        class_="sparkline",
    )
    return Markup(f"<svg {head}><title>{escape(title)}</title>{''.join(parts)}</svg>")
