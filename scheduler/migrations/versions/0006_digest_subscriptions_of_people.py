"""digest subscriptions of people

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 10:52:27.753859
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _choice(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "digest",
                _choice("digestfrequency", "none", "daily", "weekly"),
                server_default="none",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("digest_day", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("digest_time", sa.String(length=5), server_default="07:30", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "digest_scope",
                _choice("digestscope", "all", "followed"),
                server_default="all",
                nullable=False,
            )
        )
    # Managers get the weekly digest by default.
    op.execute(
        "UPDATE persons SET digest = 'weekly' WHERE CAST(roles AS TEXT) LIKE '%\"manager\"%'"
    )


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        # The enums' CHECK constraints first: SQLite's table copy would keep them, naming
        # columns that are gone (PostgreSQL drops them with the column either way).
        batch_op.drop_constraint(batch_op.f("ck_persons_digestscope"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_persons_digestfrequency"), type_="check")
        batch_op.drop_column("digest_scope")
        batch_op.drop_column("digest_time")
        batch_op.drop_column("digest_day")
        batch_op.drop_column("digest")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
