"""The chair, slip-proof (issue 11): voids and corrections of administrations, patient allergies,
products' substances; a syringe may have a voided administration and a later one.

Revision ID: i11_chair
Revises: b1735bd037dc
Create Date: 2026-12-01 23:39:36.070138

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "i11_chair"
down_revision = "i13a_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient_allergies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("substance", sa.String(length=80), nullable=False),
        sa.Column("reaction", sa.Text(), nullable=False),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("noted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["noted_by_id"], ["users.id"], name=op.f("fk_patient_allergies_noted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_allergies_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_allergies")),
    )
    with op.batch_alter_table("patient_allergies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patient_allergies_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "administration_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("site_before", sa.String(length=80), nullable=True),
        sa.Column("site_after", sa.String(length=80), nullable=True),
        sa.Column("volume_ul_before", sa.Integer(), nullable=True),
        sa.Column("volume_ul_after", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrected_by_id", sa.Integer(), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "field IN ('site', 'volume_ml')", name=op.f("ck_administration_corrections_field_valid")
        ),
        sa.CheckConstraint(
            "volume_ul_after IS NULL OR volume_ul_after > 0",
            name=op.f("ck_administration_corrections_volume_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["administrations.id"],
            name=op.f("fk_administration_corrections_administration_id_administrations"),
        ),
        sa.ForeignKeyConstraint(
            ["corrected_by_id"],
            ["users.id"],
            name=op.f("fk_administration_corrections_corrected_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_administration_corrections")),
    )
    with op.batch_alter_table("administration_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_administration_corrections_administration_id"), ["administration_id"], unique=False
        )

    op.create_table(
        "administration_voids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("voided_by_id", sa.Integer(), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('not_given', 'wrong_patient', 'dropped', 'other')",
            name=op.f("ck_administration_voids_reason_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["administrations.id"],
            name=op.f("fk_administration_voids_administration_id_administrations"),
        ),
        sa.ForeignKeyConstraint(
            ["voided_by_id"], ["users.id"], name=op.f("fk_administration_voids_voided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_administration_voids")),
        sa.UniqueConstraint("administration_id", name=op.f("uq_administration_voids_administration_id")),
    )
    with op.batch_alter_table("administrations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_administrations_syringe_id"), type_="unique")
        batch_op.create_index(batch_op.f("ix_administrations_syringe_id"), ["syringe_id"], unique=False)

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("substances", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("substances")

    with op.batch_alter_table("administrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_administrations_syringe_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_administrations_syringe_id"), ["syringe_id"])

    op.drop_table("administration_voids")
    with op.batch_alter_table("administration_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_administration_corrections_administration_id"))

    op.drop_table("administration_corrections")
    with op.batch_alter_table("patient_allergies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_allergies_patient_id"))

    op.drop_table("patient_allergies")
