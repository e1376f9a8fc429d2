"""Temperature readings of storage units (COLD-02) and the units whose reading is overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from inventory import clock
from inventory.errors import Conflict, Invalid
from inventory.extensions import db
from inventory.models.coldchain import ReadingSource, StorageUnit, TemperatureReading
from inventory.models.users import User
from inventory.rules import coldchain as cold_rules
from inventory.rules.errors import RuleError
from inventory.services import audit, excursions, storage, transaction

#: A reading may be dated a little ahead of the server's clock (a phone's clock runs fast), no more.
CLOCK_SLACK = timedelta(minutes=5)
DEFAULT_INTERVAL_HOURS = 12


@dataclass(frozen=True)
class ReadingRequest:
    """Tenths of a degree Celsius; ``at`` None is now."""

    temperature_dc: int
    min_dc: int | None = None
    max_dc: int | None = None
    at: datetime | None = None


def _check(request: ReadingRequest, now: datetime) -> datetime:
    at = request.at or now
    if at.tzinfo is None:
        message = _("Give the time with its time zone.")
        raise Invalid("invalid_input", message, fields={"at": message})
    if at > now + CLOCK_SLACK:
        message = _("A reading cannot be in the future.")
        raise Invalid("invalid_input", message, fields={"at": message})
    if request.min_dc is not None and request.min_dc > request.temperature_dc:
        message = _("The minimum since the last reading cannot be above the temperature now.")
        raise Invalid("invalid_input", message, fields={"min_c": message})
    if request.max_dc is not None and request.max_dc < request.temperature_dc:
        message = _("The maximum since the last reading cannot be below the temperature now.")
        raise Invalid("invalid_input", message, fields={"max_c": message})
    return at


def reading_in_range(unit: StorageUnit, request: ReadingRequest) -> bool:
    """COLD-03: a reading is in range when the temperature now, and the minimum and maximum since the
    last reading when given, are all within the unit's range."""
    values = [request.temperature_dc, request.min_dc, request.max_dc]
    return all(cold_rules.in_range(value, unit.min_dc, unit.max_dc) for value in values if value is not None)


@dataclass(frozen=True)
class Recorded:
    reading: TemperatureReading
    #: COLD-03: the excursion this reading opened, continued or ended, if any.
    excursion_id: int | None


def record_reading(
    unit_id: int, request: ReadingRequest, *, user: User, source: ReadingSource = ReadingSource.MANUAL
) -> Recorded:
    """COLD-02: a reading of a unit, by whom and when; audited. COLD-03: out of range, it opens an
    excursion and puts everything in the unit on hold in the same transaction."""
    now = clock.now()
    at = _check(request, now)
    try:
        with transaction():
            unit = storage.get_unit(unit_id)
            reading, excursion = _add_reading(unit, request, at, now, user, source)
    except IntegrityError:
        message = _("This unit has a reading at that time already.")
        raise Conflict("duplicate_reading", message, fields={"at": message}) from None
    return Recorded(reading, excursion.id if excursion is not None else None)


def _add_reading(
    unit: StorageUnit, request: ReadingRequest, at: datetime, now: datetime, user: User, source: ReadingSource
) -> tuple[TemperatureReading, Any]:
    """One reading in the caller's transaction: audited, and the excursion it opens, continues or ends."""
    reading = TemperatureReading(
        storage_unit_id=unit.id,
        at=at,
        temperature_dc=request.temperature_dc,
        min_dc=request.min_dc,
        max_dc=request.max_dc,
        in_range=reading_in_range(unit, request),
        source=source.value,
        recorded_by_id=user.id,
        recorded_at=now,
    )
    db.session.add(reading)
    db.session.flush()
    audit.record(
        "temperature_recorded",
        "storage_unit",
        unit.id,
        details={
            "reading_id": reading.id,
            "at": at,
            "temperature_dc": request.temperature_dc,
            "min_dc": request.min_dc,
            "max_dc": request.max_dc,
            "in_range": reading.in_range,
            "source": source.value,
        },
        user=user,
    )
    return reading, excursions.on_reading(unit, reading, user)


def readings_of_unit(unit_id: int, limit: int = 50) -> list[TemperatureReading]:
    """The latest readings of a unit, newest first."""
    return list(
        db.session.scalars(
            select(TemperatureReading)
            .where(TemperatureReading.storage_unit_id == unit_id)
            .order_by(TemperatureReading.at.desc())
            .limit(limit)
        )
    )


def interval() -> timedelta:
    """COLD-02: the clinic's longest gap between readings (READING_INTERVAL_HOURS, default 12 h)."""
    return timedelta(hours=current_app.config.get("READING_INTERVAL_HOURS", DEFAULT_INTERVAL_HOURS))


@dataclass(frozen=True)
class Overdue:
    unit: StorageUnit
    last_at: datetime | None


def overdue_units(now: datetime | None = None) -> list[Overdue]:
    """Active units without a reading for longer than the interval (never read: first), one query."""
    now = now or clock.now()
    last = (
        select(TemperatureReading.storage_unit_id, func.max(TemperatureReading.at).label("last_at"))
        .group_by(TemperatureReading.storage_unit_id)
        .subquery()
    )
    rows = db.session.execute(
        select(StorageUnit, last.c.last_at)
        .outerjoin(last, last.c.storage_unit_id == StorageUnit.id)
        .where(StorageUnit.active.is_(True))
        .order_by(last.c.last_at.is_not(None), last.c.last_at, StorageUnit.name)
    ).all()
    limit = now - interval()
    result = []
    for unit, last_at in rows:
        when = _aware(last_at)
        if when is None or when < limit:
            result.append(Overdue(unit, when))
    return result


def _aware(value: datetime | None) -> datetime | None:
    """max() of a UTC column comes back without its type's conversion on SQLite."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# --- a data logger's CSV export --------------------------------------------------------------------------

IMPORT_MAX_ROWS = 20_000


@dataclass(frozen=True)
class ImportRow:
    line: int
    status: str
    errors: dict[str, str]


@dataclass(frozen=True)
class ImportResult:
    rows: list[ImportRow]
    created: int
    skipped: int


def _logger_time(text: str) -> datetime:
    """ISO 8601 with an offset, or a logger's local time without one (the clinic's zone)."""
    value = datetime.fromisoformat(text.strip().replace("/", "-"))
    return value if value.tzinfo is not None else value.replace(tzinfo=clock.clinic_zone())


def import_csv(
    unit_id: int,
    text: str,
    *,
    user: User,
    time_column: str | None = None,
    temperature_column: str | None = None,
) -> ImportResult:
    """COLD-02: a logger's export (time, temperature), with the columns chosen once per unit and kept.
    All or nothing: a row in error imports nothing (422 with every row); a time the unit has already is
    skipped, so overlapping exports can be imported again."""
    import csv
    import io

    unit = storage.get_unit(unit_id)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip() for name in (reader.fieldnames or [])]
    time_column = (time_column or unit.import_time_column or "").strip()
    temperature_column = (temperature_column or unit.import_temperature_column or "").strip()
    for name, chosen in (("time_column", time_column), ("temperature_column", temperature_column)):
        if chosen not in header:
            message = _("Choose the column among: %(columns)s.", columns=", ".join(header) or "—")
            raise Invalid("mapping_required", message, fields={name: message})
    now = clock.now()
    rows: list[ImportRow] = []
    parsed: list[tuple[datetime, int]] = []
    for line, raw in enumerate(reader, start=2):
        record = {(key or "").strip(): (value or "") for key, value in raw.items()}
        errors: dict[str, str] = {}
        at: datetime | None = None
        tenths: int | None = None
        try:
            at = _logger_time(record.get(time_column, ""))
            if at > now + CLOCK_SLACK:
                errors[time_column] = _("A reading cannot be in the future.")
        except ValueError:
            errors[time_column] = _("Not a date and time.")
        try:
            tenths = cold_rules.to_dc(record.get(temperature_column, ""))
        except RuleError:
            errors[temperature_column] = _("Not a temperature in °C.")
        rows.append(ImportRow(line, "error" if errors else "ok", errors))
        if not errors and at is not None and tenths is not None:
            parsed.append((at, tenths))
        if len(rows) > IMPORT_MAX_ROWS:
            message = _("At most %(n)s rows per file.", n=IMPORT_MAX_ROWS)
            raise Invalid("invalid_input", message, fields={"file": message})
    if any(row.status == "error" for row in rows):
        raise Invalid(
            "invalid_file",
            _("Some rows are wrong: nothing was imported."),
            extra={"rows": [row.__dict__ for row in rows], "created": 0},
        )
    created = skipped = 0
    with transaction():
        unit = storage.get_unit(unit_id)
        if (unit.import_time_column, unit.import_temperature_column) != (time_column, temperature_column):
            audit.record(
                "storage_unit_import_mapping",
                "storage_unit",
                unit.id,
                details={"time_column": time_column, "temperature_column": temperature_column},
                user=user,
            )
            unit.import_time_column, unit.import_temperature_column = time_column, temperature_column
        known = set(
            db.session.scalars(
                select(TemperatureReading.at).where(TemperatureReading.storage_unit_id == unit.id)
            )
        )
        for at, tenths in sorted(parsed):
            if at in known:
                skipped += 1
                continue
            known.add(at)
            _add_reading(
                unit, ReadingRequest(temperature_dc=tenths, at=at), at, now, user, ReadingSource.LOGGER
            )
            created += 1
    return ImportResult(rows, created, skipped)
