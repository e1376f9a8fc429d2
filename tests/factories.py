"""factory-boy factories for every model, committed so a request in another context sees them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from inventory import clock
from inventory.extensions import db
from inventory.models import (
    Administration,
    Batch,
    Draw,
    Lot,
    Patient,
    PatientAllergy,
    Product,
    Receipt,
    Recipe,
    RecipeComponent,
    RecipeVersion,
    StorageUnit,
    Syringe,
    TreatmentSession,
    User,
    UserRole,
    Vial,
)
from inventory.rules.codes import CodeKind, new_code
from inventory.rules.text import search_key
from inventory.services import summaries
from tests.support import TEST_PASSWORD

_PASSWORD_HASH = generate_password_hash(TEST_PASSWORD, method="pbkdf2:sha256:1000")


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(Base):
    class Meta:
        model = User
        exclude = ("roles",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username.title())
    initials = factory.LazyAttribute(lambda o: o.username[:2].upper())
    password_hash = _PASSWORD_HASH
    active = True
    roles: Any = ("nurse",)
    role_rows = factory.LazyAttribute(lambda o: [UserRole(role=role) for role in o.roles])


class ProductFactory(Base):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n} 5 mL")
    category = "vitamin"
    strength = "100 mg/mL"
    container = "multi_dose"
    volume_ul = 5000
    storage = "room"
    in_use_days = None
    sterile = True
    biological = False
    gtin = None
    reorder_point = 2
    reorder_quantity = 10
    lead_time_days = 7
    unit_cost_minor = 1000


class LotFactory(Base):
    class Meta:
        model = Lot

    product = factory.SubFactory(ProductFactory)
    number = factory.Sequence(lambda n: f"LOT{n:04d}")
    expiry = factory.LazyFunction(lambda: clock.today() + timedelta(days=365))
    status = "available"


class ReceiptFactory(Base):
    class Meta:
        model = Receipt

    lot = factory.SubFactory(LotFactory)
    received_by = factory.SubFactory(UserFactory)
    received_at = factory.LazyFunction(clock.now)
    supplier = "Acme Pharma"
    unit_cost_minor = 1000
    vial_count = 1


class VialFactory(Base):
    class Meta:
        model = Vial

    lot = factory.SubFactory(LotFactory)
    receipt = factory.SubFactory(ReceiptFactory, lot=factory.SelfAttribute("..lot"))
    code = factory.LazyFunction(lambda: new_code(CodeKind.VIAL))
    status = "sealed"
    initial_ul = factory.LazyAttribute(lambda o: o.lot.product.volume_ul)
    remaining_ul = factory.LazyAttribute(lambda o: o.initial_ul)


class RecipeFactory(Base):
    class Meta:
        model = Recipe

    name = factory.Sequence(lambda n: f"Cocktail {n}")
    indication = "skin"
    route = "intradermal"
    storage = "room"

    @factory.post_generation
    def first_version(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Version 1 with the recipe's fields; components are added to it (RecipeComponentFactory)."""
        recipe: Recipe = self
        recipe.versions.append(
            RecipeVersion(
                version=1,
                name=recipe.name,
                indication=recipe.indication,
                route=recipe.route,
                storage=recipe.storage,
            )
        )
        if create:
            db.session.commit()


class RecipeComponentFactory(Base):
    """A component of the recipe's current version (``recipe=``) or of a given ``recipe_version=``."""

    class Meta:
        model = RecipeComponent
        exclude = ("recipe",)

    recipe = factory.SubFactory(RecipeFactory)
    recipe_version = factory.LazyAttribute(lambda o: o.recipe.current)
    product = factory.SubFactory(ProductFactory)
    volume_ul = 1000
    position = factory.Sequence(int)


class PatientFactory(Base):
    class Meta:
        model = Patient

    name = factory.Sequence(lambda n: f"Patient Number{n}")
    search_key = factory.LazyAttribute(lambda o: search_key(o.name))
    date_of_birth = date(1985, 6, 15)
    mrn = factory.Sequence(lambda n: f"MRN{n:05d}")
    phone = "+90 555 000 0000"
    email = factory.Sequence(lambda n: f"patient{n}@example.org")


class BatchFactory(Base):
    class Meta:
        model = Batch

    code = factory.LazyFunction(lambda: new_code(CodeKind.BATCH))
    recipe = factory.SubFactory(RecipeFactory)
    recipe_version = factory.LazyAttribute(lambda o: o.recipe.current)
    category = "category_1"
    storage = "room"
    patient_id = None
    status = "released"
    syringe_count = 1
    volume_per_syringe_ul = 1000
    prepared_by = factory.SubFactory(UserFactory)
    prepared_at = factory.LazyFunction(clock.now)
    completed_at = factory.LazyFunction(clock.now)
    bud = factory.LazyFunction(lambda: clock.now() + timedelta(hours=12))


class DrawFactory(Base):
    class Meta:
        model = Draw

    batch = factory.SubFactory(BatchFactory)
    vial = factory.SubFactory(VialFactory)
    product_id = factory.LazyAttribute(lambda o: o.vial.lot.product_id)
    volume_ul = 1000
    drawn_at = factory.LazyFunction(clock.now)
    drawn_by_id = factory.LazyAttribute(lambda o: o.batch.prepared_by.id)

    @factory.post_generation
    def exposures(obj: Draw, create: bool, extracted: Any, **kwargs: Any) -> None:
        """The lot now exposes whoever was given a syringe of the batch (the services keep that summary;
        a draw written after its batch's administrations is a factory's liberty)."""
        if create:
            given = select(Administration.id).join(Syringe, Syringe.id == Administration.syringe_id)
            _exposures_changed(db.session.scalars(given.where(Syringe.batch_id == obj.batch_id)))


class SyringeFactory(Base):
    class Meta:
        model = Syringe

    batch = factory.SubFactory(BatchFactory)
    code = factory.LazyFunction(lambda: new_code(CodeKind.SYRINGE))
    number = 1
    volume_ul = 1000
    status = "available"
    storage = "room"
    bud = factory.LazyAttribute(lambda o: o.batch.bud)


class SessionFactory(Base):
    class Meta:
        model = TreatmentSession

    patient = factory.SubFactory(PatientFactory)
    practitioner = factory.SubFactory(UserFactory, roles=("practitioner",))
    indication = "skin"
    area = "face"
    status = "open"
    started_at = factory.LazyFunction(clock.now)


class AdministrationFactory(Base):
    class Meta:
        model = Administration

    session = factory.SubFactory(SessionFactory)
    syringe = factory.SubFactory(SyringeFactory, status="administered")
    practitioner_id = factory.LazyAttribute(lambda o: o.session.practitioner.id)
    volume_ul = factory.LazyAttribute(lambda o: o.syringe.volume_ul)
    site = "face"
    administered_at = factory.LazyFunction(clock.now)

    @factory.post_generation
    def exposures(obj: Administration, create: bool, extracted: Any, **kwargs: Any) -> None:
        """The lots in the syringe are exposed by it, as the scan records (summaries.py)."""
        if create:
            _exposures_changed([obj.id])


def _exposures_changed(administration_ids: Any) -> None:
    summaries.lot_exposures_changed(administration_ids)
    db.session.commit()


class PatientAllergyFactory(Base):
    class Meta:
        model = PatientAllergy

    patient_id = factory.LazyFunction(lambda: PatientFactory().id)
    substance = "lidocaine"
    reaction = ""
    noted_at = factory.LazyFunction(clock.now)


def make_vials(
    product: Product,
    count: int = 1,
    *,
    expiry: date | None = None,
    lot_number: str | None = None,
    lot_status: str = "available",
    remaining_ul: int | None = None,
    received_at: datetime | None = None,
    opened_at: datetime | None = None,
    location: str = "",
    unit_cost_minor: int = 1000,
) -> list[Vial]:
    """``count`` vials of one new lot of ``product`` (expiry a year from today unless given): the one
    helper every area's tests use."""
    lot_values: dict[str, Any] = {
        "product": product,
        "status": lot_status,
        "expiry": expiry or clock.today() + timedelta(days=365),
    }
    if lot_number:
        lot_values["number"] = lot_number
    lot = LotFactory(**lot_values)
    receipt = ReceiptFactory(
        lot=lot, vial_count=count, unit_cost_minor=unit_cost_minor, received_at=received_at or clock.now()
    )
    return [
        VialFactory(
            lot=lot,
            receipt=receipt,
            remaining_ul=product.volume_ul if remaining_ul is None else remaining_ul,
            status="open" if opened_at else "sealed",
            opened_at=opened_at,
            location=location,
        )
        for _ in range(count)
    ]


class StorageUnitFactory(Base):
    class Meta:
        model = StorageUnit

    name = factory.Sequence(lambda n: f"Unit {n}")
    kind = "fridge"
    min_dc = 20
    max_dc = 80
    active = True
