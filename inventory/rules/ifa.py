"""IFA codes on German packs (securPharm): ISO/IEC 15434 format 06 with ASC MH10 data identifiers.

A DataMatrix that starts ``[)>`` RS ``06`` GS and holds ``9N`` PPN (the Pharmacy Product Number:
``11`` + the 8-digit PZN + 2 check digits), ``1T`` lot, ``D`` expiry (YYMMDD), ``S`` serial, and
sometimes ``8P`` a GTIN, fields separated by GS, ended by RS EOT. Such a pack does carry a lot and an
expiry: it is read into the same fields as a GS1 code. Without ``8P`` the product number is the
PZN's NTIN (``4150`` + PZN + check digit, the GTIN that GS1 Germany reserves for it).
"""

from __future__ import annotations

from datetime import date

from inventory.rules.gs1 import CSET82, GS, Gs1Data, InvalidBarcode, parse_gs1_date
from inventory.rules.gtin import gtin_check_digit

RS = "\x1e"
EOT = "\x04"
HEADER = "[)>" + RS + "06"

#: Data identifier → what it is, for the nurse.
_NAMES = {"9N": "PPN", "8P": "GTIN", "1T": "lot", "D": "expiry date", "S": "serial number"}


def looks_like_ifa(text: str) -> bool:
    """True for an ISO/IEC 15434 message, with or without a symbology identifier before it."""
    body = text[3:] if text.startswith("]") else text
    return body.startswith("[)>")


def ppn_check_digits(body: str) -> str:
    """The two check digits of a PPN: each character's code times its position weight (from 2), mod 97."""
    return f"{sum(ord(char) * weight for weight, char in enumerate(body, start=2)) % 97:02d}"


def ntin_of_pzn(pzn: str) -> str:
    """The 14-digit NTIN of a PZN: 04150 + PZN + GS1 check digit."""
    body = "04150" + pzn
    return body + str(gtin_check_digit(body))


def _elements(text: str, gs_substitute: str) -> list[str]:
    body = text[3:] if text.startswith("]") else text
    if gs_substitute:
        body = body.replace(gs_substitute, GS)
    if not body.startswith(HEADER):
        raise InvalidBarcode(
            "This code starts like an IFA/ISO 15434 code ('[)>') but is not format 06: the scanner may have "
            "dropped its control characters. Check the scanner's settings, or enter the pack by hand.",
            reason="ifa_format",
        )
    body = body[len(HEADER) :]
    body = body.split(RS, 1)[0].rstrip(EOT)
    return [element for element in body.split(GS) if element]


def _identifier(element: str) -> tuple[str, str]:
    digits = len(element) - len(element.lstrip("0123456789"))
    return element[: digits + 1], element[digits + 1 :]


def parse_ifa(raw: str, *, today: date, gs_substitute: str = "~") -> Gs1Data:
    """Read an IFA code (PPN, lot, expiry, serial) into the pack's fields, checking what it can."""
    values: dict[str, str] = {}
    for element in _elements(raw, gs_substitute):
        identifier, value = _identifier(element)
        if identifier in _NAMES:
            bad = next((char for char in value if char not in CSET82), None)
            if bad is not None or not value:
                raise InvalidBarcode(
                    f"The {_NAMES[identifier]} ({identifier}) of this IFA code, '{value}', is empty or has a "
                    "character a pack code never has: check the scanner's keyboard layout and scan again.",
                    reason="bad_character",
                )
            values[identifier] = value
    ppn = values.get("9N")
    if ppn is not None:
        if len(ppn) != 12 or not ppn.isalnum() or not ppn.startswith("11") or not ppn[2:10].isdigit():
            raise InvalidBarcode(
                f"The PPN '{ppn}' of this IFA code is not a German pharmacy number (11 + PZN + 2 digits).",
                reason="ifa_ppn",
            )
        if ppn_check_digits(ppn[:-2]) != ppn[-2:]:
            raise InvalidBarcode(
                f"The PPN {ppn} has wrong check digits: the code was misread or is damaged. Scan it again.",
                reason="gtin_check_digit",
            )
    gtin = values.get("8P")
    if gtin is not None and not (
        gtin.isdigit() and len(gtin) == 14 and gtin_check_digit(gtin[:-1]) == int(gtin[-1])
    ):
        raise InvalidBarcode(
            f"The GTIN (8P) {gtin} of this IFA code is not valid.", reason="gtin_check_digit"
        )
    if gtin is None and ppn is None:
        raise InvalidBarcode(
            "This IFA code has a lot and expiry but no product number (neither PPN nor GTIN): choose the "
            "product and enter the pack by hand.",
            reason="ifa_no_product",
        )
    expiry = values.get("D")
    return Gs1Data(
        gtin=gtin if gtin is not None else ntin_of_pzn(ppn[2:10] if ppn else ""),
        expiry=parse_gs1_date(expiry, today=today, ai="17") if expiry is not None else None,
        lot=values.get("1T"),
        serial=values.get("S"),
        source="ifa",
        ppn=ppn,
    )
