"""Recipes, batches, draws, syringes and label prints."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory import clock
from inventory.extensions import Model
from inventory.models.base import UTCDateTime, enum_values, one_of
from inventory.models.catalogue import Product
from inventory.models.stock import Vial
from inventory.models.users import User
from inventory.rules.policy import Category, Storage


class Indication(StrEnum):
    SKIN = "skin"
    HAIR = "hair"
    CELLULITE = "cellulite"
    FAT = "fat"
    OTHER = "other"


class Route(StrEnum):
    INTRADERMAL = "intradermal"
    SUBCUTANEOUS = "subcutaneous"


class BatchStatus(StrEnum):
    AWAITING_VERIFICATION = "awaiting_verification"
    RELEASED = "released"
    QUARANTINED = "quarantined"


class SyringeStatus(StrEnum):
    AWAITING_VERIFICATION = "awaiting_verification"
    AVAILABLE = "available"
    ADMINISTERED = "administered"
    DISCARDED = "discarded"


class Recipe(Model):
    """A master formula. Its name, indication, route, storage and components are those of its newest
    version (SAFE-10: a change makes a new version; batches keep the version they were made from)."""

    __tablename__ = "recipes"
    __table_args__ = (
        one_of("indication", enum_values(Indication)),
        one_of("route", enum_values(Route)),
        one_of("storage", enum_values(Storage)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    indication: Mapped[str] = mapped_column(String(20))
    route: Mapped[str] = mapped_column(String(20))
    storage: Mapped[str] = mapped_column(String(20), default=Storage.ROOM)
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    versions: Mapped[list[RecipeVersion]] = relationship(
        back_populates="recipe", order_by="RecipeVersion.version", lazy="selectin"
    )

    @property
    def current(self) -> RecipeVersion:
        return self.versions[-1]

    @property
    def components(self) -> list[RecipeComponent]:
        return self.current.components

    @property
    def volume_ul(self) -> int:
        return self.current.volume_ul


class RecipeVersion(Model):
    """One version of a recipe, never changed once written: what a batch was made from."""

    __tablename__ = "recipe_versions"
    __table_args__ = (
        UniqueConstraint("recipe_id", "version"),
        one_of("indication", enum_values(Indication)),
        one_of("route", enum_values(Route)),
        one_of("storage", enum_values(Storage)),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipes.id"), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    indication: Mapped[str] = mapped_column(String(20))
    route: Mapped[str] = mapped_column(String(20))
    storage: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    recipe: Mapped[Recipe] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()
    components: Mapped[list[RecipeComponent]] = relationship(
        back_populates="recipe_version",
        cascade="all, delete-orphan",
        order_by="RecipeComponent.position",
        lazy="selectin",
    )

    @property
    def volume_ul(self) -> int:
        return sum(component.volume_ul for component in self.components)


class RecipeComponent(Model):
    __tablename__ = "recipe_components"
    __table_args__ = (CheckConstraint("volume_ul > 0", name="volume_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_version_id: Mapped[int] = mapped_column(ForeignKey("recipe_versions.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    volume_ul: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)

    recipe_version: Mapped[RecipeVersion] = relationship(back_populates="components")
    product: Mapped[Product] = relationship(lazy="joined")


class Batch(Model):
    __tablename__ = "batches"
    __table_args__ = (
        one_of("category", enum_values(Category)),
        one_of("storage", enum_values(Storage)),
        one_of("status", enum_values(BatchStatus)),
        CheckConstraint("syringe_count > 0", name="syringe_count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipes.id"), index=True)
    recipe_version_id: Mapped[int] = mapped_column(ForeignKey("recipe_versions.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    storage: Mapped[str] = mapped_column(String(20))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    status: Mapped[str] = mapped_column(String(30), default=BatchStatus.AWAITING_VERIFICATION)
    syringe_count: Mapped[int]
    volume_per_syringe_ul: Mapped[int]
    prepared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bud: Mapped[datetime] = mapped_column(UTCDateTime)

    recipe: Mapped[Recipe] = relationship(lazy="joined")
    recipe_version: Mapped[RecipeVersion] = relationship(lazy="joined")
    prepared_by: Mapped[User] = relationship(foreign_keys=[prepared_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    draws: Mapped[list[Draw]] = relationship(back_populates="batch", order_by="Draw.id")
    syringes: Mapped[list[Syringe]] = relationship(back_populates="batch", order_by="Syringe.number")


class Draw(Model):
    """Volume taken from one vial into one batch: the link vial lot → cocktail."""

    __tablename__ = "draws"
    __table_args__ = (CheckConstraint("volume_ul > 0", name="volume_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    vial_id: Mapped[int] = mapped_column(ForeignKey("vials.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    volume_ul: Mapped[int]
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    override_reason: Mapped[str | None] = mapped_column(Text)

    batch: Mapped[Batch] = relationship(back_populates="draws")
    vial: Mapped[Vial] = relationship()


class Syringe(Model):
    __tablename__ = "syringes"
    __table_args__ = (
        one_of("status", enum_values(SyringeStatus)),
        one_of("storage", enum_values(Storage)),
        CheckConstraint("volume_ul > 0", name="volume_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    number: Mapped[int]
    volume_ul: Mapped[int]
    status: Mapped[str] = mapped_column(String(30), default=SyringeStatus.AWAITING_VERIFICATION)
    storage: Mapped[str] = mapped_column(String(20))
    bud: Mapped[datetime] = mapped_column(UTCDateTime)
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    discard_reason: Mapped[str | None] = mapped_column(String(20))
    discard_note: Mapped[str | None] = mapped_column(Text)
    #: COLD-01: the storage unit an unused syringe is in, once put in one.
    storage_unit_id: Mapped[int | None] = mapped_column(ForeignKey("storage_units.id"), index=True)

    batch: Mapped[Batch] = relationship(back_populates="syringes")


class LabelPrint(Model):
    """Every print and reprint: who, when, which syringes, in which layout."""

    __tablename__ = "label_prints"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    printed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    layout: Mapped[str] = mapped_column(String(40))
    output: Mapped[str] = mapped_column(String(20))
    syringe_codes: Mapped[list[str]] = mapped_column(JSON)
    reprint: Mapped[bool] = mapped_column(default=False)

    printed_by: Mapped[User] = relationship()
