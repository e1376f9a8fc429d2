"""Network sensors (COLD-02): readings published on an MQTT broker, one topic per storage unit.

`flask coldchain listen` runs a `Listener`: it subscribes to the topic of every active unit, reads each
message (`rules.sensors.parse_payload`) and records it through `readings.record_reading`, the service
of manual readings, with the source `sensor` and the app's own sensor account as the recorder, so an
out-of-range value opens an excursion and holds the unit's stock exactly as a reading typed on the
unit's page does. A message it cannot use is logged and counted; nothing a sensor sends stops it.
paho's network thread reconnects after a broker loss (and the listener subscribes again); the topics
are read again every `refresh_seconds` and whenever a connection is made.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from flask import Flask
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from inventory import clock
from inventory.errors import DomainError
from inventory.extensions import db
from inventory.models.coldchain import ReadingSource, StorageUnit
from inventory.models.users import User
from inventory.rules import sensors as sensor_rules
from inventory.rules.errors import RuleError
from inventory.services import audit, readings, transaction

log = logging.getLogger("inventory.sensors")

#: The account sensor readings are recorded by: inactive, without roles or a usable password, so
#: nobody can sign in with it; created (and audited) the first time a sensor reading arrives.
SENSOR_USERNAME = "system-sensor"
SENSOR_DISPLAY_NAME = "Network sensor (MQTT)"
SENSOR_INITIALS = "MQTT"
UNUSABLE_PASSWORD = "!"  # no hash method: never matches a password
QOS = 1
DEFAULT_REFRESH_SECONDS = 60.0


# --- the broker's address ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None

    def __str__(self) -> str:  # for logs: never the password
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def broker_from_url(url: str) -> Broker:
    """`mqtt://user:pass@host:1883` (port 1883 by default) or `mqtts://…` for TLS (8883 by default);
    user and password percent-encoded. ValueError with the reason for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError("MQTT_BROKER_URL must start with mqtt:// or mqtts://")
    if not parts.hostname:
        raise ValueError("MQTT_BROKER_URL has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("MQTT_BROKER_URL is the broker only: mqtt://user:password@host:port")
    tls = parts.scheme == "mqtts"
    port = parts.port or (8883 if tls else 1883)  # .port raises ValueError for a port out of range
    return Broker(
        host=parts.hostname,
        port=port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


# --- recording what arrived (in an app context) -----------------------------------------------------


def sensor_user() -> User:
    """The sensor account, made on first use; concurrent listeners end up with the same one."""
    found: User | None = db.session.scalar(select(User).where(User.username == SENSOR_USERNAME))
    if found is not None:
        return found
    try:
        with transaction():
            user = User(
                username=SENSOR_USERNAME,
                display_name=SENSOR_DISPLAY_NAME,
                initials=SENSOR_INITIALS,
                password_hash=UNUSABLE_PASSWORD,
                active=False,
                role_rows=[],
            )
            db.session.add(user)
            db.session.flush()
            audit.record(
                "user_created",
                "user",
                user.id,
                details={"username": SENSOR_USERNAME, "roles": [], "system": True},
            )
    except IntegrityError:
        user = db.session.scalars(select(User).where(User.username == SENSOR_USERNAME)).one()
    return user


def unit_topics() -> dict[str, int]:
    """Every active unit's topic → the unit's id."""
    rows = db.session.execute(
        select(StorageUnit.mqtt_topic, StorageUnit.id).where(
            StorageUnit.active.is_(True), StorageUnit.mqtt_topic.is_not(None)
        )
    ).all()
    return {topic: unit_id for topic, unit_id in rows if topic is not None}


#: What became of a message: the listener counts them under these names.
RECORDED = "recorded"
BAD_PAYLOAD = "bad_payload"
UNKNOWN_TOPIC = "unknown_topic"
REFUSED = "refused"  # read, but the reading service refused it (a time already known, in the future, …)
STALE = "stale"  # a retained message without a time: when it was measured is unknown
FAILED = "failed"  # an unexpected error (the database away): logged with its traceback


def record_message(topic: str, payload: bytes, received_at: datetime, *, retained: bool = False) -> str:
    """One message into a reading of the unit listening on `topic`; the outcome's name. A message
    without a time is dated when it was received; a retained one without a time is skipped (the broker
    replays it at every subscription, however old it is)."""
    unit = db.session.scalar(
        select(StorageUnit).where(StorageUnit.mqtt_topic == topic, StorageUnit.active.is_(True))
    )
    if unit is None:
        log.warning("message on %r: no active storage unit listens on that topic", topic)
        return UNKNOWN_TOPIC
    try:
        parsed = sensor_rules.parse_payload(payload)
    except RuleError as error:
        log.warning("unit %s (%r): unreadable message %r: %s", unit.name, topic, payload[:80], error.message)
        return BAD_PAYLOAD
    if parsed.at is None and retained:
        log.info("unit %s (%r): retained message without a time skipped", unit.name, topic)
        return STALE
    request = readings.ReadingRequest(
        temperature_dc=parsed.temperature_dc,
        min_dc=parsed.min_dc,
        max_dc=parsed.max_dc,
        at=parsed.at or received_at,
    )
    unit_id, unit_name = unit.id, unit.name
    try:
        recorded = readings.record_reading(unit_id, request, user=sensor_user(), source=ReadingSource.SENSOR)
    except DomainError as error:
        log.warning("unit %s (%r): reading refused: %s %s", unit_name, topic, error.code, error.message)
        return REFUSED
    reading = recorded.reading
    if reading.in_range:
        log.info("unit %s: %.1f °C recorded", unit_name, reading.temperature_dc / 10)
    else:
        log.warning(
            "unit %s: %.1f °C OUT OF RANGE, excursion %s: its stock is on hold",
            unit_name,
            reading.temperature_dc / 10,
            recorded.excursion_id,
        )
    return RECORDED


# --- the listener -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Message:
    topic: str
    payload: bytes
    received_at: datetime
    retained: bool


class Listener:
    """Subscribes to every active unit's topic and records what arrives, until `stop()`.

    Messages are taken off paho's network thread onto a queue and recorded by the thread that calls
    `run()`, each in an app context of its own (its own session, removed when it ends)."""

    def __init__(
        self,
        app: Flask,
        broker: Broker,
        *,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        client_id: str | None = None,
        reconnect_max_seconds: int = 30,
    ) -> None:
        self.app = app
        self.broker = broker
        self.refresh_seconds = refresh_seconds
        self.counts: Counter[str] = Counter()
        self.connected = threading.Event()
        self.connections = 0
        self._stop = threading.Event()
        self._refresh_now = threading.Event()
        self._queue: queue.Queue[_Message] = queue.Queue()
        self._lock = threading.Lock()
        self._wanted: set[str] = set()
        self._subscribed: set[str] = set()
        self._pending: set[int] = set()  # subscribe/unsubscribe requests the broker has not acknowledged
        self._acked: set[int] = set()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"clinic-pharmacy-{socket.gethostname()}-{os.getpid()}",
            clean_session=True,
            protocol=mqtt.MQTTv311,
        )
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self._client.tls_set()
        self._client.reconnect_delay_set(min_delay=1, max_delay=reconnect_max_seconds)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_acknowledged
        self._client.on_unsubscribe = self._on_acknowledged

    # paho's network thread ------------------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("broker %s refused the connection: %s", self.broker, reason)
            return
        log.info("connected to %s", self.broker)
        with self._lock:
            self._subscribed = set()  # a clean session: the broker forgot our subscriptions
            self._pending, self._acked = set(), set()
            wanted = set(self._wanted)
        self._subscribe(wanted)
        self.connections += 1
        self.connected.set()
        self._refresh_now.set()  # units may have changed while we were away

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("lost the broker %s (%s): reconnecting", self.broker, reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._queue.put(_Message(message.topic, bytes(message.payload), clock.now(), bool(message.retain)))

    def _on_acknowledged(self, _client: mqtt.Client, _userdata: Any, mid: int, *_rest: Any) -> None:
        with self._lock:
            if mid in self._pending:
                self._pending.discard(mid)
            else:  # acknowledged before _sent() noted it
                self._acked.add(mid)

    def _sent(self, mid: int | None) -> None:
        """Note a subscribe or unsubscribe the broker is to acknowledge (paho's calls are made outside
        our lock: its network thread takes the lock in the callbacks)."""
        if mid is None:
            return
        with self._lock:
            if mid in self._acked:
                self._acked.discard(mid)
            else:
                self._pending.add(mid)

    def _subscribe(self, topics: set[str]) -> None:
        if topics:
            with self._lock:
                self._subscribed |= topics
            _result, mid = self._client.subscribe([(topic, QOS) for topic in sorted(topics)])
            self._sent(mid)

    def listening_on(self) -> frozenset[str] | None:
        """The topics the broker has confirmed we receive, or None while connecting or (un)subscribing."""
        with self._lock:
            if not self.connected.is_set() or self._pending:
                return None
            return frozenset(self._subscribed)

    # the recording thread -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the units' topics again and follow them: subscribe to new ones, leave old ones."""
        with self.app.app_context():
            wanted = set(unit_topics())
        with self._lock:
            self._wanted = wanted
            if not self.connected.is_set():
                return  # subscribed to on connection
            gone, new = self._subscribed - wanted, wanted - self._subscribed
            self._subscribed -= gone
        if gone:
            _result, mid = self._client.unsubscribe(sorted(gone))
            self._sent(mid)
        self._subscribe(new)
        if gone or new:
            log.info("listening on %s topics", len(wanted))

    def request_refresh(self) -> None:
        """Read the topics again now rather than at the next period (tests, signals)."""
        self._refresh_now.set()

    def handle(self, message: _Message) -> str:
        """Record one message; whatever goes wrong is logged and counted, never raised."""
        try:
            with self.app.app_context():
                outcome = record_message(
                    message.topic, message.payload, message.received_at, retained=message.retained
                )
        except Exception:
            log.exception("message on %r could not be recorded", message.topic)
            outcome = FAILED
        self.counts[outcome] += 1
        return outcome

    def run(self) -> None:
        """Connect (retrying until the broker answers) and record messages until `stop()`."""
        self._safe_refresh()
        log.info("connecting to %s", self.broker)
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self._client.loop_start()
        next_refresh = time.monotonic() + self.refresh_seconds
        try:
            while not self._stop.is_set():
                try:
                    message = self._queue.get(timeout=0.2)
                except queue.Empty:
                    pass
                else:
                    self.handle(message)
                if self._refresh_now.is_set() or time.monotonic() >= next_refresh:
                    self._refresh_now.clear()
                    self._safe_refresh()
                    next_refresh = time.monotonic() + self.refresh_seconds
        finally:
            self._client.disconnect()
            self._client.loop_stop()
            log.info("stopped: %s", dict(self.counts))

    def _safe_refresh(self) -> None:
        try:
            self.refresh()
        except Exception:
            log.exception("could not read the units' topics; trying again later")

    def stop(self) -> None:
        self._stop.set()
