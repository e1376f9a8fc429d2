"""Reports on known data: the exact figures a manager would compute by hand."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest

from inventory.extensions import db
from inventory.services import reports, summaries
from inventory.services.reports import Grain, Period
from tests import factories
from tests.manager.conftest import TODAY, batch, draw, lot, product, utc, vials

MAR_2, MAR_9 = date(2026, 3, 2), date(2026, 3, 9)
PERIOD = Period(date(2026, 3, 2), date(2026, 3, 15))  # two clinic weeks, Monday to Sunday


@pytest.fixture
def world(app, frozen):
    """Lidocaine 20 mL vials at 20.00 (0.1 per µL), vitamin 5 mL vials at 10.00 (0.2 per µL).

    - skin batch of 3 syringes on 3 March: 4 mL lidocaine (4.00) + 2 mL vitamin (4.00) = 8.00: 2.666… each
    - hair batch of 1 syringe: 1.5 mL vitamin (3.00), drawn 8 March 22:30 UTC = 9 March 01:30 in Istanbul
    - skin batch of 2 syringes on 12 March: 2 mL lidocaine (2.00): 1.00 each, one discarded damaged
    - a vitamin vial discarded expired on 5 March with 2.5 mL left: 5.00 of waste
    """
    lido = product(name="Lidocaine 20 mL", volume_ul=20_000)
    vit = product(name="Vitamin C 5 mL", volume_ul=5_000)
    lido_vial = vials(lot(lido, expiry=TODAY + timedelta(days=200)), cost=2000)[0]
    vit_vials = vials(lot(vit, expiry=TODAY + timedelta(days=200)), 3, cost=1000)

    skin = batch(indication="skin", syringes=3, at=utc("2026-03-03T10:00:00"))
    draw(lido_vial, 4000, at=utc("2026-03-03T10:00:00"), into=skin)
    draw(vit_vials[0], 2000, at=utc("2026-03-03T10:00:00"), into=skin)
    hair = batch(indication="hair", syringes=1, at=utc("2026-03-08T22:30:00"))
    draw(vit_vials[1], 1500, at=utc("2026-03-08T22:30:00"), into=hair)
    late = batch(indication="skin", syringes=2, at=utc("2026-03-12T08:00:00"))
    draw(lido_vial, 2000, at=utc("2026-03-12T08:00:00"), into=late)
    # outside the period: drawn on 16 March
    draw(lido_vial, 1000, at=utc("2026-03-16T08:00:00"))

    skin_syringes = [factories.SyringeFactory(batch=skin, number=n, status="administered") for n in (1, 2, 3)]
    hair_syringe = factories.SyringeFactory(batch=hair, status="administered")
    late_syringes = [factories.SyringeFactory(batch=late, number=n) for n in (1, 2)]
    late_syringes[0].status = "discarded"
    late_syringes[0].discard_reason = "damaged"
    late_syringes[0].discarded_at = utc("2026-03-13T09:00:00")

    s1 = factories.SessionFactory(indication="skin", started_at=utc("2026-03-04T09:00:00"))
    s2 = factories.SessionFactory(indication="hair", started_at=utc("2026-03-11T09:00:00"))
    s3 = factories.SessionFactory(indication="skin", started_at=utc("2026-03-12T09:00:00"))
    factories.SessionFactory(indication="fat", started_at=utc("2026-03-12T10:00:00"))  # nothing administered
    for syringe, session, at in (
        (skin_syringes[0], s1, "2026-03-04T09:10:00"),
        (skin_syringes[1], s1, "2026-03-04T09:20:00"),
        (hair_syringe, s2, "2026-03-11T09:10:00"),
        (skin_syringes[2], s3, "2026-03-12T09:10:00"),
    ):
        factories.AdministrationFactory(session=session, syringe=syringe, administered_at=utc(at))

    wasted = vit_vials[2]
    wasted.status, wasted.discard_reason = "discarded", "expired"
    wasted.remaining_ul, wasted.waste_ul = 0, 2500
    wasted.discarded_at = utc("2026-03-05T12:00:00")
    db.session.flush()
    summaries.rebuild()  # the factories wrote past the services that keep the daily totals
    db.session.commit()
    return {"lido": lido, "vit": vit, "skin": skin, "hair": hair, "late": late}


def test_report_usage_per_product_per_clinic_week(world):
    report = reports.usage(PERIOD, Grain.WEEK)
    assert report.keys == [MAR_2, MAR_9]
    by_name = {row.name: row.volumes for row in report.rows}
    # the hair draw at 22:30 UTC on Sunday 8 March is Monday 9 March in Istanbul
    assert by_name == {"Lidocaine 20 mL": [4000, 2000], "Vitamin C 5 mL": [2000, 1500]}
    assert [row.name for row in report.rows] == ["Lidocaine 20 mL", "Vitamin C 5 mL"]  # most used first
    assert report.totals == [6000, 3500]


def test_report_usage_per_month(world):
    report = reports.usage(Period(date(2026, 2, 1), date(2026, 3, 31)), Grain.MONTH)
    assert report.keys == [date(2026, 2, 1), date(2026, 3, 1)]
    assert {row.name: row.volumes for row in report.rows} == {
        "Lidocaine 20 mL": [0, 7000],
        "Vitamin C 5 mL": [0, 3500],
    }


def test_report_waste_by_reason_with_cost(world):
    report = reports.waste(PERIOD)
    rows = {row.reason: (row.vials, row.syringes, row.volume_ul, row.cost_minor) for row in report.rows}
    assert rows == {"expired": (1, 0, 2500, 500), "damaged": (0, 1, 1000, 100)}
    assert (report.volume_ul, report.cost_minor) == (3500, 600)


def test_report_cost_per_session_by_indication(world):
    rows = {
        row.indication: (row.sessions, row.syringes, row.cost_minor, row.per_session_minor)
        for row in reports.cost_per_session(PERIOD)
    }
    # skin: 3 syringes of a batch costing 8.00 over two sessions; hair: one syringe of 3.00
    assert rows == {"skin": (2, 3, 800, 400), "hair": (1, 1, 300, 300)}


def test_report_syringes_administered_per_week(world):
    assert reports.syringes_administered(PERIOD) == [(MAR_2, 2), (MAR_9, 2)]


def test_report_batch_cost_uses_each_vials_receipt_cost(world):
    skin, hair, late = world["skin"].id, world["hair"].id, world["late"].id
    assert reports.batch_costs([skin, hair, late]) == {skin: 800, hair: 300, late: 200}
    assert reports.syringe_shares([skin, late]) == {skin: Fraction(800, 3), late: 100}


def test_report_rounding_is_half_up():
    assert [reports.minor(Fraction(n, 2)) for n in (1, 3, 5)] == [1, 2, 3]
    assert reports.minor(Fraction(800, 3)) == 267


def test_report_buckets_cover_the_period():
    assert reports.buckets(Period(date(2026, 3, 4), date(2026, 3, 16)), Grain.WEEK) == [
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
    ]
    assert reports.buckets(Period(date(2025, 12, 20), date(2026, 1, 5)), Grain.MONTH) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
    ]


def _csv_rows(client: Any, path: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(path).data.decode("utf-8-sig"))))


def test_report_csv_has_the_exact_figures(client, login_as, world):
    login_as("manager")
    assert _csv_rows(client, "/manager/reports/waste.csv?from=2026-03-02&to=2026-03-15") == [
        ["reason", "vials", "syringes", "volume_ml", "cost_TRY"],
        ["expired", "1", "0", "2.5", "5.00"],
        ["damaged", "0", "1", "1", "1.00"],
    ]
    usage = _csv_rows(client, "/manager/reports/usage.csv?from=2026-03-02&to=2026-03-15")
    assert usage[0] == ["product_id", "product", "2026-03-02", "2026-03-09", "total_ml"]
    assert usage[1][1:] == ["Lidocaine 20 mL", "4", "2", "6"]
    sessions = _csv_rows(client, "/manager/reports/sessions.csv?from=2026-03-02&to=2026-03-15")
    assert sessions[0][3:] == ["cost_TRY", "cost_per_session_TRY"]
    assert ["skin", "2", "3", "8.00", "4.00"] in sessions


def test_report_page_shows_the_figures_and_charts(client, login_as, world):
    login_as("manager")
    html = client.get("/manager/reports?from=2026-03-02&to=2026-03-15").get_data(as_text=True)
    assert 'data-figure="waste-cost">TRY6.00<' in html
    assert html.count("<svg") == 4
    assert "style=" not in html
