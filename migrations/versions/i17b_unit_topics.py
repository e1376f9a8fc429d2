"""cold chain: an MQTT topic per storage unit for a network sensor (COLD-02)

Revision ID: i17b_unit_topics
Revises: i17_cold_chain

"""

import sqlalchemy as sa
from alembic import op

revision = "i17b_unit_topics"
down_revision = "i17_cold_chain"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("storage_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mqtt_topic", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_storage_units_mqtt_topic"), ["mqtt_topic"])


def downgrade():
    with op.batch_alter_table("storage_units", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_storage_units_mqtt_topic"), type_="unique")
        batch_op.drop_column("mqtt_topic")
