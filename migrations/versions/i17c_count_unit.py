"""cold chain: a stock count can be of one storage unit (COLD-01: counts filter by unit)

Revision ID: i17c_count_unit
Revises: i17b_unit_topics

"""

import sqlalchemy as sa
from alembic import op

revision = "i17c_count_unit"
down_revision = "i17b_unit_topics"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stock_counts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("storage_unit_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_stock_counts_storage_unit_id"), ["storage_unit_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_stock_counts_storage_unit_id_storage_units"),
            "storage_units",
            ["storage_unit_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("stock_counts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_stock_counts_storage_unit_id_storage_units"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_stock_counts_storage_unit_id"))
        batch_op.drop_column("storage_unit_id")
