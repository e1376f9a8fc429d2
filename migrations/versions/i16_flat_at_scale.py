"""flat at scale: daily totals (back-filled from the raw rows) and indexes of the hot filters

Revision ID: i16_flat_at_scale
Revises: b1735bd037dc
"""

import sqlalchemy as sa
from alembic import op

revision = "i16_flat_at_scale"
down_revision = "i13b_history_and_suppliers"
branch_labels = None
depends_on = None

INDEXES = (
    ("draws", "ix_draws_batch_id_product_id", ["batch_id", "product_id"]),
    ("draws", "ix_draws_product_id_drawn_at", ["product_id", "drawn_at"]),
    ("administrations", "ix_administrations_administered_at", ["administered_at"]),
    ("syringes", "ix_syringes_status_batch_id", ["status", "batch_id"]),
    ("vials", "ix_vials_status_lot_id", ["status", "lot_id"]),
)


def upgrade():
    op.create_table(
        "daily_totals",
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("volume_ul", sa.BigInteger(), nullable=False),
        sa.Column("cost_nano", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "day", "key", name=op.f("pk_daily_totals")),
    )
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)

    # Back-fill from the raw rows, on the migration's own connection (the clinic's time zone makes the
    # days, so this runs in the app's context, as `flask db upgrade` does).
    from sqlalchemy.orm import Session

    from inventory.services import summaries

    session = Session(bind=op.get_bind())
    summaries.rebuild_daily(session)
    session.flush()


def downgrade():
    for table, name, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    op.drop_table("daily_totals")
