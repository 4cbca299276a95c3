"""theme focus and EU stakeholders

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 10:00:00

Each theme's focus for the period (priority, our role per level, the strategic choice, the
portfolio holder), and "eu" as a kind of stakeholder (EU institutions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_KINDS = ("gemeente", "regio", "provincie", "rijk", "kennisinstelling", "onderwijs", "bedrijf",
          "maatschappelijk", "overig")  # fmt: skip


def _kinds_check(kinds: tuple[str, ...]) -> str:
    """The CHECK SQLAlchemy writes for the enum column, so that a downgrade restores it as made."""
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


@contextmanager
def _triggers_set_aside(table: str) -> Iterator[None]:
    """SQLite's batch mode rebuilds a table (copy, drop, rename): the drop takes the triggers
    on it along, and a trigger elsewhere that names it (the search index's, 0017) makes the
    rename fail. Those triggers are set aside meanwhile and made again as they were."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    rows = bind.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
    kept = [(name, sql) for name, sql in rows if re.search(rf"\b{table}\b", sql)]
    for name, _ in kept:
        op.execute(f'DROP TRIGGER "{name}"')
    yield
    for _, sql in kept:
        op.execute(sql)


def upgrade() -> None:
    with _triggers_set_aside("themes"), op.batch_alter_table("themes") as batch_op:
        batch_op.add_column(
            sa.Column(
                "priority",
                sa.Enum("hoog", "middel", "laag", name="priority", native_enum=False,
                        create_constraint=True, length=24),
                nullable=True,
            )
        )  # fmt: skip
        batch_op.add_column(sa.Column("roles", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(
            sa.Column("strategic_choice", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("portfolio_holder", sa.String(length=200), server_default="", nullable=False)
        )
    with _triggers_set_aside("stakeholders"), op.batch_alter_table("stakeholders") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_stakeholders_stakeholderkind"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_stakeholders_stakeholderkind"), _kinds_check((*_KINDS, "eu"))
        )


def downgrade() -> None:
    # The old CHECK does not know "eu": those stakeholders become "overig" again.
    op.execute("UPDATE stakeholders SET kind = 'overig' WHERE kind = 'eu'")
    with _triggers_set_aside("stakeholders"), op.batch_alter_table("stakeholders") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_stakeholders_stakeholderkind"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_stakeholders_stakeholderkind"), _kinds_check(_KINDS)
        )
    with _triggers_set_aside("themes"), op.batch_alter_table("themes") as batch_op:
        # The enum's CHECK first: SQLite's table copy would keep it, naming a column that is gone.
        batch_op.drop_constraint(batch_op.f("ck_themes_priority"), type_="check")
        batch_op.drop_column("portfolio_holder")
        batch_op.drop_column("strategic_choice")
        batch_op.drop_column("roles")
        batch_op.drop_column("priority")
