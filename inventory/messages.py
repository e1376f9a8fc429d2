"""Words for the codes the pure rules raise, in every language: one table, looked up where a rule's
error reaches a page or the API (``errors.from_rule``, the form and API volume fields, the scan parser).

Rules (``inventory.rules``) know no language: they raise ``RuleError(code, …, reason=, params=)``. A
key is ``code/reason`` when the table has one for that reason, else ``code``. tests/web/test_messages.py
fails when a code or reason raised under ``rules/`` has no words here, or no Turkish for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from inventory.rules.errors import RuleError

RULE_MESSAGES: dict[str, Any] = {
    # GS1 scans at receiving (rules/gs1.py: NotGs1 and InvalidBarcode's reasons)
    "not_gs1": _l("This is not a GS1 code: it carries no lot or expiry."),
    "not_gs1/plain_barcode": _l(
        "The scanner reports a plain barcode, not a GS1 code: it carries no lot or expiry."
    ),
    "not_gs1/plain_gtin": _l(
        "This is a plain product barcode without lot or expiry: scan the square 2D code (DataMatrix) "
        "on the pack instead."
    ),
    "invalid_barcode": _l("The code could not be read. Scan it again, or enter the pack by hand."),
    "invalid_barcode/not_digital_link": _l(
        "This web address is not a GS1 Digital Link: it names no product (/01/…)."
    ),
    "invalid_barcode/digital_link_order": _l(
        "This GS1 Digital Link has its fields in an order GS1 does not allow: scan it again, or enter the "
        "pack by hand."
    ),
    "invalid_barcode/ifa_format": _l(
        "This code starts like an IFA code but is not format 06: the scanner may have dropped its control "
        "characters. Check the scanner's settings, or enter the pack by hand."
    ),
    "invalid_barcode/ifa_ppn": _l(
        "The PPN of this IFA code is not a German pharmacy number (11 + PZN + 2 digits)."
    ),
    "invalid_barcode/ifa_no_product": _l(
        "This IFA code has a lot and expiry but no product number (neither PPN nor GTIN): choose the "
        "product and enter the pack by hand."
    ),
    "invalid_barcode/empty": _l("Nothing was scanned."),
    "invalid_barcode/empty_field": _l("The %(field)s is empty."),
    "invalid_barcode/invalid_date": _l(
        "The %(field)s is not a real date: the code was misread or is damaged."
    ),
    "invalid_barcode/bad_character": _l(
        "The %(field)s contains a character a GS1 code never contains. The scanner's keyboard layout "
        "probably does not match the computer's (for example a US scanner typing on a Turkish keyboard): "
        "check the scanner settings and scan again."
    ),
    "invalid_barcode/field_too_long": _l(
        "The %(field)s is too long. A group separator was probably lost between two fields: check the "
        "scanner's setting for the GS character, or type the fields by hand."
    ),
    "invalid_barcode/field_too_short": _l("The %(field)s is cut short: the code was misread or is damaged."),
    "invalid_barcode/not_numeric": _l("The %(field)s must contain digits only."),
    "invalid_barcode/gtin_check_digit": _l(
        "The %(field)s has a wrong check digit: the code was misread or is damaged. Scan it again."
    ),
    "invalid_barcode/unexpected_character": _l(
        "The code has a character where a field should start: it may be damaged, or the scanner mangled it."
    ),
    "invalid_barcode/unknown_ai": _l(
        "The code contains an application identifier this app does not know. The code may be damaged, "
        "or a group separator was lost."
    ),
    "invalid_barcode/duplicate_ai": _l("The code contains the %(field)s twice with different values."),
    "invalid_barcode/missing_gtin": _l("The code has no GTIN (AI 01), so the product cannot be identified."),
    # GTINs typed or imported (rules/gtin.py)
    "invalid_gtin": _l("This is not a valid GTIN."),
    "invalid_gtin/not_digits": _l("A GTIN contains only the digits 0-9."),
    "invalid_gtin/length": _l("A GTIN has 8, 12, 13 or 14 digits."),
    "invalid_gtin/check_digit": _l(
        "The GTIN %(gtin)s has a wrong check digit: it was probably misread or mistyped."
    ),
    # volumes and amounts (rules/units.py, rules/money.py, rules/fefo.py)
    "invalid_volume": _l("A volume must be a number of millilitres (write it like 2.5 or 2,5)."),
    "invalid_volume/not_a_number": _l("A volume must be a number of millilitres (write it like 2.5 or 2,5)."),
    "invalid_volume/negative": _l("A volume cannot be negative."),
    "invalid_volume/zero": _l("A volume must be more than 0 mL."),
    "invalid_volume/too_large": _l("A volume cannot exceed %(max)s."),
    "invalid_volume/too_precise": _l("A volume can have at most 3 decimals (1 µL)."),
    "invalid_amount": _l("An amount must be a number."),
    "invalid_amount/not_a_number": _l("An amount must be a number."),
    "invalid_amount/negative": _l("An amount cannot be negative."),
    "invalid_amount/too_precise": _l("An amount has at most 2 decimals."),
    "insufficient_stock": _l(
        "Not enough usable stock: %(needed)s needed, %(available)s available, %(short)s short."
    ),
    "vial_unusable": _l("Vial %(vial_id)s cannot be used."),
    "vial_unusable/other_product": _l("Vial %(vial_id)s is not a vial of this product."),
    "vial_unusable/unusable": _l("Vial %(vial_id)s cannot be used."),
    "vial_unusable/empty": _l("Vial %(vial_id)s is empty."),
    # preparation (rules/bud.py)
    "no_components": _l("A preparation needs at least one component."),
    "storage_not_allowed": _l("%(category)s cannot be stored here: %(storage)s is not allowed for it."),
    "immediate_use_limit": _l("This preparation does not meet the immediate-use limits."),
    "immediate_use_limit/not_sterile": _l("An immediate-use preparation may only combine sterile products."),
    "immediate_use_limit/too_many_products": _l(
        "An immediate-use preparation may combine at most %(max_products)s different sterile products; "
        "this recipe has %(products)s."
    ),
    "expired_component": _l("A component's lot expired on %(expiry)s and cannot be used."),
    "in_use_limit": _l("An opened vial was usable until %(until)s: it must be discarded."),
    # policy settings (rules/policy.py)
    "invalid_policy": _l("These policy settings are not valid: every limit is a number of hours or days."),
    # contact details and settings (rules/contact.py, rules/money.py)
    "invalid_phone": _l(
        "Not a phone number: write it with its area code, e.g. 0532 123 45 67 or +90 532 123 45 67."
    ),
    "invalid_email": _l("Not an e-mail address."),
    "invalid_currency": _l("Not an ISO 4217 currency code (e.g. TRY, EUR)."),
    # the cold chain (rules/coldchain.py)
    "invalid_temperature": _l("A temperature in °C between -80 and 50."),
    "invalid_range": _l("The lowest temperature of the range must be below the highest."),
    # network sensors (rules/sensors.py)
    "invalid_topic": _l("Not an MQTT topic a unit can listen on."),
    "invalid_topic/empty": _l("Give the MQTT topic, or leave the field empty for no sensor."),
    "invalid_topic/too_long": _l("An MQTT topic can have at most %(max)s characters."),
    "invalid_topic/wildcard": _l("One sensor's exact topic, without the wildcards + and #."),
    "invalid_topic/control_character": _l("An MQTT topic cannot contain control characters."),
    "invalid_topic/reserved": _l("Topics starting with $ belong to the broker."),
    "invalid_payload": _l("The sensor's message is not a temperature reading."),
}


def _gs1_field(ai: str | None) -> str:
    from inventory.names import GS1_FIELD_LABELS

    if not ai:
        return str(_l("field"))
    return f"{GS1_FIELD_LABELS[ai]} ({ai})" if ai in GS1_FIELD_LABELS else f"AI ({ai})"


def _param_words(params: Mapping[str, str]) -> _Params:
    """Values that are codes themselves (a category, a storage, an AI) in words."""
    from inventory.names import BATCH_CATEGORY_LABELS, STORAGE_LABELS, label

    words = _Params(params)
    if "category" in params:
        words["category"] = label(BATCH_CATEGORY_LABELS, params["category"])
    if "storage" in params:
        words["storage"] = label(STORAGE_LABELS, params["storage"])
    words["field"] = _gs1_field(params.get("ai"))
    return words


class _Params(dict[str, str]):
    """A missing value shows as "?" rather than failing the error page."""

    def __missing__(self, key: str) -> str:
        return "?"


def message_key(code: str, reason: str | None) -> str:
    specific = f"{code}/{reason}"
    return specific if reason and specific in RULE_MESSAGES else code


def rule_message(error: RuleError) -> str:
    """The error in words, in the reader's language; its English ``message`` when no words exist."""
    key = message_key(error.code, error.reason)
    if key not in RULE_MESSAGES:
        return error.message
    words = str(RULE_MESSAGES[key])
    return words % _param_words(error.params) if "%(" in words else words
