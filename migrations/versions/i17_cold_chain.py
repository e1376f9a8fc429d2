"""cold chain: storage units, the moves between them; the free-text vial location becomes a unit

Revision ID: i17_cold_chain
Revises: b1735bd037dc

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "i17_cold_chain"
down_revision = "i16_flat_at_scale"
branch_labels = None
depends_on = None

#: Default ranges in tenths of a degree Celsius (COLD-01), as in inventory.rules.coldchain at the time.
RANGES = {"room": (200, 250), "fridge": (20, 80), "freezer": (-250, -100)}
DEFAULT_NAMES = {"room": "Room", "fridge": "Fridge", "freezer": "Freezer"}


def _kind_of(name: str) -> str:
    lowered = name.casefold()
    if any(word in lowered for word in ("freez", "dondurucu", "derin")):
        return "freezer"
    if any(word in lowered for word in ("fridge", "refrig", "buzdolab", "soğutucu", "cold")):
        return "fridge"
    return "room"


def upgrade():
    op.create_table(
        "storage_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("min_dc", sa.Integer(), nullable=False),
        sa.Column("max_dc", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("import_time_column", sa.String(length=60), nullable=True),
        sa.Column("import_temperature_column", sa.String(length=60), nullable=True),
        sa.CheckConstraint("kind IN ('room', 'fridge', 'freezer')", name=op.f("ck_storage_units_kind_valid")),
        sa.CheckConstraint("min_dc < max_dc", name=op.f("ck_storage_units_range_ordered")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_units")),
        sa.UniqueConstraint("name", name=op.f("uq_storage_units_name")),
    )
    op.create_table(
        "storage_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_type", sa.String(length=20), nullable=False),
        sa.Column("vial_id", sa.Integer(), nullable=True),
        sa.Column("syringe_id", sa.Integer(), nullable=True),
        sa.Column("from_unit_id", sa.Integer(), nullable=True),
        sa.Column("to_unit_id", sa.Integer(), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(vial_id IS NOT NULL AND syringe_id IS NULL) OR (vial_id IS NULL AND syringe_id IS NOT NULL)",
            name=op.f("ck_storage_moves_one_item"),
        ),
        sa.CheckConstraint("item_type IN ('vial', 'syringe')", name=op.f("ck_storage_moves_item_type_valid")),
        sa.ForeignKeyConstraint(
            ["from_unit_id"], ["storage_units.id"], name=op.f("fk_storage_moves_from_unit_id_storage_units")
        ),
        sa.ForeignKeyConstraint(
            ["moved_by_id"], ["users.id"], name=op.f("fk_storage_moves_moved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["syringe_id"], ["syringes.id"], name=op.f("fk_storage_moves_syringe_id_syringes")
        ),
        sa.ForeignKeyConstraint(
            ["to_unit_id"], ["storage_units.id"], name=op.f("fk_storage_moves_to_unit_id_storage_units")
        ),
        sa.ForeignKeyConstraint(["vial_id"], ["vials.id"], name=op.f("fk_storage_moves_vial_id_vials")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_moves")),
    )
    with op.batch_alter_table("storage_moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_storage_moves_syringe_id"), ["syringe_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_storage_moves_vial_id"), ["vial_id"], unique=False)
        batch_op.create_index("ix_storage_moves_to_unit_moved_at", ["to_unit_id", "moved_at"], unique=False)
    op.create_table(
        "temperature_readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("storage_unit_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("temperature_dc", sa.Integer(), nullable=False),
        sa.Column("min_dc", sa.Integer(), nullable=True),
        sa.Column("max_dc", sa.Integer(), nullable=True),
        sa.Column("in_range", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('manual', 'logger', 'sensor')", name=op.f("ck_temperature_readings_source_valid")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_temperature_readings_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["storage_unit_id"],
            ["storage_units.id"],
            name=op.f("fk_temperature_readings_storage_unit_id_storage_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_temperature_readings")),
        sa.UniqueConstraint("storage_unit_id", "at", name=op.f("uq_temperature_readings_storage_unit_id_at")),
    )
    with op.batch_alter_table("vials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("storage_unit_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_vials_storage_unit_id"), ["storage_unit_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_vials_storage_unit_id_storage_units"), "storage_units", ["storage_unit_id"], ["id"]
        )
    with op.batch_alter_table("syringes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("storage_unit_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_syringes_storage_unit_id"), ["storage_unit_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_syringes_storage_unit_id_storage_units"),
            "storage_units",
            ["storage_unit_id"],
            ["id"],
        )
    op.create_table(
        "excursions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("storage_unit_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("above", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_by_reading_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_excursions_status_valid")),
        sa.ForeignKeyConstraint(
            ["opened_by_reading_id"],
            ["temperature_readings.id"],
            name=op.f("fk_excursions_opened_by_reading_id_temperature_readings"),
        ),
        sa.ForeignKeyConstraint(
            ["storage_unit_id"],
            ["storage_units.id"],
            name=op.f("fk_excursions_storage_unit_id_storage_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_excursions")),
    )
    with op.batch_alter_table("excursions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_excursions_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_excursions_storage_unit_id"), ["storage_unit_id"], unique=False)

    op.create_table(
        "excursion_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("excursion_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('release', 'discard')", name=op.f("ck_excursion_decisions_decision_valid")
        ),
        sa.CheckConstraint(
            "(lot_id IS NOT NULL AND batch_id IS NULL) OR (lot_id IS NULL AND batch_id IS NOT NULL)",
            name=op.f("ck_excursion_decisions_one_item"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_excursion_decisions_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_excursion_decisions_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["excursion_id"], ["excursions.id"], name=op.f("fk_excursion_decisions_excursion_id_excursions")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_excursion_decisions_lot_id_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_excursion_decisions")),
        sa.UniqueConstraint(
            "excursion_id", "batch_id", name=op.f("uq_excursion_decisions_excursion_id_batch_id")
        ),
        sa.UniqueConstraint(
            "excursion_id", "lot_id", name=op.f("uq_excursion_decisions_excursion_id_lot_id")
        ),
    )
    with op.batch_alter_table("excursion_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_excursion_decisions_excursion_id"), ["excursion_id"], unique=False
        )

    op.create_table(
        "excursion_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("excursion_id", sa.Integer(), nullable=False),
        sa.Column("vial_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("syringe_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(vial_id IS NOT NULL AND lot_id IS NOT NULL AND syringe_id IS NULL AND batch_id IS NULL) OR (vial_id IS NULL AND lot_id IS NULL AND syringe_id IS NOT NULL AND batch_id IS NOT NULL)",
            name=op.f("ck_excursion_holds_one_item"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_excursion_holds_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["excursion_id"], ["excursions.id"], name=op.f("fk_excursion_holds_excursion_id_excursions")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_excursion_holds_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["syringe_id"], ["syringes.id"], name=op.f("fk_excursion_holds_syringe_id_syringes")
        ),
        sa.ForeignKeyConstraint(["vial_id"], ["vials.id"], name=op.f("fk_excursion_holds_vial_id_vials")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_excursion_holds")),
        sa.UniqueConstraint(
            "excursion_id", "syringe_id", name=op.f("uq_excursion_holds_excursion_id_syringe_id")
        ),
        sa.UniqueConstraint("excursion_id", "vial_id", name=op.f("uq_excursion_holds_excursion_id_vial_id")),
    )
    with op.batch_alter_table("excursion_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_excursion_holds_excursion_id"), ["excursion_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_excursion_holds_syringe_id"), ["syringe_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_excursion_holds_vial_id"), ["vial_id"], unique=False)
    _units_from_locations()


def _units_from_locations():
    """Every shelf name typed so far becomes a unit of that name (its kind guessed from the name); a vial
    with no shelf goes to the default unit of its product's storage. The shelf text is kept."""
    bind = op.get_bind()
    units = sa.table(
        "storage_units",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("kind", sa.String),
        sa.column("min_dc", sa.Integer),
        sa.column("max_dc", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    vials = sa.table(
        "vials",
        sa.column("id", sa.Integer),
        sa.column("lot_id", sa.Integer),
        sa.column("location", sa.String),
        sa.column("storage_unit_id", sa.Integer),
    )
    lots = sa.table("lots", sa.column("id", sa.Integer), sa.column("product_id", sa.Integer))
    products = sa.table("products", sa.column("id", sa.Integer), sa.column("storage", sa.String))
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    names = [row[0] for row in bind.execute(sa.select(vials.c.location).distinct()) if row[0]]
    unit_ids: dict[str, int] = {}

    def unit_named(name: str, kind: str) -> int:
        if name.casefold() not in unit_ids:
            low, high = RANGES[kind]
            bind.execute(
                units.insert().values(
                    name=name, kind=kind, min_dc=low, max_dc=high, active=True, created_at=now
                )
            )
            unit_ids[name.casefold()] = bind.execute(
                sa.select(units.c.id).where(units.c.name == name)
            ).scalar_one()
        return unit_ids[name.casefold()]

    for name in names:
        unit_id = unit_named(name, _kind_of(name))
        bind.execute(vials.update().where(vials.c.location == name).values(storage_unit_id=unit_id))
    unplaced = bind.execute(
        sa.select(vials.c.id, products.c.storage)
        .select_from(
            vials.join(lots, vials.c.lot_id == lots.c.id).join(products, lots.c.product_id == products.c.id)
        )
        .where(vials.c.storage_unit_id.is_(None))
    ).all()
    for vial_id, storage in unplaced:
        kind = storage if storage in RANGES else "room"
        unit_id = unit_named(DEFAULT_NAMES[kind], kind)
        bind.execute(vials.update().where(vials.c.id == vial_id).values(storage_unit_id=unit_id))


def downgrade():
    with op.batch_alter_table("excursion_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_excursion_holds_vial_id"))
        batch_op.drop_index(batch_op.f("ix_excursion_holds_syringe_id"))
        batch_op.drop_index(batch_op.f("ix_excursion_holds_excursion_id"))

    op.drop_table("excursion_holds")
    with op.batch_alter_table("excursion_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_excursion_decisions_excursion_id"))

    op.drop_table("excursion_decisions")
    with op.batch_alter_table("excursions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_excursions_storage_unit_id"))
        batch_op.drop_index(batch_op.f("ix_excursions_status"))

    op.drop_table("excursions")
    with op.batch_alter_table("syringes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_syringes_storage_unit_id_storage_units"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_syringes_storage_unit_id"))
        batch_op.drop_column("storage_unit_id")
    with op.batch_alter_table("vials", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_vials_storage_unit_id_storage_units"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_vials_storage_unit_id"))
        batch_op.drop_column("storage_unit_id")
    op.drop_table("temperature_readings")
    with op.batch_alter_table("storage_moves", schema=None) as batch_op:
        batch_op.drop_index("ix_storage_moves_to_unit_moved_at")
        batch_op.drop_index(batch_op.f("ix_storage_moves_vial_id"))
        batch_op.drop_index(batch_op.f("ix_storage_moves_syringe_id"))
    op.drop_table("storage_moves")
    op.drop_table("storage_units")
