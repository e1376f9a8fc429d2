"""records that stay true: recipe versions (batches keep theirs), merged patients, adverse-event follow-ups

Every existing recipe gets version 1 holding its current fields and components; every existing
batch is made from version 1 of its recipe.

Revision ID: i13a_records
Revises: b1735bd037dc
"""

import sqlalchemy as sa
from alembic import op

revision = "i13a_records"
down_revision = "i14_go_live"
branch_labels = None
depends_on = None

INDICATIONS = "indication IN ('skin', 'hair', 'cellulite', 'fat', 'other')"
ROUTES = "route IN ('intradermal', 'subcutaneous')"
STORAGES = "storage IN ('room', 'fridge', 'freezer')"
FIRST_VERSION = (
    "(SELECT recipe_versions.id FROM recipe_versions"
    " WHERE recipe_versions.recipe_id = {table}.recipe_id AND recipe_versions.version = 1)"
)


def upgrade():
    op.create_table(
        "recipe_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("indication", sa.String(length=20), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("storage", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(INDICATIONS, name=op.f("ck_recipe_versions_indication_valid")),
        sa.CheckConstraint(ROUTES, name=op.f("ck_recipe_versions_route_valid")),
        sa.CheckConstraint(STORAGES, name=op.f("ck_recipe_versions_storage_valid")),
        sa.CheckConstraint("version > 0", name=op.f("ck_recipe_versions_version_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_recipe_versions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["recipe_id"], ["recipes.id"], name=op.f("fk_recipe_versions_recipe_id_recipes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipe_versions")),
        sa.UniqueConstraint("recipe_id", "version", name=op.f("uq_recipe_versions_recipe_id_version")),
    )
    with op.batch_alter_table("recipe_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recipe_versions_recipe_id"), ["recipe_id"], unique=False)
    op.execute(
        "INSERT INTO recipe_versions (recipe_id, version, name, indication, route, storage, created_at)"
        " SELECT id, 1, name, indication, route, storage, created_at FROM recipes"
    )

    with op.batch_alter_table("recipes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("recipe_components", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipe_version_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE recipe_components SET recipe_version_id = " + FIRST_VERSION.format(table="recipe_components")
    )
    with op.batch_alter_table("recipe_components", schema=None) as batch_op:
        batch_op.alter_column("recipe_version_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("fk_recipe_components_recipe_id_recipes", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_recipe_components_recipe_id"))
        batch_op.drop_column("recipe_id")
        batch_op.create_index(
            batch_op.f("ix_recipe_components_recipe_version_id"), ["recipe_version_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_recipe_components_recipe_version_id_recipe_versions"),
            "recipe_versions",
            ["recipe_version_id"],
            ["id"],
        )

    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipe_version_id", sa.Integer(), nullable=True))
    op.execute("UPDATE batches SET recipe_version_id = " + FIRST_VERSION.format(table="batches"))
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.alter_column("recipe_version_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_batches_recipe_version_id"), ["recipe_version_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_batches_recipe_version_id_recipe_versions"),
            "recipe_versions",
            ["recipe_version_id"],
            ["id"],
        )

    op.create_table(
        "adverse_event_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_adverse_event_updates_by_id_users")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["adverse_events.id"], name=op.f("fk_adverse_event_updates_event_id_adverse_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event_updates")),
    )
    with op.batch_alter_table("adverse_event_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adverse_event_updates_event_id"), ["event_id"], unique=False)

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_patients_merged_into_id"), ["merged_into_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_patients_merged_into_id_patients"), "patients", ["merged_into_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_constraint("fk_patients_merged_into_id_patients", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_patients_merged_into_id"))
        batch_op.drop_column("merged_at")
        batch_op.drop_column("merged_into_id")

    with op.batch_alter_table("adverse_event_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_updates_event_id"))
    op.drop_table("adverse_event_updates")

    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_constraint("fk_batches_recipe_version_id_recipe_versions", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_batches_recipe_version_id"))
        batch_op.drop_column("recipe_version_id")

    with op.batch_alter_table("recipe_components", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipe_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE recipe_components SET recipe_id = (SELECT recipe_versions.recipe_id FROM recipe_versions"
        " WHERE recipe_versions.id = recipe_components.recipe_version_id)"
    )
    # The recipe's components are those of its newest version; older versions' rows go.
    op.execute(
        "DELETE FROM recipe_components WHERE recipe_version_id NOT IN (SELECT recipe_versions.id"
        " FROM recipe_versions JOIN recipes ON recipes.id = recipe_versions.recipe_id"
        " WHERE recipe_versions.version = recipes.version)"
    )
    with op.batch_alter_table("recipe_components", schema=None) as batch_op:
        batch_op.alter_column("recipe_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("fk_recipe_components_recipe_version_id_recipe_versions", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_recipe_components_recipe_version_id"))
        batch_op.drop_column("recipe_version_id")
        batch_op.create_index(batch_op.f("ix_recipe_components_recipe_id"), ["recipe_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_recipe_components_recipe_id_recipes"), "recipes", ["recipe_id"], ["id"]
        )

    with op.batch_alter_table("recipes", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("recipe_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipe_versions_recipe_id"))
    op.drop_table("recipe_versions")
