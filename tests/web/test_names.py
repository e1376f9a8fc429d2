"""One names module, complete: every enum value and audit action has its words, in English and Turkish,
and details read "field: before → after", never as a dict."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import inventory
from inventory import names
from tests import factories
from tests.web.test_turkish import read_catalogue

SOURCE = Path(inventory.__file__).resolve().parent


def _msgid(text: Any) -> str:
    return str(text._args[0])


@pytest.mark.parametrize("kind", list(names.ENUM_LABELS))
def test_every_enum_value_has_a_name(kind: str) -> None:
    enum, table = names.ENUM_LABELS[kind]
    assert [value.value for value in enum if value not in table] == []


def _audited_actions() -> set[str]:
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text()
        for call in re.finditer(r'record\(\s*((?:"\w+"(?:\s+if\s+[^"]+else\s+)?)+)', text):
            found |= set(re.findall(r'"(\w+)"', call.group(1)))
        found |= set(re.findall(r'"action":\s*"(\w+)"', text))
    return found


def test_every_audited_action_has_a_name() -> None:
    actions = _audited_actions()
    assert {"vial_discarded", "labels_printed", "labels_reprinted", "batch_quarantined"} <= actions
    assert sorted(actions - set(names.AUDIT_ACTION_LABELS)) == []


def test_every_name_has_turkish() -> None:
    catalogue = read_catalogue()
    tables = [table for _enum, table in names.ENUM_LABELS.values()] + list(names.OTHER_LABELS.values())
    missing = [
        _msgid(text)
        for table in tables
        for text in table.values()
        if not (catalogue.get(_msgid(text)) and catalogue.get(_msgid(text)).string)
    ]
    assert missing == []


def test_fat_has_one_name_everywhere(app: Any) -> None:
    with app.test_request_context():
        assert names.label(names.INDICATION_LABELS, "fat") == "Localised fat"
        assert names.template_labels()["indication_label"]("fat") == "Localised fat"


def test_details_read_before_and_after_never_a_dict() -> None:
    lines = names.describe_details(
        {"changed": {"reorder_point": [4, 6], "gtin": [None, "09506000134352"]}, "syringes": ["S1", "S2"]}
    )
    assert lines == ["reorder point: 4 → 6", "gtin: — → 09506000134352", "syringes: S1, S2"]
    assert not any("{" in line or "[" in line for line in lines)


def test_vial_history_shows_words_links_and_changes(app: Any, login_as: Any, client: Any) -> None:
    from inventory.services import audit

    vial = factories.VialFactory()
    batch = factories.BatchFactory()
    factories.DrawFactory(vial=vial, batch=batch)
    audit.record("vial_moved", "vial", vial.id, details={"changed": {"location": ["A1", "B2"]}})
    factories.db.session.commit()
    login_as("nurse")
    html = client.get(f"/stock/vials/{vial.id}").get_data(as_text=True)
    history = html[html.index('id="vial-history"') :]
    assert "Vial moved" in history
    assert "vial_moved<" not in history
    assert "location: A1 → B2" in history
    assert f'href="/compounding/batches/{batch.id}"' in history
    assert "{'" not in history
