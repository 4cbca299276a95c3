"""Engine, sessions and migrations for SQLite (default) and PostgreSQL (replicas)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, create_engine, event, make_url, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.sql.expression import Executable

from scheduler.clock import now_utc
from scheduler.errors import ConfigError, DatabaseUnavailable, MigrationFailed
from scheduler.models import (
    AgendaItem,
    Base,
    DataVersion,
    Dossier,
    FollowUp,
    OccurrenceOverride,
    Partnership,
    Person,
    Stakeholder,
    Theme,
)

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: replicas starting together take turns migrating under this lock.
_MIGRATION_LOCK_ID = 4_711_2026


def parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"setting 'database_url' is not a database URL: {exc}") from exc


def safe_url(url: URL | str) -> str:
    """The URL with its password hidden, for messages and logs."""
    parsed = parse_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


def create_db_engine(url: str, *, busy_timeout_ms: int = 5000) -> Engine:
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, busy_timeout_ms)
    return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def _sqlite_engine(url: URL, busy_timeout_ms: int) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes the write lock up front: a deferred one that reads and
        # then writes can fail with SQLITE_BUSY whatever the busy timeout.
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


_AGENDA = (AgendaItem, OccurrenceOverride, FollowUp)
_CATALOG = (Theme, Stakeholder, Person, Partnership, Dossier)


_PENDING = "lobby_feed_changes"


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    """Remember what this transaction changed that feeds show (applied in `_raise_versions`)."""
    touched = [*session.new, *session.deleted]
    touched += [obj for obj in session.dirty if session.is_modified(obj)]
    if not any(isinstance(obj, _AGENDA + _CATALOG) for obj in touched):
        return  # heartbeats, token use and the like do not change any feed
    pending = session.info.setdefault(_PENDING, {"agenda": False, "catalog": False, "items": set()})
    pending["items"] |= {
        obj.id for obj in touched if isinstance(obj, AgendaItem) and obj not in session.deleted
    }
    pending["items"] |= {
        obj.item_id for obj in touched if isinstance(obj, OccurrenceOverride | FollowUp)
    }
    pending["agenda"] |= any(isinstance(obj, _AGENDA) for obj in touched)
    # A deleted item leaves no row to stamp: count it as a catalog change (feeds start afresh).
    pending["catalog"] |= any(isinstance(obj, _CATALOG) for obj in touched) or any(
        isinstance(obj, AgendaItem) for obj in session.deleted
    )


@event.listens_for(Session, "before_commit")
def _raise_versions(session: Session) -> None:
    """Raise the data versions once per committed transaction, as its last statements.

    Feed caches compare these counters instead of the data, so they stay right across
    processes and replicas. Each changed item is stamped with the new agenda version; the row
    lock on data_version, taken just before commit, orders the stamps by commit, so "items
    stamped after version N" misses nothing that a reader of version N had not seen.
    """
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction raises the versions when it commits
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return  # nothing a feed shows was changed
    connection = session.connection()
    version = connection.execute(
        update(DataVersion)
        .where(DataVersion.id == 1)
        .values(
            agenda=DataVersion.agenda + int(pending["agenda"]),
            catalog=DataVersion.catalog + int(pending["catalog"]),
            changed_at=now_utc(),
        )
        .returning(DataVersion.agenda)
    ).scalar_one()
    if pending["items"]:
        connection.execute(
            update(AgendaItem)
            .where(AgendaItem.id.in_(pending["items"]))
            .values(changed_version=version)
        )


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (committed or not)
        session.info.pop(_PENDING, None)


def data_version(session: Session) -> DataVersion:
    """The current counters (one small row: cheap enough for every feed request)."""
    version = session.get(DataVersion, 1, populate_existing=True)
    if version is None:  # pragma: no cover - the migration inserts it
        raise DatabaseUnavailable(
            "the database has no data_version row; run 'lobby-agenda db upgrade'"
        )
    return version


def _check_references(connection: Connection) -> None:
    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if dangling:
        table, rowid, parent, _ = dangling[0]
        raise MigrationFailed(
            f"the migration would leave {len(dangling)} row(s) referring to missing rows, "
            f"such as row {rowid} of {table} referring to {parent}; nothing was changed"
        )


def conflict_insert(session: Session, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `model`'s table that may say ON CONFLICT: both databases know it,
    SQLAlchemy per dialect. (Into the table, not the ORM class: a list of rows then goes out as
    one statement of many rows, the columns left out taking their defaults.)"""
    table = model.__table__
    assert isinstance(table, Table)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class Database:
    """One engine and its sessions; `read()` for queries, `write()` for changes."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 5000) -> None:
        self.url = url
        self.engine = create_db_engine(url, busy_timeout_ms=busy_timeout_ms)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = self.engine.execution_options(sqlite_immediate=True)
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        self._writes = sessionmaker(self._writer, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session whose queries all see one committed state (a feed selects rows, then
        loads some of them: both must agree). SQLite's read transactions already do."""
        with self._reads() as session:
            if not self.is_sqlite:
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session committed when the block ends, rolled back on any exception."""
        with self._writes() as session, session.begin():
            yield session

    def execute(
        self,
        statement: Executable,
        connection: Connection | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> int:
        """One statement in its own committed transaction, without an ORM session (for hot
        paths that touch no agenda data); returns how many rows it changed. A `connection`
        from `writer()` saves the pool's checkout and reset for each statement; `parameters`
        fill the bind parameters of a statement built once."""
        if connection is None:
            with self.writer() as connection:
                return self.execute(statement, connection, parameters)
        with connection.begin():
            return int(connection.execute(statement, parameters).rowcount)

    def writer(self) -> Connection:
        """A connection for a run of `execute` calls (use it as a context manager)."""
        return self._writer.connect()

    def check_reachable(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailable(
                f"cannot reach the database at {safe_url(self.url)}: {reason}"
            ) from exc

    def alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return config

    def upgrade(self, revision: str = "head") -> tuple[str | None, str]:
        """Apply every pending migration (up to `revision`); returns (revision before,
        revision after). See `_migrate` for how."""
        before, after = self._migrate(lambda config: command.upgrade(config, revision))
        if before != after:
            log.info("database schema upgraded from %s to %s", before or "empty", after)
        return before, after

    def downgrade(self, revision: str) -> tuple[str | None, str]:
        """Undo migrations down to `revision` ("base": none left); as `upgrade`."""
        before, after = self._migrate(lambda config: command.downgrade(config, revision))
        if before != after:
            log.info("database schema downgraded from %s to %s", before, after or "empty")
        return before, after

    def _migrate(self, step: Callable[[Config], None]) -> tuple[str | None, str]:
        """Run an Alembic command in one transaction, holding a lock that makes processes
        starting together take turns: an advisory lock on PostgreSQL, the write lock (BEGIN
        IMMEDIATE) on SQLite. A failed migration rolls back and releases it.

        On SQLite, foreign keys are off while it runs: Alembic's batch mode rebuilds a table
        by copy, drop and rename, and with them on the DROP deletes every row that refers to
        the table (ON DELETE CASCADE). Before the commit, `PRAGMA foreign_key_check` makes
        sure the migration left no reference dangling.
        """
        self.check_reachable()
        config = self.alembic_config()
        with self.engine.connect() as connection:
            try:
                if self.is_sqlite:
                    # Outside any transaction (inside one the pragma does nothing): on the
                    # driver's connection, before SQLAlchemy begins one.
                    cursor = connection.connection.cursor()
                    cursor.execute("PRAGMA foreign_keys=OFF")
                    cursor.close()
                connection.execution_options(sqlite_immediate=True)
                if not self.is_sqlite:
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
                    )
                before = MigrationContext.configure(connection).get_current_revision()
                config.attributes["connection"] = connection
                step(config)
                after = MigrationContext.configure(connection).get_current_revision()
                if self.is_sqlite:
                    _check_references(connection)
                connection.commit()
            finally:
                if self.is_sqlite:
                    # Never hand a connection without foreign keys back to the pool.
                    connection.invalidate()
        return before, after or ""

    def migration_state(self) -> tuple[set[str], set[str]]:
        """(revisions applied to the database, revisions the code expects)."""
        heads = set(ScriptDirectory.from_config(self.alembic_config()).get_heads())
        with self.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
        return current, heads

    def dispose(self) -> None:
        self.engine.dispose()
