"""Patients, treatment sessions, administrations and every scan attempt."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ColumnElement, Date, ForeignKey, String, Text, exists
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


class VoidReason(StrEnum):
    """Why a scanned syringe was not given (SAFE-14)."""

    NOT_GIVEN = "not_given"
    WRONG_PATIENT = "wrong_patient"
    DROPPED = "dropped"
    OTHER = "other"


class CorrectedField(StrEnum):
    SITE = "site"
    VOLUME = "volume_ml"


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
    # Not unique: a syringe scanned, voided (not given) and scanned again has two rows, one voided.
    # The guarded UPDATE on the syringe's status is what makes it given once.
    syringe_id: Mapped[int] = mapped_column(ForeignKey("syringes.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    volume_ul: Mapped[int]
    site: Mapped[str] = mapped_column(String(80), default="")
    administered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    session: Mapped[TreatmentSession] = relationship(back_populates="administrations")
    syringe: Mapped[Syringe] = relationship()
    void: Mapped[AdministrationVoid | None] = relationship(lazy="selectin", viewonly=True)
    corrections: Mapped[list[AdministrationCorrection]] = relationship(
        lazy="selectin", viewonly=True, order_by="AdministrationCorrection.id"
    )

    @classmethod
    def given(cls) -> ColumnElement[bool]:
        """SQL: the administration was not voided. Every exposure query (trace, recall, adverse events,
        reports) filters with this one clause: a voided scan exposes nobody."""
        return ~exists().where(AdministrationVoid.administration_id == cls.id)

    @property
    def voided(self) -> bool:
        return self.void is not None

    def _corrected(self, corrected: CorrectedField) -> Any:
        return next((c for c in reversed(self.corrections) if c.field == corrected), None)

    @property
    def site_now(self) -> str:
        """The site as recorded, or as last corrected."""
        last = self._corrected(CorrectedField.SITE)
        return str(last.site_after) if last is not None else self.site

    @property
    def volume_ul_now(self) -> int:
        last = self._corrected(CorrectedField.VOLUME)
        return int(last.volume_ul_after) if last is not None else self.volume_ul


class AdministrationVoid(Model):
    """SAFE-14: a scan that was not followed by an injection. Appended once, never edited; the
    administration row itself is untouched."""

    __tablename__ = "administration_voids"
    __table_args__ = (one_of("reason", enum_values(VoidReason)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: two voids at the same moment void once (the second is already_voided).
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    voided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    voided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    voided_by: Mapped[User] = relationship(lazy="joined")


class AdministrationCorrection(Model):
    """SAFE-14: a wrong site or volume, corrected by an appended row with a reason (before → after)."""

    __tablename__ = "administration_corrections"
    __table_args__ = (
        one_of("field", enum_values(CorrectedField)),
        CheckConstraint("volume_ul_after IS NULL OR volume_ul_after > 0", name="volume_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id"), index=True)
    field: Mapped[str] = mapped_column(String(20))
    site_before: Mapped[str | None] = mapped_column(String(80))
    site_after: Mapped[str | None] = mapped_column(String(80))
    volume_ul_before: Mapped[int | None]
    volume_ul_after: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text)
    corrected_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    corrected_by: Mapped[User] = relationship(lazy="joined")


class PatientAllergy(Model):
    """SAFE-12: a substance the patient is allergic to (normalised like products' substances)."""

    __tablename__ = "patient_allergies"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    substance: Mapped[str] = mapped_column(String(80))
    reaction: Mapped[str] = mapped_column(Text, default="")
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    noted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


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
