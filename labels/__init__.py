"""Labels for prepared syringes and opened vials: PDF (rolls and A4 sheets), ZPL, QR as PNG/SVG.

Takes plain dataclasses of already formatted texts, returns bytes (or a ZPL string). Imports nothing
of the app.
"""

from labels.layouts import LAYOUTS, Layout, get_layout
from labels.model import Captions, Ingredient, Label, LabelDoesNotFit, SyringeLabel, VialLabel
from labels.pdf import render_calibration_pdf, render_pdf
from labels.preview import render_png
from labels.qr import qr_png, qr_svg
from labels.zpl import render_calibration_zpl, render_zpl

__all__ = [
    "LAYOUTS",
    "Captions",
    "Ingredient",
    "Label",
    "LabelDoesNotFit",
    "Layout",
    "SyringeLabel",
    "VialLabel",
    "get_layout",
    "qr_png",
    "qr_svg",
    "render_calibration_pdf",
    "render_calibration_zpl",
    "render_pdf",
    "render_png",
    "render_zpl",
]
