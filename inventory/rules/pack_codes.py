"""Every code on a manufacturer's pack that the receiving scanner reads (domain.md §4.3).

``read_pack_code`` tells the kinds apart and reads each into the same fields (``Gs1Data``): a GS1
element string (DataMatrix square or rectangular, GS1 QR, GS1-128, DataBar), a GS1 Digital Link URI
(GS1-07) and an IFA code of a German pack. ``lot_warnings`` flags lots that look as if they had
swallowed the next field because a group separator was lost.
"""

from __future__ import annotations

from datetime import date

from inventory.rules.gs1 import Gs1Data, NotGs1, parse_gs1, strip_terminator
from inventory.rules.gs1_digital_link import is_digital_link, parse_digital_link
from inventory.rules.ifa import looks_like_ifa, parse_ifa

#: Lot warnings (codes; the pages say them in words).
SERIAL_IN_LOT = "serial_in_lot"
ASTERISK_IN_LOT = "asterisk_in_lot"


def _is_web_address(text: str) -> bool:
    body = text[3:] if text.startswith("]") else text
    return body.lower().startswith(("http://", "https://"))


def read_pack_code(raw: str, *, today: date, gs_substitute: str = "~") -> Gs1Data:
    """A pack's code in any of the forms above; raises ``NotGs1`` for what is no pack code and
    ``InvalidBarcode`` (with the reason) for a broken one."""
    text = strip_terminator(raw)
    if looks_like_ifa(text):
        return parse_ifa(text, today=today, gs_substitute=gs_substitute)
    if _is_web_address(text):
        if not is_digital_link(text):
            raise NotGs1(
                "This web address is not a GS1 Digital Link (it has no /01/ product number): "
                "it carries no lot or expiry."
            )
        return parse_digital_link(text, today=today)
    return parse_gs1(raw, today=today, gs_substitute=gs_substitute)


def lot_warnings(data: Gs1Data) -> tuple[str, ...]:
    """Why the lot read may be wrong, for the nurse to compare with the print on the pack.

    A pack under the EU Falsified Medicines Directive or Turkey's ITS carries GTIN, expiry, lot and
    serial. When such a pack reads with a lot but no serial and the lot contains "21" (the serial's
    AI), the group separator after the lot was probably lost and the lot swallowed the serial. A "*"
    in a lot is what some scanners send for the separator.
    """
    if data.lot is None:
        return ()
    warnings = []
    regulated_pack = data.expiry is not None and data.source == "gs1"
    if regulated_pack and data.serial is None and "21" in data.lot:
        warnings.append(SERIAL_IN_LOT)
    if "*" in data.lot:
        warnings.append(ASTERISK_IN_LOT)
    return tuple(warnings)
