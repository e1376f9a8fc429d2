"""Every pack the scanner reads (domain.md GS1-07): DMRE, GS1 Digital Link, IFA/PPN, swallowed lots."""

from __future__ import annotations

from datetime import date

import pytest

from inventory.rules.gs1 import GS, Gs1Data, InvalidBarcode, NotGs1
from inventory.rules.ifa import ntin_of_pzn, ppn_check_digits
from inventory.rules.pack_codes import ASTERISK_IN_LOT, SERIAL_IN_LOT, lot_warnings, read_pack_code

TODAY = date(2026, 3, 10)
G1 = Gs1Data(gtin="09506000134352", expiry=date(2027, 12, 31), lot="ABC123", serial="SN0001")
G1_BODY = "010950600013435217271231" + "10ABC123" + GS + "21SN0001"


def read(raw: str) -> Gs1Data:
    return read_pack_code(raw, today=TODAY)


def fields(data: Gs1Data) -> tuple[str, date | None, str | None, str | None]:
    return (data.gtin, data.expiry, data.lot, data.serial)


def test_gs1_07_d8_is_gs1_datamatrix_rectangular() -> None:
    assert read("]d8" + G1_BODY) == G1


@pytest.mark.parametrize(
    "uri",
    [
        "https://id.gs1.org/01/09506000134352/10/ABC123/21/SN0001?17=271231",
        "]Q1https://id.gs1.org/01/09506000134352/10/ABC123/21/SN0001?17=271231",
        "HTTPS://example.com/01/09506000134352/10/ABC123/21/SN0001?17=271231&linkType=gs1:pip",
        "https://pharma.example.tr/a/b/01/9506000134352/10/ABC123/21/SN0001?17=271231\r\n",
        "http://example.com/01/09506000134352/10/ABC123/21/SN0001/?17=271231#top",
        "]d1https://id.gs1.org/01/09506000134352/10/ABC123/21/SN0001?17=271231",
    ],
)
def test_gs1_07_digital_link_reads_into_the_same_fields(uri: str) -> None:
    data = read(uri)
    assert fields(data) == fields(G1)
    assert data.source == "digital_link"


def test_gs1_07_digital_link_values_are_percent_decoded_and_checked() -> None:
    assert read("https://id.gs1.org/01/09506000134352/10/AB%2F1+2?17=271200").lot == "AB/1+2"
    assert read("https://id.gs1.org/01/09506000134352/10/AB%2F1?17=271200").expiry == date(2027, 12, 31)


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("https://id.gs1.org/01/09506000134353/10/ABC", "gtin_check_digit"),
        ("https://id.gs1.org/01/09506000134352/10/ABC?17=271331", "invalid_date"),
        ("https://id.gs1.org/01/09506000134352/10/AB%20C", "bad_character"),
        ("https://id.gs1.org/01/09506000134352/21/SN1/10/ABC", "digital_link_order"),
        ("https://id.gs1.org/01/09506000134352?719=X", "unknown_ai"),
        ("https://id.gs1.org/01/09506000134352/10/" + "X" * 21, "field_too_long"),
    ],
)
def test_gs1_07_a_broken_digital_link_says_why(uri: str, reason: str) -> None:
    with pytest.raises(InvalidBarcode) as error:
        read(uri)
    assert error.value.reason == reason, error.value.message


def test_gs1_07_a_web_address_without_a_product_number_is_not_a_pack_code() -> None:
    with pytest.raises(NotGs1) as error:
        read("https://clinic.example/s/S8K2M4N6P8")
    assert "Digital Link" in error.value.message


def _ppn(pzn: str) -> str:
    body = "11" + pzn
    return body + ppn_check_digits(body)


def test_ifa_ppn_check_digits_of_the_ifa_example() -> None:
    assert _ppn("03752864") == "110375286414"


def test_ifa_pack_reads_lot_expiry_and_serial_with_the_pzns_ntin() -> None:
    raw = "[)>\x1e06\x1d9N" + _ppn("03752864") + "\x1d1TLOT-7A\x1dD271231\x1dSSER123\x1e\x04"
    data = read(raw)
    assert fields(data) == (ntin_of_pzn("03752864"), date(2027, 12, 31), "LOT-7A", "SER123")
    assert data.gtin.startswith("04150")
    assert len(data.gtin) == 14
    assert (data.source, data.ppn) == ("ifa", "110375286414")


def test_ifa_pack_with_a_gtin_uses_it_and_the_gs_substitute_works() -> None:
    raw = "]d2[)>\x1e06~8P09506000134352~1TABC123~D271200~SSN0001\x1e\x04"
    assert fields(read(raw)) == ("09506000134352", date(2027, 12, 31), "ABC123", "SN0001")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("[)>\x1e06\x1d9N110375286415\x1d1TL\x1dD271231", "gtin_check_digit"),
        ("[)>\x1e06\x1d1TL\x1dD271231", "ifa_no_product"),
        ("[)>\x1e06\x1d9N110375286414\x1d1TL\x1dD271331", "invalid_date"),
        ("[)>\x1e06\x1d9N110375286414\x1d1TL Ö\x1dD271231", "bad_character"),
        ("[)>06 9N110375286414", "ifa_format"),
    ],
)
def test_ifa_a_broken_pack_code_says_why_not_no_lot(raw: str, reason: str) -> None:
    with pytest.raises(InvalidBarcode) as error:
        read(raw)
    assert error.value.reason == reason, error.value.message
    assert "no lot" not in error.value.message


@pytest.mark.parametrize(
    ("raw", "warnings"),
    [
        ("]d2" + G1_BODY, ()),
        # the GS after the lot was lost: the lot swallowed "21SN0001"
        ("]d2010950600013435217271231" + "10ABC12321SN0001", (SERIAL_IN_LOT,)),
        ("]d2010950600013435217271231" + "10ABC*SN0001", (ASTERISK_IN_LOT,)),
        ("]d2010950600013435217271231" + "10A21*B", (SERIAL_IN_LOT, ASTERISK_IN_LOT)),
        # a lot with "21" is fine when the serial is there, or when the pack is no regulated pack
        ("]d2010950600013435217271231" + "10LOT21" + GS + "21SN1", ()),
        ("]d20109506000134352" + "10LOT21", ()),
    ],
)
def test_gs1_05_lots_that_look_swallowed_are_flagged(raw: str, warnings: tuple[str, ...]) -> None:
    assert lot_warnings(read(raw)) == warnings
