"""go-live: session generation and forced password change on users

Revision ID: i14_go_live
Revises: b1735bd037dc
"""

import sqlalchemy as sa
from alembic import op

revision = "i14_go_live"
down_revision = "i12a_bench_labels"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("session_generation")
