"""full-text search

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 10:00:00

The search index, kept by the database itself so that every writer (CLI, import, API, pages,
outside calendars, even plain SQL) keeps it current:

- PostgreSQL: a stored generated column `search_vector` (Dutch stemming, weights A–D) on each
  searchable table, with a GIN index. Adding the column fills it for the rows there are.
- SQLite: an FTS5 table `<table>_fts` over the table's text columns (external content: the
  text is not stored twice), kept by three triggers, rebuilt here for the rows there are.

To make another table searchable (contact persons, item notes), a later migration copies
`_add` and `_drop` below (migrations stay as they were written) and calls them with the
table's text columns; `scheduler/search.py` gets one `Source` for it.

Note for later SQLite migrations: Alembic's batch mode rebuilds a table by copy, drop and
rename, and dropping a table drops its triggers: such a migration of a searchable table must
create its three `<table>_fts_*` triggers again (tests/test_search.py fails when it does not).
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# The text columns of each searchable table and their weight, A (most) to D (least), as
# PostgreSQL's setweight takes them; SQLite's ranking gives the columns the same order.
INDEXED: dict[str, tuple[tuple[str, str], ...]] = {
    "items": (
        ("title", "A"), ("goal", "B"), ("message", "B"), ("description", "C"), ("outcome", "C"),
        ("location", "D"),
    ),
    "dossiers": (("title", "A"), ("goal", "B"), ("ask", "B")),
    "dossier_notes": (("text", "B"),),
    "stakeholders": (("name", "A"), ("description", "B")),
}  # fmt: skip


def upgrade() -> None:
    for table, columns in INDEXED.items():
        _add(table, columns)


def downgrade() -> None:
    for table in reversed(INDEXED):
        _drop(table)


def _add(table: str, columns: tuple[tuple[str, str], ...]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        weighted = " || ".join(
            f"setweight(to_tsvector('dutch'::regconfig, coalesce({name}, '')), '{weight}')"
            for name, weight in columns
        )
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({weighted}) STORED"
        )
        op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin (search_vector)")
        return
    names = [name for name, _ in columns]
    listed = ", ".join(names)
    new = ", ".join(f"new.{name}" for name in names)
    old = ", ".join(f"old.{name}" for name in names)
    fts = f"{table}_fts"
    # remove_diacritics 2: "café" finds "cafe" and the other way round.
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({listed}, content='{table}', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts} (rowid, {listed}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts} ({fts}, rowid, {listed}) VALUES ('delete', old.id, {old}); END"
    )
    # Only when an indexed column changes: items are updated on every commit that touches
    # them (their change stamp), and most of those changes are not to their text.
    op.execute(
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {listed} ON {table} BEGIN "
        f"INSERT INTO {fts} ({fts}, rowid, {listed}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts} (rowid, {listed}) VALUES (new.id, {new}); END"
    )
    op.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")


def _drop(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX ix_{table}_search")
        op.execute(f"ALTER TABLE {table} DROP COLUMN search_vector")
        return
    fts = f"{table}_fts"
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER {fts}_{event}")
    op.execute(f"DROP TABLE {fts}")
