"""lobby dossiers

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 13:23:34
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("ask", sa.Text(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "aanjager",
                "partner",
                "volger",
                name="dossierrole",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "verkenning",
                "actief",
                "besluit-genomen",
                "gerealiseerd",
                "gestopt",
                name="dossierstatus",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("horizon_on", sa.Date(), nullable=True),
        sa.Column(
            "priority",
            sa.Enum(
                "hoog",
                "middel",
                "laag",
                name="priority",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["persons.id"],
            name=op.f("fk_dossiers_lead_id_persons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
        sa.UniqueConstraint("slug", name=op.f("uq_dossiers_slug")),
    )
    op.create_table(
        "dossier_coalition",
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("stakeholder_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_coalition_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stakeholder_id"],
            ["stakeholders.id"],
            name=op.f("fk_dossier_coalition_stakeholder_id_stakeholders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dossier_id", "stakeholder_id", name=op.f("pk_dossier_coalition")),
    )
    op.create_table(
        "dossier_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written_by", sa.String(length=320), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status_from", sa.String(length=24), nullable=False),
        sa.Column("status_to", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_notes_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_notes")),
    )
    with op.batch_alter_table("dossier_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dossier_notes_dossier_id"), ["dossier_id"])

    op.create_table(
        "dossier_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("stakeholder_id", sa.Integer(), nullable=False),
        sa.Column("contact_every", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_targets_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stakeholder_id"],
            ["stakeholders.id"],
            name=op.f("fk_dossier_targets_stakeholder_id_stakeholders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_targets")),
        sa.UniqueConstraint(
            "dossier_id", "stakeholder_id", name=op.f("uq_dossier_targets_dossier_id")
        ),
    )
    op.create_table(
        "dossier_themes",
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_themes_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["themes.id"],
            name=op.f("fk_dossier_themes_theme_id_themes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dossier_id", "theme_id", name=op.f("pk_dossier_themes")),
    )
    op.create_table(
        "item_dossiers",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_item_dossiers_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_item_dossiers_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "dossier_id", name=op.f("pk_item_dossiers")),
    )


def downgrade() -> None:
    op.drop_table("item_dossiers")
    op.drop_table("dossier_themes")
    op.drop_table("dossier_targets")
    with op.batch_alter_table("dossier_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_notes_dossier_id"))

    op.drop_table("dossier_notes")
    op.drop_table("dossier_coalition")
    op.drop_table("dossiers")
