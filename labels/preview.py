"""Pictures of the real output: the PDF that would print, rendered to PNG (pypdfium2), one picture
per physical label. A preview is never drawn by other code than the labels themselves."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pypdfium2 as pdfium

from labels.layouts import Layout, get_layout
from labels.model import Captions, Label
from labels.pdf import render_pdf

PREVIEW_PX_PER_MM = 12  # about 300 dpi: small print stays readable on a screen


def render_png(
    labels: Sequence[Label], layout: str | Layout, captions: Captions = Captions(), *, limit: int = 4
) -> list[bytes]:
    """The first `limit` labels exactly as render_pdf prints them (a roll's page, a sheet's cell)."""
    spec = get_layout(layout)
    document = pdfium.PdfDocument(render_pdf(labels, spec, captions))
    scale = PREVIEW_PX_PER_MM * 25.4 / 72
    pictures: list[bytes] = []
    try:
        for page in document:
            try:
                image = page.render(scale=scale).to_pil().convert("RGB")
            finally:
                page.close()
            cells = range(1) if spec.is_roll else range(spec.per_page)
            for cell in cells:
                if len(pictures) >= limit:
                    return pictures
                if spec.is_sheet:
                    left, top = spec.cell_origin_mm(cell)
                    right, bottom = left + spec.label_width_mm, top + spec.label_height_mm
                    px = PREVIEW_PX_PER_MM
                    picture = image.crop(
                        (round(left * px), round(top * px), round(right * px), round(bottom * px))
                    )
                    if picture.convert("L").getextrema() == (255, 255):
                        return pictures  # the first empty cell: no more labels
                else:
                    picture = image
                out = io.BytesIO()
                picture.save(out, format="PNG", optimize=True)
                pictures.append(out.getvalue())
    finally:
        document.close()
    return pictures
