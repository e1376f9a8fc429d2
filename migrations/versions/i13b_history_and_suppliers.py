"""History tables refuse UPDATE and DELETE (triggers on SQLite and PostgreSQL)

Revision ID: i13b_history_and_suppliers
Revises: b1735bd037dc
Create Date: 2026-12-02 00:40:00

"""

from alembic import op

from inventory.models.history import protect_statements, unprotect_statements

# revision identifiers, used by Alembic.
revision = "i13b_history_and_suppliers"
down_revision = "b1735bd037dc"
branch_labels = None
depends_on = None

#: The history tables as they stand at this revision (a later table gets a migration of its own).
TABLES = (
    "audit_entries",
    "administrations",
    "scan_attempts",
    "identity_checks",
    "draws",
    "receipts",
    "label_prints",
    "stock_count_scans",
    "purchase_order_receipts",
)


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in protect_statements(dialect, TABLES):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in unprotect_statements(dialect, TABLES):
        op.execute(statement)
