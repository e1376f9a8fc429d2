"""Trace and recall of a lot used in thousands of administrations, on a generated dataset.

    python -m bench.trace                       # SQLite in a temp file
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python -m bench.trace
    python -m bench.trace --sessions 75000      # ≈ 300k syringes
    python -m bench.trace --database sqlite:///bench/out/sqlite-5y.sqlite --no-recall   # bench.pages' data

With BENCH_DATABASE_URL (an admin URL) the run also happens in a new PostgreSQL database of its own,
dropped afterwards. Target: every step under 200 ms at p95, and the lot trace API within 1.5× the
hand-written SQL that finds the same patient set (the two timed in turn, for a ratio that holds on a
loaded machine).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, text

from bench.databases import postgres_database, sqlite_database

TARGET_MS = 200.0
REPEAT = 20
#: The lot trace API and the hand-written SQL are timed in turn, this many times each, for their ratio.
RATIO_ROUNDS = 60
# The lot's exposed patients written by hand, the floor the lot trace API is compared with: lot → vials →
# draws → syringes of those batches → administrations not voided → sessions' patients.
PATIENT_SET_SQL = text(
    """
    SELECT DISTINCT ts.patient_id
    FROM vials v
    JOIN draws d ON d.vial_id = v.id
    JOIN syringes s ON s.batch_id = d.batch_id
    JOIN administrations a ON a.syringe_id = s.id
    JOIN treatment_sessions ts ON ts.id = a.session_id
    WHERE v.lot_id = :lot_id
      AND NOT EXISTS (SELECT 1 FROM administration_voids av WHERE av.administration_id = a.id)
    """
)

Row = tuple[str, float, float | None, float | None, str]


def timed(
    label: str, action: Callable[[], Any], *, repeat: int = REPEAT
) -> tuple[str, float, float, float, Any]:
    """p50 and p95 of `repeat` runs after one warm-up, in wall-clock milliseconds, and the median CPU time
    of this process (steadier on a shared machine)."""
    from inventory.extensions import db

    result = action()
    db.session.rollback()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = action()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        db.session.rollback()
    return label, statistics.median(wall), _p95(wall), statistics.median(cpu), result


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def interleaved(actions: dict[str, Callable[[], Any]], rounds: int = RATIO_ROUNDS) -> dict[str, Row]:
    """Each action timed `rounds` times, one after the other in turn (after one warm-up each), so that a
    moment of load on a shared machine falls on both sides of a ratio alike."""
    from inventory.extensions import db

    wall: dict[str, list[float]] = {label: [] for label in actions}
    cpu: dict[str, list[float]] = {label: [] for label in actions}
    for action in actions.values():
        action()
        db.session.rollback()
    for _ in range(rounds):
        for label, action in actions.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            action()
            wall[label].append((time.perf_counter() - started) * 1000)
            cpu[label].append((time.process_time() - started_cpu) * 1000)
            db.session.rollback()
    return {
        label: (label, statistics.median(wall[label]), _p95(wall[label]), statistics.median(cpu[label]), "")
        for label in actions
    }


def run(url: str, *, years: float, sessions: int, fresh: bool = True, recall: bool = True) -> list[Row]:
    from bench.pages import PASSWORDS, set_passwords
    from inventory import create_app
    from inventory.database import after_bulk_load
    from inventory.demo import load as load_demo
    from inventory.demo.generate import busiest_lots, generate
    from inventory.extensions import db
    from inventory.models import Administration, Lot, LotStatus, TreatmentSession, User
    from inventory.services import lot_trace, recalls, trace, vigilance

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CLINIC_TIMEZONE": "Europe/Istanbul"}
    )
    rows: list[Row] = []
    with app.app_context(), app.test_request_context():
        if fresh:
            db.create_all()
            load_demo()
            started = time.perf_counter()
            counts = generate(years=years, sessions=sessions)
            rows.append(("generate", (time.perf_counter() - started) * 1000, None, None, f"{vars(counts)}"))
            db.session.commit()
            after_bulk_load(db.engine)
        set_passwords()
        recalled = set(db.session.scalars(select(Lot.id).where(Lot.status == LotStatus.RECALLED)))
        lot_id, administrations = next(
            pair for pair in busiest_lots(len(recalled) + 1) if pair[0] not in recalled
        )
        patient_id = db.session.scalar(
            select(TreatmentSession.patient_id)
            .join(Administration, Administration.session_id == TreatmentSession.id)
            .group_by(TreatmentSession.patient_id)
            .order_by(func.count(Administration.id).desc())
            .limit(1)
        )
        assert patient_id is not None
        first = lot_trace.lot_page(lot_id)
        client = app.test_client()
        token = client.post("/api/v1/tokens", json={"username": "manager", "password": PASSWORDS["manager"]})
        headers = {"Authorization": f"Bearer {token.get_json()['token']}"}

        def lot_json(query: str = "") -> Any:
            response = client.get(f"/api/v1/trace/lots/{lot_id}{query}", headers=headers)
            assert response.status_code == 200, response.status_code
            return response

        def every_page() -> Any:
            body = lot_json("?per_page=500").get_json()
            pages = [body]
            while body["next"]:
                body = lot_json(f"?per_page=500&page={body['next']}").get_json()
                pages.append(body)
            return pages

        def patient_set() -> set[int]:
            return set(db.session.execute(PATIENT_SET_SQL, {"lot_id": lot_id}).scalars())

        gc.collect()
        gc.freeze()  # as wsgi.py does once the app is built
        exposed = {p.id for p in trace.exposed_patients(lot_id)}
        assert patient_set() == exposed, "the hand-written SQL and the lot's exposures disagree"
        batch_id = max(first.batches, key=lambda b: len([s for s in first.syringes if s.batch_id == b.id])).id
        counts = first.counts
        for label, action, note in (
            ("hand-written SQL: the lot's patient set", patient_set, f"{len(exposed)} patients"),
            (
                "lot trace, first page (service)",
                lambda: lot_trace.lot_page(lot_id),
                f"{administrations} administrations; counts {vars(counts)}",
            ),
            ("GET /api/v1/trace/lots/{id} (JSON)", lot_json, "HTTP, first page of 100, serialised"),
            ("every page of the API, per_page=500", every_page, ""),
            (
                "lot page data (service)",
                lambda: lot_trace.lot_overview(lot_id),
                "counts, 50 patients and vials, 20 batches",
            ),
            ("trace patient back", lambda: trace.patient_back(patient_id), "busiest patient"),
            ("trace batch both ways", lambda: trace.batch_trace(batch_id), ""),
            ("recall preview", lambda: recalls.preview(lot_id=lot_id), ""),
            ("signals", vigilance.signals, ""),
        ):
            name, p50, p95, cpu, result = timed(label, action)
            detail = note
            if label.startswith("every page"):  # several requests: the target is each one's
                per_page = p95 / len(result)
                over = "  (over target)" if per_page > TARGET_MS else ""
                detail += f"{len(result)} pages, {per_page:.0f} ms a page (p95 ÷ pages){over}"
            if hasattr(result, "get_data"):
                detail += f"; {len(result.get_data()) / 1024:.0f} KB"
            if isinstance(result, trace.PatientTrace):
                detail += f"; {len(result.items)} administrations, {len(result.lots)} lots"
            rows.append((name, p50, p95, cpu, detail))
        pair = interleaved(
            {"hand-written SQL, in turn with the API": patient_set, "the API, in turn": lot_json}
        )
        rows.extend(pair.values())
        sql_p95, api_p95 = (p95 or 0.0 for _label, _p50, p95, _cpu, _detail in pair.values())
        detail = f"target ≤ 1.5; {RATIO_ROUNDS} of each, in turn"
        rows.append(("API p95 ÷ hand-written SQL p95", api_p95 / sql_p95, None, None, detail))
        if recall:
            manager = db.session.scalar(select(User).where(User.username == "manager"))
            assert manager is not None
            started = time.perf_counter()
            entered, quarantined = recalls.enter_recall(
                user=manager, classification="I", reason="bench", lot_id=lot_id
            )
            elapsed = (time.perf_counter() - started) * 1000
            rows.append(("enter recall (quarantine cascade)", elapsed, None, None, str(quarantined)))
            name, p50, p95, cpu, found = timed(
                "recall page data (refresh)", lambda: recalls.get_recall(entered.id).patients
            )
            rows.append((name, p50, p95, cpu, f"{len(found)} exposed patients"))
        db.session.remove()
        gc.unfreeze()
    with app.app_context():
        db.engine.dispose()
    return rows


def report(engine: str, rows: list[Row]) -> None:
    print(f"\n{engine}   (wall p50, wall p95, median CPU ms of this process)")
    for label, p50, p95, cpu, detail in rows:
        if p95 is None and cpu is None and label.startswith("API p95"):
            print(f"  {label:<40} {p50:>9.2f}×  {detail}")
            continue
        whole = label == "generate" or label.startswith("every page")  # not one request
        flag = "" if whole or (p95 or p50) <= TARGET_MS else "  (over target)"
        p95_text = f"{p95:>9.1f}" if p95 is not None else " " * 9
        cpu_text = f"{cpu:>8.1f}" if cpu is not None else " " * 8
        print(f"  {label:<40} {p50:>9.1f} {p95_text} {cpu_text}  {detail}{flag}")
    print("  load average: " + " ".join(f"{load:.2f}" for load in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--sessions", type=int, default=30000)
    parser.add_argument("--database", help="reuse this generated database (no generation; enters one recall)")
    parser.add_argument(
        "--no-recall", action="store_true", help="leave the data as it is (no recall entered)"
    )
    args = parser.parse_args()
    if args.database:
        rows = run(args.database, years=0, sessions=0, fresh=False, recall=not args.no_recall)
        report(args.database.split(":")[0], rows)
        return
    with sqlite_database("trace") as url:
        report("SQLite", run(url, years=args.years, sessions=args.sessions, recall=not args.no_recall))
    admin = os.environ.get("BENCH_DATABASE_URL")
    if admin:
        with postgres_database(admin, "trace") as url:
            report(
                "PostgreSQL", run(url, years=args.years, sessions=args.sessions, recall=not args.no_recall)
            )


if __name__ == "__main__":
    main()
