"""bench labels: products.label_name, vial_label_prints

Revision ID: i12a_bench_labels
Revises: b1735bd037dc
Create Date: 2026-12-01 23:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "i12a_bench_labels"
down_revision = "b1735bd037dc"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label_name", sa.String(length=200), nullable=True))

    op.create_table(
        "vial_label_prints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vial_id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("printed_by_id", sa.Integer(), nullable=False),
        sa.Column("layout", sa.String(length=40), nullable=False),
        sa.Column("output", sa.String(length=20), nullable=False),
        sa.Column("reprint", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["printed_by_id"], ["users.id"], name=op.f("fk_vial_label_prints_printed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name=op.f("fk_vial_label_prints_receipt_id_receipts")
        ),
        sa.ForeignKeyConstraint(["vial_id"], ["vials.id"], name=op.f("fk_vial_label_prints_vial_id_vials")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vial_label_prints")),
    )
    with op.batch_alter_table("vial_label_prints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vial_label_prints_receipt_id"), ["receipt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vial_label_prints_vial_id"), ["vial_id"], unique=False)


def downgrade():
    with op.batch_alter_table("vial_label_prints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vial_label_prints_vial_id"))
        batch_op.drop_index(batch_op.f("ix_vial_label_prints_receipt_id"))
    op.drop_table("vial_label_prints")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("label_name")
