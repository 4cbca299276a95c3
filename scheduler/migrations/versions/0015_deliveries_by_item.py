"""deliveries by item

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:00:00

The planner asks which reminders were sent for items changed lately (to send one again after
a move), and the prune and the cancellation notices ask by item too: an index on item_id.
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_item_id", "deliveries", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deliveries_item_id", table_name="deliveries")
