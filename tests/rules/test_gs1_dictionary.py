"""GS1-08: the AI table in use is the GS1 Barcode Syntax Dictionary, transcribed by a script, not typed.

The dictionary file is not kept in the repository. Set ``GS1_SYNTAX_DICTIONARY`` to a copy of
gs1-syntax-dictionary.txt (the release named in inventory/rules/gs1_ai.py) to compare; without it the
comparison is skipped and says why.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from inventory.rules import gs1_ai
from inventory.rules.gs1 import AI_TABLE, GS, InvalidBarcode, parse_gs1

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 3, 10)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gs1_ai_table", ROOT / "scripts" / "gs1_ai_table.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gs1_ai_table"] = module
    spec.loader.exec_module(module)
    return module


def test_gs1_08_the_committed_table_is_what_the_script_makes_from_the_dictionary() -> None:
    path = os.environ.get("GS1_SYNTAX_DICTIONARY")
    if not path:
        pytest.skip(
            "GS1_SYNTAX_DICTIONARY is not set: point it at gs1-syntax-dictionary.txt (release "
            f"{gs1_ai.RELEASE}) to compare the committed table with the dictionary"
        )
    generated = _script().generate(Path(path))
    committed = (ROOT / "inventory" / "rules" / "gs1_ai.py").read_text(encoding="utf-8")
    assert generated == committed, "inventory/rules/gs1_ai.py differs: run scripts/gs1_ai_table.py"


SAMPLE = """# Release: 2099-01-01
# AI    Flags  Specification                     Attributes          Title
01         *?  N14,csum,gcppos2                  dlpkey=22,10,21     # GTIN
3100-3102  *?  N6                                req=01              # NET WEIGHT (kg)
7007        ?  N6,yymmdd [N6],yymmdd             req=01,02           # HARVEST DATE
7040           N1 X1 X1 X1,importeridx                               # UIC+EXT
"""


def test_gs1_08_the_script_reads_ranges_flags_optional_components_and_linters(tmp_path: Path) -> None:
    script = _script()
    release, entries = script.parse(SAMPLE)
    assert release == "2099-01-01"
    by_ai = {entry.ai: entry for entry in entries}
    assert sorted(by_ai) == ["01", "3100", "3101", "3102", "7007", "7040"]
    assert by_ai["01"].flags == "*?"
    assert by_ai["01"].dlpkey == "22,10,21"
    assert by_ai["01"].components == (("N", 14, 14, False, ("csum", "gcppos2")),)
    assert by_ai["7007"].components[1] == ("N", 6, 6, True, ("yymmdd",))
    assert by_ai["7040"].flags == ""
    assert len(by_ai["7040"].components) == 4
    (tmp_path / "dictionary.txt").write_text(SAMPLE, encoding="utf-8")
    rendered = script.generate(tmp_path / "dictionary.txt")
    namespace: dict[str, object] = {}
    exec(compile(rendered, "gs1_ai", "exec"), namespace)  # the generated module is plain Python
    assert namespace["RELEASE"] == "2099-01-01"
    assert set(namespace["AI_ENTRIES"]) == set(by_ai)  # type: ignore[call-overload]


def test_gs1_08_the_table_in_use_comes_from_the_generated_module() -> None:
    assert set(AI_TABLE) == set(gs1_ai.AI_ENTRIES)
    assert gs1_ai.RELEASE >= "2026-01-27"


def test_gs1_08_ai_717_of_the_2026_dictionary_is_accepted() -> None:
    data = parse_gs1("]d2" + "0109506000134352" + "17271231" + "717" + "SRN-12345" + GS + "10L1", today=TODAY)
    assert data.other == {"717": "SRN-12345"}
    assert data.lot == "L1"


@pytest.mark.parametrize("ai", ["718", "8612", "23", "4"])
def test_gs1_08_unallocated_ais_are_refused(ai: str) -> None:
    with pytest.raises(InvalidBarcode) as error:
        parse_gs1("]d2" + "0109506000134352" + ai + "12345", today=TODAY)
    assert error.value.reason in ("unknown_ai", "field_too_short")


@pytest.mark.parametrize(
    ("field", "ok"),
    [
        ("17" + "270200", True),  # expiry: yymmd0, day 00 = end of the month
        ("7006" + "270200", False),  # first freeze date: yymmdd, day 00 refused
        ("7006" + "270215", True),
        ("7007" + "270201270231", False),  # harvest date range: the second date checked too
        ("7007" + "270201270228", True),
        ("8008" + "27020124", False),  # production time: hour 24
        ("8008" + "2702012359", True),
        ("4326" + "270230", False),  # release date: no 30 February
        ("7250" + "20270229", False),  # date of birth, YYYYMMDD: 2027 is no leap year
        ("7250" + "20280229", True),
    ],
)
def test_gs1_04_dates_are_checked_per_ai_as_the_dictionary_says(field: str, ok: bool) -> None:
    raw = "]d2" + "0109506000134352" + field + GS + "10L1"
    if ok:
        assert parse_gs1(raw, today=TODAY).lot == "L1"
    else:
        with pytest.raises(InvalidBarcode) as error:
            parse_gs1(raw, today=TODAY)
        assert error.value.reason == "invalid_date", error.value.message


def test_gs1_03_check_digits_where_the_dictionary_says_csum() -> None:
    with pytest.raises(InvalidBarcode) as error:
        parse_gs1("]d2" + "0109506000134352" + "414" + "9506000134353", today=TODAY)  # GLN, wrong digit
    assert error.value.reason == "gtin_check_digit"
