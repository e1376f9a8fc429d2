"""ZPL II for Zebra-style thermal printers: the same composition as the PDF, in printer dots."""

from __future__ import annotations

from collections.abc import Sequence

from labels.compose import LabelArt, TextLine, compose
from labels.layouts import Layout, get_layout
from labels.model import Captions, Label
from labels.typeset import PT_PER_MM

DOTS_PER_MM = {203: 8, 300: 12, 600: 24}
_CONTROL = "^~_"  # command prefixes, and ^FH's escape character


def render_zpl(
    labels: Sequence[Label], layout: str | Layout, captions: Captions = Captions(), dpi: int = 203
) -> str:
    """One ^XA…^XZ format per label, UTF-8 (^CI28): send it to the printer encoded as UTF-8."""
    spec = get_layout(layout)
    if spec.is_sheet:
        raise ValueError(f"layout {spec.name!r} is a sheet for office printers: use render_pdf")
    if dpi not in DOTS_PER_MM:
        raise ValueError(f"unsupported printer resolution {dpi} dpi; supported: {sorted(DOTS_PER_MM)}")
    if not labels:
        raise ValueError("no labels to render")
    dots_per_mm = DOTS_PER_MM[dpi]
    return "".join(label_zpl(compose(label, spec, captions, dots_per_mm), dots_per_mm) for label in labels)


def label_zpl(art: LabelArt, dots_per_mm: int) -> str:
    qr = art.qr
    commands = [
        "^XA",
        "^CI28",
        f"^PW{_dots(art.width_mm, dots_per_mm)}",
        f"^LL{_dots(art.height_mm, dots_per_mm)}",
        "^LH0,0",
        # "MA,": error correction M, automatic mode. Without it the printer eats the first characters.
        f"^FO{_dots(qr.x_mm, dots_per_mm)},{_dots(qr.y_mm, dots_per_mm)}"
        f"^BQN,2,{qr.module_dots}{_field('MA,' + qr.data)}",
        *(_text_field(line, dots_per_mm) for line in art.lines),
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
        f"^A0N,{height},{height}^FB{_dots(line.width_mm, dots_per_mm)},1,0,L,0{_field(text)}"
    )


def _field(text: str) -> str:
    """^FD…^FS, switching to hexadecimal escapes (^FH) when the text holds ^, ~ or _."""
    if not any(char in _CONTROL for char in text):
        return f"^FD{text}^FS"
    escaped = "".join(f"_{ord(char):02X}" if char in _CONTROL else char for char in text)
    return f"^FH_^FD{escaped}^FS"
