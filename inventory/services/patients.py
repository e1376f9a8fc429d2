"""Patients: two identifiers (name and date of birth), a record number, contact details, search;
one record per person (possible duplicates refused before creating, merges that keep the merged
record pointing at the kept one), edits kept as before → after in the audit trail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from inventory import clock
from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.models.audit import AuditEntry
from inventory.models.catalogue import Product
from inventory.models.clinic import Patient, PatientAllergy, TreatmentSession
from inventory.models.compounding import Batch
from inventory.models.recall import AdverseEvent, Recall, RecallPatient
from inventory.models.users import User
from inventory.rules import substances
from inventory.rules.contact import checked_email, e164_phone
from inventory.rules.errors import RuleError
from inventory.rules.text import search_key
from inventory.services import audit, summaries, transaction

DEFAULT_REGION = "TR"
OLDEST_BIRTH_YEAR = 1900
SEARCH_LIMIT = 50
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")
_PHONE_CHARS = re.compile(r"[\s()\-./]")


def get_patient(patient_id: int) -> Patient:
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("not_found", _("No patient with id %(id)s.", id=patient_id))
    return patient


def _name(value: Any) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise Invalid("invalid_input", _("The patient's name is required."), fields={"name": _("Required.")})
    return name


def _birth(value: Any) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise Invalid(
            "invalid_date", _("The date of birth is required."), fields={"date_of_birth": _("Required.")}
        )
    if value > clock.today() or value.year < OLDEST_BIRTH_YEAR:
        raise Invalid(
            "invalid_date",
            _("The date of birth %(date)s is not possible.", date=value.isoformat()),
            fields={"date_of_birth": _("Not a possible date of birth.")},
        )
    return value


def _phone(value: Any) -> str:
    try:
        return e164_phone(str(value or ""), current_app.config.get("CLINIC_REGION", DEFAULT_REGION))
    except RuleError:
        raise Invalid(
            "invalid_phone",
            _("%(phone)s is not a phone number we can call.", phone=" ".join(str(value).split())),
            fields={"phone": _("Give the number with its area code, or +country code.")},
        ) from None


def _email(value: Any) -> str:
    try:
        return checked_email(str(value or ""))
    except RuleError:
        raise Invalid(
            "invalid_email",
            _("%(email)s is not an e-mail address.", email=str(value).strip()),
            fields={"email": _("Not an e-mail address.")},
        ) from None


def _clean(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The fields given, trimmed and checked; for a new patient name and date of birth are required."""
    cleaners = {"name": _name, "date_of_birth": _birth, "phone": _phone, "email": _email}
    values: dict[str, Any] = {}
    for key, clean in cleaners.items():
        if key in data or not partial:
            values[key] = clean(data.get(key))
    if "name" in values:
        values["search_key"] = search_key(values["name"])
    if "mrn" in data or not partial:
        values["mrn"] = "".join(str(data.get("mrn") or "").split()).upper() or None
    return values


@dataclass(frozen=True)
class Duplicates:
    """Records that may be the same person: same normalised name and date of birth, or the same
    record number (both refuse a new record), and records sharing the phone (a hint: families do)."""

    same_person: list[Patient]
    same_mrn: Patient | None
    same_phone: list[Patient]

    @property
    def blocking(self) -> Patient | None:
        return self.same_mrn or (self.same_person[0] if self.same_person else None)


def find_duplicates(values: dict[str, Any], *, exclude_id: int | None = None) -> Duplicates:
    """Active (not merged) records like ``values`` (cleaned: search_key, date_of_birth, mrn, phone)."""
    active = select(Patient).where(Patient.merged_into_id.is_(None), Patient.id != (exclude_id or -1))
    person = active.where(
        Patient.search_key == values.get("search_key"), Patient.date_of_birth == values.get("date_of_birth")
    )
    mrn = (
        db.session.scalar(select(Patient).where(Patient.mrn == values["mrn"])) if values.get("mrn") else None
    )
    if mrn is not None and mrn.id == exclude_id:
        mrn = None
    phone = (
        list(db.session.scalars(active.where(Patient.phone == values["phone"])))
        if values.get("phone")
        else []
    )
    return Duplicates(list(db.session.scalars(person.order_by(Patient.id))), mrn, phone)


def possible_duplicates(data: dict[str, Any], *, exclude_id: int | None = None) -> Duplicates:
    """Possible duplicates of what a form holds, for the page to show before creating."""
    try:
        values = _clean(data)
    except Invalid:
        return Duplicates([], None, [])
    return find_duplicates(values, exclude_id=exclude_id)


def sharing_phone(patient: Patient) -> list[Patient]:
    """Other active records with this patient's phone: a hint (families share phones), never a refusal."""
    if not patient.phone:
        return []
    statement = select(Patient).where(
        Patient.phone == patient.phone, Patient.id != patient.id, Patient.merged_into_id.is_(None)
    )
    return list(db.session.scalars(statement.order_by(Patient.id)))


def merge_candidates(patient: Patient, query: str) -> list[Patient]:
    """Records this one could be merged into: its possible duplicates first, then those the query finds."""
    values = {
        "search_key": patient.search_key,
        "date_of_birth": patient.date_of_birth,
        "mrn": None,
        "phone": patient.phone,
    }
    found = find_duplicates(values, exclude_id=patient.id)
    candidates = [*found.same_person, *found.same_phone]
    if query.strip():
        candidates += search_patients(query, per_page=20)[0]
    unique: dict[int, Patient] = {}
    for candidate in candidates:
        if candidate.id != patient.id and candidate.merged_into_id is None:
            unique.setdefault(candidate.id, candidate)
    return list(unique.values())


def _refuse_duplicate(found: Duplicates, *, confirm_new: bool) -> None:
    if found.same_mrn is not None:
        raise Conflict(
            "possible_duplicate",
            _("Another patient has the record number %(mrn)s.", mrn=found.same_mrn.mrn),
            fields={"mrn": _("Already used."), "existing_id": found.same_mrn.id},
        )
    if found.same_person and not confirm_new:
        existing = found.same_person[0]
        raise Conflict(
            "possible_duplicate",
            _(
                "%(name)s, born %(date)s, is already registered. Open that record, or confirm that this "
                "is another person.",
                name=existing.name,
                date=existing.date_of_birth.isoformat(),
            ),
            fields={"existing_id": existing.id},
        )


def create_patient(data: dict[str, Any], *, confirm_new: bool = False) -> Patient:
    """A new patient, unless one may already exist (409 possible_duplicate): the same record number
    always refuses; the same normalised name and date of birth refuses unless ``confirm_new``."""
    values = _clean(data)
    with transaction():
        _refuse_duplicate(find_duplicates(values), confirm_new=confirm_new)
        patient = Patient(**values)
        db.session.add(patient)
        db.session.flush()
        audit.record(
            "patient_created",
            "patient",
            patient.id,
            details={key: values[key] for key in ("name", "date_of_birth", "mrn")},
        )
    return patient


def refuse_merged(patient: Patient) -> None:
    """A merged record takes no new data: its sessions and changes belong to the record kept."""
    if patient.merged_into_id is not None:
        raise Conflict(
            "merged",
            _("This record was merged into record %(id)s: change that one.", id=patient.merged_into_id),
            fields={"existing_id": patient.merged_into_id},
        )


HISTORY_FIELDS = ("name", "date_of_birth", "mrn", "phone", "email")


def update_patient(patient_id: int, data: dict[str, Any]) -> Patient:
    """Change the fields given; the audit trail keeps each change as before → after."""
    values = _clean(data, partial=True)
    with transaction():
        patient = get_patient(patient_id)
        refuse_merged(patient)
        if values.get("mrn"):
            _refuse_duplicate(
                Duplicates([], find_duplicates(values, exclude_id=patient.id).same_mrn, []), confirm_new=True
            )
        before = {key: getattr(patient, key) for key in HISTORY_FIELDS}
        for key, value in values.items():
            setattr(patient, key, value)
        changed = audit.changes(before, {key: getattr(patient, key) for key in HISTORY_FIELDS})
        if changed:
            audit.record("patient_updated", "patient", patient.id, details={"changed": changed})
    return patient


def history(patient_id: int) -> list[AuditEntry]:
    """Creation, edits (before → after) and merges of a record, newest first."""
    rows, _more = audit.entries(audit.AuditFilter(entity_type="patient", entity_id=patient_id), per_page=100)
    return rows


# What a merge moves: every table whose rows belong to a patient. Adding a table is one line.
MOVED_WITH_PATIENT: tuple[InstrumentedAttribute[int | None] | InstrumentedAttribute[int], ...] = (
    TreatmentSession.patient_id,
    AdverseEvent.patient_id,
    Batch.patient_id,
    PatientAllergy.patient_id,
)


def merge_patients(patient_id: int, into_patient_id: int) -> Patient:
    """Merge a duplicate record into the one kept: its sessions, adverse events, patient-specific
    batches and recall follow-ups move; the duplicate stays, pointing at the kept record. Audited on both."""
    if patient_id == into_patient_id:
        raise Invalid(
            "invalid_input",
            _("A record cannot be merged into itself."),
            fields={"into_patient_id": _("Choose the other record.")},
        )
    with transaction():
        source = _locked(patient_id)
        kept = _locked(into_patient_id, field="into_patient_id")
        refuse_merged(source)
        refuse_merged(kept)
        moved: dict[str, list[int]] = {}
        for column in MOVED_WITH_PATIENT:
            table = column.class_.__table__
            ids = list(db.session.scalars(select(table.c.id).where(column == source.id).order_by(table.c.id)))
            if ids:
                db.session.execute(update(table).where(table.c.id.in_(ids)).values(patient_id=kept.id))
            moved[table.name] = ids
        moved["recall_patients"], left = _move_recall_follow_ups(source.id, kept.id)
        summaries.event_lots_changed(moved["adverse_events"])  # the events' patient is the kept one
        summaries.patients_moved(moved["treatment_sessions"], kept.id)
        source.merged_into_id = kept.id
        source.merged_at = clock.now()
        details = {"merged_id": source.id, "kept_id": kept.id, "moved": moved, "recall_patients_left": left}
        audit.record("patient_merged", "patient", source.id, details=details)
        audit.record("patient_merged", "patient", kept.id, details=details)
    db.session.expire_all()
    return get_patient(kept.id)


def _locked(patient_id: int, *, field: str = "patient_id") -> Patient:
    patient = db.session.scalar(
        select(Patient)
        .where(Patient.id == patient_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if patient is None:
        raise NotFound(
            "not_found", _("No patient with id %(id)s.", id=patient_id), fields={field: _("Unknown.")}
        )
    return patient


def _move_recall_follow_ups(source_id: int, kept_id: int) -> tuple[list[int], list[int]]:
    """A recall lists a patient once: a follow-up of a recall the kept record is already on stays on the
    merged record (still reachable through it); the others move. Returns (moved, left) ids."""
    already = select(RecallPatient.recall_id).where(RecallPatient.patient_id == kept_id)
    rows = db.session.execute(
        select(RecallPatient.id, RecallPatient.recall_id.in_(already)).where(
            RecallPatient.patient_id == source_id
        )
    ).all()
    moved = [row_id for row_id, clash in rows if not clash]
    if moved:
        db.session.execute(
            update(RecallPatient).where(RecallPatient.id.in_(moved)).values(patient_id=kept_id)
        )
    return moved, [row_id for row_id, clash in rows if clash]


def parse_birth_date(text: str) -> date | None:
    """A date typed into the search box: 1985-06-15, 15.06.1985 or 15/06/1985."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 (a date alone)
        except ValueError:
            continue
    return None


def _matches(query: str) -> ColumnElement[bool]:
    key = search_key(query)
    conditions: list[ColumnElement[bool]] = [
        Patient.search_key.contains(key, autoescape=True),
        Patient.mrn == "".join(query.split()).upper(),
    ]
    digits = _PHONE_CHARS.sub("", query)
    if len(digits) >= 4 and digits.lstrip("+").isdigit():
        conditions.append(_phone_digits().contains(digits.lstrip("+0"), autoescape=True))
    if (birth := parse_birth_date(query)) is not None:
        conditions.append(Patient.date_of_birth == birth)
    return or_(*conditions)


def _phone_digits() -> ColumnElement[str]:
    """The stored phone number without its usual separators, in SQL."""
    column: ColumnElement[str] = Patient.phone.expression
    for separator in (" ", "-", "(", ")", ".", "/"):
        column = func.replace(column, separator, "")
    return column


def search_patients(query: str, *, page: int = 1, per_page: int = SEARCH_LIMIT) -> tuple[list[Patient], bool]:
    """Patients by name (Turkish-aware: "IŞIK" finds "Işık"), record number, phone or date of birth;
    newest first when the query is empty. Returns a page and whether there is a next one."""
    statement = select(Patient).where(Patient.merged_into_id.is_(None))
    if query.strip():
        statement = statement.where(_matches(query.strip())).order_by(Patient.search_key, Patient.id)
    else:
        statement = statement.order_by(Patient.created_at.desc(), Patient.id.desc())
    rows = list(db.session.scalars(statement.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def sessions_of(patient_id: int) -> list[TreatmentSession]:
    statement = (
        select(TreatmentSession)
        .where(TreatmentSession.patient_id == patient_id)
        .order_by(TreatmentSession.started_at.desc(), TreatmentSession.id.desc())
    )
    return list(db.session.scalars(statement))


# ---- allergies and the safety context (SAFE-12) ----------------------------------------------------------


def allergies_of(patient_id: int) -> list[PatientAllergy]:
    statement = (
        select(PatientAllergy)
        .where(PatientAllergy.patient_id == patient_id)
        .order_by(PatientAllergy.substance, PatientAllergy.id)
    )
    return list(db.session.scalars(statement))


def add_allergy(
    patient_id: int, substance: str, reaction: str = "", *, user: User | None = None
) -> PatientAllergy:
    """Record that the patient is allergic to a substance (normalised as products' substances are), with
    the reaction; the same substance twice answers the allergy already recorded."""
    name = substances.normalise(substance)
    if not name:
        raise Invalid(
            "invalid_input",
            _("Name the substance the patient is allergic to."),
            fields={"substance": _("Required.")},
        )
    reaction = " ".join(reaction.split())
    with transaction():
        patient = get_patient(patient_id)
        existing = db.session.scalar(
            select(PatientAllergy).where(
                PatientAllergy.patient_id == patient.id, PatientAllergy.substance == name
            )
        )
        if existing is not None:
            return existing
        allergy = PatientAllergy(
            patient_id=patient.id,
            substance=name,
            reaction=reaction,
            noted_at=clock.now(),
            noted_by_id=user.id if user else None,
        )
        db.session.add(allergy)
        db.session.flush()
        audit.record(
            "allergy_recorded",
            "patient",
            patient.id,
            details={"allergy_id": allergy.id, "substance": name, "reaction": reaction},
            user=user,
        )
    return allergy


@dataclass(frozen=True)
class RecallExposure:
    """An open recall of a lot the patient received, with where her follow-up stands."""

    recall_id: int
    lot: str
    product: str
    classification: str
    status: str
    note: str


@dataclass(frozen=True)
class SafetyContext:
    """What the practitioner must know before treating her: shown on the patient page, when opening a
    session and on the session page."""

    allergies: list[PatientAllergy]
    adverse_events: list[AdverseEvent]
    recalls: list[RecallExposure]

    @property
    def empty(self) -> bool:
        return not (self.allergies or self.adverse_events or self.recalls)


def safety_context(patient_id: int) -> SafetyContext:
    events = db.session.scalars(
        select(AdverseEvent)
        .where(AdverseEvent.patient_id == patient_id)
        .order_by(AdverseEvent.onset_at.desc(), AdverseEvent.id.desc())
    )
    recall_rows = db.session.execute(
        select(
            Recall.id,
            Recall.lot_number,
            Product.name,
            Recall.classification,
            RecallPatient.status,
            RecallPatient.note,
        )
        .join(RecallPatient, RecallPatient.recall_id == Recall.id)
        .join(Product, Product.id == Recall.product_id)
        .where(RecallPatient.patient_id == patient_id, Recall.closed_at.is_(None))
        .order_by(Recall.created_at.desc(), Recall.id.desc())
    )
    return SafetyContext(
        allergies=allergies_of(patient_id),
        adverse_events=list(events),
        recalls=[RecallExposure(*row) for row in recall_rows],
    )
