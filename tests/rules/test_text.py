"""Search keys for names: Turkish-aware and accent-insensitive."""

from __future__ import annotations

import pytest

from inventory.rules.text import DOTLESS_I, search_key


@pytest.mark.parametrize(
    "spelling",
    ["IŞIK", f"I\u015f{DOTLESS_I}k", f"{DOTLESS_I}\u015f{DOTLESS_I}k", "isik", "İŞİK", "Isik", "  isik  "],
)
def test_text_turkish_i_in_every_case_is_one_letter(spelling: str) -> None:
    assert search_key(spelling) == "isik"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Çağlar", "caglar"),
        ("ÇAĞLAR", "caglar"),
        ("Şükrü Öztürk", "sukru ozturk"),
        ("  Ayşe\t Gül  \n Yılmaz ", "ayse gul yilmaz"),
        ("İSTANBUL", "istanbul"),
        ("Hélène Müller", "helene muller"),
        ("Straße", "strasse"),
        ("Søren Łukasz", "soren lukasz"),
        ("Ｆｕｌｌ", "full"),  # full-width letters
        ("", ""),
    ],
)
def test_text_search_key(name: str, key: str) -> None:
    assert search_key(name) == key


def test_text_search_key_is_idempotent() -> None:
    for name in ["IŞIK", "Çağlar", "Hélène", "Straße"]:
        assert search_key(search_key(name)) == search_key(name)
