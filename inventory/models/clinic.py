"""Patients, treatment sessions, administrations and every scan attempt."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory import clock
from inventory.extensions import Model
from inventory.models.base import UTCDateTime, enum_values, one_of
from inventory.models.compounding import Indication, Syringe
from inventory.models.users import User


class SessionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Verdict(StrEnum):
    OK = "ok"
    BLOCKED = "blocked"


class Patient(Model):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    mrn: Mapped[str | None] = mapped_column(String(40), unique=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # A duplicate record merged into another: kept (never deleted), pointing at the record kept.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def merged(self) -> bool:
        return self.merged_into_id is not None


class TreatmentSession(Model):
    __tablename__ = "treatment_sessions"
    __table_args__ = (
        one_of("status", enum_values(SessionStatus)),
        one_of("indication", enum_values(Indication)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    indication: Mapped[str] = mapped_column(String(20))
    area: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(10), default=SessionStatus.OPEN)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship(lazy="joined")
    practitioner: Mapped[User] = relationship()
    administrations: Mapped[list[Administration]] = relationship(
        back_populates="session", order_by="Administration.id"
    )


class Administration(Model):
    """Syringe S went into patient P in session X at time T: one syringe, one administration."""

    __tablename__ = "administrations"
    __table_args__ = (CheckConstraint("volume_ul > 0", name="volume_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    syringe_id: Mapped[int] = mapped_column(ForeignKey("syringes.id"), unique=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    volume_ul: Mapped[int]
    site: Mapped[str] = mapped_column(String(80), default="")
    administered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    session: Mapped[TreatmentSession] = relationship(back_populates="administrations")
    syringe: Mapped[Syringe] = relationship()


class ScanAttempt(Model):
    """Every scan at the chair; a blocked one is a near miss (SAFE-06)."""

    __tablename__ = "scan_attempts"
    __table_args__ = (one_of("verdict", enum_values(Verdict)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    raw: Mapped[str] = mapped_column(String(300))
    code: Mapped[str | None] = mapped_column(String(24))
    syringe_id: Mapped[int | None] = mapped_column(ForeignKey("syringes.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    administration_id: Mapped[int | None] = mapped_column(ForeignKey("administrations.id"))


class IdentityCheck(Model):
    """SAFE-07: the practitioner checked the patient's name and date of birth for an administration.

    Appended once per administration, never edited: the green scan screen's confirm button.
    """

    __tablename__ = "identity_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id"), unique=True)
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
