"""Trace and recall of a lot used in thousands of administrations, on a generated dataset.

    python -m bench.trace                       # SQLite in a temp file
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python -m bench.trace
    python -m bench.trace --sessions 75000      # ≈ 300k syringes

With BENCH_DATABASE_URL (an admin URL) the run also happens in a new PostgreSQL database of its own,
dropped afterwards. Target: every step under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, text

from bench.databases import postgres_database, sqlite_database

TARGET_MS = 200.0


def timed(label: str, action: Callable[[], Any], *, repeat: int = 7) -> tuple[str, float, float, Any]:
    """Medians of `repeat` runs after one warm-up, in milliseconds: wall clock, and this process's CPU
    time (steadier on a shared machine)."""
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
    return label, statistics.median(wall), statistics.median(cpu), result


def run(
    url: str, *, years: float, sessions: int, fresh: bool = True
) -> list[tuple[str, float, float | None, str]]:
    from inventory import create_app
    from inventory.demo import load as load_demo
    from inventory.demo.generate import busiest_lots, generate
    from inventory.extensions import db
    from inventory.models import Administration, Lot, LotStatus, TreatmentSession, User
    from inventory.services import recalls, trace, vigilance

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CLINIC_TIMEZONE": "Europe/Istanbul"}
    )
    rows: list[tuple[str, float, float | None, str]] = []
    with app.app_context(), app.test_request_context():
        if fresh:
            db.create_all()
            load_demo()
            started = time.perf_counter()
            counts = generate(years=years, sessions=sessions)
            rows.append(("generate", (time.perf_counter() - started) * 1000, None, f"{vars(counts)}"))
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
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
        forward = trace.lot_forward(lot_id)
        client = app.test_client()
        token = client.post("/api/v1/tokens", json={"username": "manager", "password": "manager-demo"})
        headers = {"Authorization": f"Bearer {token.get_json()['token']}"}

        def lot_json() -> Any:
            response = client.get(f"/api/v1/trace/lots/{lot_id}", headers=headers)
            assert response.status_code == 200, response.status_code
            return response

        batch_id = max(forward.batches, key=lambda b: len(forward.syringes_of(b.id))).id
        for label, action, note in (
            ("trace lot forward", lambda: trace.lot_forward(lot_id), f"{administrations} administrations"),
            ("GET /api/v1/trace/lots/{id} (JSON)", lot_json, "HTTP, serialised"),
            ("trace patient back", lambda: trace.patient_back(patient_id), "busiest patient"),
            ("trace batch both ways", lambda: trace.batch_trace(batch_id), ""),
            ("recall preview", lambda: recalls.preview(lot_id=lot_id), ""),
            ("signals", vigilance.signals, ""),
        ):
            name, ms, cpu, result = timed(label, action)
            detail = note
            if isinstance(result, trace.LotTrace):
                detail += (
                    f"; {len(result.batches)} batches, {len(result.syringes)} syringes,"
                    f" {len(result.patients)} patients"
                )
            if isinstance(result, trace.PatientTrace):
                detail += f"; {len(result.items)} administrations, {len(result.lots)} lots"
            rows.append((name, ms, cpu, detail))
        manager = db.session.scalar(select(User).where(User.username == "manager"))
        assert manager is not None
        started = time.perf_counter()
        recall, quarantined = recalls.enter_recall(
            user=manager, classification="I", reason="bench", lot_id=lot_id
        )
        elapsed = (time.perf_counter() - started) * 1000
        rows.append(("enter recall (quarantine cascade)", elapsed, None, str(quarantined)))
        name, ms, cpu, found = timed(
            "recall page data (refresh)", lambda: recalls.get_recall(recall.id).patients
        )
        rows.append((name, ms, cpu, f"{len(found)} exposed patients"))
        db.session.remove()
    with app.app_context():
        db.engine.dispose()
    return rows


def report(engine: str, rows: list[tuple[str, float, float | None, str]]) -> None:
    print(f"\n{engine}   (median wall ms, median CPU ms of this process)")
    for label, ms, cpu, detail in rows:
        flag = "" if label == "generate" or ms <= TARGET_MS else "  (over target)"
        cpu_text = f"{cpu:>8.1f}" if cpu is not None else " " * 8
        print(f"  {label:<36} {ms:>10.1f} {cpu_text}  {detail}{flag}")
    print("  load average: " + " ".join(f"{load:.2f}" for load in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--sessions", type=int, default=30000)
    parser.add_argument("--database", help="reuse this generated database (no generation; enters one recall)")
    args = parser.parse_args()
    if args.database:
        report(args.database.split(":")[0], run(args.database, years=0, sessions=0, fresh=False))
        return
    with sqlite_database("trace") as url:
        report("SQLite", run(url, years=args.years, sessions=args.sessions))
    admin = os.environ.get("BENCH_DATABASE_URL")
    if admin:
        with postgres_database(admin, "trace") as url:
            report("PostgreSQL", run(url, years=args.years, sessions=args.sessions))


if __name__ == "__main__":
    main()
