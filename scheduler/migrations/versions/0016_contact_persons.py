"""contact persons

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 10:00:00

Contact persons at stakeholders, their portfolio (themes), the items they were met at, and
the record of changes to them (kept, without the values, when one is erased).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("function", sa.String(length=200), nullable=False),
        sa.Column("stakeholder_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["persons.id"],
            name=op.f("fk_contact_persons_owner_id_persons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stakeholder_id"],
            ["stakeholders.id"],
            name=op.f("fk_contact_persons_stakeholder_id_stakeholders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_persons")),
        sa.UniqueConstraint("slug", name=op.f("uq_contact_persons_slug")),
    )
    with op.batch_alter_table("contact_persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_persons_stakeholder_id"), ["stakeholder_id"])

    op.create_table(
        "contact_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("field", sa.String(length=50), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_changes")),
    )
    with op.batch_alter_table("contact_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_changes_contact_id"), ["contact_id"])

    op.create_table(
        "contact_person_themes",
        sa.Column("contact_person_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_person_id"],
            ["contact_persons.id"],
            name=op.f("fk_contact_person_themes_contact_person_id_contact_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["themes.id"],
            name=op.f("fk_contact_person_themes_theme_id_themes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "contact_person_id", "theme_id", name=op.f("pk_contact_person_themes")
        ),
    )
    op.create_table(
        "item_contacts",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("contact_person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_person_id"],
            ["contact_persons.id"],
            name=op.f("fk_item_contacts_contact_person_id_contact_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_item_contacts_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "contact_person_id", name=op.f("pk_item_contacts")),
    )


def downgrade() -> None:
    op.drop_table("item_contacts")
    op.drop_table("contact_person_themes")
    with op.batch_alter_table("contact_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_changes_contact_id"))

    op.drop_table("contact_changes")
    with op.batch_alter_table("contact_persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_persons_stakeholder_id"))

    op.drop_table("contact_persons")
