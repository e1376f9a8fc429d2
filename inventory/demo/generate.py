"""A large, realistic dataset for benchmarks and for trying the trace on years of a busy clinic.

`flask --app wsgi demo generate --years 3 --sessions 30000` writes patients, lots received every few
weeks, vials, daily batches of the demo recipes with their draws (FEFO, vial by vial), syringes,
sessions and administrations. Rows go in with bulk inserts in chunks (executemany), ids assigned here,
so 300k syringes take a minute or two on SQLite. Generated rows are not audited: they are not real events.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, select, text

from inventory import clock
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.clinic import Administration, Patient, TreatmentSession
from inventory.models.compounding import Batch, Draw, Recipe, Syringe
from inventory.models.recall import AdverseEvent
from inventory.models.stock import Lot, Receipt, Vial
from inventory.models.users import User, UserRole
from inventory.rules.codes import CROCKFORD_ALPHABET, RANDOM_LENGTH
from inventory.rules.text import search_key
from inventory.services import summaries

CHUNK = 5000
MAX_SYRINGES_PER_BATCH = 12
LOT_DAYS = 45
VIALS_PER_RECEIPT = 40
SPARE_RATE = 0.04
ADVERSE_EVENT_RATE = 0.003
ADVERSE_EVENTS = (
    "Bruising at injection sites",
    "Swelling and redness lasting more than 48 h",
    "Small nodules at two sites",
    "Itching and urticaria",
    "Headache after the session",
)
SUPPLIERS = ("Acme Pharma", "Medikal Depo A.Ş.", "Anatolia Medical", "EuroMeso Supplies")
FIRST_NAMES = (
    "Ayşe",
    "Fatma",
    "Elif",
    "Zeynep",
    "Merve",
    "Şule",
    "Gül",
    "İrem",
    "Ebru",
    "Derya",
    "Selin",
    "Özge",
    "Mehmet",
    "Ahmet",
    "Mustafa",
    "Emre",
    "Can",
    "Burak",
    "Çağlar",
    "Oğuz",
    "İsmail",
    "Murat",
    "Deniz",
    "Anna",
    "Maria",
    "Sofia",
    "Laura",
    "Julia",
    "Olga",
    "Nadia",
)
LAST_NAMES = (
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Yıldırım",
    "Öztürk",
    "Aydın",
    "Özdemir",
    "Arslan",
    "Doğan",
    "Kılıç",
    "Aslan",
    "Çetin",
    "Kara",
    "Koç",
    "Kurt",
    "Özkan",
    "Şimşek",
    "Polat",
    "Işık",
    "Erdoğan",
    "Güneş",
    "Aksoy",
    "Bulut",
    "Keskin",
    "Ünal",
    "Tekin",
    "Schmidt",
    "Ivanova",
)
AREAS = {"skin": "face", "hair": "scalp", "cellulite": "thighs", "fat": "abdomen", "other": "neck"}
SESSION_SYRINGES = {"skin": (1, 4), "hair": (2, 5), "cellulite": (3, 8), "fat": (3, 6), "other": (1, 3)}


@dataclass
class Counts:
    patients: int = 0
    lots: int = 0
    receipts: int = 0
    vials: int = 0
    batches: int = 0
    draws: int = 0
    syringes: int = 0
    sessions: int = 0
    administrations: int = 0
    adverse_events: int = 0


@dataclass
class _Ids:
    """Next free id of each table: rows are inserted with their ids so children can point at them."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class _Stock:
    """The vial being drawn from for one product, and where new vials come from."""

    product: Product
    lot_id: int | None = None
    lot_until: date | None = None
    receipt_id: int | None = None
    receipt_left: int = 0
    vial: dict[str, Any] | None = None
    lot_serial: int = 0


class _Writer:
    """Rows buffered per table and flushed in chunks with executemany, parents first."""

    ORDER = (
        "lots",
        "receipts",
        "vials",
        "patients",
        "batches",
        "draws",
        "syringes",
        "treatment_sessions",
        "administrations",
        "adverse_events",
    )

    def __init__(self, tables: dict[str, Any]) -> None:
        self.tables: dict[str, Table] = tables
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)

    def flush(self, *, force: bool = False) -> None:
        if not force and sum(len(rows) for rows in self.rows.values()) < CHUNK * 4:
            return
        connection = db.session.connection()
        for name in self.ORDER:
            rows = self.rows.pop(name, [])
            for start in range(0, len(rows), CHUNK):
                connection.execute(self.tables[name].insert(), rows[start : start + CHUNK])


class Generator:
    def __init__(self, *, years: float, sessions: int, seed: int, patients: int | None = None) -> None:
        self.random = random.Random(seed)
        self.years = years
        self.session_count = sessions
        self.patient_count = patients or max(sessions // 8, 1)
        self.counts = Counts()
        self.zone = clock.clinic_zone()
        self.ids = _Ids()
        self.writer = _Writer({model.__tablename__: model.__table__ for model in _MODELS})
        self.stock: dict[int, _Stock] = {}
        self.vials: list[dict[str, Any]] = []
        self.inserted_vials: set[int] = set()

    # --- setup --------------------------------------------------------------------------------

    def _prepare(self) -> None:
        self.recipes = [recipe for recipe in db.session.scalars(select(Recipe)) if recipe.components]
        if not self.recipes:
            raise RuntimeError("No recipe with components: run `flask --app wsgi demo load` first.")
        roles = defaultdict(list)
        for user_id, role in db.session.execute(select(UserRole.user_id, UserRole.role)):
            roles[role].append(user_id)
        anyone = list(db.session.scalars(select(User.id)))
        if not anyone:
            raise RuntimeError("No user: run `flask --app wsgi demo load` first.")
        self.preparers = roles.get("nurse") or anyone
        self.verifiers = sorted(set(roles.get("practitioner", [])) | set(roles.get("nurse", []))) or anyone
        self.practitioners = roles.get("practitioner") or anyone
        for model in _MODELS:
            table = model.__tablename__
            self.ids.next[table] = int(db.session.scalar(select(func.max(model.id))) or 0) + 1
        self.existing_lot_numbers = {
            (product_id, number)
            for product_id, number in db.session.execute(select(Lot.product_id, Lot.number))
        }

    def _code(self, prefix: str) -> str:
        return prefix + "".join(self.random.choices(CROCKFORD_ALPHABET, k=RANDOM_LENGTH))

    # --- stock --------------------------------------------------------------------------------

    def _new_lot(self, stock: _Stock, day: date) -> None:
        product = stock.product
        prefix = "".join(ch for ch in product.name.upper() if ch.isalpha())[:4] or "LOT"
        while True:
            stock.lot_serial += 1
            number = f"{prefix}-{day:%y%m}{stock.lot_serial:02d}"
            if (product.id, number) not in self.existing_lot_numbers:
                break
        self.existing_lot_numbers.add((product.id, number))
        lot_id = self.ids.take("lots")
        expiry = day + timedelta(days=self.random.randint(300, 720))
        self.writer.add(
            "lots",
            {
                "id": lot_id,
                "product_id": product.id,
                "number": number,
                "expiry": expiry,
                "status": "available",
                "created_at": self._at(day, time(8, 0)),
            },
        )
        self.counts.lots += 1
        stock.lot_id = lot_id
        stock.lot_until = day + timedelta(days=LOT_DAYS)
        stock.receipt_left = 0

    def _new_receipt(self, stock: _Stock, day: date) -> None:
        receipt_id = self.ids.take("receipts")
        self.writer.add(
            "receipts",
            {
                "id": receipt_id,
                "lot_id": stock.lot_id,
                "received_at": self._at(day, time(8, 30)),
                "received_by_id": self.random.choice(self.preparers),
                "supplier": self.random.choice(SUPPLIERS),
                "unit_cost_minor": stock.product.unit_cost_minor,
                "vial_count": VIALS_PER_RECEIPT,
                "gtin": None,
                "serial": None,
            },
        )
        self.counts.receipts += 1
        stock.receipt_id = receipt_id
        stock.receipt_left = VIALS_PER_RECEIPT

    def _next_vial(self, stock: _Stock, day: date) -> dict[str, Any]:
        if stock.lot_id is None or (stock.lot_until is not None and day > stock.lot_until):
            self._new_lot(stock, day)
        if stock.receipt_left == 0:
            self._new_receipt(stock, day)
        stock.receipt_left -= 1
        volume = stock.product.volume_ul
        vial = {
            "id": self.ids.take("vials"),
            "code": self._code("V"),
            "lot_id": stock.lot_id,
            "receipt_id": stock.receipt_id,
            "status": "sealed",
            "initial_ul": volume,
            "remaining_ul": volume,
            "opened_at": None,
            "discarded_at": None,
            "discarded_by_id": None,
            "discard_reason": None,
            "discard_note": None,
            "waste_ul": 0,
        }
        self.vials.append(vial)
        self.counts.vials += 1
        return vial

    def _draw(self, product: Product, volume: int, batch_id: int, at: datetime, user_id: int) -> None:
        """Draw `volume` for a batch, vial after vial (single-dose leftovers are discarded, BUD-06)."""
        stock = self.stock.setdefault(product.id, _Stock(product))
        day = clock.local(at).date()
        while volume > 0:
            vial = stock.vial
            if vial is None or self._vial_done(vial, product, at):
                vial = stock.vial = self._next_vial(stock, day)
            taken = min(volume, vial["remaining_ul"])
            vial["remaining_ul"] -= taken
            vial["opened_at"] = vial["opened_at"] or at
            vial["status"] = "open"
            volume -= taken
            self.writer.add(
                "draws",
                {
                    "id": self.ids.take("draws"),
                    "batch_id": batch_id,
                    "vial_id": vial["id"],
                    "product_id": product.id,
                    "volume_ul": taken,
                    "drawn_at": at,
                    "drawn_by_id": user_id,
                    "override_reason": None,
                },
            )
            self.counts.draws += 1
            if product.container != "multi_dose":
                self._close_vial(vial, at, user_id)
                stock.vial = None

    def _vial_done(self, vial: dict[str, Any], product: Product, at: datetime) -> bool:
        if vial["remaining_ul"] == 0:
            vial["status"] = "empty"
            return True
        days = product.in_use_days or 28
        if vial["opened_at"] is not None and at > vial["opened_at"] + timedelta(days=days):
            self._close_vial(vial, at, None)
            return True
        return False

    def _close_vial(self, vial: dict[str, Any], at: datetime, user_id: int | None) -> None:
        if vial["remaining_ul"] == 0:
            vial["status"] = "empty"
            return
        vial.update(
            status="discarded",
            discarded_at=at,
            discarded_by_id=user_id or self.preparers[0],
            discard_reason="in_use_limit",
            waste_ul=vial["remaining_ul"],
            remaining_ul=0,
        )

    # --- the clinic's days ------------------------------------------------------------------------

    def _at(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    def _days(self) -> list[date]:
        end = clock.today() - timedelta(days=1)
        start = end - timedelta(days=int(self.years * 365))
        days = []
        day = start
        while day <= end:
            if day.weekday() != 6:  # closed on Sundays
                days.append(day)
            day += timedelta(days=1)
        return days

    def _patients(self) -> list[tuple[int, str]]:
        patients = []
        base = self.ids.next["patients"]
        for index in range(self.patient_count):
            patient_id = self.ids.take("patients")
            name = f"{self.random.choice(FIRST_NAMES)} {self.random.choice(LAST_NAMES)}"
            born = date(1950, 1, 1) + timedelta(days=self.random.randint(0, 365 * 55))
            self.writer.add(
                "patients",
                {
                    "id": patient_id,
                    "name": name,
                    "search_key": search_key(name),
                    "date_of_birth": born,
                    "mrn": f"G{base + index:08d}",
                    "phone": f"+90 5{self.random.randint(10, 59)} "
                    f"{self.random.randint(100, 999)} {self.random.randint(1000, 9999)}",
                    "email": f"patient{patient_id}@example.org",
                    "is_demo": True,
                    "created_at": clock.now(),
                },
            )
            patients.append((patient_id, name))
        self.counts.patients = len(patients)
        return patients

    def _day(self, day: date, visits: int, patients: list[tuple[int, str]], last_day: bool) -> None:
        by_recipe: dict[int, list[tuple[int, int, datetime]]] = defaultdict(list)
        for _ in range(visits):
            recipe = self.random.choice(self.recipes)
            low, high = SESSION_SYRINGES.get(recipe.indication, (1, 3))
            started = self._at(day, time(9, 0)) + timedelta(minutes=self.random.randint(0, 600))
            # regulars come back often: half the visits favour the first patients of the list
            skew = self.random.random() ** (1.5 if self.random.random() < 0.5 else 1)
            patient_id = patients[int(skew * len(patients))][0]
            session_id = self.ids.take("treatment_sessions")
            practitioner = self.random.choice(self.practitioners)
            self.writer.add(
                "treatment_sessions",
                {
                    "id": session_id,
                    "patient_id": patient_id,
                    "practitioner_id": practitioner,
                    "indication": recipe.indication,
                    "area": AREAS.get(recipe.indication, ""),
                    "status": "closed",
                    "started_at": started,
                    "closed_at": started + timedelta(minutes=40),
                },
            )
            self.counts.sessions += 1
            if self.random.random() < ADVERSE_EVENT_RATE:
                self._adverse_event(session_id, patient_id, practitioner, started)
            for _n in range(self.random.randint(low, high)):
                by_recipe[recipe.id].append((session_id, practitioner, started))
        for recipe in self.recipes:
            self._batches(day, recipe, by_recipe.get(recipe.id, []), last_day)

    def _adverse_event(self, session_id: int, patient_id: int, reporter: int, started: datetime) -> None:
        onset = started + timedelta(hours=self.random.randint(2, 72))
        self.writer.add(
            "adverse_events",
            {
                "id": self.ids.take("adverse_events"),
                "session_id": session_id,
                "patient_id": patient_id,
                "onset_at": onset,
                "severity": self.random.choice(("mild", "mild", "mild", "moderate", "severe")),
                "description": self.random.choice(ADVERSE_EVENTS),
                "outcome": "resolved",
                "reporter_id": reporter,
                "created_at": onset + timedelta(hours=2),
            },
        )
        self.counts.adverse_events += 1

    def _batches(
        self, day: date, recipe: Recipe, uses: list[tuple[int, int, datetime]], last_day: bool
    ) -> None:
        spares = sum(1 for _ in uses if self.random.random() < SPARE_RATE)
        slots: list[tuple[int, int, datetime] | None] = [
            *sorted(uses, key=lambda u: u[2]),
            *([None] * spares),
        ]
        per_syringe = recipe.volume_ul
        for start in range(0, len(slots), MAX_SYRINGES_PER_BATCH):
            group = slots[start : start + MAX_SYRINGES_PER_BATCH]
            prepared = self._at(day, time(8, 0)) + timedelta(minutes=start)
            batch_id = self.ids.take("batches")
            preparer = self.random.choice(self.preparers)
            verifier = next((u for u in self.verifiers if u != preparer), preparer)
            bud = prepared + timedelta(hours=12)
            self.writer.add(
                "batches",
                {
                    "id": batch_id,
                    "code": self._code("B"),
                    "recipe_id": recipe.id,
                    "recipe_version_id": recipe.current.id,
                    "category": "category_1",
                    "storage": recipe.storage,
                    "patient_id": None,
                    "status": "released",
                    "syringe_count": len(group),
                    "volume_per_syringe_ul": per_syringe,
                    "prepared_by_id": preparer,
                    "prepared_at": prepared,
                    "completed_at": prepared + timedelta(minutes=20),
                    "verified_by_id": verifier,
                    "verified_at": prepared + timedelta(minutes=30),
                    "bud": bud,
                },
            )
            self.counts.batches += 1
            for component in recipe.components:
                self._draw(component.product, component.volume_ul * len(group), batch_id, prepared, preparer)
            for number, use in enumerate(group, start=1):
                self._syringe(batch_id, number, per_syringe, recipe.storage, bud, use, last_day)

    def _syringe(
        self,
        batch_id: int,
        number: int,
        volume: int,
        storage: str,
        bud: datetime,
        use: tuple[int, int, datetime] | None,
        last_day: bool,
    ) -> None:
        syringe_id = self.ids.take("syringes")
        status = "administered" if use else ("available" if last_day else "discarded")
        self.writer.add(
            "syringes",
            {
                "id": syringe_id,
                "code": self._code("S"),
                "batch_id": batch_id,
                "number": number,
                "volume_ul": volume,
                "status": status,
                "storage": storage,
                "bud": bud,
                "discarded_at": bud if status == "discarded" else None,
                "discarded_by_id": None,
                "discard_reason": "expired" if status == "discarded" else None,
                "discard_note": None,
            },
        )
        self.counts.syringes += 1
        if use is None:
            return
        session_id, practitioner, started = use
        self.writer.add(
            "administrations",
            {
                "id": self.ids.take("administrations"),
                "session_id": session_id,
                "syringe_id": syringe_id,
                "practitioner_id": practitioner,
                "volume_ul": volume,
                "site": "",
                "administered_at": started + timedelta(minutes=5 + number % 30),
            },
        )
        self.counts.administrations += 1

    # --- run ----------------------------------------------------------------------------------

    def run(self, progress: Callable[[str], None] | None = None) -> Counts:
        self._prepare()
        days = self._days()
        patients = self._patients()
        per_day = _spread(self.session_count, len(days), self.random)
        for index, (day, visits) in enumerate(zip(days, per_day, strict=True)):
            self._day(day, visits, patients, last_day=index == len(days) - 1)
            if len(self.writer.rows["syringes"]) >= CHUNK:
                self._flush(final=False)
            if progress and index % 60 == 0:
                progress(
                    f"{day.isoformat()}: {self.counts.sessions} sessions, {self.counts.syringes} syringes"
                )
        self._flush(final=True)
        _reset_sequences()
        summaries.rebuild()  # the rows went in by bulk insert, past the services that keep the totals
        db.session.commit()
        return self.counts

    def _flush(self, *, final: bool) -> None:
        """Write what is buffered. A vial still being drawn from is inserted now (its draws point at
        it) and updated with its final state when it is done."""
        current = {stock.vial["id"] for stock in self.stock.values() if stock.vial is not None}
        changed = []
        for vial in self.vials:
            if vial["id"] in self.inserted_vials:
                changed.append(vial)
            else:
                self.writer.add("vials", vial)
                self.inserted_vials.add(vial["id"])
        self.writer.flush(force=True)
        if changed:
            _update_vials(changed)
        self.vials = [] if final else [vial for vial in self.vials if vial["id"] in current]


VIAL_STATE = (
    "status",
    "remaining_ul",
    "opened_at",
    "discarded_at",
    "discarded_by_id",
    "discard_reason",
    "waste_ul",
)


def _update_vials(vials: list[dict[str, Any]]) -> None:
    table = Vial.__table__
    statement = (
        table.update()  # type: ignore[attr-defined]
        .where(table.c.id == bindparam("vial_id"))
        .values({name: bindparam(f"new_{name}") for name in VIAL_STATE})
    )
    rows = [{"vial_id": vial["id"], **{f"new_{name}": vial[name] for name in VIAL_STATE}} for vial in vials]
    db.session.connection().execute(statement, rows)


_MODELS = (Lot, Receipt, Vial, Patient, Batch, Draw, Syringe, TreatmentSession, Administration, AdverseEvent)


def _spread(total: int, days: int, rng: random.Random) -> list[int]:
    """`total` visits over `days`, busier on some days than others."""
    if days == 0:
        return []
    weights = [rng.uniform(0.6, 1.4) for _ in range(days)]
    scale = total / sum(weights)
    counts = [int(weight * scale) for weight in weights]
    for index in rng.sample(range(days), k=min(days, total - sum(counts))):
        counts[index] += 1
    return counts


def _reset_sequences() -> None:
    """PostgreSQL: the id sequences move past the ids given here."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in _MODELS:
        table = model.__tablename__
        db.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}")
        )


def generate(
    *,
    years: float = 3,
    sessions: int = 30000,
    seed: int = 1,
    patients: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Counts:
    return Generator(years=years, sessions=sessions, seed=seed, patients=patients).run(progress)


def busiest_lots(limit: int = 5) -> Iterable[tuple[int, int]]:
    """(lot id, administrations) of the lots that reached the most administrations: bench targets."""
    count = func.count(func.distinct(Administration.id))
    query = (
        select(Vial.lot_id, count)
        .join(Draw, Draw.vial_id == Vial.id)
        .join(Syringe, Syringe.batch_id == Draw.batch_id)
        .join(Administration, Administration.syringe_id == Syringe.id)
        .group_by(Vial.lot_id)
        .order_by(count.desc())
        .limit(limit)
    )
    return [(int(lot_id), int(n)) for lot_id, n in db.session.execute(query)]
