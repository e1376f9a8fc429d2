"""The forward trace of one lot a page at a time (RCL-03 at scale): the count of every list and one page
of each, and every administration as a CSV stream. A busy lot's trace never loads its thousands of rows
to show or send a hundred of them.

The API pages with keys (keyset): its cursor holds, for each list, the sort key of the last row sent,
and the next page reads the rows after it, never skipping rows with OFFSET. The page of the lot shows
page numbers (a lot's lists grow with the lot, not with the years).

How it stays fast on both databases: every list comes from an index of the lot, never from the years.
The vials from (lot_id, id), their draws from (vial_id, batch_id), the syringes of the lot's batches
from (batch_id, number, id), and the administrations and patients from the lot's exposures
(`lot_exposures`, a summary kept by services/summaries.py in the same transaction as each scan, void
and merge): the administrations' count and page from its key (lot_id, administration_id), the patients
grouped with their count by the database on (lot_id, patient_id). Each list's rows are read for its
page alone, by statements built once (`_Pages`):

- SQLite is asked for each page in one statement, its keys picked in a subquery (`_Asked`): it walks
  the lot's 1,700 vials and their draws in C in a few hundred microseconds, and the counts come in one
  more statement.
- PostgreSQL, asked the same, planned "the first 100 in this order" over a join by walking a whole
  index in that order (the draws by batch id, the administrations by id) and filtering every row of
  five years, or hashed every draw. There the keys of the short lists are read first, a few integers a
  row (`_KeysFirst`): the counts and each page's keys come from them, and the page's rows are read by
  id.

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
from typing import Any, Protocol

from sqlalchemy import String, and_, bindparam, func, select, true, tuple_

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
    administration_query,
    among,
    as_corrected,
    batch_query,
    syringes_as_corrected,
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


# --- the rows of each list, by the statements built once ----------------------------------------------


def _given_join() -> Any:
    return and_(Administration.syringe_id == Syringe.id, Administration.given())


def _ids_asked() -> Any:
    """The ids of a page read first (`ids`, written into the SQL at execution: PostgreSQL's planner sees
    how few they are)."""
    return bindparam("ids", expanding=True, literal_execute=True)


def _vial_query(where: Any) -> Any:
    return (
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
        .where(where)
        .order_by(Vial.id)
    )


def _draw_query(where: Any) -> Any:
    return (
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
        .where(where)
        .order_by(Draw.batch_id, Draw.id)
    )


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


SYRINGE_ORDER = (Syringe.batch_id, Syringe.number, Syringe.id)


@cache
def _by_id() -> dict[str, Any]:
    """Built once: the rows of each list by the ids of a page (`ids`) read first."""
    return {
        "vials": _vial_query(Vial.id.in_(_ids_asked())),
        "draws": _draw_query(Draw.id.in_(_ids_asked())),
        "batches": batch_query(Batch.id.in_(_ids_asked()), Batch.id),
        # By id: asked with the page's exposures joined instead, PostgreSQL merged them with every
        # administration in id order, 185,000 of them.
        "administrations": administration_query(Administration.id.in_(_ids_asked())),
        "syringes": usability.with_verdict(
            usability.asked_by_id(_syringe_columns()).order_by(*SYRINGE_ORDER)
        ),
    }


@cache
def _draws_of_vials() -> Any:
    """Built once: every draw of some vials (`vials`)."""
    return _draw_query(Draw.vial_id.in_(bindparam("vials", expanding=True)))


@cache
def _syringes_by_batch() -> Any:
    """Built once: every syringe of some batches (`batches`), with their verdicts. The batches are named
    on the batch as well: joined on the syringes alone, PostgreSQL hashed every batch for their codes."""
    batches: Any = bindparam("batches", expanding=True)
    query = _syringe_columns().where(Syringe.batch_id.in_(batches), Batch.id.in_(batches))
    return usability.with_verdict(query.order_by(*SYRINGE_ORDER), batches)


def _vials(statement: Any, values: dict[str, Any]) -> list[VialRow]:
    return [VialRow._make(row) for row in _rows(statement, values).all()]


def _draws(lot: LotRow, statement: Any, values: dict[str, Any]) -> list[DrawRow]:
    """The lot's vial → batch links of a statement above, completed with the lot's own values."""
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
            _rows(statement, values).all()
        )
    ]


def _batches(statement: Any, values: dict[str, Any]) -> list[BatchRow]:
    return [BatchRow._make(row) for row in _rows(statement, values).all()]


def _administrations(statement: Any, values: dict[str, Any]) -> list[AdministrationRow]:
    return [AdministrationRow(*row) for row in _rows(statement, values).all()]


def _syringes(statement: Any, values: dict[str, Any]) -> list[SyringeRow]:
    """The syringes of a statement above, with their verdicts (as first recorded: see `_as_corrected`)."""
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


def _by_code_point(column: Any, dialect: str) -> Any:
    """A text column compared by code point, as Python compares strings (and the cursor's keys): the
    bytes of UTF-8 sort in code-point order, which is PostgreSQL's "C" collation and SQLite's BINARY,
    whatever collation the database was created with."""
    return column.collate("C" if dialect == "postgresql" else "BINARY")


@cache
def _patients_statement(dialect: str) -> Any:
    """Built once per database (the collation is its own): the patients exposed to the lot `lot` in the
    list's order (name, id) after the key (`name`, `after`), each once with their number of
    administrations, counted per patient by the database on the lot's exposures (lot_id, patient_id)."""
    counts = (
        select(LotExposure.patient_id, func.count().label("administrations"))
        .where(LotExposure.lot_id == bindparam("lot"))
        .group_by(LotExposure.patient_id)
        .subquery()
    )
    name = _by_code_point(Patient.name, dialect)
    key = tuple_(bindparam("name", type_=String), bindparam("after"))
    return (
        select(
            Patient.id,
            Patient.name,
            Patient.date_of_birth,
            Patient.phone,
            Patient.email,
            counts.c.administrations,
        )
        .join(counts, counts.c.patient_id == Patient.id)
        .where(tuple_(name, Patient.id) > key)
        .order_by(name, Patient.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _patients(lot_id: int, after: Key | None, limit: int, offset: int = 0) -> list[PatientRow]:
    """A page of the patients exposed to the lot (see `_patients_statement`; ("", 0) sorts first)."""
    name, start = after if after is not None else ("", 0)
    statement = _patients_statement(db.session.get_bind().dialect.name)
    values = {"lot": lot_id, "name": name, "after": start, "limit": limit, "offset": offset}
    return [PatientRow._make(row) for row in _rows(statement, values).all()]


# --- the counts and a page of each list: asked of SQLite, read as keys first on PostgreSQL --------------


class _Pages(Protocol):
    """The counts of a lot's lists and a page of the rows of each, in its list's order: those after a key
    (`after`, None from the start), or past `offset` rows."""

    @property
    def counts(self) -> LotCounts: ...

    def vials(self, after: Key | None, limit: int, offset: int = 0) -> list[VialRow]: ...

    def draws(self, lot: LotRow, after: Key | None, limit: int) -> list[DrawRow]: ...

    def batches(self, after: Key | None, limit: int, offset: int = 0) -> list[BatchRow]: ...

    def syringes(self, after: Key | None, limit: int) -> list[SyringeRow]: ...

    def administrations(self, after: Key | None, limit: int) -> list[AdministrationRow]: ...


def _pages_of(lot_id: int) -> _Pages:
    """SQLite is asked for each page along the lot's indexes, in one statement a list (it walks the lot's
    vials and their draws in C, fast, and plans them well). PostgreSQL, asked the same, hashes every
    draw of the clinic's history (it expects the lot's 1,700 index lookups to cost more): there the keys
    are read first, the pages cut here and their rows read by id."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _KeysFirst.of(lot_id)
    return _Asked.of(lot_id)


def _start(after: Key | None, width: int) -> Key:
    """The key to read after: every id is positive, so (0, …) sorts before every row."""
    return after if after is not None else (0,) * width


def _lot_draws() -> Any:
    """The draws of the lot `lot` along vials (lot_id, id) and draws (vial_id, batch_id)."""
    return (
        select(Draw.id, Draw.batch_id)
        .join(Vial, Vial.id == Draw.vial_id)
        .where(Vial.lot_id == bindparam("lot"))
    )


def _of_lot_batches() -> Any:
    return Syringe.batch_id.in_(_lot_draws().with_only_columns(Draw.batch_id))


@cache
def _asked() -> dict[str, Any]:
    """Built once: the counts of the lot `lot`, and the rows of a page of each list after the key (its
    columns `batch`, `number`, `after`), `limit` rows past `offset`."""
    lot: Any = bindparam("lot")
    limit: Any = bindparam("limit")
    offset: Any = bindparam("offset")
    after: Any = bindparam("after")
    draws = (
        _lot_draws()
        .with_only_columns(
            func.count().label("draws"), func.count(func.distinct(Draw.batch_id)).label("batches")
        )
        .subquery()
    )
    exposures = (
        select(
            func.count().label("given"), func.count(func.distinct(LotExposure.patient_id)).label("patients")
        )
        .where(LotExposure.lot_id == lot)
        .subquery()
    )
    draw_key = (Draw.batch_id, Draw.id)
    draw_page = (
        _lot_draws()
        .with_only_columns(Draw.id)
        .where(tuple_(*draw_key) > tuple_(bindparam("batch"), after))
        .order_by(*draw_key)
        .limit(limit)
    )
    batch_page = (
        _lot_draws()
        .with_only_columns(Draw.batch_id)
        .where(Draw.batch_id > after)
        .distinct()
        .order_by(Draw.batch_id)
        .limit(limit)
        .offset(offset)
    )
    syringe_page = (
        select(Syringe.id, Syringe.batch_id)
        .where(
            _of_lot_batches(),
            tuple_(*SYRINGE_ORDER) > tuple_(bindparam("batch"), bindparam("number"), after),
        )
        .order_by(*SYRINGE_ORDER)
        .limit(limit)
        .cte("syringe_page")
    )
    administration_page = (
        select(LotExposure.administration_id)
        .where(LotExposure.lot_id == lot, LotExposure.administration_id > after)
        .order_by(LotExposure.administration_id)
        .limit(limit)
    )
    syringes = _syringe_columns().where(Syringe.id.in_(select(syringe_page.c.id)))
    return {
        "counts": select(
            select(func.count()).where(Vial.lot_id == lot).scalar_subquery(),
            draws.c.draws,
            draws.c.batches,
            select(func.count()).where(_of_lot_batches()).scalar_subquery(),
            exposures.c.given,
            exposures.c.patients,
        ).join_from(draws, exposures, true()),
        "vials": _vial_query(Vial.lot_id == lot).where(Vial.id > after).limit(limit).offset(offset),
        "draws": _draw_query(Draw.id.in_(draw_page)),
        "batches": batch_query(Batch.id.in_(batch_page), Batch.id),
        "syringes": usability.with_verdict(
            syringes.order_by(*SYRINGE_ORDER), select(syringe_page.c.batch_id)
        ),
        "administrations": administration_query(Administration.id.in_(administration_page)),
    }


@dataclass(frozen=True)
class _Asked:
    """Each page asked of the database (SQLite): the counts in one statement, each list's page in one."""

    lot_id: int
    counts: LotCounts

    @classmethod
    def of(cls, lot_id: int) -> _Asked:
        counts = _rows(_asked()["counts"], {"lot": lot_id}).one()
        return cls(lot_id, LotCounts(*(int(count) for count in counts)))

    def _values(self, after: Key | None, width: int, limit: int, offset: int = 0) -> dict[str, Any]:
        *columns, start = _start(after, width)
        values = {"lot": self.lot_id, "after": start, "limit": limit, "offset": offset}
        return values | dict(zip(("batch", "number"), columns, strict=False))

    def vials(self, after: Key | None, limit: int, offset: int = 0) -> list[VialRow]:
        return _vials(_asked()["vials"], self._values(after, 1, limit, offset))

    def draws(self, lot: LotRow, after: Key | None, limit: int) -> list[DrawRow]:
        return _draws(lot, _asked()["draws"], self._values(after, 2, limit))

    def batches(self, after: Key | None, limit: int, offset: int = 0) -> list[BatchRow]:
        return _batches(_asked()["batches"], self._values(after, 1, limit, offset))

    def syringes(self, after: Key | None, limit: int) -> list[SyringeRow]:
        return _syringes(_asked()["syringes"], self._values(after, 3, limit))

    def administrations(self, after: Key | None, limit: int) -> list[AdministrationRow]:
        return _administrations(_asked()["administrations"], self._values(after, 1, limit))


def _following(rows: Sequence[Any], after: Key | None, limit: int, offset: int = 0) -> list[Any]:
    """The `limit` rows of a list sorted by its key (the row, or its first columns) that come `offset`
    rows after the key `after` (from the start when None)."""
    start = offset
    if after is not None:
        start += bisect_right(
            rows, after, key=lambda row: row[: len(after)] if isinstance(row, tuple) else (row,)
        )
    return list(rows[start : start + limit])


@dataclass(frozen=True)
class _KeysFirst:
    """The keys of the lot's short lists read whole (PostgreSQL), each sorted in its list's order, and
    the counts of the long ones; a page's keys are cut from them (the syringes' and administrations'
    asked of their indexes), then its rows read by id."""

    lot_id: int
    vial_ids: list[int]
    draw_keys: list[tuple[int, int]]  # (batch id, draw id)
    batch_ids: list[int]
    syringe_count: int
    administration_count: int
    patient_count: int

    @classmethod
    def of(cls, lot_id: int) -> _KeysFirst:
        vials = list(_rows(select(Vial.id).where(Vial.lot_id == lot_id).order_by(Vial.id)).scalars())
        found = _rows(select(Draw.batch_id, Draw.id).where(among(Draw.vial_id, vials))).all() if vials else []
        draws = sorted((batch_id, draw_id) for batch_id, draw_id in found)
        batches = sorted({batch_id for batch_id, _draw in draws})
        syringes = select(func.count()).where(among(Syringe.batch_id, batches)).scalar_subquery()
        exposures = select(func.count(), func.count(func.distinct(LotExposure.patient_id))).where(
            LotExposure.lot_id == lot_id
        )
        administrations, patients, syringe_count = _rows(exposures.add_columns(syringes)).one()
        return cls(lot_id, vials, draws, batches, int(syringe_count), int(administrations), int(patients))

    @property
    def counts(self) -> LotCounts:
        return LotCounts(
            len(self.vial_ids),
            len(self.draw_keys),
            len(self.batch_ids),
            self.syringe_count,
            self.administration_count,
            self.patient_count,
        )

    def vials(self, after: Key | None, limit: int, offset: int = 0) -> list[VialRow]:
        return _vials(_by_id()["vials"], {"ids": _following(self.vial_ids, after, limit, offset)})

    def draws(self, lot: LotRow, after: Key | None, limit: int) -> list[DrawRow]:
        ids = [draw_id for _batch, draw_id in _following(self.draw_keys, after, limit)]
        return _draws(lot, _by_id()["draws"], {"ids": ids})

    def batches(self, after: Key | None, limit: int, offset: int = 0) -> list[BatchRow]:
        return _batches(_by_id()["batches"], {"ids": _following(self.batch_ids, after, limit, offset)})

    def syringes(self, after: Key | None, limit: int) -> list[SyringeRow]:
        if not self.batch_ids:
            return []
        query = select(Syringe.id).where(among(Syringe.batch_id, self.batch_ids))
        if after is not None:
            query = query.where(tuple_(*SYRINGE_ORDER) > tuple_(*after))
        ids = list(_rows(query.order_by(*SYRINGE_ORDER).limit(limit)).scalars())
        return _syringes(_by_id()["syringes"], {"ids": ids})

    def administrations(self, after: Key | None, limit: int) -> list[AdministrationRow]:
        query = select(LotExposure.administration_id).where(
            LotExposure.lot_id == self.lot_id, LotExposure.administration_id > _start(after, 1)[0]
        )
        ids = list(_rows(query.order_by(LotExposure.administration_id).limit(limit)).scalars())
        return _administrations(_by_id()["administrations"], {"ids": ids})


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
    pages = _pages_of(lot_id)
    after = cursor.after if cursor else dict.fromkeys(LISTS)
    limit = per_page + 1
    found: dict[str, list[Any]] = {
        "vials": pages.vials(after["vials"], limit),
        "draws": pages.draws(lot, after["draws"], limit),
        "batches": pages.batches(after["batches"], limit),
        "patients": _patients(lot_id, after["patients"], limit),
    }
    found["administrations"], found["syringes"] = _as_corrected(
        pages.administrations(after["administrations"], limit), pages.syringes(after["syringes"], limit)
    )
    more = any(len(rows) > per_page for rows in found.values())
    last: dict[str, Key | None] = {}
    for name in LISTS:
        found[name] = rows = found[name][:per_page]
        last[name] = _sort_key(name, rows[-1]) if rows else after[name]
    return LotPage(
        lot,
        pages.counts,
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
    lists = _pages_of(lot_id)
    counts = lists.counts
    number, pages = _page_number(counts.patients, patients, per_page)
    patient_page = Page(
        _patients(lot_id, None, per_page, (number - 1) * per_page), number, pages, counts.patients
    )
    number, pages = _page_number(counts.vials, vials, per_page)
    vial_page = Page(lists.vials(None, per_page, (number - 1) * per_page), number, pages, counts.vials)
    shown = [vial.id for vial in vial_page.items]
    draws = _draws(lot, _draws_of_vials(), {"vials": shown}) if shown else []
    number, pages = _page_number(counts.batches, batches, batches_per_page)
    offset = (number - 1) * batches_per_page
    batch_page = Page(lists.batches(None, batches_per_page, offset), number, pages, counts.batches)
    shown = [batch.id for batch in batch_page.items]
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
