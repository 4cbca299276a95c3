"""Migrations both ways: each downgrade restores the schema its upgrade started from, and
neither direction loses the rows of a table it keeps. Both run over every migration there is,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from scheduler import demo
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import MigrationFailed
from tests.conftest import PostgresServer

_names = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database without any table: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'lobby.sqlite3'}")
        yield database
        database.dispose()
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    name = f"lobby_migrations_{os.getpid()}_{next(_names)}"
    postgres.execute(f"CREATE DATABASE {name}")
    database = Database(postgres.url_for(name))
    yield database
    database.dispose()
    postgres.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def revisions(db: Database) -> list[str]:
    """Every revision, oldest first (one line of history: no branches)."""
    script = ScriptDirectory.from_config(db.alembic_config())
    assert len(script.get_heads()) == 1, "the migrations have branched: merge them"
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def schema(db: Database) -> dict[str, Any]:
    """What a migration shapes, table by table (and PostgreSQL's types and sequences, which
    outlive a dropped table), in a form that compares as a whole."""
    inspector = inspect(db.engine)
    tables: dict[str, Any] = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        tables[table] = {
            "columns": {
                column["name"]: (
                    str(column["type"]),
                    column["nullable"],
                    _default(column["default"]),
                )
                for column in inspector.get_columns(table)
            },
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (
                    fk["name"] or "",
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    str(fk["options"].get("ondelete")),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (index["name"] or "", tuple(index["column_names"]), bool(index["unique"]))
                for index in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (unique["name"] or "", tuple(unique["column_names"]))
                for unique in inspector.get_unique_constraints(table)
            ),
            "checks": sorted(
                (check["name"] or "", _squeezed(check["sqltext"]))
                for check in inspector.get_check_constraints(table)
            ),
        }
    if not db.is_sqlite:
        tables["(types)"] = sorted(enum["name"] for enum in inspector.get_enums())
        tables["(sequences)"] = sorted(inspector.get_sequence_names())
    return tables


def _default(value: str | None) -> str | None:
    return None if value is None else _squeezed(value).strip("()")


def _squeezed(sql: str) -> str:
    return re.sub(r"\s+", " ", str(sql)).strip()


def row_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table: int(connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())
            for table in inspect(connection).get_table_names()
            if table != "alembic_version"
        }


def test_each_downgrade_restores_the_schema_its_upgrade_started_from(
    empty_db: Database,
) -> None:
    steps = revisions(empty_db)
    made = {"base": schema(empty_db)}
    for revision in steps:
        empty_db.upgrade(revision)
        made[revision] = schema(empty_db)
    for revision, previous in zip(reversed(steps), reversed(["base", *steps[:-1]]), strict=True):
        assert empty_db.downgrade(previous) == (revision, "" if previous == "base" else previous)
        assert schema(empty_db) == made[previous], f"downgrade from {revision} to {previous}"
    empty_db.upgrade()
    assert schema(empty_db) == made[steps[-1]]
    # And in one go, as an operator would: all the way down, and up again.
    empty_db.downgrade("base")
    assert schema(empty_db) == made["base"]
    empty_db.upgrade()
    assert schema(empty_db) == made[steps[-1]]


def test_migrations_both_ways_keep_the_rows_of_the_tables_they_keep(empty_db: Database) -> None:
    steps = revisions(empty_db)
    empty_db.upgrade()
    demo.load(empty_db, Settings())
    counts = row_counts(empty_db)
    assert counts["items"] and counts["item_themes"] and counts["item_participants"]
    # Down to the first migration and up again, one step at a time.
    path = [*zip(reversed(steps[:-1]), reversed(steps[1:]), strict=True)]
    path += [(after, before) for before, after in reversed(path)]
    for target, start in path:
        going = "up" if steps.index(target) > steps.index(start) else "down"
        migrate = empty_db.upgrade if going == "up" else empty_db.downgrade
        migrate(target)
        now = row_counts(empty_db)
        kept = counts.keys() & now.keys()
        lost = {table: (counts[table], now[table]) for table in kept if counts[table] != now[table]}
        assert not lost, f"{going} from {start} to {target}: rows (before, after) {lost}"
        counts = now


def test_after_a_migration_sqlite_connections_enforce_foreign_keys_again(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'lobby.sqlite3'}")
    db.upgrade()
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()


def test_a_sqlite_migration_that_would_leave_a_dangling_reference_changes_nothing(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'lobby.sqlite3'}")
    db.upgrade()
    head = revisions(db)[-1]
    # What a faulty migration could leave: a theme of an item that does not exist.
    with closing(sqlite3.connect(tmp_path / "lobby.sqlite3")) as connection, connection:
        connection.execute(
            "INSERT INTO themes (id, slug, name, description) VALUES (1, 'wonen', 'Wonen', '')"
        )
        connection.execute("INSERT INTO item_themes (item_id, theme_id) VALUES (99, 1)")
    with pytest.raises(MigrationFailed, match="row 1 of item_themes referring to items"):
        db.downgrade(revisions(db)[-2])
    assert db.migration_state() == ({head}, {head})
    assert "item_themes" in schema(db)
    db.dispose()


def triggers(db: Database) -> list[str]:
    """The triggers there are (the search index's keep it current, 0017)."""
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if db.is_sqlite
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    with db.engine.connect() as connection:
        return sorted(connection.execute(text(query)).scalars())


def test_the_eu_kind_of_stakeholder_comes_with_0019_and_goes_back_to_overig_without_it(
    empty_db: Database,
) -> None:
    empty_db.upgrade("0018")
    before = triggers(empty_db)
    assert any("stakeholders" in name for name in before) or not empty_db.is_sqlite
    empty_db.upgrade("0019")
    assert triggers(empty_db) == before  # SQLite rebuilt the table, its triggers came back
    insert = text(
        "INSERT INTO stakeholders (slug, name, kind, description, website) "
        "VALUES (:slug, 'Europees Parlement', 'eu', '', '')"
    )
    with empty_db.engine.begin() as connection:
        connection.execute(insert, {"slug": "ep"})
    empty_db.downgrade("0018")
    with empty_db.engine.connect() as connection:
        kind = connection.execute(text("SELECT kind FROM stakeholders WHERE slug = 'ep'"))
        assert kind.scalar_one() == "overig"
    with pytest.raises(IntegrityError), empty_db.engine.begin() as connection:
        connection.execute(insert, {"slug": "ep2"})  # the old CHECK does not know "eu"
    assert triggers(empty_db) == before
    empty_db.upgrade("0019")
    with empty_db.engine.begin() as connection:
        connection.execute(insert, {"slug": "ep3"})
