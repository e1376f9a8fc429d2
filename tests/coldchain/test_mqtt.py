"""COLD-02/03 through a real broker: a Mosquitto started by the test, readings published with paho,
`services.sensors.Listener` running in a thread with the test's app, recording them as manual
readings are (an out-of-range one opens an excursion and holds the unit's vials). Without a Mosquitto
binary these tests skip with the reason (and fail in CI, which installs it)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.publish as publish
import pytest
from sqlalchemy import select

from inventory.extensions import db
from inventory.models import AuditEntry, Excursion, StorageUnit, TemperatureReading, User
from inventory.services import sensors, storage
from tests import factories
from tests.coldchain.conftest import NOW
from tests.support import skip_or_fail

MOSQUITTO = "/usr/sbin/mosquitto"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mosquitto:
    """A broker of the test's own on a free port: `listener PORT 127.0.0.1`, anonymous clients."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.config = directory / "mosquitto.conf"
        self.config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.log = directory / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("mosquitto") or MOSQUITTO
        if not Path(binary).exists():
            skip_or_fail(f"Mosquitto not found at {MOSQUITTO} (apt-get install mosquitto)")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([binary, "-c", str(self.config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                skip_or_fail(f"Mosquitto did not start: {self.log.read_text(errors='replace')[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        skip_or_fail("Mosquitto did not listen within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def publish(self, topic: str, payload: str | bytes, *, retain: bool = False) -> None:
        publish.single(topic, payload, qos=1, retain=retain, hostname="127.0.0.1", port=self.port)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    mosquitto = Mosquitto(tmp_path)
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()


def wait_for(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    """Poll `check` until it answers something true; the test's session never keeps a transaction
    open meanwhile (on SQLite that would hold the lock the listener needs to write)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        finally:
            db.session.rollback()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Running:
    """A listener in a thread of its own, with the test's app."""

    def __init__(self, app: Any, broker: Mosquitto) -> None:
        self.listener = sensors.Listener(
            app,
            sensors.Broker("127.0.0.1", broker.port, tls=False),
            refresh_seconds=3600,  # the tests ask for a refresh when they want one
            client_id=f"test-{uuid.uuid4().hex[:8]}",
            reconnect_max_seconds=1,
        )
        self.thread = threading.Thread(target=self.listener.run, daemon=True)

    def start(self, topics: set[str]) -> Running:
        db.session.commit()  # whatever the test made is visible to the listener's sessions
        self.thread.start()
        self.listening_on(topics)
        return self

    def listening_on(self, topics: set[str]) -> None:
        self.listener.request_refresh()
        wait_for(lambda: self.listener.listening_on() == frozenset(topics), f"subscriptions to {topics}")

    def counted(self, outcome: str, n: int) -> None:
        wait_for(lambda: self.listener.counts[outcome] >= n, f"{n} {outcome}")
        assert self.listener.counts[outcome] == n, dict(self.listener.counts)

    def stop(self) -> None:
        self.listener.stop()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "the listener did not stop"


@pytest.fixture
def listen(app: Any, broker: Mosquitto) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def _listen(*topics: str) -> Running:
        running = Running(app, broker).start(set(topics))
        started.append(running)
        return running

    yield _listen
    for running in started:  # before the app fixture empties the tables
        running.stop()


@pytest.fixture
def manager(app: Any) -> User:
    return factories.UserFactory(roles=("manager",), username="mqtt-manager")


def _sensor_fridge(manager: User, topic: str = "clinic/fridge-1/temperature") -> tuple[int, str]:
    unit = factories.StorageUnitFactory(name="Fridge 1", kind="fridge", min_dc=20, max_dc=80)
    storage.set_topic(unit.id, topic, user=manager)
    return unit.id, topic


def _readings(unit_id: int) -> list[TemperatureReading]:
    return list(
        db.session.scalars(
            select(TemperatureReading)
            .where(TemperatureReading.storage_unit_id == unit_id)
            .order_by(TemperatureReading.at)
        )
    )


def test_cold_02_a_published_reading_is_recorded_by_the_sensor_account(
    broker: Mosquitto, listen: Any, manager: User
) -> None:
    unit_id, topic = _sensor_fridge(manager)
    running = listen(topic)
    at = NOW - timedelta(minutes=3)
    broker.publish(topic, f'{{"temperature_c": 4.3, "min_c": 3.9, "max_c": 5.1, "at": "{at.isoformat()}"}}')
    running.counted(sensors.RECORDED, 1)
    (reading,) = wait_for(lambda: _readings(unit_id), "the reading")
    assert (reading.at, reading.temperature_dc, reading.min_dc, reading.max_dc) == (at, 43, 39, 51)
    assert (reading.source, reading.in_range) == ("sensor", True)
    recorder = db.session.get(User, reading.recorded_by_id)
    assert recorder is not None
    assert (recorder.username, recorder.active, recorder.roles) == (
        sensors.SENSOR_USERNAME,
        False,
        frozenset(),
    )
    audited = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "temperature_recorded", AuditEntry.entity_id == unit_id)
    ).one()
    assert (audited.user_id, audited.details["source"]) == (recorder.id, "sensor")
    created = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user_created", AuditEntry.entity_id == recorder.id)
    ).one()
    assert created.details["system"] is True


def test_cold_03_an_out_of_range_sensor_reading_opens_an_excursion_and_holds_the_vials(
    broker: Mosquitto, listen: Any, manager: User, api_as: Any
) -> None:
    unit_id, topic = _sensor_fridge(manager)
    vial_id = factories.VialFactory(storage_unit_id=unit_id).id
    elsewhere = factories.StorageUnitFactory(name="Shelf A", kind="room", min_dc=200, max_dc=250)
    outside_id = factories.VialFactory(storage_unit_id=elsewhere.id).id
    nurse = api_as("nurse")
    assert nurse.get(f"/api/v1/vials/{vial_id}").get_json()["usable"] is True
    running = listen(topic)
    broker.publish(topic, "9.4")  # a bare number, dated when it arrives
    running.counted(sensors.RECORDED, 1)
    excursion = wait_for(
        lambda: db.session.scalars(select(Excursion).where(Excursion.storage_unit_id == unit_id)).first(),
        "the excursion",
    )
    assert (excursion.started_at, excursion.above, excursion.status) == (NOW, True, "open")
    (reading,) = _readings(unit_id)
    assert (reading.temperature_dc, reading.in_range, reading.at) == (94, False, NOW)
    held = nurse.get(f"/api/v1/vials/{vial_id}").get_json()
    assert (held["usable"], held["blocked_reason"]) == (False, "temperature_hold")
    assert nurse.get(f"/api/v1/vials/{outside_id}").get_json()["usable"] is True
    db.session.rollback()
    # the first reading back in range ends it, as a manual one does
    broker.publish(topic, f'{{"temperature_c": 5, "at": "{(NOW + timedelta(minutes=1)).isoformat()}"}}')
    running.counted(sensors.RECORDED, 2)
    ended = wait_for(
        lambda: db.session.get(Excursion, excursion.id, populate_existing=True).ended_at, "the end"
    )
    assert ended == NOW + timedelta(minutes=1)


def test_cold_02_bad_payloads_are_counted_and_the_listener_goes_on(
    broker: Mosquitto, listen: Any, manager: User
) -> None:
    unit_id, topic = _sensor_fridge(manager)
    running = listen(topic)
    for payload in (b"hot", b'{"temp": 4.0}', b"\xff\xfe", b'{"temperature_c": true}', b"[4.2]", b"999"):
        broker.publish(topic, payload)
    running.counted(sensors.BAD_PAYLOAD, 6)
    # read, but refused by the reading service as a typed reading would be: min above the value now
    broker.publish(topic, '{"temperature_c": 4.0, "min_c": 6.0}')
    running.counted(sensors.REFUSED, 1)
    assert _readings(unit_id) == []
    broker.publish(topic, "4,5")
    running.counted(sensors.RECORDED, 1)
    assert [r.temperature_dc for r in _readings(unit_id)] == [45]
    # the same time again: the unit has a reading then already
    broker.publish(topic, "4.6")
    running.counted(sensors.REFUSED, 2)
    assert running.thread.is_alive()


def test_cold_02_a_topic_no_unit_listens_on_records_nothing_and_changes_are_followed(
    broker: Mosquitto, listen: Any, manager: User
) -> None:
    unit_id, old_topic = _sensor_fridge(manager)
    running = listen(old_topic)
    storage.set_topic(unit_id, "clinic/fridge-1/probe-2", user=manager)
    db.session.commit()
    broker.publish(old_topic, "4.0")  # still subscribed until the next refresh: nobody listens on it now
    running.counted(sensors.UNKNOWN_TOPIC, 1)
    assert _readings(unit_id) == []
    running.listening_on({"clinic/fridge-1/probe-2"})
    broker.publish("clinic/fridge-1/probe-2", "4.0")
    running.counted(sensors.RECORDED, 1)
    # a unit taken out of use is no longer listened to
    db.session.get(StorageUnit, unit_id).active = False
    db.session.commit()
    running.listening_on(set())


def test_cold_02_the_listener_reconnects_after_the_broker_is_lost(
    broker: Mosquitto, listen: Any, manager: User
) -> None:
    unit_id, topic = _sensor_fridge(manager)
    running = listen(topic)
    broker.stop()
    wait_for(lambda: not running.listener.connected.is_set(), "the disconnection")
    broker.start()  # the same port again
    wait_for(lambda: running.listener.connections >= 2, "the reconnection")
    running.listening_on({topic})
    broker.publish(topic, "5.5")
    running.counted(sensors.RECORDED, 1)
    assert [r.temperature_dc for r in _readings(unit_id)] == [55]


def test_cold_02_a_retained_message_without_a_time_is_not_taken_for_a_new_reading(
    broker: Mosquitto, listen: Any, manager: User
) -> None:
    unit_id, topic = _sensor_fridge(manager)
    broker.publish(topic, "12.0", retain=True)  # from some time before the listener started
    running = listen(topic)
    running.counted(sensors.STALE, 1)
    assert _readings(unit_id) == []
    at = (NOW - timedelta(minutes=1)).isoformat()
    broker.publish(topic, f'{{"temperature_c": 4.1, "at": "{at}"}}', retain=True)
    running.counted(sensors.RECORDED, 1)
    assert [r.temperature_dc for r in _readings(unit_id)] == [41]
