"""GS1 element strings from manufacturers' packs: DataMatrix, GS1 QR, GS1-128 (domain.md §4.2).

``parse_gs1`` reads what a scanner types (GS1-01, GS1-02), checks GTINs (GS1-03), dates (GS1-04)
and lot/serial characters and lengths (GS1-05), and never guesses where a field ends: a variable
field ends at a group separator (GS, ASCII 29) or at the end of the data, nowhere else.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from inventory.rules.errors import RuleError
from inventory.rules.gs1_ai import AI_ENTRIES
from inventory.rules.gtin import gtin_check_digit, normalize_gtin

GS = "\x1d"

#: Symbology identifiers (ISO/IEC 15424) of symbols that carry GS1 element strings (GS1-01).
GS1_SYMBOLOGIES = {
    "]d2": "GS1 DataMatrix",
    "]d8": "GS1 DataMatrix, rectangular extension (DMRE)",
    "]Q3": "GS1 QR Code",
    "]C1": "GS1-128",
    "]e0": "GS1 DataBar",
}

#: GS1 AI encodable character set 82, allowed in lots and serials (GS1-05): the dictionary's "X".
CSET82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
#: The dictionary's "Y" (GS1 character set 39) and "Z" (base64url, for digital signatures).
CSET39 = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
CSET64 = frozenset("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz=")
_CHARACTER_SETS = {"N": frozenset("0123456789"), "X": CSET82, "Y": CSET39, "Z": CSET64}

#: The dictionary's linters this module applies; the others (company prefix positions, ISO country
#: and currency codes, coupon structures…) are not checked here: nothing the clinic uses needs them.
CHECKED_LINTERS = frozenset({"csum", "yymmd0", "yymmdd", "yyyymmdd", "hhmi", "hh", "mi", "ss"})


class NotGs1(RuleError):
    """The scan is not a GS1 element string (GS1-01): a plain barcode, a URL, or one of our codes."""

    def __init__(
        self,
        message: str = "This is not a GS1 code: it carries no lot or expiry.",
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__("not_gs1", message, reason=reason)


class InvalidBarcode(RuleError):
    """A GS1 scan that breaks a rule of GS1-01..05; ``message`` says what, for a nurse.

    ``reason`` is a finer machine code (``"gtin_check_digit"``, ``"invalid_date"``,
    ``"field_too_long"``, ``"bad_character"``, ``"unknown_ai"``, …); ``ai`` is the application
    identifier concerned, when there is one.
    """

    def __init__(self, message: str, *, reason: str, ai: str | None = None) -> None:
        super().__init__("invalid_barcode", message, reason=reason, params={"ai": ai} if ai else {})
        self.ai = ai


@dataclass(frozen=True)
class AiComponent:
    """One part of an AI's data field (GS1 Barcode Syntax Dictionary): character set, length, linters."""

    cset: str
    min_length: int
    max_length: int
    optional: bool
    linters: tuple[str, ...]


@dataclass(frozen=True)
class AiSpec:
    """One application identifier as the GS1 Barcode Syntax Dictionary defines it (GS1-08)."""

    title: str
    components: tuple[AiComponent, ...]
    flags: str = ""
    dlpkey: str | None = None

    @property
    def min_length(self) -> int:
        return sum(part.min_length for part in self.components if not part.optional)

    @property
    def max_length(self) -> int:
        return sum(part.max_length for part in self.components)

    @property
    def fixed(self) -> bool:
        return self.min_length == self.max_length

    @property
    def predefined(self) -> bool:
        """A predefined length: another AI may follow without a group separator."""
        return "*" in self.flags

    @property
    def digital_link_attribute(self) -> bool:
        """Allowed in a GS1 Digital Link URI's query (``?17=…``)."""
        return "?" in self.flags


#: Every AI allocated in the GS1 Barcode Syntax Dictionary (release ``gs1_ai.RELEASE``), generated
#: from it by scripts/gs1_ai_table.py: an AI missing here is unallocated and refused (GS1-08).
AI_TABLE: dict[str, AiSpec] = {
    ai: AiSpec(title, tuple(AiComponent(*part) for part in parts), flags, dlpkey)
    for ai, (flags, parts, dlpkey, title) in AI_ENTRIES.items()
}

# What a nurse calls the fields she meets; other AIs go by their GS1 title.
_NAMES = {"01": "GTIN", "10": "lot", "11": "production date", "17": "expiry date", "21": "serial number"}

# The AIs that get their own attribute in Gs1Data; everything else goes to Gs1Data.other.
_MAIN_AIS = ("01", "11", "17", "10", "21")


@dataclass(frozen=True)
class Gs1Data:
    """What a GS1 scan says about a pack. ``gtin`` is always 14 digits; ``other`` holds the values of
    the remaining AIs by AI string, as scanned (dates among them are checked, not converted)."""

    gtin: str
    expiry: date | None = None
    lot: str | None = None
    serial: str | None = None
    production_date: date | None = None
    other: dict[str, str] = field(default_factory=dict, hash=False)
    #: How the pack said it: a GS1 element string, a GS1 Digital Link URI, or an IFA code (PPN).
    source: Literal["gs1", "digital_link", "ifa"] = "gs1"
    #: The German pharmacy product number of an IFA code (``11`` + PZN + check), when there is one.
    ppn: str | None = None

    def hri(self) -> str:
        """The human-readable form, ``(01)…(17)…(10)…``, to show the nurse what was read (GS1-06)."""
        pairs: list[tuple[str, str]] = [("01", self.gtin)]
        if self.production_date is not None:
            pairs.append(("11", f"{self.production_date:%y%m%d}"))
        if self.expiry is not None:
            pairs.append(("17", f"{self.expiry:%y%m%d}"))
        if self.lot is not None:
            pairs.append(("10", self.lot))
        if self.serial is not None:
            pairs.append(("21", self.serial))
        pairs.extend(self.other.items())
        return "".join(f"({ai}){value}" for ai, value in pairs)


def ai_name(ai: str) -> str:
    """A short English name for an AI, as used in messages: "lot (10)"."""
    spec = AI_TABLE.get(ai)
    name = _NAMES.get(ai) or (spec.title if spec else "field")
    return f"{name} ({ai})"


def needs_separator(ai: str) -> bool:
    """True when a GS must follow this AI's value if another field comes after it."""
    spec = AI_TABLE.get(ai)
    return spec is None or not spec.predefined


# --- dates (GS1-04) -------------------------------------------------------------------------------


def gs1_year(yy: int, today: date) -> int:
    """Four-digit year for a two-digit GS1 year (GS1-04), GS1's sliding window around ``today``:
    51 to 99 years ahead means the previous century, 50 or more years back means the next."""
    century = today.year - today.year % 100
    difference = yy - today.year % 100
    if difference >= 51:
        century -= 100
    elif difference <= -50:
        century += 100
    return century + yy


def parse_gs1_date(yymmdd: str, *, today: date, ai: str = "17", day_00: bool = True) -> date:
    """A GS1 YYMMDD date (GS1-04): day 00 is the last day of the month where the AI allows it (the
    dictionary's ``yymmd0``; ``yymmdd`` does not); month 00 or above 12, or a day past the month's
    end, is an error. Eight digits are read as YYYYMMDD (``yyyymmdd``)."""
    if len(yymmdd) not in (6, 8) or not (yymmdd.isascii() and yymmdd.isdigit()):
        raise InvalidBarcode(
            f"The {ai_name(ai)} must be 6 digits (YYMMDD), not '{yymmdd}'.", reason="invalid_date", ai=ai
        )
    year = int(yymmdd[:4]) if len(yymmdd) == 8 else gs1_year(int(yymmdd[:2]), today)
    month, day = int(yymmdd[-4:-2]), int(yymmdd[-2:])
    if not 1 <= month <= 12:
        raise InvalidBarcode(
            f"The {ai_name(ai)} {yymmdd} has month {month:02d}; months run from 01 to 12.",
            reason="invalid_date",
            ai=ai,
        )
    last_day = calendar.monthrange(year, month)[1]
    if day == 0 and day_00 and len(yymmdd) == 6:
        return date(year, month, last_day)
    if day == 0:
        raise InvalidBarcode(
            f"The {ai_name(ai)} {yymmdd} has day 00, which this field does not allow: it needs a real day.",
            reason="invalid_date",
            ai=ai,
        )
    if day > last_day:
        raise InvalidBarcode(
            f"The {ai_name(ai)} {yymmdd} would be {day} {calendar.month_name[month]} {year}, "
            f"which does not exist ({calendar.month_name[month]} {year} has {last_day} days).",
            reason="invalid_date",
            ai=ai,
        )
    return date(year, month, day)


_TIME_LIMITS = {"hh": 23, "mi": 59, "ss": 59}


def _check_linter(linter: str, ai: str, part: str, value: str, today: date) -> None:
    """One of the dictionary's linters on one component (CHECKED_LINTERS; others pass)."""
    if linter in ("yymmd0", "yymmdd", "yyyymmdd"):
        parse_gs1_date(part, today=today, ai=ai, day_00=linter == "yymmd0")
    elif linter == "hhmi" or linter in _TIME_LIMITS:
        limits = [_TIME_LIMITS["hh"], _TIME_LIMITS["mi"]] if linter == "hhmi" else [_TIME_LIMITS[linter]]
        numbers = [int(part[i : i + 2]) for i in range(0, len(part), 2)]
        if any(number > limit for number, limit in zip(numbers, limits, strict=True)):
            raise InvalidBarcode(
                f"The {ai_name(ai)} {value} has an impossible time ({part}).", reason="invalid_date", ai=ai
            )
    elif linter == "csum":
        _check_digit(ai, part)


# --- field values (GS1-03, GS1-05) ----------------------------------------------------------------


def _describe_char(char: str) -> str:
    if char == " ":
        return "a space"
    if char == GS:
        return "a group separator"
    if not char.isprintable():
        return f"the control character {char!r}"
    return f"'{char}'"


def check_value(ai: str, value: str, *, today: date) -> None:
    """Check one field's value against its AI as the dictionary defines it: characters and length
    (GS1-05), each component's character set, dates (GS1-04) and check digits (GS1-03). Raises
    InvalidBarcode with the precise reason."""
    _check_text(ai, value)
    position = 0
    for part_spec in AI_TABLE[ai].components:
        if position >= len(value) and part_spec.optional:
            break
        size = part_spec.max_length if part_spec.min_length == part_spec.max_length else len(value) - position
        part = value[position : position + size]
        position += size
        for linter in part_spec.linters:
            _check_linter(linter, ai, part, value, today)


def _check_text(ai: str, value: str) -> None:
    spec = AI_TABLE[ai]
    name = ai_name(ai)
    if not value:
        raise InvalidBarcode(f"The {name} is empty.", reason="empty_field", ai=ai)
    allowed = frozenset().union(*(_CHARACTER_SETS[part.cset] for part in spec.components))
    for position, char in enumerate(value, start=1):
        if char not in allowed and char not in CSET82:
            raise InvalidBarcode(
                f"The {name} '{value}' contains {_describe_char(char)} at character {position}, which a "
                "GS1 code never contains. The scanner's keyboard layout probably does not match the "
                "computer's (for example a US scanner typing on a Turkish keyboard): check the scanner "
                "settings and scan again.",
                reason="bad_character",
                ai=ai,
            )
    if len(value) > spec.max_length and spec.fixed:
        raise InvalidBarcode(
            f"The {name} '{value}' is {len(value)} characters long; it must have exactly {spec.max_length}.",
            reason="field_too_long",
            ai=ai,
        )
    if len(value) > spec.max_length:
        raise InvalidBarcode(
            f"The {name} '{value}' is {len(value)} characters long; at most {spec.max_length} are allowed. "
            "A group separator was probably lost between two fields (the scanner or the browser dropped "
            "it): check the scanner's setting for the GS character, or type the fields by hand.",
            reason="field_too_long",
            ai=ai,
        )
    if len(value) < spec.min_length:
        raise InvalidBarcode(
            f"The {name} '{value}' is too short: it needs "
            + (f"{spec.min_length} characters." if spec.fixed else f"at least {spec.min_length} characters."),
            reason="field_too_short",
            ai=ai,
        )
    _check_components(ai, value, spec)


def _check_components(ai: str, value: str, spec: AiSpec) -> None:
    """Each component's characters: digits where the dictionary says N, CSET 82 (X), 39 (Y), 64 (Z)."""
    position = 0
    for part_spec in spec.components:
        if position >= len(value):
            if part_spec.optional:
                return
            raise InvalidBarcode(
                f"The {ai_name(ai)} '{value}' is too short.", reason="field_too_short", ai=ai
            )
        fixed = part_spec.min_length == part_spec.max_length
        part = value[position : position + part_spec.max_length] if fixed else value[position:]
        if fixed and len(part) < part_spec.max_length:
            raise InvalidBarcode(
                f"The {ai_name(ai)} '{value}' is too short.", reason="field_too_short", ai=ai
            )
        if part_spec.cset == "N" and not (part.isascii() and part.isdigit()):
            what = (
                "must be digits"
                if position == 0 and len(part) == len(value)
                else (f"must have digits at characters {position + 1} to {position + len(part)}")
            )
            raise InvalidBarcode(f"The {ai_name(ai)} '{value}' {what}.", reason="not_numeric", ai=ai)
        bad = next((char for char in part if char not in _CHARACTER_SETS[part_spec.cset]), None)
        if bad is not None:
            raise InvalidBarcode(
                f"The {ai_name(ai)} '{value}' contains {_describe_char(bad)}, which this field does not "
                "allow.",
                reason="bad_character",
                ai=ai,
            )
        position += len(part)


def _check_digit(ai: str, value: str) -> None:
    expected = gtin_check_digit(value[:-1])
    if int(value[-1]) != expected:
        raise InvalidBarcode(
            f"The {ai_name(ai)} {value} has a wrong check digit (expected {expected}, found {value[-1]}): "
            "the code was misread or is damaged. Scan it again.",
            reason="gtin_check_digit",
            ai=ai,
        )


# --- reading the scan (GS1-01, GS1-02) ------------------------------------------------------------


def strip_terminator(raw: str) -> str:
    """Remove exactly one trailing CR, LF, CRLF or Tab: the key a scanner presses after the data."""
    if raw.endswith("\r\n"):
        return raw[:-2]
    if raw[-1:] in ("\r", "\n", "\t"):
        return raw[:-1]
    return raw


def _strip_symbology(text: str) -> tuple[str, bool]:
    """Remove a GS1 symbology identifier; any other identifier means a plain code (GS1-01)."""
    if not text.startswith("]"):
        return text, False
    identifier = text[:3]
    if identifier in GS1_SYMBOLOGIES:
        return text[3:], True
    raise NotGs1(
        f"The scanner reports a plain barcode ({identifier}), not a GS1 code: it carries no lot or expiry.",
        reason="plain_barcode",
    )


def _reject_plain(text: str) -> None:
    """Without a symbology identifier, tell a GS1 element string from other things scanned."""
    if not text[:1].isdigit() or not text.isascii():
        raise NotGs1()
    if text.isdigit() and len(text) in (8, 12, 13, 14) and gtin_check_digit(text[:-1]) == int(text[-1]):
        raise NotGs1(
            f"This is a plain product barcode (GTIN {text}) without lot or expiry: "
            "scan the square 2D code (DataMatrix) on the pack instead.",
            reason="plain_gtin",
        )


def _after(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return ""
    ai, value = pairs[-1]
    return f" after the {ai_name(ai)} '{value}'"


def _read_ai(text: str, position: int, pairs: list[tuple[str, str]]) -> str:
    """The AI starting at ``position``: GS1 AIs are prefix-free, so the first match is the only one."""
    for length in (2, 3, 4):
        candidate = text[position : position + length]
        if not (candidate.isascii() and candidate.isdigit()):
            break
        if len(candidate) == length and candidate in AI_TABLE:
            return candidate
    head = text[position : position + 4]
    if len(text) - position < 2 and head.isdigit():
        raise InvalidBarcode(
            f"The code ends{_after(pairs)} with an incomplete field '{head}': it was cut short.",
            reason="field_too_short",
        )
    if not head[:1].isdigit():
        raise InvalidBarcode(
            f"The code continues{_after(pairs)} with {_describe_char(head[0])} at character {position + 1}, "
            "where a field should start. The code may be damaged, or the scanner mangled it.",
            reason="unexpected_character",
        )
    raise InvalidBarcode(
        f"The code contains an application identifier this app does not know ('{head}…' at character "
        f"{position + 1}{_after(pairs)}). The code may be damaged, or a group separator was lost.",
        reason="unknown_ai",
        ai=head,
    )


def _split_element_string(text: str, today: date) -> list[tuple[str, str]]:
    """AI/value pairs of an element string whose separators are GS."""
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position] == GS:  # FNC1 in first position, or a separator repeated
            position += 1
            continue
        ai = _read_ai(text, position, pairs)
        spec = AI_TABLE[ai]
        start = position + len(ai)
        if spec.fixed:
            end = min(start + spec.max_length, len(text))
            if GS in text[start:end]:
                end = text.index(GS, start)
            if end - start < spec.max_length:
                raise InvalidBarcode(
                    f"The {ai_name(ai)} is cut short: {spec.max_length} characters expected, "
                    f"'{text[start:end]}' found.",
                    reason="field_too_short",
                    ai=ai,
                )
        else:
            end = text.find(GS, start)
            if end == -1:
                end = len(text)
        value = text[start:end]
        check_value(ai, value, today=today)
        pairs.append((ai, value))
        position = end
    return pairs


_BRACKETED_AI = re.compile(r"\s*\((\d{2,4})\)\s*")


def _split_bracketed(text: str, today: date) -> list[tuple[str, str]]:
    """AI/value pairs of the human-readable form ``(01)…(17)…(10)…`` (GS1-02).

    A value ends where the next ``(AI)`` of a known AI starts; spaces around the brackets are ignored.
    """
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _BRACKETED_AI.match(text, position)
        if match is None:
            raise InvalidBarcode(
                f"Expected an application identifier in brackets, like (10), at character {position + 1}"
                f"{_after(pairs)}.",
                reason="unexpected_character",
            )
        ai = match.group(1)
        if ai not in AI_TABLE:
            raise InvalidBarcode(
                f"The code contains an application identifier this app does not know: ({ai}).",
                reason="unknown_ai",
                ai=ai,
            )
        start = match.end()
        end = next(
            (m.start() for m in _BRACKETED_AI.finditer(text, start) if m.group(1) in AI_TABLE), len(text)
        )
        value = text[start:end]
        check_value(ai, value, today=today)
        pairs.append((ai, value))
        position = end
    return pairs


def _collect(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for ai, value in pairs:
        if values.get(ai, value) != value:
            raise InvalidBarcode(
                f"The code contains the {ai_name(ai)} twice with different values "
                f"('{values[ai]}' and '{value}').",
                reason="duplicate_ai",
                ai=ai,
            )
        values[ai] = value
    return values


def _to_data(values: dict[str, str], today: date) -> Gs1Data:
    if "01" not in values:
        hint = " It looks like a shipping label (SSCC)." if "00" in values else ""
        hint = " It looks like an outer case (AI 02)." if "02" in values else hint
        raise InvalidBarcode(
            f"The code has no GTIN (AI 01), so the product cannot be identified.{hint}",
            reason="missing_gtin",
            ai="01",
        )
    return Gs1Data(
        gtin=values["01"],
        expiry=parse_gs1_date(values["17"], today=today, ai="17") if "17" in values else None,
        lot=values.get("10"),
        serial=values.get("21"),
        production_date=parse_gs1_date(values["11"], today=today, ai="11") if "11" in values else None,
        other={ai: value for ai, value in values.items() if ai not in _MAIN_AIS},
    )


def parse_gs1(raw: str, *, today: date, gs_substitute: str = "~") -> Gs1Data:
    """Parse a scanned GS1 code (GS1-01..05).

    Accepts the data with or without a GS1 symbology identifier (``]d2``, ``]Q3``, ``]C1``, ``]e0``),
    with GS or ``gs_substitute`` as separator, or in the bracketed human form; one trailing CR, LF,
    CRLF or Tab is ignored. ``today`` anchors the two-digit years (GS1-04).

    Raises ``NotGs1`` when the scan is not GS1 at all (``]d1…``, a plain EAN, one of our codes) and
    ``InvalidBarcode`` (code ``invalid_barcode``) with a precise message when it is a broken GS1 code.
    """
    text = strip_terminator(raw)
    if not text:
        raise InvalidBarcode("Nothing was scanned.", reason="empty")
    text, has_identifier = _strip_symbology(text)
    if text.lstrip().startswith("("):
        pairs = _split_bracketed(text, today)
    else:
        if gs_substitute:
            text = text.replace(gs_substitute, GS)
        if not has_identifier:
            _reject_plain(text.lstrip(GS))
        pairs = _split_element_string(text, today)
    if not pairs:
        raise InvalidBarcode("The code contains no data after its identifier.", reason="empty")
    return pairs_to_data(pairs, today)


def pairs_to_data(
    pairs: Iterable[tuple[str, str]], today: date, *, source: Literal["gs1", "digital_link"] = "gs1"
) -> Gs1Data:
    """The pack's data from checked AI/value pairs, whatever carried them (element string, URI)."""
    data = _to_data(_collect(pairs), today)
    return data if source == "gs1" else replace(data, source=source)


def build_gs1(
    gtin: str,
    expiry: date | None = None,
    lot: str | None = None,
    serial: str | None = None,
    *,
    prefix: str = "]d2",
    gs: str = GS,
    bracketed: bool = False,
    production_date: date | None = None,
) -> str:
    """A GS1 element string as a scanner would type it (for tests and the demo).

    Fields of predefined length (01, 11, 17) come first, so that only the others (10, 21) need the
    separator ``gs``. ``bracketed=True`` gives the human form ``(01)…(17)…`` instead (no prefix).
    """
    pairs = [
        ("01", normalize_gtin(gtin)),
        ("11", None if production_date is None else f"{production_date:%y%m%d}"),
        ("17", None if expiry is None else f"{expiry:%y%m%d}"),
        ("10", lot),
        ("21", serial),
    ]
    present = [(ai, value) for ai, value in pairs if value is not None]
    for ai, value in present:
        _check_text(ai, value)
    if bracketed:
        return "".join(f"({ai}){value}" for ai, value in present)
    predefined = "".join(ai + value for ai, value in present if not needs_separator(ai))
    return prefix + predefined + gs.join(ai + value for ai, value in present if needs_separator(ai))
