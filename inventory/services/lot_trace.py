"""The forward trace of one lot a page at a time (RCL-03 at scale): the count of every list and one page
of each, and every administration as a CSV stream. A busy lot's trace never loads its thousands of rows
to show or send a hundred of them.

The API pages with keys (keyset): its cursor holds, for each list, the sort key of the last row sent,
and the next page reads the rows after it, never skipping rows with OFFSET. The page of the lot shows
page numbers (a lot's lists grow with the lot, not with the years).

How it stays fast on both databases: the keys of the lot's short lists are read first, a few integers
a row (vial ids from the index (lot_id, id); draws by those vial ids), and the counts, the order of each
list and the keys of a page come from them. The long lists come from indexes: the syringes of the lot's
batches by (batch_id, number, id), and the administrations and patients from the lot's exposures
(`lot_exposures`, a summary kept by services/summaries.py in the same transaction as each scan, void
and merge): the administrations' count and page from its key (lot_id, administration_id), the patients
grouped with their count by the database on (lot_id, patient_id). Then only the rows of the page are
read in full, by id. A query that asks the database for "the first 100 in this order" over a join made
PostgreSQL walk a whole index in that order (the draws by batch id, the administrations by id) and
filter every row of five years.

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
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, NamedTuple

from sqlalchemy import String, and_, bindparam, func, literal, select, tuple_

from inventory import clock, csvexport
from inventory.extensions import db
from inventory.models.clinic import Administration, Patient, TreatmentSession
from inventory.models.compounding import Batch, Draw, Syringe
from inventory.models.stock import Receipt, Vial
from inventory.models.summary import LotExposure
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
    _corrected_values,
    _lot_row,
    _rows,
    among,
    as_corrected,
    syringes_as_corrected,
)
from inventory.services.trace import _batches as trace_batches

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
#: Batches on a page of the lot, each with all its syringes (a busy clinic's batch has about ten).
BATCHES_PER_PAGE = 20
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


# --- the keys of every list, read first ---------------------------------------------------------------


def _following(rows: Sequence[Any], after: Key | None, limit: int) -> list[Any]:
    """The `limit` rows of a list sorted by its key (the row, or its first columns) that come after the
    key `after` (from the start when None)."""
    if after is None:
        return list(rows[:limit])
    start = bisect_right(rows, after, key=lambda row: row[: len(after)] if isinstance(row, tuple) else (row,))
    return list(rows[start : start + limit])


def _given_join() -> Any:
    return and_(Administration.syringe_id == Syringe.id, Administration.given())


class _Keys(NamedTuple):
    """The keys of the lot's short lists, each sorted in its list's order, and the counts of the long
    ones (their pages are asked of an index): what the counts and the pages are taken from."""

    vials: list[int]
    draws: list[tuple[int, int, int]]  # (batch id, draw id, vial id)
    batches: list[int]
    syringes: int
    administrations: int
    patients: int

    @classmethod
    def of(cls, lot_id: int) -> _Keys:
        found = _vials_and_draws(lot_id)
        if not found:
            return cls([], [], [], 0, 0, 0)
        vials = sorted({vial_id for vial_id, _batch, _draw in found})
        draws: list[tuple[int, int, int]] = sorted(
            (batch_id, draw_id, vial_id)
            for vial_id, batch_id, draw_id in found
            if batch_id is not None and draw_id is not None
        )
        batches = sorted({batch_id for batch_id, _draw, _vial in draws})
        if not batches:
            return cls(list(vials), draws, batches, 0, 0, 0)
        syringes = select(func.count()).where(among(Syringe.batch_id, batches)).scalar_subquery()
        exposures = select(func.count(), func.count(func.distinct(LotExposure.patient_id))).where(
            LotExposure.lot_id == lot_id
        )
        administrations, patients, syringe_count = _rows(exposures.add_columns(syringes)).one()
        return cls(list(vials), draws, batches, int(syringe_count), int(administrations), int(patients))

    @property
    def counts(self) -> LotCounts:
        return LotCounts(
            len(self.vials),
            len(self.draws),
            len(self.batches),
            self.syringes,
            self.administrations,
            self.patients,
        )


def _vials_and_draws(lot_id: int) -> list[tuple[int, int | None, int | None]]:
    """(vial id, batch id, draw id) of every draw of the lot's vials, and (vial id, None, None) for a vial
    never drawn from, along the indexes (lot_id, id) of vials and (vial_id, batch_id) of draws.

    SQLite walks them in one join. PostgreSQL, joined, hashes every draw of the clinic's history (it
    expects the lot's 1,700 index lookups to cost more), so there the vial ids are read first and the
    draws asked for by those ids."""
    if db.session.get_bind().dialect.name != "postgresql":
        joined = select(Vial.id, Draw.batch_id, Draw.id).outerjoin(Draw, Draw.vial_id == Vial.id)
        return [tuple(row) for row in _rows(joined.where(Vial.lot_id == lot_id)).all()]
    vials = _rows(select(Vial.id).where(Vial.lot_id == lot_id)).scalars().all()
    if not vials:
        return []
    found = _rows(select(Draw.vial_id, Draw.batch_id, Draw.id).where(among(Draw.vial_id, vials))).all()
    drawn = {vial_id for vial_id, _batch, _draw in found}
    undrawn = [(vial_id, None, None) for vial_id in vials if vial_id not in drawn]
    return [tuple(row) for row in found] + undrawn


def _by_code_point(column: Any) -> Any:
    """A text column compared by code point, as Python compares strings (and the cursor's keys): the
    bytes of UTF-8 sort in code-point order, which is PostgreSQL's "C" collation and SQLite's BINARY,
    whatever collation the database was created with."""
    return column.collate("C" if db.session.get_bind().dialect.name == "postgresql" else "BINARY")


def _patients(lot_id: int, after: Key | None, limit: int, offset: int = 0) -> list[PatientRow]:
    """A page of the patients exposed to the lot in the list's order (name, id), each once with their
    number of administrations: counted per patient by the database on the lot's exposures (lot_id,
    patient_id), sorted and cut there."""
    counts = (
        select(LotExposure.patient_id, func.count().label("administrations"))
        .where(LotExposure.lot_id == lot_id)
        .group_by(LotExposure.patient_id)
        .subquery()
    )
    name = _by_code_point(Patient.name)
    query = select(
        Patient.id,
        Patient.name,
        Patient.date_of_birth,
        Patient.phone,
        Patient.email,
        counts.c.administrations,
    ).join(counts, counts.c.patient_id == Patient.id)
    if after is not None:
        query = query.where(tuple_(name, Patient.id) > tuple_(literal(after[0], String), literal(after[1])))
    query = query.order_by(name, Patient.id).limit(limit).offset(offset)
    return [PatientRow._make(row) for row in _rows(query).all()]


def _syringe_ids(batch_ids: list[int], after: Key | None, limit: int) -> list[int]:
    """A page of the ids of these batches' syringes in the list's order (batch, number, id): one index,
    sorted by the database."""
    if not batch_ids:
        return []
    columns = (Syringe.batch_id, Syringe.number, Syringe.id)
    query = select(Syringe.id).where(among(Syringe.batch_id, batch_ids))
    if after is not None:
        query = query.where(tuple_(*columns) > tuple_(*after))
    return list(_rows(query.order_by(*columns).limit(limit)).scalars().all())


# --- the rows of a page, read by id ------------------------------------------------------------------


def _vials(ids: list[int]) -> list[VialRow]:
    if not ids:
        return []
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
        .where(among(Vial.id, ids))
        .order_by(Vial.id)
    )
    return [VialRow._make(row) for row in _rows(query).all()]


def _draws(lot: LotRow, ids: list[int]) -> list[DrawRow]:
    """These vial → batch links of the lot, completed with the lot's own values."""
    if not ids:
        return []
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
        .where(among(Draw.id, ids))
        .order_by(Draw.batch_id, Draw.id)
    )
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
            _rows(query).all()
        )
    ]


def _batches(ids: list[int]) -> list[BatchRow]:
    return trace_batches(among(Batch.id, ids), Batch.id) if ids else []


def _syringe_columns() -> Any:
    """The columns of a syringe's row with what became of it (its administration, if any)."""
    return (
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
    )


@cache
def _syringes_by_id() -> Any:
    """Built once (it runs on every page of the API): syringes by id (`ids`), with their verdicts."""
    query = usability.asked_by_id(_syringe_columns())
    return usability.with_verdict(query.order_by(Syringe.batch_id, Syringe.number, Syringe.id))


@cache
def _syringes_by_batch() -> Any:
    """Built once: every syringe of some batches (`batches`), with their verdicts. The batches are named
    on the batch as well: joined on the syringes alone, PostgreSQL hashed every batch for their codes."""
    batches: Any = bindparam("batches", expanding=True)
    query = _syringe_columns().where(Syringe.batch_id.in_(batches), Batch.id.in_(batches))
    return usability.with_verdict(query.order_by(Syringe.batch_id, Syringe.number, Syringe.id), batches)


def _syringes(statement: Any, values: dict[str, list[int]]) -> list[SyringeRow]:
    """The syringes of one of the two statements above, with their verdicts (as first recorded: see
    `_as_corrected`)."""
    now, zone = clock.now(), clock.clinic_zone()
    syringes = []
    for row in _rows(statement, values).all():
        sid, code, batch_id, batch_code, number, status, volume, discarded_at, reason, admin_id = row[:10]
        administration = None
        if admin_id is not None:
            session_id, patient_id, name, at, admin_volume, site = row[10:16]
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
                usability.row_verdict(row, now, zone),
            )
        )
    return syringes


def _administration_ids(lot_id: int, after: Key | None, limit: int) -> list[int]:
    """A page of the lot's administrations (not voided) in the list's order, id: along the key of the
    lot's exposures (lot id, administration id)."""
    query = select(LotExposure.administration_id).where(LotExposure.lot_id == lot_id)
    if after is not None:
        query = query.where(LotExposure.administration_id > after[0])
    return list(_rows(query.order_by(LotExposure.administration_id).limit(limit)).scalars().all())


def _administrations(ids: list[int]) -> list[AdministrationRow]:
    """These administrations by id (asked with the page's exposures joined instead, PostgreSQL merged
    them with every administration in id order, 185,000 of them)."""
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
    return [AdministrationRow(*row) for row in _rows(query).all()]


def _as_corrected(
    administrations: list[AdministrationRow], syringes: list[SyringeRow]
) -> tuple[list[AdministrationRow], list[SyringeRow]]:
    """Both lists `as_corrected`, from one read of the corrections."""
    ids = [row.id for row in administrations] + [s.administration.id for s in syringes if s.administration]
    found = _corrected_values(ids) if ids else {}
    return as_corrected(administrations, found), syringes_as_corrected(syringes, found)


# --- the API: counts and a page of each list, with a cursor ------------------------------------------


def lot_page(lot_id: int, *, cursor: Cursor | None = None, per_page: int = PER_PAGE) -> LotPage:
    """RCL-03 a page at a time: the counts of every list and the next `per_page` rows of each (the first
    ones without a cursor); `next` is None when no list has more rows."""
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    lot = _lot_row(lot_id)
    keys = _Keys.of(lot_id)
    after = cursor.after if cursor else dict.fromkeys(LISTS)
    limit = per_page + 1
    draws = _following(keys.draws, after["draws"], limit)
    found: dict[str, list[Any]] = {
        "vials": _vials(_following(keys.vials, after["vials"], limit)),
        "draws": _draws(lot, [draw_id for _batch, draw_id, _vial in draws]),
        "batches": _batches(_following(keys.batches, after["batches"], limit)),
        "patients": _patients(lot_id, after["patients"], limit),
    }
    syringe_ids = _syringe_ids(keys.batches, after["syringes"], limit)
    found["administrations"], found["syringes"] = _as_corrected(
        _administrations(_administration_ids(lot_id, after["administrations"], limit)),
        _syringes(_syringes_by_id(), {"ids": syringe_ids}) if syringe_ids else [],
    )
    more = any(len(rows) > per_page for rows in found.values())
    last: dict[str, Key | None] = {}
    for name in LISTS:
        found[name] = rows = found[name][:per_page]
        last[name] = _sort_key(name, rows[-1]) if rows else after[name]
    return LotPage(
        lot,
        keys.counts,
        found["vials"],
        found["draws"],
        found["batches"],
        found["syringes"],
        found["administrations"],
        found["patients"],
        Cursor(last) if more else None,
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


def _page_number(count: int, number: int | None, per_page: int) -> tuple[int, int]:
    """(page number, pages) of a list of `count` rows; a number past the end is the last page."""
    pages = max(1, -(-count // per_page))
    return min(max(1, number or 1), pages), pages


def _numbered(rows: Sequence[Any], number: int | None, per_page: int) -> tuple[list[Any], int, int]:
    """(rows of the page, page number, pages); a number past the end is the last page."""
    number, pages = _page_number(len(rows), number, per_page)
    start = (number - 1) * per_page
    return list(rows[start : start + per_page]), number, pages


def lot_overview(
    lot_id: int,
    *,
    patients: int | None = None,
    vials: int | None = None,
    batches: int | None = None,
    per_page: int = PAGE_SIZE,
    batches_per_page: int = BATCHES_PER_PAGE,
) -> LotOverview:
    """The lot's page: counts of everything made from it and the rows of the pages asked for, no more
    (a page of batches shows every syringe of each: fewer batches to a page)."""
    lot = _lot_row(lot_id)
    keys = _Keys.of(lot_id)
    counts = keys.counts
    number, pages = _page_number(counts.patients, patients, per_page)
    patient_page = Page(
        _patients(lot_id, None, per_page, (number - 1) * per_page), number, pages, counts.patients
    )
    shown, number, pages = _numbered(keys.vials, vials, per_page)
    vial_page = Page(_vials(shown), number, pages, counts.vials)
    on_page = set(shown)
    draws = _draws(lot, [draw_id for _batch, draw_id, vial_id in keys.draws if vial_id in on_page])
    shown, number, pages = _numbered(keys.batches, batches, batches_per_page)
    batch_page = Page(_batches(shown), number, pages, counts.batches)
    syringes = syringes_as_corrected(_syringes(_syringes_by_batch(), {"batches": shown})) if shown else []
    return LotOverview(lot, counts, patient_page, vial_page, batch_page, draws, syringes)


# --- every administration of the lot, as a CSV stream ------------------------------------------------


def lot_csv(lot_id: int) -> tuple[str, Iterator[str]]:
    """RCL-03 for a spreadsheet: the lot's number, and every administration of something made from the
    lot in the order they were given. The rows are read here, in the request (a few values each: they
    grow with the lot, never with the years); the text is written a chunk of rows at a time as the
    server sends it, and needs no request or database to finish. A lot that does not exist is a 404."""
    lot = _lot_row(lot_id)
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
            Administration.id,
        )
        .select_from(LotExposure)
        .join(Administration, Administration.id == LotExposure.administration_id)
        .join(Syringe, Syringe.id == Administration.syringe_id)
        .join(Batch, Batch.id == Syringe.batch_id)
        .join(TreatmentSession, TreatmentSession.id == Administration.session_id)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(LotExposure.lot_id == lot_id)
        .order_by(Administration.administered_at, Administration.id)
    )
    rows = _rows(query).all()
    now = _corrected_values([row[-1] for row in rows]) if rows else {}
    return lot.number, _csv_chunks([_as_corrected_line(row, now) for row in rows])


def _as_corrected_line(row: Any, now: dict[int, tuple[int, str, bool]]) -> tuple[Any, ...]:
    """A CSV row with the administration's volume and site as corrected (`trace.as_corrected`)."""
    *given, volume, site, administration_id = row
    volume, site, _corrected = now.get(administration_id, (volume, site, False))
    return (*given, volume, site)


def _csv_chunks(rows: Sequence[Any]) -> Iterator[str]:
    yield csvexport.to_csv(LOT_CSV_HEADER, [])
    for start in range(0, len(rows), CSV_CHUNK):
        yield csvexport.csv_lines(
            (at.isoformat(), patient_id, name, session_id, syringe, batch, ul_to_ml(volume), site)
            for at, patient_id, name, session_id, syringe, batch, volume, site in rows[
                start : start + CSV_CHUNK
            ]
        )
