"""Words from codes, at one boundary: every code a rule raises has words in inventory.messages, every
word has Turkish, every service error is a translated sentence, and a Turkish request gets Turkish
words for the errors of receiving, preparation and the scan (API and pages)."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask_babel
import pytest

import inventory
from inventory import clock
from inventory.messages import RULE_MESSAGES
from tests import factories
from tests.compounding.conftest import make_recipe, make_vials
from tests.support import csrf_from
from tests.web.test_turkish import ENGLISH, TURKISH, compiled_turkish, read_catalogue

__all__ = ["compiled_turkish"]  # the module's autouse fixture: a fresh .mo for these requests

SOURCE = Path(inventory.__file__).resolve().parent
GTIN = "09506000134352"
ERROR_KINDS = {
    "Invalid",
    "Conflict",
    "NotFound",
    "Forbidden",
    "Unauthorized",
    "DomainError",
    "MalformedRequest",
}
TRANSLATING = {"_", "gettext", "ngettext", "rule_message"}


def _msgid(key: str) -> str:
    return str(RULE_MESSAGES[key]._args[0])


def _turkish_of(msgid: str) -> str:
    message = read_catalogue().get(msgid)
    assert message is not None, f"no Turkish for {msgid!r}"
    assert message.string, f"no Turkish for {msgid!r}"
    return str(message.string)


def _as_pattern(text: str) -> str:
    return ".+".join(re.escape(part) for part in re.split(r"%\(\w+\)s", text))


def _in_turkish(message: str, key: str) -> None:
    """The message is the table's Turkish words for ``key`` (its values filled in)."""
    _is_turkish_of(message, _msgid(key))


def _is_turkish_of(message: str, msgid: str) -> None:
    assert re.fullmatch(_as_pattern(_turkish_of(msgid)), message, flags=re.S), (msgid, message)


def _field(body: dict[str, Any], name: str) -> str:
    value = body["error"]["fields"][name]
    return str(value[0] if isinstance(value, list) else value)


def _raised_in_rules() -> tuple[set[str], set[str]]:
    codes: set[str] = set()
    reasons: set[str] = set()
    for path in (SOURCE / "rules").glob("*.py"):
        text = path.read_text()
        codes |= set(re.findall(r'(?:RuleError|super\(\).__init__)\(\s*"(\w+)"', text))
        reasons |= set(re.findall(r'\breason="(\w+)"', text))
    return codes, reasons


def test_every_code_and_reason_a_rule_raises_has_words() -> None:
    codes, reasons = _raised_in_rules()
    assert {"invalid_barcode", "not_gs1", "storage_not_allowed", "invalid_volume"} <= codes
    assert sorted(code for code in codes if code not in RULE_MESSAGES) == []
    keyed = {key.split("/", 1)[1] for key in RULE_MESSAGES if "/" in key}
    assert sorted(reasons - keyed) == []


def test_every_word_of_the_table_has_turkish_with_the_same_values() -> None:
    for key in RULE_MESSAGES:
        english = _msgid(key)
        turkish = _turkish_of(english)
        assert turkish != english, key
        assert sorted(re.findall(r"%\(\w+\)s", turkish)) == sorted(re.findall(r"%\(\w+\)s", english)), key


def test_every_service_error_is_a_translated_sentence() -> None:
    """Domain errors are raised with ``_()`` (or a sentence made by it): never a bare English string."""
    bare = []
    for path in SOURCE.rglob("*.py"):
        if "rules" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in ERROR_KINDS or len(node.args) < 2:
                continue
            message = node.args[1]
            translated = isinstance(message, ast.Name) or (
                isinstance(message, ast.Call)
                and isinstance(message.func, ast.Name)
                and message.func.id in TRANSLATING
            )
            if not translated:
                bare.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert bare == []


# --- a Turkish request gets Turkish words ----------------------------------------------------------

RECEIVING_SCANS = {
    "invalid_barcode/gtin_check_digit": lambda: "]d201095060001343531730013110L1",
    "invalid_barcode/invalid_date": lambda: f"]d201{GTIN}17301399" + "10L1",
    "invalid_barcode/empty": lambda: "]d2",
    "invalid_barcode/unknown_ai": lambda: f"]d201{GTIN}4ABC",
    "invalid_barcode/missing_gtin": lambda: "]d21730013110L1",
    "not_gs1/plain_gtin": lambda: GTIN,
    "not_gs1": lambda: "hello",
}


@pytest.mark.parametrize("key", list(RECEIVING_SCANS))
def test_receiving_api_errors_are_turkish(key: str, api_as: Any) -> None:
    factories.ProductFactory(gtin=GTIN)
    api = api_as("nurse")
    scan = RECEIVING_SCANS[key]()
    flask_babel.refresh()
    turkish = api.post("/api/v1/receipts", json={"scan": scan, "vials": 1}, headers=TURKISH)
    assert turkish.status_code == 422, turkish.get_json()
    error = turkish.get_json()["error"]
    assert error["code"] == "invalid_barcode"
    _in_turkish(error["message"], key)
    flask_babel.refresh()
    english = api.post("/api/v1/receipts", json={"scan": scan, "vials": 1}, headers=ENGLISH).get_json()
    assert english["error"]["message"] != error["message"]


def test_receiving_page_shows_a_scanner_error_in_turkish(login_as: Any, client: Any) -> None:
    factories.ProductFactory(gtin=GTIN)
    login_as("nurse")
    flask_babel.refresh()
    form = client.get("/stock/receive", headers=TURKISH).get_data(as_text=True)
    flask_babel.refresh()
    html = client.post(
        "/stock/receive",
        data={"scan": RECEIVING_SCANS["invalid_barcode/gtin_check_digit"](), "csrf_token": csrf_from(form)},
        headers=TURKISH,
    ).get_data(as_text=True)
    words = _turkish_of(_msgid("invalid_barcode/gtin_check_digit")).split("%(field)s")[1].strip()
    assert words.split(":")[0] in html


def test_receiving_typed_volume_and_money_errors_are_turkish(api_as: Any) -> None:
    product = factories.ProductFactory()
    api = api_as("nurse")
    flask_babel.refresh()
    body = api.post(
        "/api/v1/receipts",
        json={"product_id": product.id, "lot": "L1", "expiry": "2030-01-31", "vials": 1, "unit_cost": -1},
        headers=TURKISH,
    ).get_json()
    _in_turkish(_field(body, "unit_cost"), "invalid_amount/negative")


def _hair(app: Any) -> Any:
    dex = factories.ProductFactory(volume_ul=5000)
    make_vials(dex, 2)
    return make_recipe([(dex, 1000)])


def test_preparation_rule_errors_are_turkish(app: Any, api_as: Any) -> None:
    recipe = _hair(app)
    api = api_as("nurse")
    flask_babel.refresh()
    freezer = api.post(
        "/api/v1/batches",
        json={"recipe_id": recipe.id, "syringes": 1, "category": "category_1", "storage": "freezer"},
        headers=TURKISH,
    ).get_json()
    assert freezer["error"]["code"] == "storage_not_allowed"
    _in_turkish(freezer["error"]["message"], "storage_not_allowed")
    assert "Kategori 1" in freezer["error"]["message"]

    products = [factories.ProductFactory(volume_ul=5000) for _ in range(4)]
    for product in products:
        make_vials(product)
    four = make_recipe([(product, 1000) for product in products])
    patient = factories.PatientFactory()
    flask_babel.refresh()
    immediate = api.post(
        "/api/v1/batches",
        json={
            "recipe_id": four.id,
            "syringes": 1,
            "category": "immediate",
            "storage": "room",
            "patient_id": patient.id,
        },
        headers=TURKISH,
    ).get_json()
    assert immediate["error"]["code"] == "immediate_use_limit"
    _is_turkish_of(
        immediate["error"]["message"],
        "An immediate-use preparation combines at most %(max)s different sterile products; "
        "%(recipe)s has %(n)s. Prepare it as category 1 or 2.",
    )


def test_scan_errors_are_turkish(app: Any, api_as: Any) -> None:
    doctor = api_as("practitioner")
    batch = factories.BatchFactory(bud=clock.now() + timedelta(hours=6))
    syringe = factories.SyringeFactory(batch=batch)
    session = factories.SessionFactory(practitioner=doctor.user)
    flask_babel.refresh()
    negative = doctor.post(
        f"/api/v1/sessions/{session.id}/scans", json={"code": syringe.code, "volume_ml": -1}, headers=TURKISH
    ).get_json()
    _in_turkish(_field(negative, "volume_ml"), "invalid_volume/negative")
    flask_babel.refresh()
    too_much = doctor.post(
        f"/api/v1/sessions/{session.id}/scans", json={"code": syringe.code, "volume_ml": 50}, headers=TURKISH
    ).get_json()
    assert too_much["error"]["code"] == "volume_exceeds_syringe"
    assert too_much["error"]["message"] == _turkish_of(
        "The syringe holds %(volume)s; a larger volume cannot be recorded."
    ).replace("%(volume)s", "1 mL")
