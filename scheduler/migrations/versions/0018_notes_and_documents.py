"""notes and documents

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 10:00:00

Notes on items (markdown, their changes in the item's history), documents attached to items
and dossiers (the files live in the files directory; a row names its file), and what ticks a
preparation step off by itself (a document attached to the item).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_notes_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_notes")),
    )
    with op.batch_alter_table("item_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_notes_item_id"), ["item_id"])

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=320), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(item_id IS NULL) <> (dossier_id IS NULL)", name=op.f("ck_documents_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_documents_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_documents_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_documents_stored_name")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_dossier_id"), ["dossier_id"])
        batch_op.create_index(batch_op.f("ix_documents_item_id"), ["item_id"])

    with op.batch_alter_table("preparation_tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ticked_by", sa.String(length=20), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("preparation_tasks", schema=None) as batch_op:
        batch_op.drop_column("ticked_by")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_item_id"))
        batch_op.drop_index(batch_op.f("ix_documents_dossier_id"))
    op.drop_table("documents")

    with op.batch_alter_table("item_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_notes_item_id"))
    op.drop_table("item_notes")
