"""PDF output: a page per label on rolls, a grid on sheets. QR modules are vector rectangles."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels.compose import PDF_DOTS_PER_MM, BatchFitting, LabelArt, QrArt, compose, flow, place_qr, text_area
from labels.layouts import Layout, get_layout
from labels.model import Captions, Label
from labels.qr import dark_runs
from labels.typeset import Run, font_name, paragraph, text_width_mm

CALIBRATION_CODE = "CALIBRATE"
OUTLINE_MM = 0.2


def render_pdf(
    labels: Sequence[Label], layout: str | Layout, captions: Captions = Captions(), *, skip: int = 0
) -> bytes:
    """One label per item, or two (more) in a row for a syringe too long for one (LBL-02). On a
    sheet, skip leaves the first cells of the first page empty (a sheet already partly used)."""
    spec = get_layout(layout)
    if not labels:
        raise ValueError("no labels to render")
    batch = BatchFitting()
    arts = [art for label in labels for art in compose(label, spec, captions, batch=batch)]
    out = io.BytesIO()
    canvas = _canvas(out, spec, "Labels")
    if spec.is_roll:
        for art in arts:
            draw_label(canvas, art, 0.0, 0.0, spec.page_size_mm[1])
            canvas.showPage()
    else:
        _draw_sheets(canvas, spec, arts, skip)
    canvas.save()
    return out.getvalue()


def _draw_sheets(canvas: Canvas, spec: Layout, arts: list[LabelArt], skip: int) -> None:
    if not 0 <= skip < spec.per_page:
        raise ValueError(f"skip must be between 0 and {spec.per_page - 1} on layout {spec.name!r}")
    cell = skip
    for art in arts:
        if cell == spec.per_page:
            canvas.showPage()
            cell = 0
        draw_label(canvas, art, *spec.cell_origin_mm(cell), spec.page_size_mm[1])
        cell += 1
    canvas.showPage()


def render_calibration_pdf(layout: str | Layout) -> bytes:
    """A test print: every label outlined at its edge, a 10 mm scale, the layout's name and size, and
    a QR of the text CALIBRATE where a label's QR goes. Print it at actual size and hold it to the
    light against the label stock."""
    spec = get_layout(layout)
    out = io.BytesIO()
    canvas = _canvas(out, spec, f"Calibration {spec.name}")
    if spec.is_roll:
        _calibration_cell(canvas, spec, 0.0, 0.0, None)
    else:
        _calibration_sheet(canvas, spec)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _calibration_sheet(canvas: Canvas, spec: Layout) -> None:
    page_w, page_h = spec.page_size_mm
    header = f"{spec.name}: {spec.title}. Print at actual size (100 %), no scaling."
    _text(canvas, page_h, header, spec.left_mm, max(spec.top_mm / 2, 3.0), 7.0, True)
    grid_bottom = spec.cell_origin_mm(spec.per_page - 1)[1] + spec.label_height_mm
    _ruler(canvas, page_h, page_w - 115.0, grid_bottom + min(4.0, (page_h - grid_bottom) / 2), 100)
    for cell in range(spec.per_page):
        x, y = spec.cell_origin_mm(cell)
        with_sample = cell in (0, spec.per_page - 1)
        _calibration_cell(canvas, spec, x, y, None if with_sample else cell + 1)


def _calibration_cell(canvas: Canvas, spec: Layout, x: float, y: float, number: int | None) -> None:
    page_h = spec.page_size_mm[1]
    w, h = spec.label_width_mm, spec.label_height_mm
    canvas.setLineWidth(OUTLINE_MM * mm)
    half = OUTLINE_MM / 2
    canvas.rect((x + half) * mm, (page_h - y - h + half) * mm, (w - OUTLINE_MM) * mm, (h - OUTLINE_MM) * mm)
    if number is not None:
        label = str(number)
        _text(canvas, page_h, label, x + (w - text_width_mm(label, 7.0)) / 2, y + h / 2 + 1.0, 7.0, False)
        return
    qr = place_qr(CALIBRATION_CODE, spec, PDF_DOTS_PER_MM)
    _draw_qr(canvas, qr, x, y, page_h)
    area = text_area(spec, qr)
    info = [
        paragraph(spec.name, bold=True),
        paragraph(spec.size_text),
        paragraph(f"QR module {qr.module_mm:g} mm"),
    ]
    lines, _ = flow(info, 6.0, area)
    for line in lines:
        _runs(canvas, page_h, line.runs, x + line.x_mm, y + line.baseline_mm, line.size_pt)
    ruler_top = lines[-1].top_mm + 3.0 if lines else spec.margin_mm
    left, _ = area.slot(ruler_top)
    _ruler(canvas, page_h, x + left, y + ruler_top + 2.0, 10)


def _ruler(canvas: Canvas, page_h: float, x: float, baseline_y: float, length_mm: int) -> None:
    """A scale along baseline_y (mm from the page top) with a tick per mm, taller every 5 and 10."""
    canvas.setLineWidth(0.1 * mm)
    y = page_h - baseline_y
    canvas.line(x * mm, y * mm, (x + length_mm) * mm, y * mm)
    for tick in range(length_mm + 1):
        height = 1.6 if tick % 10 == 0 else 1.1 if tick % 5 == 0 else 0.6
        canvas.line((x + tick) * mm, y * mm, (x + tick) * mm, (y + height) * mm)
    canvas.setFont(font_name(False), 5)
    canvas.drawString((x + length_mm + 0.8) * mm, y * mm, f"{length_mm} mm")


def draw_label(canvas: Canvas, art: LabelArt, x: float, y: float, page_h: float) -> None:
    """Draw art with its top-left corner at (x, y) mm from the top-left of a page page_h mm high."""
    _draw_qr(canvas, art.qr, x, y, page_h)
    for line in art.lines:
        _runs(canvas, page_h, line.runs, x + line.x_mm, y + line.baseline_mm, line.size_pt)


def _draw_qr(canvas: Canvas, qr: QrArt, x: float, y: float, page_h: float) -> None:
    module = qr.module_mm
    path = canvas.beginPath()
    for row, column, length in dark_runs(qr.matrix):
        left = x + qr.x_mm + column * module
        bottom = page_h - (y + qr.y_mm + (row + 1) * module)
        path.rect(left * mm, bottom * mm, length * module * mm, module * mm)
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1)


def _runs(
    canvas: Canvas, page_h: float, runs: tuple[Run, ...], x: float, baseline: float, size: float
) -> None:
    for run in runs:
        _text(canvas, page_h, run.text, x, baseline, size, run.bold)
        x += run.width_mm(size)


def _text(
    canvas: Canvas, page_h: float, text: str, x: float, baseline: float, size: float, bold: bool
) -> None:
    canvas.setFont(font_name(bold), size)
    canvas.drawString(x * mm, (page_h - baseline) * mm, text)


def _canvas(out: io.BytesIO, spec: Layout, title: str) -> Canvas:
    width, height = spec.page_size_mm
    canvas = Canvas(out, pagesize=(width * mm, height * mm), pageCompression=1)
    canvas.setTitle(f"{title} ({spec.name}, {spec.size_text})")
    canvas.setCreator("labels")
    # Asks the viewer to print at 100 %: "fit to page" would shift every label off its stock.
    canvas.setViewerPreference("PrintScaling", "None")
    return canvas
