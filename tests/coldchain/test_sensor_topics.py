"""COLD-02, network sensors: a unit's MQTT topic set on the pages and in the API (validated, unique,
audited), the broker's URL, and `flask coldchain listen` refusing to start without one."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.models import AuditEntry, StorageUnit
from inventory.services.sensors import Broker, broker_from_url
from tests import factories
from tests.coldchain.conftest import error_of
from tests.support import csrf_from

TOPIC = "clinic/fridge-1/temperature"


def test_cold_02_a_unit_is_created_with_its_sensors_topic(api_as: Any) -> None:
    api = api_as("manager")
    response = api.post(
        "/api/v1/storage-units", json={"name": "Fridge 2", "kind": "fridge", "mqtt_topic": TOPIC}
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["mqtt_topic"] == TOPIC
    plain = api.post("/api/v1/storage-units", json={"name": "Shelf", "kind": "room"}).get_json()
    assert plain["mqtt_topic"] is None
    again = api.post(
        "/api/v1/storage-units", json={"name": "Fridge 3", "kind": "fridge", "mqtt_topic": TOPIC}
    )
    assert again.status_code == 409
    assert error_of(again)["code"] == "duplicate_topic"


def test_cold_02_a_manager_sets_changes_and_clears_the_topic_audited(
    api_as: Any, fridge: StorageUnit, db: Any
) -> None:
    api = api_as("manager")
    response = api.patch(f"/api/v1/storage-units/{fridge.id}", json={"mqtt_topic": f" {TOPIC} "})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["mqtt_topic"] == TOPIC
    assert api.patch(f"/api/v1/storage-units/{fridge.id}", json={"mqtt_topic": TOPIC}).status_code == 200
    assert api.patch(f"/api/v1/storage-units/{fridge.id}", json={"mqtt_topic": "a/b"}).status_code == 200
    cleared = api.patch(f"/api/v1/storage-units/{fridge.id}", json={"mqtt_topic": None})
    assert cleared.get_json()["mqtt_topic"] is None
    assert api.patch(f"/api/v1/storage-units/{fridge.id}", json={"mqtt_topic": ""}).status_code == 200
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "storage_unit_topic_set").order_by(AuditEntry.id)
    ).all()
    assert [entry.details["mqtt_topic"] for entry in entries] == [
        [None, TOPIC],
        [TOPIC, "a/b"],
        ["a/b", None],
    ]
    assert {entry.user_id for entry in entries} == {api.user.id}


@pytest.mark.parametrize(
    "topic", ["clinic/+/temperature", "clinic/#", "$SYS/uptime", "a" * 201, "bad\x00topic", 42]
)
def test_cold_02_a_wildcard_or_too_long_topic_is_refused_with_the_field(
    api_as: Any, fridge: StorageUnit, topic: Any
) -> None:
    api = api_as("manager")
    response = api.patch(f"/api/v1/storage-units/{fridge.id}", json={"mqtt_topic": topic})
    assert response.status_code == 422, response.get_json()
    assert "mqtt_topic" in error_of(response)["fields"]
    created = api.post("/api/v1/storage-units", json={"name": "F", "kind": "fridge", "mqtt_topic": topic})
    assert created.status_code == 422
    assert "mqtt_topic" in error_of(created)["fields"]


def test_cold_02_two_units_cannot_share_a_topic(api_as: Any, fridge: StorageUnit, room: StorageUnit) -> None:
    api = api_as("admin")
    assert api.patch(f"/api/v1/storage-units/{fridge.id}", json={"mqtt_topic": TOPIC}).status_code == 200
    taken = api.patch(f"/api/v1/storage-units/{room.id}", json={"mqtt_topic": TOPIC})
    assert taken.status_code == 409
    assert error_of(taken)["code"] == "duplicate_topic"
    assert "Fridge 1" in error_of(taken)["fields"]["mqtt_topic"]


def test_cold_02_only_a_manager_or_admin_sets_a_topic(api_as: Any, fridge: StorageUnit) -> None:
    nurse = api_as("nurse")
    assert nurse.patch(f"/api/v1/storage-units/{fridge.id}", json={"mqtt_topic": TOPIC}).status_code == 403
    manager = api_as("manager")
    assert manager.patch("/api/v1/storage-units/999999", json={"mqtt_topic": TOPIC}).status_code == 404
    assert manager.patch(f"/api/v1/storage-units/{fridge.id}", json={}).status_code == 422


def _form(client: FlaskClient, page_url: str, post_url: str, data: dict[str, Any]) -> Any:
    page = client.get(page_url)
    assert page.status_code == 200
    return client.post(post_url, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_cold_02_on_the_unit_page_a_manager_sets_the_topic(
    client: FlaskClient, login_as: Any, fridge: StorageUnit, db: Any
) -> None:
    login_as("manager")
    url = f"/cold/units/{fridge.id}"
    response = _form(client, url, f"{url}/topic", {"mqtt_topic": TOPIC})
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert f"now records what its sensor publishes on {TOPIC}" in html
    assert f'value="{TOPIC}"' in html
    assert db.session.get(StorageUnit, fridge.id, populate_existing=True).mqtt_topic == TOPIC
    cleared = _form(client, url, f"{url}/topic", {"mqtt_topic": ""})
    assert cleared.status_code == 302
    assert "has no network sensor now" in client.get(url).get_data(as_text=True)


def test_cold_02_a_wildcard_on_the_page_is_refused_and_what_was_typed_kept(
    client: FlaskClient, login_as: Any, fridge: StorageUnit, db: Any
) -> None:
    login_as("manager")
    url = f"/cold/units/{fridge.id}"
    response = _form(client, url, f"{url}/topic", {"mqtt_topic": "clinic/+/temperature"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "without the wildcards + and #" in html
    assert 'value="clinic/+/temperature"' in html
    assert db.session.get(StorageUnit, fridge.id, populate_existing=True).mqtt_topic is None


def test_cold_02_a_nurse_sees_the_topic_but_cannot_change_it(
    client: FlaskClient, login_as: Any, db: Any
) -> None:
    unit = factories.StorageUnitFactory(
        name="Fridge 9", kind="fridge", min_dc=20, max_dc=80, mqtt_topic=TOPIC
    )
    login_as("nurse")
    html = client.get(f"/cold/units/{unit.id}").get_data(as_text=True)
    assert f"Readings published on {TOPIC}" in html
    assert "Save the topic" not in html


def test_cold_02_a_unit_added_on_the_page_with_a_topic(client: FlaskClient, login_as: Any, db: Any) -> None:
    login_as("manager")
    response = _form(
        client, "/cold/units", "/cold/units", {"name": "Fridge 1", "kind": "fridge", "mqtt_topic": TOPIC}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(StorageUnit.mqtt_topic)) == TOPIC
    bad = _form(
        client, "/cold/units", "/cold/units", {"name": "Fridge 2", "kind": "fridge", "mqtt_topic": "x/#"}
    )
    assert bad.status_code == 200
    assert 'value="x/#"' in bad.get_data(as_text=True)


def test_cold_02_listen_needs_a_broker_url(app: Any, config: Any) -> None:
    config(MQTT_BROKER_URL="")
    result = app.test_cli_runner().invoke(args=["coldchain", "listen"])
    assert result.exit_code == 2
    assert "MQTT_BROKER_URL" in result.output
    config(MQTT_BROKER_URL="http://broker")
    result = app.test_cli_runner().invoke(args=["coldchain", "listen"])
    assert result.exit_code == 2
    assert "mqtt://" in result.output


@pytest.mark.parametrize(
    ("url", "broker"),
    [
        ("mqtt://broker.local", Broker("broker.local", 1883, tls=False)),
        ("mqtt://127.0.0.1:1884/", Broker("127.0.0.1", 1884, tls=False)),
        ("mqtts://broker.local", Broker("broker.local", 8883, tls=True)),
        (
            "mqtts://pharmacy:s%40cret@broker.local:8884",
            Broker("broker.local", 8884, True, "pharmacy", "s@cret"),
        ),
        ("mqtt://only-user@broker.local", Broker("broker.local", 1883, False, "only-user")),
    ],
)
def test_the_broker_url_gives_host_port_tls_and_credentials(url: str, broker: Broker) -> None:
    assert broker_from_url(url) == broker


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://broker.local",
        "broker.local:1883",
        "mqtt://",
        "mqtt://h:99999",
        "mqtt://h/topic",
        "mqtt://h?x=1",
    ],
)
def test_a_broker_url_that_is_not_one_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"MQTT_BROKER_URL|[Pp]ort"):
        broker_from_url(url)


def test_the_broker_is_logged_without_its_password() -> None:
    assert (
        str(broker_from_url("mqtts://pharmacy:secret@broker.local")) == "mqtts://pharmacy@broker.local:8883"
    )


def test_cold_02_nobody_signs_in_as_the_sensor_account(app: Any, client: FlaskClient, login_as: Any) -> None:
    from inventory.services import sensors

    sensor = sensors.sensor_user()
    assert sensors.sensor_user().id == sensor.id, "made once"
    denied = app.test_client().post(
        "/api/v1/tokens", json={"username": sensors.SENSOR_USERNAME, "password": sensors.UNUSABLE_PASSWORD}
    )
    assert denied.status_code == 401
    login_as("admin")
    accounts = client.get("/admin/users")
    assert accounts.status_code == 200
    assert sensors.SENSOR_DISPLAY_NAME in accounts.get_data(as_text=True)
