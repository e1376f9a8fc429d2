"""Patients: two identifiers (name and date of birth), a record number, contact details, search."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, or_, select

from inventory import clock
from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.models.clinic import Patient, TreatmentSession
from inventory.rules.text import search_key
from inventory.services import audit, transaction

OLDEST_BIRTH_YEAR = 1900
SEARCH_LIMIT = 50
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")
_PHONE_CHARS = re.compile(r"[\s()\-./]")


def get_patient(patient_id: int) -> Patient:
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("not_found", _("No patient with id %(id)s.", id=patient_id))
    return patient


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        raise Invalid("invalid_input", _("The patient's name is required."), fields={"name": _("Required.")})
    birth = data.get("date_of_birth")
    if not isinstance(birth, date) or isinstance(birth, datetime):
        raise Invalid(
            "invalid_date", _("The date of birth is required."), fields={"date_of_birth": _("Required.")}
        )
    if birth > clock.today() or birth.year < OLDEST_BIRTH_YEAR:
        raise Invalid(
            "invalid_date",
            _("The date of birth %(date)s is not possible.", date=birth.isoformat()),
            fields={"date_of_birth": _("Not a possible date of birth.")},
        )
    mrn = "".join(str(data.get("mrn") or "").split()).upper() or None
    return {
        "name": name,
        "search_key": search_key(name),
        "date_of_birth": birth,
        "mrn": mrn,
        "phone": " ".join(str(data.get("phone") or "").split()),
        "email": str(data.get("email") or "").strip(),
    }


def create_patient(data: dict[str, Any]) -> Patient:
    """A new patient; the record number (MRN), when given, is unique (409 duplicate_mrn)."""
    values = _clean(data)
    with transaction():
        if values["mrn"] and db.session.scalar(select(Patient.id).where(Patient.mrn == values["mrn"])):
            raise Conflict(
                "duplicate_mrn",
                _("Another patient has the record number %(mrn)s.", mrn=values["mrn"]),
                fields={"mrn": _("Already used.")},
            )
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
    statement = select(Patient)
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
