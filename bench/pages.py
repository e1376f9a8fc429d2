"""Every heavy page and the scan, at one and five years of a busy clinic, side by side.

    python -m bench.pages                      # SQLite; PostgreSQL too with BENCH_DATABASE_URL
    python -m bench.pages --only sqlite --rounds 20 --load-seconds 20

The datasets come from `flask demo generate` (1 year: 11,000 sessions; 5 years: 55,000) and are kept
for the next run: SQLite files under bench/out/ (git-ignored), PostgreSQL databases `bench_pages_1y`
and `bench_pages_5y` beside the admin URL's (`--postgres-prefix` changes the `bench_pages` part). A kept
dataset is migrated to the current schema first, and the manager and the practitioner get known passwords.

Each page is requested `--rounds` times through the Flask test client, signed in as the demo manager
(API lines with a bearer token), interleaved with the bare endpoint `/healthz` so that the ratio holds on
a loaded machine; the 1-year and 5-year datasets are measured in turn, round by round, for the same
reason. Columns: p50 and p95 in ms, p95 ÷ the bare endpoint's p95, SQL statements per
request (an N+1 shows as a count that grows with the data), response size.

Then, on SQLite at 5 years, gunicorn with 2 workers serves the app: the scan's p95 over HTTP alone, and
again while another client reloads the dashboard continuously (the 5xx count must stay 0).
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import create_engine, event, inspect, make_url, text

OUT = Path(__file__).parent / "out"
DATASETS = {"1y": (1.0, 11000), "5y": (5.0, 55000)}
BARE = "/healthz"
#: The issue's own bare endpoint: behind the same token check as the scan, nothing else.
TOKEN_BARE = "bare API: the token check (GET /api/v1/tokens/current)"
SCAN = "scan (blocked: already given)"
DROPPED = 599
CONFIG = {"SECRET_KEY": "bench", "CLINIC_TIMEZONE": "Europe/Istanbul", "WTF_CSRF_ENABLED": True}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Demo passwords are generated (`flask demo load` prints them once): the bench sets known ones, through
# the accounts service, on every dataset it builds or reuses. Not the username, not a common password.
PASSWORDS = {"manager": "bench-desk-7kq2m-pages", "practitioner": "bench-chair-4hx9t-pages"}


@dataclass
class Line:
    name: str
    p50: float
    p95: float
    ratio: float
    queries: int
    size: int
    status: int


def sqlite_url(label: str, folder: Path = OUT) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder.resolve() / f'sqlite-{label}.sqlite'}"


def postgres_url(admin_url: str, label: str, prefix: str = "bench_pages") -> str:
    database = f"{prefix}_{label}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database})
        if found.first() is None:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
    engine.dispose()
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


def ensure_dataset(url: str, label: str) -> Any:
    """The app on this dataset: generated on first use, migrated to the current schema every time."""
    from flask_migrate import upgrade

    from inventory import create_app
    from inventory.database import after_bulk_load
    from inventory.demo import load as load_demo
    from inventory.demo.generate import generate
    from inventory.extensions import db

    OUT.mkdir(exist_ok=True)
    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        fresh = "users" not in inspect(db.engine).get_table_names()
        upgrade()
        if fresh:
            years, sessions = DATASETS[label]
            started = time.perf_counter()
            with app.test_request_context():
                load_demo()
                generate(years=years, sessions=sessions)
                db.session.commit()
                after_bulk_load(db.engine)
            print(f"  generated {label} in {time.perf_counter() - started:.0f} s", flush=True)
        with app.test_request_context():
            set_passwords()
        db.session.remove()
    return app


def set_passwords() -> None:
    """The accounts the bench signs in as get known passwords, through the accounts service: no
    must-change screen in the way (the user's own choice, not an administrator's reset)."""
    from inventory.services import auth

    for username, password in PASSWORDS.items():
        auth.reset_password(auth.find_user(username), password, by_admin=False)


def _targets(app: Any, url: str) -> dict[str, Any]:
    """The busiest lot, the session to scan into and codes to scan: found once, kept beside the data."""
    from inventory import clock
    from inventory.demo.generate import busiest_lots
    from inventory.extensions import db
    from inventory.models import Patient, Syringe, SyringeStatus

    cache = OUT / f"targets-{re.sub(r'[^A-Za-z0-9]+', '_', make_url(url).database or 'db')}.json"
    if cache.exists():
        return dict(json.loads(cache.read_text()))
    with app.app_context():
        lot_id, administrations = next(iter(busiest_lots(1)))
        codes = list(
            db.session.scalars(
                Syringe.__table__.select()  # type: ignore[attr-defined]
                .with_only_columns(Syringe.code)
                .where(Syringe.status == SyringeStatus.ADMINISTERED)
                .order_by(Syringe.id.desc())
                .limit(400)
            )
        )
        patient_id = db.session.scalar(Patient.__table__.select().with_only_columns(Patient.id).limit(1))  # type: ignore[attr-defined]
        today = clock.today()
    found = {
        "lot_id": lot_id,
        "lot_administrations": administrations,
        "codes": codes,
        "patient_id": patient_id,
        "from": (today - timedelta(days=3 * 365)).isoformat(),
        "to": today.isoformat(),
    }
    cache.write_text(json.dumps(found))
    return found


def _sign_in(client: Any, username: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    match = CSRF.search(page)
    token = match.group(1) if match else ""
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code in (200, 302), response.status_code


def _token(client: Any, username: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/tokens", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@contextmanager
def counting(engine: Any) -> Iterator[list[int]]:
    counter = [0]

    def count(*_args: Any) -> None:
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class _Setup(NamedTuple):
    client: Any
    engine: Any
    requests: list[tuple[str, Callable[[], Any]]]


def _page_requests(app: Any, rounds: int) -> _Setup:
    """Every page of the table as a call of the app's test client (signed in, or with a token), and the
    engine their statements are counted on."""
    from inventory.extensions import db

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    found = _targets(app, url)
    client = app.test_client()
    _sign_in(client, "manager", PASSWORDS["manager"])
    api = _token(app.test_client(), "manager", PASSWORDS["manager"])
    chair = app.test_client()
    practitioner = _token(chair, "practitioner", PASSWORDS["practitioner"])
    opened = chair.post(
        "/api/v1/sessions",
        json={"patient_id": found["patient_id"], "indication": "skin"},
        headers=practitioner,
    )
    assert opened.status_code == 201, opened.get_data(as_text=True)
    session_id = opened.get_json()["id"]
    codes = iter(found["codes"] * (rounds + 10))
    lot = found["lot_id"]
    requests: list[tuple[str, Callable[[], Any]]] = [
        ("dashboard /manager/", lambda: client.get("/manager/")),
        (
            "reports, 3 years by month",
            lambda: client.get(f"/manager/reports?from={found['from']}&to={found['to']}&grain=month"),
        ),
        ("recalls list", lambda: client.get("/trace/recalls")),
        ("signals page", lambda: client.get("/trace/signals")),
        ("signals API", lambda: client.get("/api/v1/signals", headers=api)),
        (f"lot trace page ({found['lot_administrations']} adm.)", lambda: client.get(f"/trace/lots/{lot}")),
        ("lot trace API", lambda: client.get(f"/api/v1/trace/lots/{lot}", headers=api)),
        ("reorder page", lambda: client.get("/manager/reorder")),
        ("reorder API", lambda: client.get("/api/v1/reorder", headers=api)),
        ("lots", lambda: client.get("/stock/lots")),
        ("vials, expiring", lambda: client.get("/stock/expiring")),
        (TOKEN_BARE, lambda: chair.get("/api/v1/tokens/current", headers=practitioner)),
        (
            SCAN,
            lambda: chair.post(
                f"/api/v1/sessions/{session_id}/scans", json={"code": next(codes)}, headers=practitioner
            ),
        ),
    ]
    with app.app_context():
        engine = db.engine
    return _Setup(client, engine, requests)


def measure_pages(apps: dict[str, Any], rounds: int) -> dict[str, list[Line]]:
    """Each dataset's pages `rounds` times, each request after its own app's bare endpoint, and the
    datasets in turn round by round: a change of the machine's speed falls on 1 y and 5 y alike, so
    their ratio holds as the × bare column does."""
    setups = {label: _page_requests(app, rounds) for label, app in apps.items()}
    bare: dict[str, list[float]] = {label: [] for label in setups}
    samples = {label: {name: [] for name, _ in setup.requests} for label, setup in setups.items()}
    last: dict[str, dict[str, tuple[int, int, int]]] = {label: {} for label in setups}
    for setup in setups.values():  # warm-up: caches, the first compile of each statement
        for _name, call in setup.requests:
            call()
    for _ in range(rounds):
        for label, (client, engine, requests) in setups.items():
            for name, call in requests:
                started = time.perf_counter()
                client.get(BARE)
                bare[label].append((time.perf_counter() - started) * 1000)
                with counting(engine) as counter:
                    started = time.perf_counter()
                    response = call()
                    samples[label][name].append((time.perf_counter() - started) * 1000)
                last[label][name] = (counter[0], len(response.get_data()), response.status_code)
    results = {}
    for label, setup in setups.items():
        bare_p95 = _p(bare[label], 0.95)
        lines = [Line("bare /healthz", _p(bare[label], 0.5), bare_p95, 1.0, 0, 0, 200)]
        for name, _call in setup.requests:
            queries, size, status = last[label][name]
            timed = samples[label][name]
            p95 = _p(timed, 0.95)
            lines.append(Line(name, _p(timed, 0.5), p95, p95 / bare_p95, queries, size, status))
        results[label] = lines
    return results


# ---- the scan under a continuous dashboard load (gunicorn, HTTP) ------------------------------------


class Http:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(request, timeout=60) as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as error:
            error.read()
            return int(error.code)
        except (OSError, http.client.HTTPException):
            return DROPPED  # the connection closed without an answer: counted with the 5xx

    def text(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return str(response.read().decode())

    def post_form(self, path: str, form: dict[str, str]) -> int:
        data = urllib.parse.urlencode(form).encode()
        with self.opener.open(urllib.request.Request(self.base + path, data=data), timeout=60) as response:
            return int(response.status)

    def token(self, username: str, password: str) -> dict[str, str]:
        request = urllib.request.Request(
            self.base + "/api/v1/tokens",
            data=json.dumps({"username": username, "password": password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=60) as response:
            return {"Authorization": f"Bearer {json.loads(response.read())['token']}"}


@contextmanager
def gunicorn(url: str, port: int) -> Iterator[str]:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "CLINIC_TIMEZONE": "Europe/Istanbul"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--timeout",
            "120",
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        env=env,
        cwd=Path(__file__).parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + BARE, timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def scan_under_load(url: str, found: dict[str, Any], seconds: float) -> dict[str, Any]:
    with gunicorn(url, 5091) as base:
        chair = Http(base)
        practitioner = chair.token("practitioner", PASSWORDS["practitioner"])
        status = chair.call(
            "POST",
            "/api/v1/sessions",
            {"patient_id": found["patient_id"], "indication": "skin"},
            practitioner,
        )
        assert status == 201, status
        session_id = _newest_open_session(url)
        codes = found["codes"]

        def scans(duration: float) -> tuple[list[float], int]:
            samples, errors, index = [], 0, 0
            stop = time.perf_counter() + duration
            while time.perf_counter() < stop:
                code = codes[index % len(codes)]
                index += 1
                started = time.perf_counter()
                answer = chair.call(
                    "POST", f"/api/v1/sessions/{session_id}/scans", {"code": code}, practitioner
                )
                samples.append((time.perf_counter() - started) * 1000)
                errors += answer >= 500
                time.sleep(0.05)
            return samples, errors

        scans(2)  # warm-up
        alone, alone_errors = scans(seconds)
        desk = Http(base)
        page = desk.text("/login")
        match = CSRF.search(page)
        desk.post_form(
            "/login",
            {
                "username": "manager",
                "password": PASSWORDS["manager"],
                "csrf_token": match.group(1) if match else "",
            },
        )
        running = threading.Event()
        running.set()
        loads: list[float] = []
        load_errors = [0]

        def reload_dashboard() -> None:
            while running.is_set():
                started = time.perf_counter()
                status = desk.call("GET", "/manager/")
                loads.append((time.perf_counter() - started) * 1000)
                load_errors[0] += status >= 500

        loader = threading.Thread(target=reload_dashboard, daemon=True)
        loader.start()
        loaded, loaded_errors = scans(seconds)
        running.clear()
        loader.join(timeout=60)
    return {
        "alone_p50": _p(alone, 0.5),
        "alone_p95": _p(alone, 0.95),
        "alone_n": len(alone),
        "loaded_p50": _p(loaded, 0.5),
        "loaded_p95": _p(loaded, 0.95),
        "loaded_n": len(loaded),
        "scan_5xx": alone_errors + loaded_errors,
        "dashboards": len(loads),
        "dashboard_p50": _p(loads, 0.5) if loads else 0.0,
        "dashboard_5xx": load_errors[0],
    }


def _newest_open_session(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT id FROM treatment_sessions WHERE status = 'open' ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    engine.dispose()
    return int(found)


# ---- report ------------------------------------------------------------------------------------------


def table(engine: str, results: dict[str, list[Line]]) -> None:
    one, five = results["1y"], results["5y"]
    print(f"\n{engine}: p50 / p95 ms, p95 × bare, queries, KB — 1 year | 5 years | 5y p95 ÷ 1y p95")
    print("| page | 1 y p50 / p95 | × bare | q | KB | 5 y p50 / p95 | × bare | q | KB | 5y/1y |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for a, b in zip(one, five, strict=True):
        growth = b.p95 / a.p95 if a.p95 else 0.0
        flag = "" if b.status < 500 else f" ({b.status})"
        print(f"| {b.name}{flag} | {_cells(a)} | {_cells(b)} | {growth:.2f} |")
    ratios = []
    for label, lines in results.items():
        p95 = {line.name: line.p95 for line in lines}
        ratios.append(f"{label} {p95[SCAN] / p95[TOKEN_BARE]:.2f}")
    print(f"scan p95 ÷ the token check's p95 (issue 16: ≤ 2): {', '.join(ratios)}")


def _cells(line: Line) -> str:
    return f"{line.p50:.1f} / {line.p95:.1f} | {line.ratio:.1f} | {line.queries} | {line.size / 1024:.0f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--load-seconds", type=float, default=15.0)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--no-load", action="store_true", help="skip the scan under dashboard load")
    parser.add_argument("--load-only", action="store_true", help="only the scan under dashboard load")
    parser.add_argument(
        "--sqlite-dir",
        type=Path,
        default=OUT,
        help="where the SQLite datasets are kept (default bench/out)",
    )
    parser.add_argument(
        "--postgres-prefix",
        default="bench_pages",
        help="PostgreSQL database names: PREFIX_1y and PREFIX_5y (default bench_pages)",
    )
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    engines: list[tuple[str, Callable[[str], str]]] = []
    if args.only in (None, "sqlite"):
        folder = args.sqlite_dir
        engines.append(("SQLite", lambda label: sqlite_url(label, folder)))
    admin = os.environ.get("BENCH_DATABASE_URL")
    if admin and args.only in (None, "postgresql"):
        prefix = args.postgres_prefix
        engines.append(("PostgreSQL", lambda label: postgres_url(admin, label, prefix)))
    for engine, url_of in engines:
        apps = {}
        for label in DATASETS if not args.load_only else ():
            url = url_of(label)
            print(f"{engine} {label}: {make_url(url).render_as_string()}", flush=True)
            apps[label] = ensure_dataset(url, label)
        if apps:
            gc.collect()
            gc.freeze()  # as wsgi.py does once the app is built
            table(engine, measure_pages(apps, args.rounds))
            gc.unfreeze()
        for app in apps.values():
            with app.app_context():
                from inventory.extensions import db

                db.session.remove()
                db.engine.dispose()
        if engine == "SQLite" and not args.no_load:
            url = url_of("5y")
            found = _targets(ensure_dataset(url, "5y"), url)
            load = scan_under_load(url, found, args.load_seconds)
            print(
                f"\nSQLite 5 y, gunicorn 2 workers, scan over HTTP: alone p50 {load['alone_p50']:.1f} / "
                f"p95 {load['alone_p95']:.1f} ms (n={load['alone_n']}); with the dashboard reloaded "
                f"continuously ({load['dashboards']} loads, p50 {load['dashboard_p50']:.0f} ms): p50 "
                f"{load['loaded_p50']:.1f} / p95 {load['loaded_p95']:.1f} ms (n={load['loaded_n']}), "
                f"loaded ÷ alone p95 {load['loaded_p95'] / load['alone_p95']:.2f}; 5xx: scans "
                f"{load['scan_5xx']}, dashboards {load['dashboard_5xx']}"
            )
    print(f"\nload average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
