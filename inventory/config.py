"""Settings from the environment, with defaults that run on a laptop."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _secret_key(instance: Path) -> str:
    """A key from SECRET_KEY, or one generated once and kept in instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url:
        return url
    instance.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{instance / 'clinic.sqlite'}"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def from_environment(instance: Path = INSTANCE) -> dict[str, Any]:
    """Every setting the app reads, documented in the README's settings table."""
    return {
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance),
        "CLINIC_NAME": os.environ.get("CLINIC_NAME", "Clinic pharmacy"),
        "CLINIC_TIMEZONE": os.environ.get("CLINIC_TIMEZONE", "Europe/Istanbul"),
        "CLINIC_REGION": os.environ.get("CLINIC_REGION", "TR").upper(),
        "CLINIC_CURRENCY": os.environ.get("CLINIC_CURRENCY", "TRY"),
        "CLINIC_ADDRESS": os.environ.get("CLINIC_ADDRESS", "").replace("\\n", "\n"),
        "DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "en"),
        "LOGIN_MAX_FAILURES": _int("LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_MINUTES": _int("LOGIN_LOCK_MINUTES", 15),
        "API_TOKEN_HOURS": _int("API_TOKEN_HOURS", 12),
        "SESSION_MIN_INTERVAL_DAYS": _int("SESSION_MIN_INTERVAL_DAYS", 7),
        "REORDER_WINDOW_DAYS": _int("REORDER_WINDOW_DAYS", 90),
        "READING_INTERVAL_HOURS": _int("READING_INTERVAL_HOURS", 12),
        "GS1_GS_SUBSTITUTE": os.environ.get("GS1_GS_SUBSTITUTE", "~"),
        "LABEL_PRINTER_HOST": os.environ.get("LABEL_PRINTER_HOST", ""),
        "LABEL_PRINTER_PORT": _int("LABEL_PRINTER_PORT", 9100),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "SQLITE_BUSY_TIMEOUT_MS": _int("SQLITE_BUSY_TIMEOUT_MS", 15000),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 8 * 1024 * 1024),
        "BACKUP_DIR": os.environ.get("BACKUP_DIR", str(instance / "backups")),
        "MQTT_BROKER_URL": os.environ.get("MQTT_BROKER_URL", ""),
    }


STATIC_DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_CHECK_DEFAULT": False,
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "inventory" / "translations"),
    "LANGUAGES": {"en": "English", "tr": "Türkçe"},
    "API_TITLE": "Clinic pharmacy API",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "JSON_SORT_KEYS": False,
}
