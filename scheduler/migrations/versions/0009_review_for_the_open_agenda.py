"""review for the open agenda

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 12:26:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_revision", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reviewed_by", sa.String(length=320), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("redactions", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("redactions")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("reviewed_revision")
