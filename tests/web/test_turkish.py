"""Turkish: a complete catalogue, pages in the user's language, numbers and dates in the Turkish locale.

The language comes from the user's own choice (User.locale, set on /account), else the browser's
Accept-Language. Flask-Babel keeps the chosen locale on `g`, and the test client shares the test's app
context across requests: `page()` forgets it before each request, as a fresh request in production does.
"""

from __future__ import annotations

import os
import re
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

import flask_babel
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

import inventory
from inventory.models import User
from tests import factories
from tests.support import csrf_from

ROOT = Path(inventory.__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "inventory" / "translations"
TR_PO = TRANSLATIONS / "tr" / "LC_MESSAGES" / "messages.po"
TR_MO = TR_PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|\{\w*\}|%%")
TURKISH = {"Accept-Language": "tr-TR,tr;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def read_catalogue() -> Catalog:
    with TR_PO.open("rb") as po:
        return read_po(po, locale="tr")


@pytest.fixture(scope="module", autouse=True)
def compiled_turkish(_app: Flask) -> None:
    """Compile the .po when its .mo is missing or older (the Makefile does it too), then reload it."""
    if not TR_MO.exists() or TR_MO.stat().st_mtime < TR_PO.stat().st_mtime:
        partial = TR_MO.with_name(f"messages.mo.{os.getpid()}.part")
        with partial.open("wb") as mo:
            write_mo(mo, read_catalogue())
        os.replace(partial, TR_MO)
    with _app.app_context():
        flask_babel.get_babel().instance.domain_instance.cache.clear()


def page(client: FlaskClient, url: str, **kwargs: Any) -> str:
    flask_babel.refresh()
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def post(client: FlaskClient, url: str, **kwargs: Any) -> Any:
    flask_babel.refresh()
    return client.post(url, **kwargs)


def speaks_turkish(user: User, db: Any) -> User:
    user.locale = "tr"
    db.session.commit()
    return user


def visible_text(html: str) -> str:
    """What the reader sees: no markup, no option values, no scripts."""
    return unescape(re.sub(r"<[^>]*>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)))


def assert_turkish(html: str, turkish: list[str], english: list[str]) -> None:
    assert 'lang="tr"' in html
    text = visible_text(html)
    for words in turkish:
        assert words in text, f"missing Turkish: {words}"
    for words in english:
        assert words not in text, f"English left: {words}"


# --- the catalogue -------------------------------------------------------------------------------


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _forms(value: Any) -> list[str]:
    """A message's id or string as a list: one item, or one per plural form."""
    if isinstance(value, str):
        return [value]
    return list(value or [""])


def test_every_turkish_message_is_translated_not_fuzzy_and_keeps_its_placeholders():
    catalogue = read_catalogue()
    assert catalogue.num_plurals == 1
    problems: list[tuple[str, ...]] = []
    for message in catalogue:
        if not message.id:
            continue
        ids, strings = _forms(message.id), _forms(message.string)
        if message.fuzzy:
            problems.append(("fuzzy", ids[0]))
        expected = catalogue.num_plurals if message.pluralizable else 1
        if not all(strings) or len(strings) != expected:
            problems.append(("untranslated", ids[0]))
            continue
        for string in strings:
            if _placeholders(string) != _placeholders(ids[-1]):
                problems.append(("placeholders differ", ids[0], string))
    problems += [("check", str(error)) for _message, errors in catalogue.check() for error in errors]
    assert not problems, "\n".join(map(repr, problems))


def test_every_marked_string_of_the_sources_is_in_the_turkish_catalogue():
    """New strings need `make translations-update` and a translation before they reach a Turkish page."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    in_sources = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    in_catalogue = {_forms(message.id)[0] for message in read_catalogue()}
    missing = sorted(in_sources - in_catalogue)
    assert not missing, f"run `make translations-update` and translate: {missing}"


# --- pages in Turkish ------------------------------------------------------------------------------


def test_login_page_follows_the_browsers_turkish(client):
    html = page(client, "/login", headers=TURKISH)
    assert_turkish(
        html, ["Oturum aç", "Kullanıcı adı", "Parola", "Eczane"], ["Sign in", "Username", "Password"]
    )


def test_wrong_password_is_told_in_turkish(client):
    factories.UserFactory(username="ayse")
    form = page(client, "/login", headers=TURKISH)
    response = post(
        client,
        "/login",
        headers=TURKISH,
        data={"username": "ayse", "password": "wrong-password", "csrf_token": csrf_from(form)},
    )
    html = response.get_data(as_text=True)
    assert "Kullanıcı adı veya parola yanlış." in html
    assert "Wrong username or password." not in html


def test_english_browser_gets_the_login_page_in_english(client):
    html = page(client, "/login", headers=ENGLISH)
    assert 'lang="en"' in html
    assert "Sign in" in html
    assert "Oturum aç" not in html


def test_home_page_in_turkish_for_a_turkish_user(client, login_as, db):
    speaks_turkish(login_as("admin", username="zeynep"), db)
    html = page(client, "/", headers=ENGLISH)  # the user's choice wins over the browser
    assert_turkish(
        html,
        [
            "Merhaba, Zeynep",
            "Seanslar",
            "Hazırlama",
            "Teslim al",
            "Stok",
            "Hastalar",
            "Ürünler",
            "Oturumu kapat",
        ],
        ["Hello,", "Sessions", "Compounding", "Sign out", "Skip to content"],
    )


def test_products_page_in_turkish_with_a_decimal_comma(client, login_as, db):
    factories.ProductFactory(name="Hyaluron", volume_ul=2500, unit_cost_minor=123456)
    speaks_turkish(login_as("manager"), db)
    html = page(client, "/products/")
    assert_turkish(
        html,
        ["Ürünler", "Yeni ürün", "Kategori", "Çok dozluk flakon", "Vitamin", "2,5 mL"],
        ["New product", "Multi-dose vial", "Usable vials", "2.5 mL"],
    )


def test_money_has_turkish_separators(client, login_as, db):
    product: Any = factories.ProductFactory(name="Hyaluron", volume_ul=2500, unit_cost_minor=123456)
    speaks_turkish(login_as("manager"), db)
    html = page(client, f"/products/{product.id}")
    assert_turkish(html, ["Flakon başına maliyet", "1.234,56", "2,5 mL"], ["Cost per vial", "1,234.56"])


def test_stock_pages_in_turkish(client, login_as, db):
    factories.VialFactory(
        lot=factories.LotFactory(product=factories.ProductFactory(name="Biotin", volume_ul=1500))
    )
    speaks_turkish(login_as("nurse"), db)
    vials = page(client, "/stock/vials")
    assert_turkish(
        vials,
        ["Flakonlar", "Stok teslim al", "Tüm ürünler", "Yalnızca şu anda çekilebilen flakonlar", "açılmamış"],
        ["Vials", "Receive stock", "All products", "sealed"],
    )
    assert "1,5 mL" in vials
    assert "1.5 mL" not in vials
    receive = page(client, "/stock/receive")
    assert_turkish(
        receive, ["Stok teslim al", "Kodu oku", "Barkod yok mu?"], ["Receive stock", "Read the code"]
    )


def test_compounding_pages_in_turkish(client, login_as, db):
    component = factories.RecipeComponentFactory(volume_ul=500)
    factories.BatchFactory(recipe=component.recipe_version.recipe, volume_per_syringe_ul=500)
    speaks_turkish(login_as("admin"), db)
    batches = page(client, "/compounding/batches")
    assert_turkish(
        batches,
        ["Partiler", "Parti hazırla", "Son kullanım", "Serbest bırakıldı"],
        ["Batches", "Prepare a batch", "Released"],
    )
    recipes = page(client, "/compounding/recipes")
    assert_turkish(
        recipes, ["Formüller", "Yeni formül", "Şırınga başına bileşenler", "0,5 mL"], ["New recipe", "0.5 mL"]
    )


def test_clinic_pages_in_turkish_with_turkish_dates(client, login_as, db):
    factories.PatientFactory(name="Ayşe Kaya", date_of_birth=date(1985, 6, 15))
    speaks_turkish(login_as("practitioner", "nurse"), db)
    patients = page(client, "/clinic/patients")
    assert_turkish(
        patients,
        ["Hastalar", "Yeni hasta", "Doğum tarihi", "15 Haz 1985"],
        ["New patient", "Date of birth", "Jun 15, 1985"],
    )
    sessions = page(client, "/clinic/sessions")
    assert_turkish(
        sessions,
        ["Seanslar", "Seans aç", "Bugün açık seans yok"],
        ["Open a session", "No session open today"],
    )


# --- the language switch ---------------------------------------------------------------------------


def test_language_switch_on_the_account_page_changes_the_next_page(client, login_as, db):
    user = login_as("nurse")
    account = page(client, "/account", headers=ENGLISH)
    assert "Your account" in account
    assert 'lang="en"' in account
    response = post(
        client,
        "/account/language",
        headers=ENGLISH,
        data={"lang-locale": "tr", "lang-csrf_token": csrf_from(account)},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.locale == "tr"
    turkish = page(client, response.headers["Location"], headers=ENGLISH)
    assert_turkish(
        turkish, ["Hesabınız", "Parolayı değiştir", "Dil", "Kaydet"], ["Your account", "Change password"]
    )
    back = post(
        client,
        "/account/language",
        headers=TURKISH,
        data={"lang-locale": "en", "lang-csrf_token": csrf_from(turkish)},
    )
    english = page(client, back.headers["Location"], headers=TURKISH)
    assert 'lang="en"' in english
    assert "Change password" in english
    assert "Parolayı değiştir" not in english
