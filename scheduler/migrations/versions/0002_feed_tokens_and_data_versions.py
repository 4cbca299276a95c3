"""feed tokens and data versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agenda", sa.Integer(), nullable=False),
        sa.Column("catalog", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("alarms", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_user_agent", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_feed_tokens_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_feed_tokens_token_hash")),
    )
    with op.batch_alter_table("occurrence_overrides", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "changed_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),  # for rows that exist already
            )
        )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_ends_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_items_last_ends_at"), ["last_ends_at"], unique=False)
        batch_op.add_column(
            sa.Column("changed_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            batch_op.f("ix_items_changed_version"), ["changed_version"], unique=False
        )
    # One-off items end when they end; series stay NULL ("no known end") until their next save,
    # which only makes feeds include them, never leave them out.
    op.execute("UPDATE items SET last_ends_at = ends_at WHERE rrule IS NULL AND rdates = '[]'")
    op.execute(
        "INSERT INTO data_version (id, agenda, catalog, changed_at) "
        "VALUES (1, 0, 0, CURRENT_TIMESTAMP)"
    )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_changed_version"))
        batch_op.drop_column("changed_version")
        batch_op.drop_index(batch_op.f("ix_items_last_ends_at"))
        batch_op.drop_column("last_ends_at")
    with op.batch_alter_table("occurrence_overrides", schema=None) as batch_op:
        batch_op.drop_column("changed_at")

    op.drop_table("feed_tokens")
    op.drop_table("data_version")
