"""Contact details a recall follow-up can rely on: phone numbers in E.164 (Google's libphonenumber
data, through `phonenumbers`) and e-mail addresses checked for syntax only (no network look-up)."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from inventory.rules.errors import RuleError


def e164_phone(text: str, region: str) -> str:
    """The number in E.164 (``+905321234567``); national numbers are read in ``region`` (ISO 3166,
    ``TR``). Empty stays empty; anything that is not a possible, valid number is ``invalid_phone``."""
    raw = " ".join(text.split())
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region.upper())
    except phonenumbers.NumberParseException:
        raise RuleError("invalid_phone", "Not a phone number.", {"phone": raw}) from None
    if not phonenumbers.is_valid_number(number):
        raise RuleError("invalid_phone", "Not a valid phone number.", {"phone": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def checked_email(text: str) -> str:
    """The address with its domain normalised (lower case, IDNA); empty stays empty; a syntax error
    is ``invalid_email``. Deliverability is not checked: clinics are often offline."""
    raw = text.strip()
    if not raw:
        return ""
    try:
        return str(validate_email(raw, check_deliverability=False).normalized)
    except EmailNotValidError:
        raise RuleError("invalid_email", "Not an e-mail address.", {"email": raw}) from None
