"""Shared fixtures: real SQLite files and a real, throwaway PostgreSQL cluster.

Every test that takes `db` (or `db_url`) runs twice: on SQLite and on PostgreSQL. The cluster
is started once per session as the unprivileged `postgres` user when we are root (pg_ctl and
postgres refuse to run as root), or `LOBBY_TEST_DATABASE_URL` names a server to use. If
PostgreSQL cannot be started the PostgreSQL tests fail, unless LOBBY_TEST_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import make_url

from scheduler import config
from scheduler.db import Database

ROOT = Path(__file__).resolve().parent.parent

# CI repeats the same examples (a red build is then reproducible); locally each run explores anew.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- isolation


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's LOBBY_* settings or cached settings of another test."""
    for name in list(os.environ):
        if name.startswith("LOBBY_") and not name.startswith("LOBBY_TEST_"):
            monkeypatch.delenv(name)
    _clear_caches()
    yield
    _clear_caches()


def _clear_caches() -> None:
    from scheduler.cli import common

    config.get_settings.cache_clear()
    common.settings.cache_clear()
    if common.database.cache_info().currsize:
        common.database().dispose()
    common.database.cache_clear()


# ---------------------------------------------------------------- PostgreSQL


@dataclass
class PostgresServer:
    admin_url: str  # a database we may connect to in order to create others
    process: subprocess.Popen[bytes] | None = None
    datadir: str | None = None

    def url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def execute(self, sql: str) -> None:
        conninfo = make_url(self.admin_url).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]


def _pg_bindir() -> Path:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError(
        "PostgreSQL server binaries (initdb) not found; install Debian's postgresql package"
    )


def _start_cluster() -> PostgresServer:
    bindir = _pg_bindir()
    as_root = os.geteuid() == 0
    user = "postgres" if as_root else None
    datadir = tempfile.mkdtemp(prefix="lobby-pg-")
    if as_root:
        shutil.chown(datadir, user="postgres", group="postgres")
    run_as = {"user": user} if user else {}
    initdb = [str(bindir / "initdb"), "-D", datadir, "-U", "lobby", "--auth=trust", "-E", "UTF8"]
    subprocess.run([*initdb, "--locale=C"], check=True, capture_output=True, **run_as)
    port = free_port()
    # The server's log goes to a file: a pipe nobody reads fills up after some hundred
    # checkpoints, and then the server blocks on its next log line.
    log = Path(datadir).with_suffix(".log").open("wb")
    process = subprocess.Popen(
        [
            str(bindir / "postgres"), "-D", datadir, "-p", str(port), "-k", datadir,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off", "-c", "max_connections=200",
        ],
        stdout=subprocess.DEVNULL, stderr=log, **run_as,
    )  # fmt: skip
    log.close()  # the server has its own handle
    server = PostgresServer(
        f"postgresql+psycopg://lobby@127.0.0.1:{port}/postgres", process, datadir
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            server.execute("SELECT 1")
            return server
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                err = Path(datadir).with_suffix(".log").read_text(errors="replace")
                _stop_cluster(server)
                raise RuntimeError(f"PostgreSQL did not start: {err.strip()[-500:]}") from None
            time.sleep(0.1)  # waiting for a real server process, not for the test clock


def _stop_cluster(server: PostgresServer) -> None:
    if server.process is not None and server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)  # "fast" shutdown: do not wait for clients
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=20)
        if server.process.poll() is None:
            server.process.kill()
    if server.datadir:
        shutil.rmtree(server.datadir, ignore_errors=True)
        Path(server.datadir).with_suffix(".log").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if os.environ.get("LOBBY_TEST_SKIP_POSTGRES") == "1":
        pytest.skip("LOBBY_TEST_SKIP_POSTGRES=1: PostgreSQL tests skipped on purpose")
    given = os.environ.get("LOBBY_TEST_DATABASE_URL")
    if given:
        yield PostgresServer(given)
        return
    try:
        server = _start_cluster()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        pytest.fail(
            f"cannot start PostgreSQL for the tests: {exc} {detail.decode(errors='replace')[-300:]}"
            " (set LOBBY_TEST_SKIP_POSTGRES=1 to skip these tests on purpose)"
        )
    try:
        yield server
    finally:
        _stop_cluster(server)


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresServer) -> str:
    """A migrated database that each test copies (CREATE DATABASE … TEMPLATE is fast)."""
    postgres.execute("DROP DATABASE IF EXISTS lobby_template")
    postgres.execute("CREATE DATABASE lobby_template")
    db = Database(postgres.url_for("lobby_template"))
    db.upgrade()
    db.dispose()
    return "lobby_template"


_counter = itertools.count()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "lobby.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    template = request.getfixturevalue("postgres_template")
    name = f"lobby_test_{os.getpid()}_{next(_counter)}"
    postgres.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield postgres.url_for(name)
    postgres.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """SQLite only: for tests about logic that does not depend on the database."""
    path = tmp_path / "lobby.sqlite3"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


# ---------------------------------------------------------------- a real browser


CHROMIUM = os.environ.get("LOBBY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",  # no internet here: stop Chromium trying
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright (pages, accessibility)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium package (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


# ---------------------------------------------------------------- summary


_postgres_outcomes: dict[str, int] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "postgres" not in report.keywords:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _postgres_outcomes[report.outcome] = _postgres_outcomes.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(_postgres_outcomes.items()))
    terminalreporter.write_line(f"PostgreSQL tests: {counts or 'none ran'}")


# ---------------------------------------------------------------- domain data


SMALL_CATALOG = {
    "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}, {"slug": "wonen", "name": "Wonen"}],
    "stakeholders": [
        {"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"},
        {"slug": "provincie-nh", "name": "Provincie Noord-Holland", "kind": "provincie"},
    ],
    "people": [
        {"email": "j.jansen@example.nl", "name": "J. Jansen", "roles": ["lobbyist"]},
        {"email": "a.bakker@example.nl", "name": "A. Bakker", "roles": ["staff"], "language": "en"},
    ],
}


@pytest.fixture
def seeded(db: Database) -> Database:
    """A database holding two themes, two stakeholders and two people."""
    from scheduler import agenda
    from scheduler.interchange import import_data

    import_data(db, SMALL_CATALOG, "seed", agenda.Actor("test", "test"))
    return db


def first_on_rule(start: str, rule: str) -> str:
    """`start` (a wall time or a date, as text) moved to the first occurrence of `rule`."""
    from datetime import date, datetime

    from dateutil.rrule import rrulestr

    all_day = len(start) == 10
    begin = datetime.fromisoformat(start)
    first = rrulestr(
        re.sub(r"UNTIL=(\d{8})(?=;|$)", r"UNTIL=\1T235959", rule), dtstart=begin
    ).after(begin, inc=True)
    if first is None:
        return start
    return date.isoformat(first.date()) if all_day else first.isoformat(timespec="minutes")
