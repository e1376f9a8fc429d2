"""`flask coldchain listen`: readings of network sensors from the MQTT broker (services/sensors.py)."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

coldchain_cli = AppGroup("coldchain", help="The cold chain's network sensors.")


@coldchain_cli.command("listen")
@click.option(
    "--refresh",
    "refresh_seconds",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds between readings of the units' topics.",
)
def listen(refresh_seconds: float) -> None:
    """Record every reading published on an active unit's MQTT topic, until stopped (Ctrl+C, SIGTERM).

    The broker is MQTT_BROKER_URL (mqtt://user:password@host:1883, mqtts:// for TLS)."""
    from inventory.services import sensors

    url = current_app.config.get("MQTT_BROKER_URL", "")
    if not url:
        raise click.UsageError("set MQTT_BROKER_URL (mqtt://user:password@host:1883) first")
    try:
        broker = sensors.broker_from_url(url)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    listener = sensors.Listener(current_app._get_current_object(), broker, refresh_seconds=refresh_seconds)  # type: ignore[attr-defined]

    def _stop(_signal: int, _frame: FrameType | None) -> None:
        listener.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    listener.run()
