"""flat at scale, the manager's pages: monthly totals and the adverse events' lots (both back-filled
from the raw rows), each lot's newest receipt by index

Revision ID: i16b_monthly_totals
Revises: i17c_count_unit
"""

import sqlalchemy as sa
from alembic import op

revision = "i16b_monthly_totals"
down_revision = "i17c_count_unit"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "monthly_totals",
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("volume_ul", sa.BigInteger(), nullable=False),
        sa.Column("cost_nano", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "month", "key", name=op.f("pk_monthly_totals")),
    )
    op.create_table(
        "adverse_event_lots",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["adverse_events.id"], name=op.f("fk_adverse_event_lots_event_id_adverse_events")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_adverse_event_lots_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_adverse_event_lots_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("event_id", "lot_id", name=op.f("pk_adverse_event_lots")),
    )
    with op.batch_alter_table("adverse_event_lots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_adverse_event_lots_lot_id_patient_id", ["lot_id", "patient_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_adverse_event_lots_patient_id"), ["patient_id"], unique=False)
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_receipts_lot_id_received_at_id", ["lot_id", "received_at", "id"], unique=False
        )

    # Back-fill from the raw rows, on the migration's own connection (the clinic's time zone makes the
    # months, so this runs in the app's context, as `flask db upgrade` does).
    from sqlalchemy.orm import Session

    from inventory.services import summaries

    session = Session(bind=op.get_bind())
    summaries.rebuild_monthly(session)
    summaries.rebuild_event_lots(session)
    session.flush()


def downgrade():
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_receipts_lot_id_received_at_id")
    with op.batch_alter_table("adverse_event_lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_lots_patient_id"))
        batch_op.drop_index("ix_adverse_event_lots_lot_id_patient_id")
    op.drop_table("adverse_event_lots")
    op.drop_table("monthly_totals")
