"""A unit's temperature log for a month (COLD-06): its readings and excursions, as CSV and as a
printable PDF kept for three years."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from inventory import clock, csvexport
from inventory.extensions import db
from inventory.models.coldchain import Excursion, StorageUnit, TemperatureReading
from inventory.models.compounding import Batch
from inventory.models.stock import Lot
from inventory.rules.coldchain import from_dc
from inventory.services import excursions as excursion_service
from inventory.services.purchasing import _escape, _fonts

CSV_HEADER = ["at", "temperature_c", "min_c", "max_c", "in_range", "source", "recorded_by"]


@dataclass(frozen=True)
class MonthLog:
    unit: StorageUnit
    month: date
    readings: list[TemperatureReading]
    excursions: list[excursion_service.ExcursionView]


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first and next month's first instant in the clinic's time zone, as UTC."""
    zone = clock.clinic_zone()
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, time(), tzinfo=zone).astimezone(UTC),
        datetime.combine(following, time(), tzinfo=zone).astimezone(UTC),
    )


def month_log(unit: StorageUnit, month: date) -> MonthLog:
    start, end = month_bounds(month)
    readings = list(
        db.session.scalars(
            select(TemperatureReading)
            .where(
                TemperatureReading.storage_unit_id == unit.id,
                TemperatureReading.at >= start,
                TemperatureReading.at < end,
            )
            .order_by(TemperatureReading.at)
        )
    )
    found = db.session.scalars(
        select(Excursion)
        .where(
            Excursion.storage_unit_id == unit.id,
            Excursion.started_at < end,
            (Excursion.ended_at.is_(None)) | (Excursion.ended_at >= start),
        )
        .order_by(Excursion.started_at)
    )
    return MonthLog(unit, month.replace(day=1), readings, [excursion_service.view(e) for e in found])


def _lot_name(lot_id: int) -> str:
    lot = db.session.get(Lot, lot_id)
    return f"{lot.product.name} {lot.number}" if lot is not None else str(lot_id)


def _batch_name(batch_id: int) -> str:
    batch = db.session.get(Batch, batch_id)
    return batch.code if batch is not None else str(batch_id)


def _c(tenths: int | None) -> str:
    return "" if tenths is None else f"{from_dc(tenths):.1f}"


def log_csv(log: MonthLog) -> str:
    rows = [
        (
            reading.at.isoformat(),
            _c(reading.temperature_dc),
            _c(reading.min_dc),
            _c(reading.max_dc),
            "yes" if reading.in_range else "no",
            reading.source,
            reading.recorded_by.initials,
        )
        for reading in log.readings
    ]
    return csvexport.to_csv(CSV_HEADER, rows, bom=False)


def log_pdf(log: MonthLog, *, clinic_name: str = "") -> bytes:
    """COLD-06: the monthly log as a printable A4: readings with min/max and initials, the excursions
    and their decisions."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12)
    heading = ParagraphStyle("heading", fontName=bold, fontSize=14, leading=18)
    unit = log.unit
    title = _("Temperature log: %(unit)s, %(month)s", unit=unit.name, month=log.month.strftime("%Y-%m"))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
        author=clinic_name,
    )
    story: list[object] = [
        Paragraph(_escape(title), heading),
        Paragraph(_escape(clinic_name), body),
        Paragraph(
            _escape(_("Allowed range: %(low)s to %(high)s °C", low=_c(unit.min_dc), high=_c(unit.max_dc))),
            body,
        ),
        Spacer(1, 4 * mm),
    ]
    rows: list[list[object]] = [[_("When"), _("Now"), _("Min"), _("Max"), _("By"), _("In range")]]
    for reading in log.readings:
        rows.append(
            [
                clock.local(reading.at).strftime("%Y-%m-%d %H:%M"),
                _c(reading.temperature_dc),
                _c(reading.min_dc),
                _c(reading.max_dc),
                reading.recorded_by.initials,
                _("yes") if reading.in_range else _("NO"),
            ]
        )
    if len(rows) == 1:
        story.append(Paragraph(_escape(_("No reading this month.")), body))
    else:
        table = Table(rows, repeatRows=1, colWidths=[40 * mm, 22 * mm, 22 * mm, 22 * mm, 20 * mm, 24 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), regular),
                    ("FONTNAME", (0, 0), (-1, 0), bold),
                    ("FONTSIZE", (0, 0), (-1, -1), 9),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                    ("ALIGN", (1, 0), (3, -1), "RIGHT"),
                ]
            )
        )
        story.append(table)
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(_escape(_("Excursions")), heading))
    if not log.excursions:
        story.append(Paragraph(_escape(_("No excursion this month.")), body))
    for shown in log.excursions:
        excursion = shown.excursion
        end = clock.local(excursion.ended_at).strftime("%Y-%m-%d %H:%M") if excursion.ended_at else "—"
        story.append(
            Paragraph(
                _escape(
                    _(
                        "#%(id)s from %(start)s to %(end)s: %(status)s",
                        id=excursion.id,
                        start=clock.local(excursion.started_at).strftime("%Y-%m-%d %H:%M"),
                        end=end,
                        status=excursion.status,
                    )
                ),
                body,
            )
        )
        named = [(_("Lot %(n)s", n=_lot_name(item.id)), item) for item in shown.lots] + [
            (_("Batch %(n)s", n=_batch_name(item.id)), item) for item in shown.batches
        ]
        for name, item in named:
            line = f"{name}: {item.decision or _('no decision yet')} — {item.reason or ''}"
            story.append(Paragraph(_escape(line), body))
    document.build(story)
    return buffer.getvalue()
