"""History tables refuse UPDATE and DELETE (triggers on SQLite and PostgreSQL); suppliers as records

Revision ID: i13b_history_and_suppliers
Revises: b1735bd037dc
Create Date: 2026-12-02 00:40:00

"""

import sqlalchemy as sa
from alembic import op

from inventory.models.history import protect_statements, unprotect_statements
from inventory.rules.text import search_key

# revision identifiers, used by Alembic.
revision = "i13b_history_and_suppliers"
down_revision = "i11_chair"
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
    "administration_voids",
    "administration_corrections",
    "adverse_event_updates",
    "vial_label_prints",
)


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in protect_statements(dialect, TABLES):
        op.execute(statement)
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint("name_key", name=op.f("uq_suppliers_name_key")),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplier_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_purchase_orders_supplier_id"), ["supplier_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_purchase_orders_supplier_id_suppliers"), "suppliers", ["supplier_id"], ["id"]
        )
    _suppliers_from_free_text()


def _suppliers_from_free_text():
    """Every supplier name typed so far (orders, receipts) becomes a record; orders point at theirs."""
    bind = op.get_bind()
    names = bind.execute(
        sa.text("SELECT supplier FROM purchase_orders UNION SELECT supplier FROM receipts")
    ).scalars()
    by_key = {}
    for name in names:
        cleaned = " ".join((name or "").split())[:120]
        key = search_key(cleaned)
        if key and key not in by_key:
            by_key[key] = cleaned
    now = sa.func.current_timestamp()
    suppliers = sa.table(
        "suppliers",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_key", sa.String),
        sa.column("address", sa.Text),
        sa.column("contact", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    for key, name in sorted(by_key.items()):
        bind.execute(
            suppliers.insert().values(name=name, name_key=key, address="", contact="", created_at=now)
        )
    ids = {key: id_ for id_, key in bind.execute(sa.text("SELECT id, name_key FROM suppliers"))}
    for order_id, name in bind.execute(sa.text("SELECT id, supplier FROM purchase_orders")).all():
        key = search_key(" ".join((name or "").split())[:120])
        if key in ids:
            bind.execute(
                sa.text("UPDATE purchase_orders SET supplier_id = :s WHERE id = :o"), {"s": ids[key], "o": order_id}
            )


def downgrade():
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_purchase_orders_supplier_id_suppliers"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_purchase_orders_supplier_id"))
        batch_op.drop_column("supplier_id")
    op.drop_table("suppliers")
    dialect = op.get_bind().dialect.name
    for statement in unprotect_statements(dialect, TABLES):
        op.execute(statement)
