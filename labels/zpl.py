"""ZPL II for Zebra-style thermal printers: the same composition as the PDF, in printer dots."""

from __future__ import annotations

from collections.abc import Sequence

from labels.compose import BatchFitting, LabelArt, QrArt, TextLine, compose, flow, place_qr, text_area
from labels.layouts import Layout, get_layout
from labels.model import Captions, Label
from labels.typeset import PT_PER_MM, paragraph

DOTS_PER_MM = {203: 8, 300: 12, 600: 24}
_CONTROL = "^~_"  # command prefixes, and ^FH's escape character
# LBL-04: ^BY persists in the printer from one job to the next, and the firmware offsets a ^FO-placed
# ^BQ by the bar code height in effect. Every label sets the power-on value, so the QR lands where
# the layout put it whatever another program printed before.
BAR_DEFAULTS = "^BY2,3,10"
# Swiss 721 (Zebra's TT0003M_, resident on Link-OS printers) has ç ğ ı İ ö ş ü; the built-in font 0
# of older firmware does not. Assigned to the letter T in every label.
FONT = "^CWT,E:TT0003M_.FNT"
CALIBRATION_CODE = "CALIBRATE"


def render_zpl(
    labels: Sequence[Label], layout: str | Layout, captions: Captions = Captions(), dpi: int = 203
) -> str:
    """One ^XA…^XZ format per label, UTF-8 (^CI28): send it to the printer encoded as UTF-8."""
    spec = get_layout(layout)
    if not labels:
        raise ValueError("no labels to render")
    dots_per_mm = _dots_per_mm(spec, dpi)
    batch = BatchFitting()
    return "".join(
        label_zpl(art, dots_per_mm)
        for label in labels
        for art in compose(label, spec, captions, dots_per_mm, batch)
    )


def _dots_per_mm(spec: Layout, dpi: int) -> int:
    if spec.is_sheet:
        raise ValueError(f"layout {spec.name!r} is a sheet for office printers: use render_pdf")
    if dpi not in DOTS_PER_MM:
        raise ValueError(f"unsupported printer resolution {dpi} dpi; supported: {sorted(DOTS_PER_MM)}")
    return DOTS_PER_MM[dpi]


def _head(width_mm: float, height_mm: float, dots_per_mm: int) -> list[str]:
    return [
        "^XA",
        "^CI28",
        f"^PW{_dots(width_mm, dots_per_mm)}",
        f"^LL{_dots(height_mm, dots_per_mm)}",
        "^LH0,0",
        BAR_DEFAULTS,
        FONT,
    ]


def _qr_field(qr: QrArt, dots_per_mm: int, x_mm: float = 0.0, y_mm: float = 0.0) -> str:
    # "MA,": error correction M, automatic mode. Without it the printer eats the first characters.
    return (
        f"^FO{_dots(x_mm + qr.x_mm, dots_per_mm)},{_dots(y_mm + qr.y_mm, dots_per_mm)}"
        f"^BQN,2,{qr.module_dots}{_field('MA,' + qr.data)}"
    )


def label_zpl(art: LabelArt, dots_per_mm: int) -> str:
    commands = [
        *_head(art.width_mm, art.height_mm, dots_per_mm),
        _qr_field(art.qr, dots_per_mm),
        *(_text_field(line, dots_per_mm) for line in art.lines),
        "^XZ",
    ]
    return "\n".join(commands) + "\n"


def render_calibration_zpl(layout: str | Layout, dpi: int = 203) -> str:
    """A test label for a Zebra roll: the label's edge outlined, a 10 mm scale with a tick per mm,
    the layout's name and size, and a QR of CALIBRATE where a label's QR goes."""
    spec = get_layout(layout)
    dots_per_mm = _dots_per_mm(spec, dpi)
    qr = place_qr(CALIBRATION_CODE, spec, dots_per_mm)
    area = text_area(spec, qr)
    info = [paragraph(spec.name, bold=True), paragraph(spec.size_text), paragraph(f"{dpi} dpi")]
    lines, _ = flow(info, 6.0, area)
    width, height = _dots(spec.label_width_mm, dots_per_mm), _dots(spec.label_height_mm, dots_per_mm)
    line = max(1, dots_per_mm // 4)
    ruler_x = _dots(area.below_x_mm if not lines else lines[-1].x_mm, dots_per_mm)
    ruler_y = _dots((lines[-1].top_mm + 4.0) if lines else area.top_mm + 4.0, dots_per_mm)
    ticks = [
        f"^FO{ruler_x + tick * dots_per_mm},{ruler_y - (16 if tick % 5 == 0 else 8) * dots_per_mm // 8}"
        f"^GB{line},{(16 if tick % 5 == 0 else 8) * dots_per_mm // 8},{line}^FS"
        for tick in range(11)
    ]
    commands = [
        *_head(spec.label_width_mm, spec.label_height_mm, dots_per_mm),
        f"^FO0,0^GB{width},{height},{line}^FS",
        _qr_field(qr, dots_per_mm),
        *(_text_field(text, dots_per_mm) for text in lines),
        f"^FO{ruler_x},{ruler_y}^GB{10 * dots_per_mm + line},{line},{line}^FS",
        *ticks,
        f"^FO{ruler_x + 10 * dots_per_mm + 2 * line},{ruler_y - 2 * dots_per_mm}"
        f"^ATN,{2 * dots_per_mm},{2 * dots_per_mm}^FD10 mm^FS",
        "^XZ",
    ]
    return "\n".join(commands) + "\n"


def _dots(value_mm: float, dots_per_mm: int) -> int:
    return round(value_mm * dots_per_mm)


def _text_field(line: TextLine, dots_per_mm: int) -> str:
    height = _dots(line.size_pt / PT_PER_MM, dots_per_mm)
    # In a ^FB block a backslash starts an escape (\& is a new line): "\\" prints one.
    text = line.text.replace("\\", "\\\\")
    return (
        f"^FO{_dots(line.x_mm, dots_per_mm)},{_dots(line.top_mm, dots_per_mm)}"
        f"^ATN,{height},{height}^FB{_dots(line.width_mm, dots_per_mm)},1,0,L,0{_field(text)}"
    )


def _field(text: str) -> str:
    """^FD…^FS, switching to hexadecimal escapes (^FH) when the text holds ^, ~ or _."""
    if not any(char in _CONTROL for char in text):
        return f"^FD{text}^FS"
    escaped = "".join(f"_{ord(char):02X}" if char in _CONTROL else char for char in text)
    return f"^FH_^FD{escaped}^FS"
