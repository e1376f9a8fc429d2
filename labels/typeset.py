"""Fonts and line breaking. DejaVu Sans is embedded because the 14 standard PDF fonts lack Turkish letters."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = "LabelsDejaVuSans"
BOLD = "LabelsDejaVuSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

PT_PER_MM = 72 / 25.4
MIN_FONT_PT = 5.0  # nothing is ever set smaller (a layout may ask for more: Layout.min_font_pt)
LEADING = 1.15  # line pitch / font size: DejaVu's ascent + descent is 1.164 em
ASCENT = 0.9  # baseline below the top of a line, in em: room for İ Ş Ğ


def register_fonts() -> None:
    """Register the embedded fonts with reportlab; safe to call any number of times."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, filename in _FILES.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))


register_fonts()


def font_name(bold: bool) -> str:
    return BOLD if bold else REGULAR


def text_width_mm(text: str, size_pt: float, bold: bool = False) -> float:
    """The text's width at this size: reportlab's own arithmetic (0.001 × size × the sum of the glyph
    widths) on a sum measured once per text and weight."""
    return 0.001 * size_pt * _advance(text, bold) / PT_PER_MM


@lru_cache(maxsize=16384)
def _advance(text: str, bold: bool) -> float:
    """The sum of the text's glyph widths in thousandths of an em, which is its width at 1000 pt. Fitting
    a label measures the same words at every font size it tries, and the labels of a batch share all but
    their code: measured once, the text is fitted in a fraction of the time."""
    return float(pdfmetrics.stringWidth(text, font_name(bold), 1000))


def line_pitch_mm(size_pt: float) -> float:
    return size_pt * LEADING / PT_PER_MM


@dataclass(frozen=True)
class Run:
    """Text in one weight."""

    text: str
    bold: bool = False
    keep: bool = False  # never broken between its words ("BUD 2026-12-02 21:00"): moves to a wider line

    def width_mm(self, size_pt: float) -> float:
        return text_width_mm(self.text, size_pt, self.bold)


@dataclass(frozen=True)
class Paragraph:
    """Text that starts on a line of its own. It breaks between units (joined by sep), then between
    the words of a unit that does not fit a line alone, and only then inside a word."""

    units: tuple[Run, ...]
    sep: str = " · "

    @property
    def text(self) -> str:
        return self.sep.join(unit.text for unit in self.units)


def paragraph(*texts: str, bold: bool = False) -> Paragraph:
    return Paragraph(tuple(Run(text, bold) for text in texts))


def runs_width_mm(runs: tuple[Run, ...], size_pt: float) -> float:
    return sum(run.width_mm(size_pt) for run in runs)


def take_line(
    units: list[Run], sep: str, width_mm: float, size_pt: float, split_units: bool = True
) -> tuple[Run, ...]:
    """Remove from units the text of one line at most width_mm wide, if at all possible, and
    return it as runs. When the first unit alone is too wide, take some of its words (a number
    and its unit stay together); only with split_units, when not even one word fits, characters
    (at least one, even if too wide)."""
    separator = Run(sep)

    def width_of(pieces: list[Run]) -> float:
        return runs_width_mm(_joined(pieces, separator), size_pt)

    taken = 0
    while taken < len(units) and width_of(units[: taken + 1]) <= width_mm:
        taken += 1
    pieces = units[:taken]
    del units[:taken]
    if pieces or not units:
        return _joined(pieces, separator)
    first = units[0]

    def fits(text: str) -> bool:
        return text_width_mm(text, size_pt, first.bold) <= width_mm

    if first.keep and not split_units:
        return ()
    split = _split_words(first.text, fits)
    if split is None and not split_units:
        return ()
    head, rest = split or _split_chars(first.text, fits)
    if rest:
        units[0] = Run(rest, first.bold)
    else:
        del units[0]
    return (Run(head, first.bold),)


def _joined(units: list[Run], separator: Run) -> tuple[Run, ...]:
    """The units with separators between them, neighbours of the same weight merged into one run."""
    runs: list[Run] = []
    for index, unit in enumerate(units):
        for run in (separator, unit) if index else (unit,):
            if runs and runs[-1].bold == run.bold:
                runs[-1] = Run(runs[-1].text + run.text, run.bold, runs[-1].keep and run.keep)
            else:
                runs.append(run)
    return tuple(runs)


# A unit after a number: the two are one word for line breaking (LBL-01: "0.5" / "mL" never happens).
_UNIT = re.compile(r"^(?:[µu]?[lL]|m[lL]|mg|µg|mcg|g|IU|U|%|‰|°C|mmol|mol|mm|cm|h|min|x|×)(?![A-Za-z])")

_TIME = re.compile(r"^\d{1,2}:\d{2}$")  # "2025-03-10 21:00": a date and its time stay together too


def words_of(text: str) -> list[str]:
    """The text's words, a number and the unit after it kept as one."""
    words: list[str] = []
    for word in text.split(" "):
        if words and words[-1][-1:].isdigit() and (_UNIT.match(word) or _TIME.match(word)):
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    return words


def _split_words(text: str, fits: Callable[[str], bool]) -> tuple[str, str] | None:
    words = words_of(text)
    taken = 0
    while taken < len(words) - 1 and fits(" ".join(words[: taken + 1])):
        taken += 1
    if not taken:
        return None
    return " ".join(words[:taken]), " ".join(words[taken:])


def _split_chars(text: str, fits: Callable[[str], bool]) -> tuple[str, str]:
    taken = 1
    while taken < len(text) and fits(text[: taken + 1]):
        taken += 1
    return text[:taken].rstrip(), text[taken:].lstrip()
