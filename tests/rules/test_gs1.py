"""GS1 element strings on manufacturers' packs: rules GS1-01..05 and vectors G1-G13 (domain.md §4.2)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from inventory.rules.errors import RuleError
from inventory.rules.gs1 import (
    AI_TABLE,
    CSET82,
    GS,
    Gs1Data,
    InvalidBarcode,
    NotGs1,
    build_gs1,
    gs1_year,
    parse_gs1,
)
from inventory.rules.gtin import gtin_check_digit
from tests.rules.helpers import PROPERTY

TODAY = date(2025, 3, 10)
G1_DATA = Gs1Data(gtin="09506000134352", expiry=date(2027, 12, 31), lot="ABC123", serial="SN0001")


def parse(raw: str) -> Gs1Data:
    return parse_gs1(raw, today=TODAY)


def invalid(raw: str, *, reason: str) -> InvalidBarcode:
    with pytest.raises(InvalidBarcode) as error:
        parse(raw)
    assert error.value.code == "invalid_barcode"
    assert error.value.reason == reason, error.value.message
    return error.value


# --- the vectors of domain.md §4.2 ----------------------------------------------------------------


def test_gs1_g1_datamatrix_with_group_separator() -> None:
    assert parse("]d2010950600013435217271231" + "10ABC123" + GS + "21SN0001") == G1_DATA


def test_gs1_g2_variable_field_first() -> None:
    data = parse("]d2010950600013435210LOT-42A" + GS + "1727053121XYZ789")
    assert (data.lot, data.expiry, data.serial) == ("LOT-42A", date(2027, 5, 31), "XYZ789")


def test_gs1_g3_day_00_is_last_day_of_month() -> None:
    data = parse("]d201095060001343521726020010B26")
    assert (data.expiry, data.lot) == (date(2026, 2, 28), "B26")


def test_gs1_g4_day_00_in_a_leap_february() -> None:
    assert parse("]d201095060001343521728020010B28").expiry == date(2028, 2, 29)


def test_gs1_g5_bad_check_digit() -> None:
    error = invalid("]d201095060001343531727123110ABC123", reason="gtin_check_digit")
    assert error.ai == "01"
    assert "check digit" in error.message


def test_gs1_g6_month_13() -> None:
    error = invalid("]d201095060001343521727133110X", reason="invalid_date")
    assert "month 13" in error.message


def test_gs1_g7_30_february() -> None:
    error = invalid("]d201095060001343521727023010X", reason="invalid_date")
    assert "30 February 2027" in error.message


def test_gs1_g8_lot_longer_than_20_means_lost_separator() -> None:
    error = invalid("]d2010950600013435210" + "ABCDEFGHIJ0123456789K", reason="field_too_long")
    assert error.ai == "10"
    assert "group separator" in error.message


def test_gs1_g9_space_in_lot() -> None:
    error = invalid("]d2010950600013435210AB C" + GS + "17271231", reason="bad_character")
    assert "a space" in error.message
    assert "keyboard layout" in error.message


def test_gs1_g10_without_symbology_identifier() -> None:
    assert parse("01095060001343521727123110ABC123" + GS + "21SN0001") == G1_DATA


def test_gs1_g11_tilde_as_group_separator() -> None:
    assert parse("]d2010950600013435217271231" + "10ABC123~21SN0001") == G1_DATA


def test_gs1_g12_bracketed_human_form() -> None:
    assert parse("(01)09506000134352(17)271231(10)ABC123(21)SN0001") == G1_DATA


def test_gs1_g13_d1_is_not_gs1() -> None:
    with pytest.raises(NotGs1) as error:
        parse("]d1HELLO")
    assert error.value.code == "not_gs1"


# --- GS1-01: symbology identifiers -----------------------------------------------------------------

G1_BODY = "010950600013435217271231" + "10ABC123" + GS + "21SN0001"


@pytest.mark.parametrize("prefix", ["]d2", "]Q3", "]C1", ""])
def test_gs1_01_gs1_symbology_identifiers(prefix: str) -> None:
    assert parse(prefix + G1_BODY) == G1_DATA


@pytest.mark.parametrize("prefix", ["]d1", "]Q1", "]C0", "]E0", "]A0", "]X"])
def test_gs1_01_other_symbologies_are_not_gs1(prefix: str) -> None:
    with pytest.raises(NotGs1):
        parse(prefix + G1_BODY)


@pytest.mark.parametrize(
    "raw",
    [
        "HELLO",
        "S8K2M4P6Q8R",  # one of our own syringe codes
        "https://example.org/s/S8K2M4P6Q8R",
        "4006381333931",  # a plain EAN-13 typed by a linear scanner
        "96385074",
    ],
)
def test_gs1_01_plain_codes_without_identifier_are_not_gs1(raw: str) -> None:
    with pytest.raises(NotGs1):
        parse(raw)


def test_gs1_01_not_gs1_is_a_rule_error() -> None:
    assert issubclass(NotGs1, RuleError)
    assert issubclass(InvalidBarcode, RuleError)


def test_gs1_01_leading_fnc1_is_ignored() -> None:
    assert parse(GS + G1_BODY) == G1_DATA


def test_gs1_01_empty_scan() -> None:
    invalid("", reason="empty")
    invalid("]d2", reason="empty")


# --- GS1-02: mangled separators, bracketed form, trailing terminators ----------------------------


@pytest.mark.parametrize("terminator", ["\r", "\n", "\r\n", "\t", ""])
def test_gs1_02_one_trailing_terminator_is_stripped(terminator: str) -> None:
    assert parse("]d2" + G1_BODY + terminator) == G1_DATA


def test_gs1_02_only_one_terminator_is_stripped() -> None:
    error = invalid("]d2" + G1_BODY + "\n\n", reason="bad_character")
    assert error.ai == "21"


def test_gs1_02_configured_substitute() -> None:
    raw = "]d2010950600013435217271231" + "10ABC123^21SN0001"
    assert parse_gs1(raw, today=TODAY, gs_substitute="^") == G1_DATA


def test_gs1_02_tilde_is_not_a_separator_when_another_is_configured() -> None:
    with pytest.raises(InvalidBarcode) as error:
        parse_gs1("]d2010950600013435217271231" + "10ABC123~21SN0001", today=TODAY, gs_substitute="^")
    assert error.value.reason == "bad_character"


@pytest.mark.parametrize(
    "raw",
    [
        "(01)09506000134352(17)271231(10)ABC123(21)SN0001",
        "(01) 09506000134352 (17) 271231 (10) ABC123 (21) SN0001",
        "(17)271231(21)SN0001(10)ABC123(01)09506000134352",
        "]d2(01)09506000134352(17)271231(10)ABC123(21)SN0001\r\n",
    ],
)
def test_gs1_02_bracketed_forms(raw: str) -> None:
    assert parse(raw) == G1_DATA


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("(01)0950600013435(17)271231", "field_too_short"),
        ("(01)09506000134352(17)2712311", "field_too_long"),
        ("(01)09506000134352(77)1", "field_too_long"),  # (77) is no AI, so it is part of the GTIN
        ("(86)09506000134352", "unknown_ai"),
        ("(01)09506000134352 x(10)A", "bad_character"),
    ],
)
def test_gs1_02_bracketed_errors(raw: str, reason: str) -> None:
    invalid(raw, reason=reason)


# --- GS1-03: check digits ------------------------------------------------------------------------


def test_gs1_03_sscc_check_digit() -> None:
    invalid("00" + "106141411234567890" + "01" + "09506000134352", reason="gtin_check_digit")


def test_gs1_03_gtin_must_be_present() -> None:
    error = invalid("]d21727123110ABC", reason="missing_gtin")
    assert "GTIN" in error.message


# --- GS1-04: dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [
        ("271231", date(2027, 12, 31)),
        ("271200", date(2027, 12, 31)),
        ("270400", date(2027, 4, 30)),
        ("250200", date(2025, 2, 28)),
        ("240200", date(2024, 2, 29)),
        ("000200", date(2000, 2, 29)),  # 2000 is a leap year
        ("240229", date(2024, 2, 29)),
        ("750101", date(2075, 1, 1)),  # 50 years ahead: this century
        ("760101", date(1976, 1, 1)),  # 51 years ahead: last century
        ("990101", date(1999, 1, 1)),
    ],
)
def test_gs1_04_dates(yymmdd: str, expected: date) -> None:
    raw = "]d20109506000134352" + "17" + yymmdd
    assert parse(raw).expiry == expected


@pytest.mark.parametrize(
    ("yymmdd", "says"),
    [
        ("270031", "month 00"),
        ("271301", "month 13"),
        ("270229", "29 February 2027"),
        ("270431", "31 April 2027"),
        ("27123A", "must be digits"),
    ],
)
def test_gs1_04_invalid_dates(yymmdd: str, says: str) -> None:
    error = invalid(
        "]d20109506000134352" + "17" + yymmdd, reason="not_numeric" if "A" in yymmdd else "invalid_date"
    )
    assert says in error.message


@pytest.mark.parametrize(
    ("today", "yy", "year"),
    [
        (date(2025, 3, 10), 25, 2025),
        (date(2025, 3, 10), 75, 2075),
        (date(2025, 3, 10), 76, 1976),
        (date(2025, 3, 10), 0, 2000),
        (date(2090, 1, 1), 40, 2140),
        (date(2090, 1, 1), 41, 2041),
        (date(2099, 12, 31), 10, 2110),
    ],
)
def test_gs1_04_century_sliding_window(today: date, yy: int, year: int) -> None:
    assert gs1_year(yy, today) == year


def test_gs1_04_production_date_and_other_dates() -> None:
    data = parse("]d20109506000134352" + "11240100" + "17271231" + "15270600" + "10L1")
    assert data.production_date == date(2024, 1, 31)
    assert data.expiry == date(2027, 12, 31)
    assert data.other == {"15": "270600"}
    invalid("]d20109506000134352" + "13241301" + "10L1", reason="invalid_date")


# --- GS1-05: lot and serial characters and lengths -----------------------------------------------


@pytest.mark.parametrize(
    ("char", "described"),
    [
        (" ", "a space"),
        ("#", "'#'"),
        ("@", "'@'"),
        ("ş", "'ş'"),
        ("é", "'é'"),
        ("\u0131", "'\u0131'"),
        ("\x00", "control"),
    ],
)
def test_gs1_05_characters_outside_cset82_blame_the_keyboard_layout(char: str, described: str) -> None:
    error = invalid("]d20109506000134352" + "10AB" + char + "C", reason="bad_character")
    assert described in error.message
    assert "keyboard layout" in error.message


def test_gs1_05_every_allowed_special_character() -> None:
    specials = "!\"%&'()*+,-./:;<=>?_"
    data = parse("]d20109506000134352" + "10" + specials + GS + "21az09AZ")
    assert (data.lot, data.serial) == (specials, "az09AZ")


@pytest.mark.parametrize("ai", ["10", "21"])
def test_gs1_05_twenty_characters_is_the_maximum(ai: str) -> None:
    parse("]d20109506000134352" + ai + "X" * 20)
    error = invalid("]d20109506000134352" + ai + "X" * 21, reason="field_too_long")
    assert "group separator" in error.message


def test_gs1_05_serial_too_long_when_separator_lost_before_next_field() -> None:
    invalid("]d20109506000134352" + "21SN0001" + "10ABCDEFGHIJKLM", reason="field_too_long")


def test_gs1_05_empty_lot() -> None:
    invalid("]d20109506000134352" + "10" + GS + "21SN1", reason="empty_field")


# --- more application identifiers of real packs --------------------------------------------------


def test_gs1_real_pack_with_national_numbers_and_internal_fields() -> None:
    raw = (
        "]d2" + "0109506000134352" + "17271231" + "3103000250"  # net weight 0.250 kg: no GS needed
        + "10LOT7" + GS + "21SER9" + GS + "240ADD-ID" + GS + "3012" + GS
        + "714" + "1234567" + GS + "7003" + "2712311530" + GS + "91" + "COMPANY/INTERNAL" + GS + "99X"
    )  # fmt: skip
    data = parse(raw)
    assert (data.gtin, data.expiry, data.lot, data.serial) == (
        "09506000134352",
        date(2027, 12, 31),
        "LOT7",
        "SER9",
    )
    assert data.other == {
        "3103": "000250",
        "240": "ADD-ID",
        "30": "12",
        "714": "1234567",
        "7003": "2712311530",
        "91": "COMPANY/INTERNAL",
        "99": "X",
    }


@pytest.mark.parametrize(
    ("raw", "reason", "ai"),
    [
        ("]d20109506000134352" + "8612345", "unknown_ai", "8612"),
        ("]d20109506000134352" + "3012X", "not_numeric", "30"),
        ("]d20109506000134352" + "30123456789", "field_too_long", "30"),
        ("]d20109506000134352" + "7003" + "2712312460", "invalid_date", "7003"),
        ("]d20109506000134352" + "17271" + GS + "10X", "field_too_short", "17"),
        ("]d20109506000134352" + "1", "field_too_short", None),
        ("]d2010950600013435", "field_too_short", "01"),
    ],
)
def test_gs1_field_errors_name_the_field(raw: str, reason: str, ai: str | None) -> None:
    assert invalid(raw, reason=reason).ai == ai


def test_gs1_unknown_ai_message_says_which() -> None:
    error = invalid("]d20109506000134352" + "8612345", reason="unknown_ai")
    assert "'8612…'" in error.message


def test_gs1_same_ai_twice() -> None:
    invalid("]d20109506000134352" + "10A" + GS + "10B", reason="duplicate_ai")
    assert parse("]d20109506000134352" + "10A" + GS + "10A").lot == "A"


#: GS1 General Specifications, "element strings with predefined length" (figure 7.8.5-2): the first
#: two digits of an AI → total length, AI included. An independent check of the dictionary's "*" flag.
PREDEFINED_LENGTHS: dict[str, int] = {
    "00": 20, "01": 16, "02": 16, "03": 16, "04": 18,
    "11": 8, "12": 8, "13": 8, "14": 8, "15": 8, "16": 8, "17": 8, "18": 8, "19": 8,
    "20": 4,
    "31": 10, "32": 10, "33": 10, "34": 10, "35": 10, "36": 10,
    "41": 16,
}  # fmt: skip


def test_gs1_08_predefined_lengths_agree_with_the_ai_table() -> None:
    for ai, spec in AI_TABLE.items():
        total = PREDEFINED_LENGTHS.get(ai[:2])
        assert spec.predefined == (total is not None), ai
        if total is not None:
            assert spec.fixed, ai
            assert len(ai) + spec.max_length == total, ai


def test_gs1_ai_table_is_prefix_free() -> None:
    for ai in AI_TABLE:
        assert not any(other != ai and other.startswith(ai) for other in AI_TABLE), ai


# --- build_gs1 and the round trip ----------------------------------------------------------------


def test_gs1_build_puts_fixed_fields_first() -> None:
    built = build_gs1("09506000134352", date(2027, 12, 31), "ABC123", "SN0001")
    assert built == "]d2010950600013435217271231" + "10ABC123" + GS + "21SN0001"
    assert build_gs1("9506000134352", lot="X", prefix="") == "0109506000134352" + "10X"


def test_gs1_build_bracketed_and_hri() -> None:
    bracketed = "(01)09506000134352(17)271231(10)ABC123(21)SN0001"
    assert build_gs1("09506000134352", date(2027, 12, 31), "ABC123", "SN0001", bracketed=True) == bracketed
    assert G1_DATA.hri() == bracketed


@pytest.mark.parametrize(
    ("gtin", "lot", "serial", "code"),
    [
        ("09506000134353", None, None, "invalid_gtin"),
        ("09506000134352", "AB C", None, "invalid_barcode"),
        ("09506000134352", None, "X" * 21, "invalid_barcode"),
    ],
)
def test_gs1_build_refuses_what_parse_would_refuse(
    gtin: str, lot: str | None, serial: str | None, code: str
) -> None:
    with pytest.raises(RuleError) as error:
        build_gs1(gtin, lot=lot, serial=serial)
    assert error.value.code == code


gtins = st.text("0123456789", min_size=13, max_size=13).map(lambda body: body + str(gtin_check_digit(body)))
expiries = st.none() | st.dates(min_value=date(1976, 1, 1), max_value=date(2075, 12, 31))
fields = st.none() | st.text(alphabet=sorted(CSET82), min_size=1, max_size=20)


@PROPERTY
@given(
    gtin=gtins, expiry=expiries, lot=fields, serial=fields, form=st.sampled_from(["gs", "tilde", "bracketed"])
)
def test_gs1_round_trip(
    gtin: str, expiry: date | None, lot: str | None, serial: str | None, form: str
) -> None:
    if form == "bracketed":
        # In the human form a value that itself contains "(10)" cannot be told from a new field.
        assume(not any(re.search(r"\(\d{2,4}\)", value or "") for value in (lot, serial)))
        raw = build_gs1(gtin, expiry, lot, serial, bracketed=True)
    else:
        raw = build_gs1(gtin, expiry, lot, serial, gs=GS if form == "gs" else "~")
    assert parse(raw) == Gs1Data(gtin=gtin, expiry=expiry, lot=lot, serial=serial)
