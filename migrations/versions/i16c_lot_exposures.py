"""flat at scale, the lot trace: the lots each administration given was exposed to (back-filled from the
raw rows with one INSERT … SELECT)

Revision ID: i16c_lot_exposures
Revises: i16b_monthly_totals
"""

import sqlalchemy as sa
from alembic import op

revision = "i16c_lot_exposures"
down_revision = "i16b_monthly_totals"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lot_exposures",
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_lot_exposures_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["administrations.id"],
            name=op.f("fk_lot_exposures_administration_id_administrations"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_lot_exposures_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("lot_id", "administration_id", name=op.f("pk_lot_exposures")),
    )
    with op.batch_alter_table("lot_exposures", schema=None) as batch_op:
        batch_op.create_index("ix_lot_exposures_lot_id_patient_id", ["lot_id", "patient_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_lot_exposures_administration_id"), ["administration_id"], unique=False
        )

    # Back-fill from the raw rows on the migration's own connection: one INSERT … SELECT.
    from sqlalchemy.orm import Session

    from inventory.services import summaries

    session = Session(bind=op.get_bind())
    summaries.rebuild_lot_exposures(session)
    session.flush()
    # Statistics for the planner at once (a new table has none), and on PostgreSQL the visibility map
    # too, so that the counts are index-only scans before autovacuum comes by (VACUUM needs autocommit).
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute("VACUUM (ANALYZE) lot_exposures")
    else:
        op.execute("ANALYZE lot_exposures")


def downgrade():
    with op.batch_alter_table("lot_exposures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lot_exposures_administration_id"))
        batch_op.drop_index("ix_lot_exposures_lot_id_patient_id")
    op.drop_table("lot_exposures")
