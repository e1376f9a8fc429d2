"""GS1 element strings from manufacturers' packs: DataMatrix, GS1 QR, GS1-128 (domain.md §4.2).

``parse_gs1`` reads what a scanner types (GS1-01, GS1-02), checks GTINs (GS1-03), dates (GS1-04)
and lot/serial characters and lengths (GS1-05), and never guesses where a field ends: a variable
field ends at a group separator (GS, ASCII 29) or at the end of the data, nowhere else.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from inventory.rules.errors import RuleError
from inventory.rules.gtin import gtin_check_digit, normalize_gtin

GS = "\x1d"

#: Symbology identifiers (ISO/IEC 15424) of symbols that carry GS1 element strings (GS1-01).
GS1_SYMBOLOGIES = {
    "]d2": "GS1 DataMatrix",
    "]Q3": "GS1 QR Code",
    "]C1": "GS1-128",
    "]e0": "GS1 DataBar",
}

#: GS1 AI encodable character set 82, allowed in lots and serials (GS1-05).
CSET82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")

#: GS1 General Specifications, "element strings with predefined length": the first two digits of an
#: AI → total length (AI included). Only these may be followed by another AI without a GS.
PREDEFINED_LENGTHS: dict[str, int] = {
    "00": 20, "01": 16, "02": 16, "03": 16, "04": 18,
    "11": 8, "12": 8, "13": 8, "14": 8, "15": 8, "16": 8, "17": 8, "18": 8, "19": 8,
    "20": 4,
    "31": 10, "32": 10, "33": 10, "34": 10, "35": 10, "36": 10,
    "41": 16,
}  # fmt: skip


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
class AiSpec:
    """One application identifier: its data length and which leading characters must be digits."""

    title: str
    min_length: int
    max_length: int
    digits: int = 0
    kind: Literal["text", "date", "datetime"] = "text"

    @property
    def fixed(self) -> bool:
        return self.min_length == self.max_length


def _n(title: str, length: int) -> AiSpec:
    return AiSpec(title, length, length, digits=length)


def _nv(title: str, max_length: int) -> AiSpec:
    return AiSpec(title, 1, max_length, digits=max_length)


def _x(title: str, max_length: int) -> AiSpec:
    return AiSpec(title, 1, max_length)


def _date(title: str) -> AiSpec:
    return AiSpec(title, 6, 6, digits=6, kind="date")


def _measures() -> dict[str, AiSpec]:
    """The 31nn to 36nn trade and logistic measures (N6, last AI digit = decimals) and 390n to 395n."""
    table: dict[str, AiSpec] = {}
    for first, last in ((310, 316), (320, 329), (330, 337), (340, 349), (350, 357), (360, 369)):
        for ai3 in range(first, last + 1):
            for decimals in range(10):
                table[f"{ai3}{decimals}"] = _n("Measure", 6)
    for decimals in range(10):
        table[f"390{decimals}"] = _nv("Amount payable, local currency", 15)
        table[f"391{decimals}"] = AiSpec("Amount payable with ISO currency code", 4, 18, digits=18)
        table[f"392{decimals}"] = _nv("Amount payable for a variable measure item", 15)
        table[f"393{decimals}"] = AiSpec(
            "Amount payable for a variable measure item, with currency", 4, 18, digits=18
        )
        table[f"394{decimals}"] = _n("Percentage discount of a coupon", 4)
        table[f"395{decimals}"] = _n("Amount payable per unit of measure", 6)
    return table


#: Application identifiers this parser knows (GS1 General Specifications, section 3). Enough for
#: healthcare packs; any other AI is an error that names it.
AI_TABLE: dict[str, AiSpec] = {
    "00": _n("SSCC", 18),
    "01": _n("GTIN", 14),
    "02": _n("GTIN of contained trade items", 14),
    "03": _n("GTIN of a made-to-order trade item", 14),
    "10": _x("Lot", 20),
    "11": _date("Production date"),
    "12": _date("Due date"),
    "13": _date("Packaging date"),
    "15": _date("Best before date"),
    "16": _date("Sell by date"),
    "17": _date("Expiry date"),
    "20": _n("Internal product variant", 2),
    "21": _x("Serial number", 20),
    "22": _x("Consumer product variant", 20),
    "235": _x("Third-party serialised extension of GTIN", 28),
    "240": _x("Additional product identification", 30),
    "241": _x("Customer part number", 30),
    "242": _nv("Made-to-order variation number", 6),
    "243": _x("Packaging component number", 20),
    "250": _x("Secondary serial number", 30),
    "251": _x("Reference to source entity", 30),
    "253": AiSpec("Global Document Type Identifier", 13, 30, digits=13),
    "254": _x("GLN extension component", 20),
    "255": AiSpec("Global Coupon Number", 13, 25, digits=25),
    "30": _nv("Variable count of items", 8),
    "37": _nv("Count of trade items", 8),
    **_measures(),
    "400": _x("Customer's purchase order number", 30),
    "401": _x("Global Identification Number for Consignment", 30),
    "402": _n("Global Shipment Identification Number", 17),
    "403": _x("Routing code", 30),
    "410": _n("Ship to GLN", 13),
    "411": _n("Bill to GLN", 13),
    "412": _n("Purchased from GLN", 13),
    "413": _n("Ship for GLN", 13),
    "414": _n("Location GLN", 13),
    "415": _n("Invoicing party GLN", 13),
    "416": _n("Production or service location GLN", 13),
    "417": _n("Party GLN", 13),
    "420": _x("Ship to postal code", 20),
    "421": AiSpec("Ship to postal code with ISO country code", 4, 12, digits=3),
    "422": _n("Country of origin", 3),
    "423": AiSpec("Countries of initial processing", 3, 15, digits=15),
    "424": _n("Country of processing", 3),
    "425": AiSpec("Countries of disassembly", 3, 15, digits=15),
    "426": _n("Country of full process chain", 3),
    "427": _x("Country subdivision of origin", 3),
    "7001": _n("NATO Stock Number", 13),
    "7002": _x("UN/ECE meat carcasses and cuts classification", 30),
    "7003": AiSpec("Expiry date and time", 10, 10, digits=10, kind="datetime"),
    "7004": _nv("Active potency", 4),
    "7005": _x("Catch area", 12),
    "7006": _date("First freeze date"),
    "7007": AiSpec("Harvest date", 6, 12, digits=12),
    "7008": _x("Species for fishery purposes", 3),
    "7009": _x("Fishing gear type", 10),
    "7010": _x("Production method", 2),
    "7011": AiSpec("Test by date", 6, 10, digits=10),
    "7020": _x("Refurbishment lot", 20),
    "7021": _x("Functional status", 20),
    "7022": _x("Revision status", 20),
    "7023": _x("Global Individual Asset Identifier of an assembly", 30),
    **{f"703{s}": AiSpec("Approval number of processor", 4, 30, digits=3) for s in range(10)},
    "7040": AiSpec("GS1 UIC with extension and importer index", 4, 4),
    "710": _x("National Healthcare Reimbursement Number, Germany (PZN)", 20),
    "711": _x("National Healthcare Reimbursement Number, France (CIP)", 20),
    "712": _x("National Healthcare Reimbursement Number, Spain", 20),
    "713": _x("National Healthcare Reimbursement Number, Brazil", 20),
    "714": _x("National Healthcare Reimbursement Number, Portugal", 20),
    "715": _x("National Healthcare Reimbursement Number, United States (NDC)", 20),
    "716": _x("National Healthcare Reimbursement Number, Italy (AIC)", 20),
    **{f"723{s}": AiSpec("Certification reference", 3, 30) for s in range(10)},
    "7240": _x("Protocol identifier", 20),
    "7241": _n("AIDC media type", 2),
    "7242": _x("Version control number", 25),
    "7250": _n("Date of birth", 8),
    "7251": _n("Date and time of birth", 12),
    "7252": _n("Biological sex", 1),
    "7253": _x("Family name", 40),
    "7254": _x("Given name", 40),
    "7255": _x("Name suffix", 10),
    "7256": _x("Full name", 90),
    "7257": _x("Address", 70),
    "7258": AiSpec("Baby birth sequence indicator", 3, 3),
    "7259": _x("Baby of family name", 40),
    "8001": _n("Roll products", 14),
    "8002": _x("Cellular mobile telephone identifier", 20),
    "8003": AiSpec("Global Returnable Asset Identifier", 14, 30, digits=14),
    "8004": _x("Global Individual Asset Identifier", 30),
    "8005": _n("Price per unit of measure", 6),
    "8006": _n("Identification of a trade item piece", 18),
    "8007": _x("International Bank Account Number", 34),
    "8008": AiSpec("Date and time of production", 8, 12, digits=12),
    "8009": _x("Optically readable sensor indicator", 50),
    "8010": _x("Component/Part Identifier", 30),
    "8011": _nv("Component/Part Identifier serial number", 12),
    "8012": _x("Software version", 20),
    "8013": _x("Global Model Number", 25),
    "8014": _x("Highly Individualised Device Registration Identifier", 25),
    "8017": _n("Global Service Relation Number, provider", 18),
    "8018": _n("Global Service Relation Number, recipient", 18),
    "8019": _nv("Service Relation Instance Number", 10),
    "8020": _x("Payment slip reference number", 25),
    "8026": _n("Identification of pieces of a trade item contained", 18),
    "8030": _x("Digital signature", 90),
    "8110": _x("Coupon code identification", 70),
    "8111": _n("Loyalty points of a coupon", 4),
    "8112": _x("Paperless coupon code identification", 70),
    "8200": _x("Extended packaging URL", 70),
    "90": _x("Information agreed between trading partners", 30),
    **{f"9{d}": _x("Company internal information", 90) for d in range(1, 10)},
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
    return ai[:2] not in PREDEFINED_LENGTHS


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


def parse_gs1_date(yymmdd: str, *, today: date, ai: str = "17") -> date:
    """A GS1 YYMMDD date (GS1-04): day 00 is the last day of the month; month 00 or above 12, or a day
    past the month's end, is an error."""
    if len(yymmdd) != 6 or not (yymmdd.isascii() and yymmdd.isdigit()):
        raise InvalidBarcode(
            f"The {ai_name(ai)} must be 6 digits (YYMMDD), not '{yymmdd}'.", reason="invalid_date", ai=ai
        )
    year = gs1_year(int(yymmdd[:2]), today)
    month, day = int(yymmdd[2:4]), int(yymmdd[4:])
    if not 1 <= month <= 12:
        raise InvalidBarcode(
            f"The {ai_name(ai)} {yymmdd} has month {month:02d}; months run from 01 to 12.",
            reason="invalid_date",
            ai=ai,
        )
    last_day = calendar.monthrange(year, month)[1]
    if day == 0:
        return date(year, month, last_day)
    if day > last_day:
        raise InvalidBarcode(
            f"The {ai_name(ai)} {yymmdd} would be {day} {calendar.month_name[month]} {year}, "
            f"which does not exist ({calendar.month_name[month]} {year} has {last_day} days).",
            reason="invalid_date",
            ai=ai,
        )
    return date(year, month, day)


def _check_datetime(value: str, today: date, ai: str) -> None:
    parse_gs1_date(value[:6], today=today, ai=ai)
    hour, minute = int(value[6:8]), int(value[8:10])
    if hour > 23 or minute > 59:
        raise InvalidBarcode(
            f"The {ai_name(ai)} {value} has an impossible time {value[6:8]}:{value[8:10]}.",
            reason="invalid_date",
            ai=ai,
        )


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
    """Check one field's value against its AI: characters and length (GS1-05), digits, dates
    (GS1-04) and GTIN/SSCC check digits (GS1-03). Raises InvalidBarcode with the precise reason."""
    _check_text(ai, value)
    spec = AI_TABLE[ai]
    if spec.kind == "date":
        parse_gs1_date(value, today=today, ai=ai)
    elif spec.kind == "datetime":
        _check_datetime(value, today, ai)
    if ai in ("00", "01", "02", "03"):
        _check_digit(ai, value)


def _check_text(ai: str, value: str) -> None:
    spec = AI_TABLE[ai]
    name = ai_name(ai)
    if not value:
        raise InvalidBarcode(f"The {name} is empty.", reason="empty_field", ai=ai)
    for position, char in enumerate(value, start=1):
        if char not in CSET82:
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
    if spec.digits and not value[: spec.digits].isdigit():
        what = "must be digits" if spec.digits >= len(value) else f"must start with {spec.digits} digits"
        raise InvalidBarcode(f"The {name} '{value}' {what}.", reason="not_numeric", ai=ai)


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


def _strip_terminator(raw: str) -> str:
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
    text = _strip_terminator(raw)
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
    return _to_data(_collect(pairs), today)


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
