"""full-text search

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 10:00:00

The search index, kept by the database itself so that every writer (CLI, import, API, pages,
outside calendars, even plain SQL) keeps it current:

- PostgreSQL: one narrow table `search_entries` (kind, row id, confidential, owner, the
  words of the title or name as `head`, all text with Dutch stemming and weights A–D as
  `body`), GIN indexes on both, kept by row triggers on each searchable table. Counting and
  ranking read this table only, not the wide rows (an item's row is twice its entry), and
  the title index finds the hits that rank first without ranking every match.
- SQLite: an FTS5 table `<table>_fts` over the table's text columns (external content: the
  text is not stored twice), kept by three triggers, rebuilt here for the rows there are.
  Contact persons' table stores its own text, because it holds the organisation's name too.

To make another table searchable (item notes, documents), a later migration copies what it
needs of the functions below (migrations stay as they were written) and calls them with the
table's text; `scheduler/search.py` gets one `Source` for it.

Note for later SQLite migrations: Alembic's batch mode rebuilds a table by copy, drop and
rename, and dropping a table drops its triggers: such a migration of a searchable table must
create its `<table>_fts_*` triggers again (tests/test_search.py fails when it does not).
"""

from __future__ import annotations

from typing import NamedTuple

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


# A NamedTuple: Alembic loads this file outside sys.modules, where dataclasses fail.
class Entry(NamedTuple):
    """What one searchable table gives the index: its text columns (`t.` its own row, `o.`
    a row joined by `join`) with their weight, A (most) to D (least), as PostgreSQL's
    setweight takes them (SQLite's ranking gives the columns the same order)."""

    table: str
    columns: tuple[tuple[str, str], ...]
    head: str | None = None  # the title or name: hits in it rank first
    confidential: str = "false"
    owner: str = "NULL"
    join: str = ""


ENTRIES: dict[str, Entry] = {
    "item": Entry(
        "items",
        (("t.title", "A"), ("t.goal", "B"), ("t.message", "B"), ("t.description", "C"),
         ("t.outcome", "C"), ("t.location", "D")),
        head="t.title", confidential="t.confidentiality = 'confidential'", owner="t.owner_id",
    ),
    "dossier": Entry("dossiers", (("t.title", "A"), ("t.goal", "B"), ("t.ask", "B")), "t.title"),
    "note": Entry("dossier_notes", (("t.text", "B"),)),
    "stakeholder": Entry("stakeholders", (("t.name", "A"), ("t.description", "B")), "t.name"),
    # The organisation's name in a contact person's entry: "Jansen provincie" finds him.
    "contact": Entry(
        "contact_persons",
        (("t.name", "A"), ("t.function", "B"), ("o.name", "C"), ("t.notes", "C")),
        head="t.name", join="JOIN stakeholders o ON o.id = t.stakeholder_id",
    ),
}  # fmt: skip


def upgrade() -> None:
    op.create_index("ix_item_participants_person_id", "item_participants", ["person_id"])
    if op.get_bind().dialect.name == "postgresql":
        _create_entries()
        for kind, entry in ENTRIES.items():
            _pg_add(kind, entry)
        _pg_follow_organisation_names()
        return
    for entry in ENTRIES.values():
        if entry.join:
            _sqlite_add_stored(entry)
        else:
            _sqlite_add(entry)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER search_contact_organisation ON stakeholders")
        op.execute("DROP FUNCTION search_contact_organisation()")
        for kind, entry in reversed(ENTRIES.items()):
            for trigger in ("change", "update"):
                op.execute(f"DROP TRIGGER search_{kind}_{trigger} ON {entry.table}")
            op.execute(f"DROP FUNCTION search_{kind}()")
        op.drop_table("search_entries")
    else:
        for entry in reversed(ENTRIES.values()):
            fts = f"{entry.table}_fts"
            for event in ("insert", "delete", "update", "organisation"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{event}")
            op.execute(f"DROP TABLE {fts}")
    op.drop_index("ix_item_participants_person_id", "item_participants")


# ---------------------------------------------------------------- PostgreSQL


def _create_entries() -> None:
    op.execute(
        "CREATE TABLE search_entries ("
        " kind varchar(12) NOT NULL,"
        " row_id integer NOT NULL,"
        " confidential boolean NOT NULL,"
        " owner_id integer,"
        " head tsvector NOT NULL,"
        " body tsvector NOT NULL,"
        " CONSTRAINT pk_search_entries PRIMARY KEY (kind, row_id))"
    )
    # fastupdate off: a writer pays for its entry at once, instead of every search scanning
    # a pending list until the next vacuum (the agenda is read far more than written).
    for column in ("head", "body"):
        op.execute(
            f"CREATE INDEX ix_search_entries_{column} ON search_entries "
            f"USING gin ({column}) WITH (fastupdate = off)"
        )


def _vector(expression: str, weight: str | None = None) -> str:
    vector = f"to_tsvector('dutch'::regconfig, coalesce({expression}, ''))"
    return f"setweight({vector}, '{weight}')" if weight else vector


def _select(kind: str, entry: Entry) -> str:
    """The entries of `entry.table`'s rows (`t`), for INSERT INTO search_entries; the caller
    adds which rows."""
    head = _vector(entry.head) if entry.head else "''::tsvector"
    body = " || ".join(_vector(name, weight) for name, weight in entry.columns)
    return (
        f"SELECT '{kind}', t.id, coalesce({entry.confidential}, false), {entry.owner}, "
        f"{head}, {body} FROM {entry.table} t {entry.join}"
    )


_INSERT = "INSERT INTO search_entries (kind, row_id, confidential, owner_id, head, body) "


def _pg_add(kind: str, entry: Entry) -> None:
    own = [name.removeprefix("t.") for name, _ in entry.columns if name.startswith("t.")]
    if entry.confidential != "false":
        own += ["confidentiality", "owner_id"]
    op.execute(
        f"CREATE FUNCTION search_{kind}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN "
        f"DELETE FROM search_entries WHERE kind = '{kind}' AND row_id = OLD.id; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {_INSERT}{_select(kind, entry)} WHERE t.id = NEW.id; "
        "END IF; RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER search_{kind}_change AFTER INSERT OR DELETE ON {entry.table} "
        f"FOR EACH ROW EXECUTE FUNCTION search_{kind}()"
    )
    # Only when what the entry holds changes: items are updated on every commit that
    # touches them (their change stamp), and most of those changes are not to their text.
    changed = " OR ".join(f"OLD.{name} IS DISTINCT FROM NEW.{name}" for name in own)
    op.execute(
        f"CREATE TRIGGER search_{kind}_update AFTER UPDATE OF {', '.join(own)} "
        f"ON {entry.table} FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION search_{kind}()"
    )
    op.execute(_INSERT + _select(kind, entry))


def _pg_follow_organisation_names() -> None:
    """A stakeholder renamed: its contact persons' entries hold the new name."""
    entry = ENTRIES["contact"]
    op.execute(
        "CREATE FUNCTION search_contact_organisation() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN DELETE FROM search_entries WHERE kind = 'contact' AND row_id IN "
        "(SELECT id FROM contact_persons WHERE stakeholder_id = NEW.id); "
        f"{_INSERT}{_select('contact', entry)} WHERE t.stakeholder_id = NEW.id; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER search_contact_organisation AFTER UPDATE OF name ON stakeholders "
        "FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) "
        "EXECUTE FUNCTION search_contact_organisation()"
    )


# ---------------------------------------------------------------- SQLite


def _sqlite_add(entry: Entry) -> None:
    table = entry.table
    names = [name.removeprefix("t.") for name, _ in entry.columns]
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


def _sqlite_add_stored(entry: Entry) -> None:
    """An FTS5 table that keeps its own copy of the text (contact persons: the organisation's
    name is not in their row). A row deleted is merged out of the index at once ('optimize'),
    so that an erased person's words do not linger in the index's older segments."""
    table, fts = entry.table, f"{entry.table}_fts"
    names = [name.split(".")[1] if name.startswith("t.") else "organisation"
             for name, _ in entry.columns]  # fmt: skip
    listed = ", ".join(names)
    values = ", ".join(
        name.replace("t.", "new.") if name.startswith("t.") else
        "(SELECT o.name FROM stakeholders o WHERE o.id = new.stakeholder_id)"
        for name, _ in entry.columns
    )  # fmt: skip
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({listed}, tokenize='unicode61 remove_diacritics 2')"
    )
    insert = f"INSERT INTO {fts} (rowid, {listed}) VALUES (new.id, {values});"
    op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END")
    op.execute(
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM {fts} WHERE rowid = old.id; "
        f"INSERT INTO {fts} ({fts}) VALUES ('optimize'); END"
    )
    own = ", ".join(name for name in names if name != "organisation")
    op.execute(
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {own}, stakeholder_id ON {table} BEGIN "
        f"DELETE FROM {fts} WHERE rowid = old.id; {insert} END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_organisation AFTER UPDATE OF name ON stakeholders BEGIN "
        f"UPDATE {fts} SET organisation = new.name WHERE rowid IN "
        f"(SELECT id FROM {table} WHERE stakeholder_id = new.id); END"
    )
    op.execute(
        f"INSERT INTO {fts} (rowid, {listed}) SELECT t.id, "
        + ", ".join(name for name, _ in entry.columns)
        + f" FROM {table} t {entry.join}"
    )
