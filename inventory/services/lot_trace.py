"""The forward trace of one lot a page at a time (RCL-03 at scale): the count of every list and one page
of each, and every administration as a CSV stream. A busy lot's trace never loads its thousands of rows
to show or send a hundred of them.

The API pages with keys (keyset): its cursor holds, for each list, the sort key of the last row sent,
and the next page reads the rows after it, never skipping rows with OFFSET. The page of the lot shows
page numbers (a lot's lists grow with the lot, not with the years) and reads with LIMIT/OFFSET.

Every list has one order, its key, the same for the page, the API and the cursor:

| list | order |
|---|---|
| vials | id |
| draws (vial → batch links) | batch id, id |
| batches | id |
| syringes | batch id, number within the batch, id |
| administrations (not voided) | id |
| patients (once each) | name, id |
"""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import and_, func, select, true, tuple_

from inventory import csvexport
from inventory.extensions import db
from inventory.models.clinic import Administration, Patient, TreatmentSession
from inventory.models.compounding import Batch, Draw, RecipeVersion, Syringe
from inventory.models.stock import Receipt, Vial
from inventory.rules.units import ul_to_ml
from inventory.services import usability
from inventory.services.paging import PER_PAGE as PAGE_SIZE
from inventory.services.paging import Page
from inventory.services.trace import (
    AdministrationRow,
    BatchRow,
    DrawRow,
    LotRow,
    PatientRow,
    SyringeRow,
    VialRow,
    _lot_row,
    among,
    batch_ids_of_lot,
)

LISTS = ("vials", "draws", "batches", "syringes", "administrations", "patients")
#: The columns of each list's key, and their types (a cursor's keys are checked against them).
KEY_TYPES: dict[str, tuple[type, ...]] = {
    "vials": (int,),
    "draws": (int, int),
    "batches": (int,),
    "syringes": (int, int, int),
    "administrations": (int,),
    "patients": (str, int),
}
PER_PAGE = 100
MAX_PER_PAGE = 500
CSV_CHUNK = 2000
LOT_CSV_HEADER = (
    "administered_at",
    "patient_id",
    "patient",
    "session_id",
    "syringe",
    "batch",
    "volume_ml",
    "site",
)

Key = tuple[Any, ...]


class BadCursor(ValueError):
    """A `page` cursor this module did not write (or a list's key of the wrong shape)."""


@dataclass(frozen=True)
class Cursor:
    """Where each list of a lot's trace goes on: the key of the last row already sent (None: nothing sent
    yet, the list starts from its first row). A list complete on an earlier page is read again from its
    key, so a row added to the lot between two pages comes on a later page: none is skipped or repeated."""

    after: dict[str, Key | None]

    def encode(self) -> str:
        keys = [self.after[name] for name in LISTS]
        text = json.dumps([list(key) if key is not None else None for key in keys], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            keys = json.loads(raw.decode())
        except (binascii.Error, ValueError, UnicodeDecodeError) as error:
            raise BadCursor(text) from error
        if not isinstance(keys, list) or len(keys) != len(LISTS):
            raise BadCursor(text)
        after: dict[str, Key | None] = {}
        for name, key in zip(LISTS, keys, strict=True):
            if key is not None and not _key_fits(key, KEY_TYPES[name]):
                raise BadCursor(text)
            after[name] = tuple(key) if key is not None else None
        return cls(after)


def _key_fits(key: Any, types: tuple[type, ...]) -> bool:
    if not isinstance(key, list) or len(key) != len(types):
        return False
    for value, kind in zip(key, types, strict=True):
        if kind is int and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63):
            return False
        if kind is str and not isinstance(value, str):
            return False
    return True


@dataclass(frozen=True)
class LotCounts:
    """How many rows each list of the lot's trace has in all."""

    vials: int
    draws: int
    batches: int
    syringes: int
    administrations: int
    patients: int


@dataclass
class LotPage:
    """The lot, the count of every list, and one page of each (`next`: the cursor of the following page,
    None when every list is complete)."""

    lot: LotRow
    counts: LotCounts
    vials: list[VialRow]
    draws: list[DrawRow]
    batches: list[BatchRow]
    syringes: list[SyringeRow]
    administrations: list[AdministrationRow]
    patients: list[PatientRow]
    next: Cursor | None


# --- one query per list ----------------------------------------------------------------------------


def _rows(query: Any) -> Any:
    return db.session.connection().execute(query)


def _after(columns: Sequence[Any], key: Key | None) -> Any:
    """Rows whose sort key comes after `key` (a row-value comparison: SQLite and PostgreSQL both have it)."""
    if key is None:
        return true()
    if len(columns) == 1:
        return columns[0] > key[0]
    return tuple_(*columns) > tuple_(*key)


@dataclass(frozen=True)
class _Window:
    """Which rows of a list to read: after a key (the API) or past an offset (the page's numbers)."""

    limit: int
    after: Key | None = None
    offset: int = 0

    def apply(self, query: Any, columns: Sequence[Any]) -> Any:
        query = query.where(_after(columns, self.after)).order_by(*columns).limit(self.limit)
        return query.offset(self.offset) if self.offset else query


def _vials(lot_id: int, window: _Window) -> list[VialRow]:
    query = (
        select(
            Vial.id,
            Vial.code,
            Vial.status,
            Vial.initial_ul,
            Vial.remaining_ul,
            Receipt.supplier,
            Receipt.received_at,
        )
        .join(Receipt, Receipt.id == Vial.receipt_id)
        .where(Vial.lot_id == lot_id)
    )
    return [VialRow._make(row) for row in _rows(window.apply(query, [Vial.id]))]


def _draws(lot: LotRow, where: Any, window: _Window | None) -> list[DrawRow]:
    """Vial → batch links of the lot (those of `where`), completed with the lot's own values."""
    query = (
        select(
            Draw.id,
            Draw.batch_id,
            Batch.code,
            Draw.vial_id,
            Vial.code,
            Draw.volume_ul,
            Draw.drawn_at,
            Receipt.supplier,
            Receipt.received_at,
        )
        .join(Vial, Vial.id == Draw.vial_id)
        .join(Batch, Batch.id == Draw.batch_id)
        .join(Receipt, Receipt.id == Vial.receipt_id)
        .where(Vial.lot_id == lot.id, where)
    )
    columns = [Draw.batch_id, Draw.id]
    query = window.apply(query, columns) if window else query.order_by(*columns)
    return [
        DrawRow(
            batch_id,
            batch_code,
            vial_id,
            vial_code,
            volume,
            drawn_at,
            lot.id,
            lot.number,
            lot.expiry,
            lot.status,
            lot.product_id,
            lot.product,
            supplier,
            received_at,
            draw_id,
        )
        for draw_id, batch_id, batch_code, vial_id, vial_code, volume, drawn_at, supplier, received_at in (
            _rows(query)
        )
    ]


def _batches(batch_ids: list[int]) -> list[BatchRow]:
    if not batch_ids:
        return []
    query = (
        select(
            Batch.id,
            Batch.code,
            Batch.status,
            Batch.category,
            RecipeVersion.name,
            Batch.prepared_at,
            Batch.bud,
            Batch.patient_id,
        )
        .join(RecipeVersion, RecipeVersion.id == Batch.recipe_version_id)
        .where(among(Batch.id, batch_ids))
        .order_by(Batch.id)
    )
    return [BatchRow._make(row) for row in _rows(query)]


def _given_join() -> Any:
    return and_(Administration.syringe_id == Syringe.id, Administration.given())


class _Exposure(NamedTuple):
    """The lot's syringes and who received them, read in one pass (three integers a row): the counts and
    the keys of every page come from it; only the rows of a page are then read in full."""

    syringes: list[Key]  # (batch id, number, id), sorted
    administrations: list[int]  # ids of the administrations not voided, sorted
    patients: Counter[int]  # patient id → administrations

    @classmethod
    def of(cls, batch_ids: list[int]) -> _Exposure:
        if not batch_ids:
            return cls([], [], Counter())
        query = (
            select(
                Syringe.batch_id, Syringe.number, Syringe.id, Administration.id, TreatmentSession.patient_id
            )
            .select_from(Syringe)
            .outerjoin(Administration, _given_join())
            .outerjoin(TreatmentSession, TreatmentSession.id == Administration.session_id)
            .where(among(Syringe.batch_id, batch_ids))
        )
        syringes: list[Key] = []
        administrations: list[int] = []
        patients: Counter[int] = Counter()
        for batch_id, number, syringe_id, administration_id, patient_id in _rows(query):
            syringes.append((batch_id, number, syringe_id))
            if administration_id is not None:
                administrations.append(administration_id)
                patients[patient_id] += 1
        syringes.sort()
        administrations.sort()
        return cls(syringes, administrations, patients)


def _following(keys: Sequence[Any], after: Any, limit: int) -> list[Any]:
    """The `limit` keys of a sorted list that come after `after` (all from the start when None)."""
    start = bisect_right(keys, after) if after is not None else 0
    return list(keys[start : start + limit])


def _syringes(where: Any) -> list[SyringeRow]:
    """These syringes with what became of each (its administration, if any) and its verdict."""
    query = (
        select(
            Syringe.id,
            Syringe.code,
            Syringe.batch_id,
            Batch.code,
            Syringe.number,
            Syringe.status,
            Syringe.volume_ul,
            Syringe.discarded_at,
            Syringe.discard_reason,
            Administration.id,
            Administration.session_id,
            TreatmentSession.patient_id,
            Patient.name,
            Administration.administered_at,
            Administration.volume_ul,
            Administration.site,
        )
        .select_from(Syringe)
        .join(Batch, Batch.id == Syringe.batch_id)
        .outerjoin(Administration, _given_join())
        .outerjoin(TreatmentSession, TreatmentSession.id == Administration.session_id)
        .outerjoin(Patient, Patient.id == TreatmentSession.patient_id)
        .where(where)
        .order_by(Syringe.batch_id, Syringe.number, Syringe.id)
    )
    rows = _rows(query).all()
    verdicts = usability.syringe_verdicts([row[0] for row in rows])
    syringes = []
    for row in rows:
        sid, code, batch_id, batch_code, number, status, volume, discarded_at, reason, admin_id, *given = row
        administration = None
        if admin_id is not None:
            session_id, patient_id, name, at, admin_volume, site = given
            administration = AdministrationRow(
                admin_id, session_id, patient_id, name, sid, code, batch_id, at, admin_volume, site
            )
        syringes.append(
            SyringeRow(
                sid,
                code,
                batch_id,
                batch_code,
                number,
                status,
                volume,
                discarded_at,
                reason,
                administration,
                verdicts[sid],
            )
        )
    return syringes


def _administrations(ids: list[int]) -> list[AdministrationRow]:
    if not ids:
        return []
    query = (
        select(
            Administration.id,
            Administration.session_id,
            TreatmentSession.patient_id,
            Patient.name,
            Syringe.id,
            Syringe.code,
            Syringe.batch_id,
            Administration.administered_at,
            Administration.volume_ul,
            Administration.site,
        )
        .join(TreatmentSession, TreatmentSession.id == Administration.session_id)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .join(Syringe, Syringe.id == Administration.syringe_id)
        .where(among(Administration.id, ids))
        .order_by(Administration.id)
    )
    return [AdministrationRow(*row) for row in _rows(query)]


def _patients(counts: Counter[int], window: _Window) -> list[PatientRow]:
    """A page of the exposed patients (by name), each once with their number of administrations."""
    if not counts:
        return []
    query = select(Patient.id, Patient.name, Patient.date_of_birth, Patient.phone, Patient.email).where(
        among(Patient.id, list(counts))
    )
    return [
        PatientRow(patient_id, name, born, phone, email, counts[patient_id])
        for patient_id, name, born, phone, email in _rows(window.apply(query, [Patient.name, Patient.id]))
    ]


def _counts(lot_id: int, batch_ids: list[int], exposure: _Exposure) -> LotCounts:
    vials = select(func.count(Vial.id)).where(Vial.lot_id == lot_id).scalar_subquery()
    draws = (
        select(func.count(Draw.id))
        .join(Vial, Vial.id == Draw.vial_id)
        .where(Vial.lot_id == lot_id)
        .scalar_subquery()
    )
    vial_count, draw_count = db.session.execute(select(vials, draws)).one()
    return LotCounts(
        vial_count,
        draw_count,
        len(batch_ids),
        len(exposure.syringes),
        len(exposure.administrations),
        len(exposure.patients),
    )


# --- the API: counts and a page of each list, with a cursor ------------------------------------------


def lot_page(lot_id: int, *, cursor: Cursor | None = None, per_page: int = PER_PAGE) -> LotPage:
    """RCL-03 a page at a time: the counts of every list and the next `per_page` rows of each (the first
    ones without a cursor); `next` is None when no list has more rows."""
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    lot = _lot_row(lot_id)
    batch_ids = sorted(batch_ids_of_lot(lot_id))
    exposure = _Exposure.of(batch_ids)
    counts = _counts(lot_id, batch_ids, exposure)
    after = cursor.after if cursor else dict.fromkeys(LISTS)

    def following(keys: Sequence[Any], name: str) -> list[Any]:
        key = after[name]
        return _following(keys, key if key is None or len(key) > 1 else key[0], per_page + 1)

    syringe_keys = following(exposure.syringes, "syringes")
    administration_ids = following(exposure.administrations, "administrations")
    found: dict[str, list[Any]] = {
        "vials": _vials(lot_id, _Window(per_page + 1, after["vials"])),
        "draws": _draws(lot, true(), _Window(per_page + 1, after["draws"])),
        "batches": _batches(following(batch_ids, "batches")),
        "syringes": _syringes(among(Syringe.id, [key[2] for key in syringe_keys])) if syringe_keys else [],
        "administrations": _administrations(administration_ids),
        "patients": _patients(exposure.patients, _Window(per_page + 1, after["patients"])),
    }
    more = any(len(rows) > per_page for rows in found.values())
    keys: dict[str, Key | None] = {}
    for name in LISTS:
        found[name] = rows = found[name][:per_page]
        keys[name] = _sort_key(name, rows[-1]) if rows else after[name]
    return LotPage(
        lot,
        counts,
        found["vials"],
        found["draws"],
        found["batches"],
        found["syringes"],
        found["administrations"],
        found["patients"],
        Cursor(keys) if more else None,
    )


def _sort_key(name: str, row: Any) -> Key:
    """The key a row is ordered by in its list (see the table at the top)."""
    if name == "draws":
        return (row.batch_id, row.draw_id)
    if name == "syringes":
        return (row.batch_id, row.number, row.id)
    if name == "patients":
        return (row.name, row.id)
    return (row.id,)


# --- the page: counts, and a numbered page of the patients, the vials and the batches ----------------


@dataclass
class LotOverview:
    """What the lot's page shows: the counts, a page of patients, a page of vials with their draws, a page
    of batches with their syringes."""

    lot: LotRow
    counts: LotCounts
    patients: Page[PatientRow]
    vials: Page[VialRow]
    batches: Page[BatchRow]
    draws: list[DrawRow]
    syringes: list[SyringeRow]

    def draws_of(self, vial_id: int) -> list[DrawRow]:
        return self._draws_by_vial.get(vial_id, [])

    def syringes_of(self, batch_id: int) -> list[SyringeRow]:
        return self._syringes_by_batch.get(batch_id, [])

    @cached_property
    def _draws_by_vial(self) -> dict[int, list[DrawRow]]:
        grouped: dict[int, list[DrawRow]] = defaultdict(list)
        for draw in self.draws:
            grouped[draw.vial_id].append(draw)
        return grouped

    @cached_property
    def _syringes_by_batch(self) -> dict[int, list[SyringeRow]]:
        grouped: dict[int, list[SyringeRow]] = defaultdict(list)
        for syringe in self.syringes:
            grouped[syringe.batch_id].append(syringe)
        return grouped


def _numbered(total: int, number: int | None, per_page: int) -> tuple[int, int, int]:
    """(page number, pages, offset) for a list of `total` rows; a number past the end is the last page."""
    pages = max(1, -(-total // per_page))
    number = min(max(1, number or 1), pages)
    return number, pages, (number - 1) * per_page


def lot_overview(
    lot_id: int,
    *,
    patients: int | None = None,
    vials: int | None = None,
    batches: int | None = None,
    per_page: int = PAGE_SIZE,
) -> LotOverview:
    """The lot's page: counts of everything made from it and the rows of the pages asked for, no more."""
    lot = _lot_row(lot_id)
    batch_ids = sorted(batch_ids_of_lot(lot_id))
    exposure = _Exposure.of(batch_ids)
    counts = _counts(lot_id, batch_ids, exposure)

    number, pages, offset = _numbered(counts.patients, patients, per_page)
    patient_rows = _patients(exposure.patients, _Window(per_page, offset=offset))
    patient_page = Page(patient_rows, number, pages, counts.patients)

    number, pages, offset = _numbered(counts.vials, vials, per_page)
    vial_rows = _vials(lot_id, _Window(per_page, offset=offset))
    vial_page = Page(vial_rows, number, pages, counts.vials)
    draws = _draws(lot, among(Draw.vial_id, [v.id for v in vial_rows]), None) if vial_rows else []

    number, pages, offset = _numbered(counts.batches, batches, per_page)
    shown = batch_ids[offset : offset + per_page]
    batch_page = Page(_batches(shown), number, pages, counts.batches)
    syringes = _syringes(among(Syringe.batch_id, shown)) if shown else []
    return LotOverview(lot, counts, patient_page, vial_page, batch_page, draws, syringes)


# --- every administration of the lot, as a CSV stream ------------------------------------------------


def lot_csv(lot_id: int) -> tuple[str, Iterator[str]]:
    """RCL-03 for a spreadsheet: the lot's number, and every administration of something made from the
    lot in the order they were given, written a chunk at a time as the rows come from the database (a
    lot that does not exist is a 404 before the download starts)."""
    lot = _lot_row(lot_id)
    return lot.number, _csv_chunks(sorted(batch_ids_of_lot(lot_id)))


def _csv_chunks(batch_ids: list[int]) -> Iterator[str]:
    yield csvexport.to_csv(LOT_CSV_HEADER, [])
    if not batch_ids:
        return
    query = (
        select(
            Administration.administered_at,
            TreatmentSession.patient_id,
            Patient.name,
            Administration.session_id,
            Syringe.code,
            Batch.code,
            Administration.volume_ul,
            Administration.site,
        )
        .select_from(Syringe)
        .join(Batch, Batch.id == Syringe.batch_id)
        .join(Administration, _given_join())
        .join(TreatmentSession, TreatmentSession.id == Administration.session_id)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(among(Syringe.batch_id, batch_ids))
        .order_by(Administration.administered_at, Administration.id)
    )
    result = db.session.connection().execution_options(yield_per=CSV_CHUNK).execute(query)
    for chunk in result.partitions():
        yield csvexport.csv_lines(
            (at.isoformat(), patient_id, name, session_id, syringe, batch, ul_to_ml(volume), site)
            for at, patient_id, name, session_id, syringe, batch, volume, site in chunk
        )
