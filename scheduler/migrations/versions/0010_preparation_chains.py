"""preparation chains

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 13:08:05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "preparation_chains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.String(length=40), nullable=False),
        sa.Column("template", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"],
            name=op.f("fk_preparation_chains_item_id_items"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["persons.id"],
            name=op.f("fk_preparation_chains_owner_id_persons"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preparation_chains")),
        sa.UniqueConstraint(
            "item_id", "occurrence", "template", name=op.f("uq_preparation_chains_item_id")
        ),
    )  # fmt: skip
    with op.batch_alter_table("preparation_chains", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_preparation_chains_item_id"), ["item_id"])
    op.create_table(
        "preparation_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("offset", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"], ["preparation_chains.id"],
            name=op.f("fk_preparation_tasks_chain_id_preparation_chains"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["persons.id"],
            name=op.f("fk_preparation_tasks_owner_id_persons"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preparation_tasks")),
    )  # fmt: skip
    with op.batch_alter_table("preparation_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_preparation_tasks_chain_id"), ["chain_id"])


def downgrade() -> None:
    with op.batch_alter_table("preparation_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preparation_tasks_chain_id"))
    op.drop_table("preparation_tasks")
    with op.batch_alter_table("preparation_chains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preparation_chains_item_id"))
    op.drop_table("preparation_chains")
