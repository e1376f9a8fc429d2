"""Reports: usage, waste, cost per session, administrations, with charts and CSV (the manager's blueprint)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, render_template, request
from flask_babel import format_currency, format_date
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound as HttpNotFound

from inventory import charts, csvexport
from inventory.formatting import currency, format_number
from inventory.names import DISCARD_LABELS, INDICATION_LABELS, label
from inventory.permissions import Permission, permission_required
from inventory.rules.money import format_money
from inventory.rules.units import ul_to_ml
from inventory.services import reports
from inventory.web.manager import bp, download

# ---- reports -------------------------------------------------------------------------------------


def _report_period() -> tuple[reports.Period, reports.Grain]:
    """The date range of the filter (default: the last 12 weeks) and the grain (week or month)."""
    default = reports.Period.last_weeks(12)
    start = _parse_date(request.args.get("from")) or default.start
    end = _parse_date(request.args.get("to")) or default.end
    if end < start:
        start, end = end, start
    if (end - start).days > 3 * 366:
        start = end - timedelta(days=3 * 366)
    grain = reports.Grain.MONTH if request.args.get("grain") == "month" else reports.Grain.WEEK
    return reports.Period(start, end), grain


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _bucket_label(key: date, grain: reports.Grain) -> str:
    return str(format_date(key, "MMM yyyy" if grain is reports.Grain.MONTH else "d MMM"))


def _ml(ul: int) -> float:
    return float(ul_to_ml(ul))


def _money(minor: int) -> float:
    return minor / 100


def _fmt_money(value: float) -> str:
    return str(format_currency(value, currency()))


def _fmt_number(value: float) -> str:
    return format_number(value)


@bp.route("/reports")
@permission_required(Permission.REPORTS)
def reports_page() -> str:
    period, grain = _report_period()
    usage = reports.usage(period, grain)
    waste = reports.waste(period)
    sessions = reports.cost_per_session(period)
    administered = reports.syringes_administered(period, grain)
    labels = [_bucket_label(key, grain) for key in usage.keys]
    top = usage.rows[:6]
    usage_chart = charts.line_chart(
        labels,
        [charts.Series(row.name, [_ml(v) for v in row.volumes]) for row in top],
        title=_("Millilitres drawn per product"),
        unit="mL",
        fmt=_fmt_number,
    )
    waste_chart = charts.bar_chart(
        [label(DISCARD_LABELS, row.reason) for row in waste.rows],
        [_money(row.cost_minor) for row in waste.rows],
        title=_("Waste cost by reason"),
        unit=currency(),
        fmt=_fmt_money,
        color=charts.PALETTE[3],
    )
    session_chart = charts.bar_chart(
        [label(INDICATION_LABELS, row.indication) for row in sessions],
        [_money(row.per_session_minor) for row in sessions],
        title=_("Average cost per session by indication"),
        unit=currency(),
        fmt=_fmt_money,
        color=charts.PALETTE[2],
    )
    administered_chart = charts.bar_chart(
        [_bucket_label(key, grain) for key, _count in administered],
        [count for _key, count in administered],
        title=_("Syringes administered"),
        unit=_("syringes"),
        fmt=_fmt_number,
        integers=True,
    )
    return render_template(
        "manager/reports.html",
        period=period,
        grain=grain,
        usage=usage,
        usage_labels=labels,
        waste=waste,
        sessions=sessions,
        administered=administered,
        usage_chart=usage_chart,
        waste_chart=waste_chart,
        session_chart=session_chart,
        administered_chart=administered_chart,
        bucket_label=_bucket_label,
    )


REPORT_NAMES = ("usage", "waste", "sessions", "administered")


@bp.route("/reports/<name>.csv")
@permission_required(Permission.REPORTS)
def report_csv(name: str) -> Response:
    if name not in REPORT_NAMES:
        raise HttpNotFound()
    period, grain = _report_period()
    body = _report_rows(name, period, grain)
    filename = f"{name}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return download(
        body,
        "text/csv; charset=utf-8",
        filename,
        entity=("report", None),
        details={"report": name, "from": period.start, "to": period.end},
    )


def _report_rows(name: str, period: reports.Period, grain: reports.Grain) -> str:
    if name == "usage":
        usage = reports.usage(period, grain)
        header = ["product_id", "product", *[key.isoformat() for key in usage.keys], "total_ml"]
        rows = [
            [row.product_id, row.name, *[str(ul_to_ml(v)) for v in row.volumes], str(ul_to_ml(row.total_ul))]
            for row in usage.rows
        ]
        return csvexport.to_csv(header, rows)
    if name == "waste":
        waste = reports.waste(period)
        return csvexport.to_csv(
            ["reason", "vials", "syringes", "volume_ml", f"cost_{currency()}"],
            [
                [
                    row.reason,
                    row.vials,
                    row.syringes,
                    str(ul_to_ml(row.volume_ul)),
                    format_money(row.cost_minor),
                ]
                for row in waste.rows
            ],
        )
    if name == "sessions":
        return csvexport.to_csv(
            ["indication", "sessions", "syringes", f"cost_{currency()}", f"cost_per_session_{currency()}"],
            [
                [
                    row.indication,
                    row.sessions,
                    row.syringes,
                    format_money(row.cost_minor),
                    format_money(row.per_session_minor),
                ]
                for row in reports.cost_per_session(period)
            ],
        )
    return csvexport.to_csv(
        [grain.value, "syringes"],
        [[key.isoformat(), count] for key, count in reports.syringes_administered(period, grain)],
    )
