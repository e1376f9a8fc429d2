"""Latency of the scan at the treatment chair on a database of 100,000 syringes.

    python -m bench.scan                          # SQLite in a temporary file
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python -m bench.scan
    python -m bench.scan --syringes 300000 --scans 2000

The dataset is written with bulk inserts (a few seconds): lots, vials, 5 syringes per batch drawn from
3 vials each, a third of the syringes already administered, some batches quarantined, recalled or
expired, some patient-specific. Then it times, for good syringes and for blocked ones:

- ``POST /api/v1/sessions/{id}/scans`` through the Flask test client with a bearer token (the whole
  request: token, permissions, validation, the verdict, the writes, the commit, the JSON);
- ``services.scanning.scan`` called directly (the verdict and its writes, one transaction);
- ``services.usability.syringe_reasons`` for one syringe (the read alone).

It prints p50/p95/p99 in milliseconds. Target: under 20 ms p95 on one core. With BENCH_DATABASE_URL
(an admin URL) the run is repeated in a new PostgreSQL database of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, literal, select

from bench.databases import postgres_database, sqlite_database

TARGET_P95_MS = 20.0
SYRINGES_PER_BATCH = 5
DRAWS_PER_BATCH = 3
CHUNK = 5000
PASSWORD = "bench-password-123"
WARM_UP = 20
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def code(prefix: str, number: int) -> str:
    """A unique code of our format (prefix + 10 Crockford characters) from a number."""
    digits = []
    for _ in range(10):
        number, rest = divmod(number, 32)
        digits.append(CROCKFORD[rest])
    return prefix + "".join(reversed(digits))


@dataclass
class Dataset:
    session_ids: list[int]
    good: list[str]
    blocked: list[str]
    counts: dict[str, int]


def _bulk(model: Any, rows: Sequence[dict[str, Any]]) -> None:
    from inventory.extensions import db

    table = model.__table__
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), list(rows[start : start + CHUNK]))


PRODUCTS, LOTS, VIALS_PER_LOT, RECIPES, SESSIONS = 20, 400, 5, 4, 50


def build(syringes: int, *, seed: int = 7) -> Dataset:
    """Write the dataset with bulk inserts; return open sessions and codes to scan."""
    from inventory.database import after_bulk_load
    from inventory.extensions import db

    rng = random.Random(seed)
    now = datetime.now(UTC)
    patients = max(SESSIONS, syringes // 20)
    _people(now, patients)
    _stock(rng, now)
    batches, syringe_rows, administrations = _batches(rng, now, syringes, patients)
    db.session.commit()
    after_bulk_load(db.engine)
    return _pick_codes(rng, syringe_rows, batches, administrations)


def _people(now: datetime, patients: int) -> None:
    """One practitioner, the patients, and open sessions to scan into."""
    from werkzeug.security import generate_password_hash

    from inventory.models import Patient, TreatmentSession, User, UserRole
    from inventory.rules.text import search_key

    password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    user = {
        "id": 1,
        "username": "doctor",
        "display_name": "Dr Bench",
        "initials": "DB",
        "password_hash": password,
    }
    _bulk(User, [{**user, "active": True}])
    _bulk(UserRole, [{"user_id": 1, "role": "practitioner"}])
    _bulk(
        Patient,
        [
            {
                "id": p,
                "name": f"Hasta {p}",
                "search_key": search_key(f"Hasta {p}"),
                "date_of_birth": date(1960 + p % 40, p % 12 + 1, p % 28 + 1),
                "mrn": f"M{p:07d}",
                "phone": "",
                "email": "",
                "created_at": now,
            }
            for p in range(1, patients + 1)
        ],
    )
    session = {
        "practitioner_id": 1,
        "indication": "skin",
        "area": "face",
        "status": "open",
        "started_at": now,
    }
    _bulk(TreatmentSession, [{"id": s, "patient_id": s, **session} for s in range(1, SESSIONS + 1)])


def _stock(rng: random.Random, now: datetime) -> None:
    """Products, lots (a few recalled, quarantined or expired), their receipts, open vials, recipes."""
    from inventory.models import Lot, Product, Receipt, Recipe, RecipeComponent, RecipeVersion, Vial

    product = {"category": "vitamin", "strength": "", "container": "multi_dose", "volume_ul": 20000}
    product |= {"storage": "room", "sterile": True, "reorder_point": 2, "reorder_quantity": 10}
    product |= {"lead_time_days": 7, "unit_cost_minor": 100, "active": True}
    _bulk(
        Product,
        [{"id": p, "name": f"Product {p}", "biological": p == 1, **product} for p in range(1, PRODUCTS + 1)],
    )
    today = now.date()
    _bulk(Lot, [_lot(lot, rng, today, now) for lot in range(1, LOTS + 1)])
    receipt = {"received_at": now, "received_by_id": 1, "supplier": "Bench", "unit_cost_minor": 100}
    _bulk(
        Receipt,
        [{"id": lot, "lot_id": lot, "vial_count": VIALS_PER_LOT, **receipt} for lot in range(1, LOTS + 1)],
    )
    vial = {"status": "open", "initial_ul": 20000, "remaining_ul": 10000, "opened_at": now, "waste_ul": 0}
    _bulk(
        Vial,
        [
            {
                "id": v,
                "code": code("V", v),
                "lot_id": (v - 1) // VIALS_PER_LOT + 1,
                "receipt_id": (v - 1) // VIALS_PER_LOT + 1,
                **vial,
            }
            for v in range(1, LOTS * VIALS_PER_LOT + 1)
        ],
    )
    recipe = {"indication": "skin", "route": "intradermal", "storage": "room", "notes": "", "active": True}
    _bulk(Recipe, [{"id": r, "name": f"Cocktail {r}", **recipe} for r in range(1, RECIPES + 1)])
    version = {
        "version": 1,
        "indication": "skin",
        "route": "intradermal",
        "storage": "room",
        "created_at": now,
    }
    _bulk(
        RecipeVersion,
        [{"id": r, "recipe_id": r, "name": f"Cocktail {r}", **version} for r in range(1, RECIPES + 1)],
    )
    _bulk(
        RecipeComponent,
        [
            {
                "recipe_version_id": r,
                "product_id": (r * 3 + i) % PRODUCTS + 2,
                "volume_ul": 1000,
                "position": i,
            }
            for r in range(1, RECIPES + 1)
            for i in range(DRAWS_PER_BATCH)
        ],
    )


def _lot(lot: int, rng: random.Random, today: date, now: datetime) -> dict[str, Any]:
    status = "recalled" if lot % 97 == 0 else "quarantined" if lot % 89 == 0 else "available"
    expiry = today - timedelta(days=3) if lot % 83 == 0 else today + timedelta(days=rng.randint(30, 700))
    number = f"L{lot:05d}"
    return {
        "id": lot,
        "product_id": (lot - 1) % PRODUCTS + 1,
        "number": number,
        "expiry": expiry,
        "status": status,
        "created_at": now,
    }


def _batches(
    rng: random.Random, now: datetime, syringes: int, patients: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Batches of 5 syringes drawn from 3 vials; some quarantined, awaiting verification, past their BUD
    or patient-specific; a third of the syringes already administered."""
    from inventory.extensions import db
    from inventory.models import Administration, Batch, Draw, Syringe
    from inventory.models.base import UTCDateTime
    from inventory.models.clinic import IdentityCheck

    batches, draws, syringe_rows, administrations = [], [], [], []
    prepared = now - timedelta(hours=2)
    for b in range(1, syringes // SYRINGES_PER_BATCH + 1):
        status = "quarantined" if b % 61 == 0 else "awaiting_verification" if b % 53 == 0 else "released"
        bud = now - timedelta(hours=1) if b % 47 == 0 else now + timedelta(days=2)
        batches.append(
            {
                "id": b,
                "code": code("B", b),
                "recipe_id": b % RECIPES + 1,
                "recipe_version_id": b % RECIPES + 1,
                "category": "category_1",
                "storage": "room",
                "patient_id": rng.randint(1, patients) if b % 10 == 0 else None,
                "status": status,
                "syringe_count": SYRINGES_PER_BATCH,
                "volume_per_syringe_ul": 3000,
                "prepared_by_id": 1,
                "prepared_at": prepared,
                "completed_at": prepared,
                "bud": bud,
            }
        )
        vials = LOTS * VIALS_PER_LOT
        draw = {"batch_id": b, "volume_ul": 5000, "drawn_at": prepared, "drawn_by_id": 1}
        draws += [
            {**draw, "vial_id": rng.randint(1, vials), "product_id": i + 1} for i in range(DRAWS_PER_BATCH)
        ]
        for n in range(1, SYRINGES_PER_BATCH + 1):
            sid = (b - 1) * SYRINGES_PER_BATCH + n
            given = sid % 3 == 0 and status == "released"
            waiting = status == "awaiting_verification"
            syringe_status = "administered" if given else "awaiting_verification" if waiting else "available"
            syringe_rows.append(
                {
                    "id": sid,
                    "code": code("S", sid * 7919),
                    "batch_id": b,
                    "number": n,
                    "volume_ul": 3000,
                    "status": syringe_status,
                    "storage": "room",
                    "bud": bud,
                }
            )
            if given:
                administrations.append(
                    {
                        "session_id": sid % SESSIONS + 1,
                        "syringe_id": sid,
                        "practitioner_id": 1,
                        "volume_ul": 3000,
                        "site": "face",
                        "administered_at": now,
                    }
                )
    for model, rows in (
        (Batch, batches),
        (Draw, draws),
        (Syringe, syringe_rows),
        (Administration, administrations),
    ):
        _bulk(model, rows)
    # Given and confirmed (SAFE-07, SAFE-14): no session waits for a confirmation when the bench scans.
    checked = select(Administration.id, literal(1), literal(now, UTCDateTime()))
    db.session.execute(
        insert(IdentityCheck).from_select(["administration_id", "checked_by_id", "checked_at"], checked)
    )
    return batches, syringe_rows, administrations


def _pick_codes(
    rng: random.Random,
    syringe_rows: list[dict[str, Any]],
    batch_rows: list[dict[str, Any]],
    administration_rows: list[dict[str, Any]],
) -> Dataset:
    """Codes that will scan green (released, in date, no lot on hold, for anyone) and codes that will not."""
    from inventory import clock
    from inventory.services.usability import syringe_reasons

    candidates = [
        row
        for row in syringe_rows
        if row["status"] == "available" and not batch_rows[row["batch_id"] - 1]["patient_id"]
    ]
    sample = rng.sample(candidates, min(len(candidates), 20000))
    reasons = syringe_reasons([row["id"] for row in sample], clock.now())
    good = [row["code"] for row in sample if not reasons[row["id"]]]
    some = rng.sample(syringe_rows, min(5000, len(syringe_rows)))
    blocked = [row["code"] for row in some if row["status"] != "available"]
    blocked += [row["code"] for row in sample if reasons[row["id"]]]
    rng.shuffle(good)
    rng.shuffle(blocked)
    counts = {
        "syringes": len(syringe_rows),
        "batches": len(batch_rows),
        "administrations": len(administration_rows),
    }
    return Dataset(list(range(1, SESSIONS + 1)), good, blocked, counts)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


@dataclass
class Timing:
    wall_ms: list[float]
    cpu_ms_mean: float
    statements: float | None = None  # SQL statements per call, when counted


def measure(
    action: Callable[[int], Any],
    count: int,
    *,
    warm_up: int = WARM_UP,
    bare: Callable[[int], Any] | None = None,
) -> Any:
    """Wall time of each call, and the mean CPU time of this process per call (the part of the wall
    time that other processes on a busy machine cannot inflate; PostgreSQL's own work is not in it).
    An action may return a callable: what has to follow it (the practitioner confirming the syringe
    given), run after the clock stops. With `bare`, each call is followed by one of the bare endpoint,
    timed the same way: (the action's timing, the bare endpoint's), so that their ratio holds on a
    loaded machine."""
    for index in range(warm_up):
        after = action(index)
        if callable(after):
            after()
    samples: list[float] = []
    bare_samples: list[float] = []
    cpu = bare_cpu = 0.0
    for index in range(warm_up, warm_up + count):
        started, started_cpu = time.perf_counter(), time.process_time()
        after = action(index)
        samples.append((time.perf_counter() - started) * 1000)
        cpu += time.process_time() - started_cpu
        if callable(after):
            after()
        if bare is not None:
            started, started_cpu = time.perf_counter(), time.process_time()
            bare(index)
            bare_samples.append((time.perf_counter() - started) * 1000)
            bare_cpu += time.process_time() - started_cpu
    timing = Timing(samples, cpu * 1000 / count)
    return (timing, Timing(bare_samples, bare_cpu * 1000 / count)) if bare is not None else timing


def run(url: str, *, syringes: int, scans: int) -> tuple[dict[str, int], float, list[tuple[str, Timing]]]:
    from inventory import clock, create_app
    from inventory.extensions import db
    from inventory.models import User
    from inventory.services import scanning, usability
    from inventory.services import sessions as sessions_service

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CLINIC_TIMEZONE": "Europe/Istanbul"}
    )
    results: list[tuple[str, Timing]] = []
    with app.app_context():
        db.create_all()
        with app.test_request_context():
            started = time.perf_counter()
            data = build(syringes)
            build_s = time.perf_counter() - started
        needed = 2 * scans + 60
        if len(data.good) < needed:
            raise SystemExit(f"only {len(data.good)} good syringes for {needed} scans: use more --syringes")
        good, blocked, sessions = iter(data.good), data.blocked, data.session_ids
        client = app.test_client()
        token = client.post("/api/v1/tokens", json={"username": "doctor", "password": PASSWORD}).get_json()[
            "token"
        ]
        headers = {"Authorization": f"Bearer {token}"}
        executed, per_call = [0], [0]

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_args: Any) -> None:
            executed[0] += 1

        def counted(timing: Timing, calls: int) -> Timing:
            """The timing with the statements of its calls (the confirmations after each are not
            counted: `api_scan` resets the count around the request alone)."""
            timing.statements = per_call[0] / calls
            per_call[0] = 0
            return timing

        def api_scan(codes: Callable[[int], str], expected: int) -> Callable[[int], Any]:
            def action(index: int) -> Any:
                session_id = sessions[index % len(sessions)]
                before = executed[0]
                response = client.post(
                    f"/api/v1/sessions/{session_id}/scans",
                    json={"code": codes(index), "site": "face"},
                    headers=headers,
                )
                per_call[0] += executed[0] - before
                assert response.status_code == expected, response.get_json()
                if expected != 201:
                    return None
                administration = response.get_json()["administration"]["id"]
                # The next scan of the session waits for this one to be confirmed given (SAFE-14).
                url = f"/api/v1/sessions/{session_id}/administrations/{administration}/identity-check"
                return lambda: client.post(url, headers=headers)

            return action

        def bare(_index: int) -> None:
            response = client.get("/healthz")
            assert response.status_code == 200

        ok, bare_ok = measure(api_scan(lambda _i: next(good), 201), scans, bare=bare)
        results += [("bare GET /healthz", bare_ok), ("API scan, ok (201)", counted(ok, scans + WARM_UP))]
        stopped, bare_stopped = measure(api_scan(lambda i: blocked[i % len(blocked)], 409), scans, bare=bare)
        stopped = counted(stopped, scans + WARM_UP)
        results += [("bare GET /healthz", bare_stopped), ("API scan, blocked (409)", stopped)]
        with app.test_request_context():
            doctor = db.session.get(User, 1)
            assert doctor is not None

            def service_scan(index: int) -> Any:
                session_id = sessions[index % len(sessions)]
                outcome = scanning.scan(session_id, next(good), user=doctor, site="face")
                assert outcome.ok, outcome.reasons
                assert outcome.administration is not None
                given = outcome.administration.id
                return lambda: sessions_service.confirm_identity(session_id, given, user=doctor)

            def reasons_only(index: int) -> None:
                usability.syringe_reasons([index * 5 + 1], clock.now())
                db.session.rollback()

            results.append(("service scan(), ok", measure(service_scan, scans)))
            results.append(("syringe_reasons(), 1 syringe", measure(reasons_only, scans)))
        db.session.remove()
        db.engine.dispose()
    return data.counts, build_s, results


def report(engine: str, counts: dict[str, int], build_s: float, results: list[tuple[str, Timing]]) -> None:
    print(f"\n{engine}: {counts}, built in {build_s:.1f} s")
    print(f"  {'':<38} {'p50':>8} {'p95':>8} {'p99':>8} {'cpu':>8} {'SQL':>5}   (ms; n; SQL per call)")
    bare_p95 = None
    for label, timing in results:
        p50, p95, p99 = percentiles(timing.wall_ms)
        statements = "" if timing.statements is None else f"{timing.statements:.1f}"
        flag = "" if p95 <= TARGET_P95_MS else "   over the 20 ms target"
        if label.startswith("bare"):
            bare_p95 = p95
        elif label.startswith("API") and bare_p95:
            flag = f"   {p95 / bare_p95:.2f}× the bare endpoint's p95 (target ≤ 2){flag}"
            bare_p95 = None
        print(
            f"  {label:<38} {p50:>8.2f} {p95:>8.2f} {p99:>8.2f} {timing.cpu_ms_mean:>8.2f} {statements:>5}"
            f"   ({len(timing.wall_ms)}){flag}"
        )
    loads = ", ".join(f"{load:.1f}" for load in os.getloadavg())
    print(f"  load average when done: {loads} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--syringes", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="run on one database alone")
    args = parser.parse_args()
    if args.only != "postgresql":
        with sqlite_database("scan") as url:
            report("SQLite", *run(url, syringes=args.syringes, scans=args.scans))
    admin = os.environ.get("BENCH_DATABASE_URL")
    if admin and args.only != "sqlite":
        with postgres_database(admin, "scan") as url:
            report("PostgreSQL", *run(url, syringes=args.syringes, scans=args.scans))


if __name__ == "__main__":
    main()
