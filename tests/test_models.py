"""The store: UTC-only datetimes, constraints, SQLite pragmas, migrations matching the models."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from scheduler import search
from scheduler.db import Database
from scheduler.models import AgendaItem, Base, Heartbeat, ItemKind, Theme


def make_item(**fields: object) -> AgendaItem:
    start = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    values: dict[str, object] = {
        "uid": "x", "kind": ItemKind.MEETING, "title": "t", "starts_at": start,
        "ends_at": start + timedelta(hours=1), "timezone": "Europe/Amsterdam",
    }  # fmt: skip
    return AgendaItem(**(values | fields))


def test_a_naive_datetime_is_refused_by_the_column_type(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), db.write() as session:
        session.add(make_item(starts_at=datetime(2026, 12, 8, 9, 0)))
    with db.read() as session:
        assert session.scalar(select(AgendaItem)) is None


def test_instants_come_back_aware_in_utc_whatever_zone_they_were_given_in(db: Database) -> None:
    plus_two = timezone(timedelta(hours=2))
    with db.write() as session:
        session.add(make_item(starts_at=datetime(2026, 6, 1, 10, 0, tzinfo=plus_two), exdates=[
            datetime(2026, 6, 8, 10, 0, tzinfo=plus_two)
        ]))  # fmt: skip
    with db.read() as session:
        stored = session.scalars(select(AgendaItem)).one()
    assert stored.starts_at == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert stored.starts_at.tzinfo == UTC
    assert stored.exdates == [datetime(2026, 6, 8, 8, 0, tzinfo=UTC)]


def test_theme_slugs_are_unique(db: Database) -> None:
    with db.write() as session:
        session.add(Theme(slug="wonen", name="Wonen"))
    with pytest.raises(IntegrityError), db.write() as session:
        session.add(Theme(slug="wonen", name="Wonen 2"))


def test_an_unknown_enum_value_is_refused_by_the_database(db: Database) -> None:
    with db.write() as session:
        session.add(make_item())
    with pytest.raises((IntegrityError, StatementError)), db.write() as session:
        session.execute(text("UPDATE items SET kind = 'party'"))


def _not_the_search_index(name: str | None, kind: str, parents: Mapping[str, str | None]) -> bool:
    """The search index is the database's own (migration 0017), not the models'."""
    if kind == "table":
        fts = tuple(f"{t}_fts" for t in search.SEARCHABLE_TABLES)
        return name != search.ENTRIES_TABLE and not (name or "").startswith(fts)
    return True


def test_the_schema_made_by_the_migrations_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _not_the_search_index}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_upgrading_twice_changes_nothing_and_the_schema_is_current(db: Database) -> None:
    before, after = db.upgrade()
    assert before == after
    current, expected = db.migration_state()
    assert current == expected


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_a_write_session_on_sqlite_takes_the_write_lock_at_once(sqlite_db: Database) -> None:
    with sqlite_db.write() as session:
        now = datetime.now(UTC)
        session.add(Heartbeat(instance="a:1", hostname="a", pid=1, started_at=now, beat_at=now))
        session.flush()
        other = Database(sqlite_db.url, busy_timeout_ms=0)
        # A second writer cannot start while the first holds the lock (BEGIN IMMEDIATE).
        with pytest.raises(Exception, match="locked"), other.write() as second:
            second.execute(text("SELECT 1"))
        other.dispose()
