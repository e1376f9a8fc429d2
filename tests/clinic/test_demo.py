"""The clinic's demo data: Turkish names, past sessions, one open today."""

from __future__ import annotations

from sqlalchemy import select

from inventory.demo import catalogue, clinic
from inventory.models import Patient, TreatmentSession
from inventory.services import patients


def test_demo_patients_and_sessions(app, db):
    catalogue.load()
    clinic.load()
    demo = list(db.session.scalars(select(Patient)))
    assert len(demo) == len(clinic.DEMO_PATIENTS)
    assert all(p.is_demo for p in demo)
    assert [p.name for p in patients.search_patients("IŞIK")[0]] == ["Ayşe Işık"]
    statuses = sorted(db.session.scalars(select(TreatmentSession.status)))
    assert statuses == ["closed"] * len(clinic.PAST_SESSIONS) + ["open"]
    clinic.load()  # once only
    assert db.session.scalar(select(Patient.id).order_by(Patient.id.desc()).limit(1)) == demo[-1].id
