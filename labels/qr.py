"""QR symbols: always a standard (Model 2) QR, error correction M, quiet zone of 4 modules."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
import qrcode.constants
import qrcode.util
from PIL import Image

QUIET_ZONE_MODULES = 4

Matrix = tuple[tuple[bool, ...], ...]


@lru_cache(maxsize=256)
def qr_matrix(data: str) -> Matrix:
    """The symbol's modules (True = dark), without the quiet zone.

    One segment in the most compact mode for the whole string: a code of upper-case letters and
    digits is alphanumeric mode, anything else byte mode (UTF-8).
    """
    if not data:
        raise ValueError("cannot encode an empty string in a QR code")
    symbol = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    symbol.add_data(qrcode.util.QRData(data))
    symbol.make(fit=True)
    return tuple(tuple(bool(module) for module in row) for row in symbol.get_matrix())


def dark_runs(matrix: Matrix) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules as (row, first column, length): fewer shapes than one per module."""
    runs = []
    for row_index, row in enumerate(matrix):
        start: int | None = None
        for column, dark in enumerate((*row, False)):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                runs.append((row_index, start, column - start))
                start = None
    return runs


def qr_png(data: str, module_px: int = 8) -> bytes:
    """A black-on-white PNG with a 4-module quiet zone, each module module_px pixels wide."""
    if module_px < 1:
        raise ValueError("module_px must be at least 1")
    matrix = qr_matrix(data)
    side = len(matrix) + 2 * QUIET_ZONE_MODULES
    image = Image.new("1", (side, side), 1)
    for row, column, length in dark_runs(matrix):
        y = row + QUIET_ZONE_MODULES
        x = column + QUIET_ZONE_MODULES
        image.paste(0, (x, y, x + length, y + 1))
    image = image.resize((side * module_px, side * module_px), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def qr_svg(data: str) -> bytes:
    """An SVG in module units (viewBox) with a 4-module quiet zone; scale it with width/height or CSS."""
    matrix = qr_matrix(data)
    side = len(matrix) + 2 * QUIET_ZONE_MODULES
    path = "".join(
        f"M{column + QUIET_ZONE_MODULES},{row + QUIET_ZONE_MODULES}h{length}v1h-{length}z"
        for row, column, length in dark_runs(matrix)
    )
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'width="{side * 8}" height="{side * 8}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>\n'
    )
    return svg.encode("utf-8")
