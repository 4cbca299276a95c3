"""Two replicas planning the same fresh agenda at the same moment on PostgreSQL (issue 18,
item 2): neither trips over the keys the other is creating, and every reminder goes out once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from scheduler import agenda, chains, reminders
from scheduler.clock import now_utc
from scheduler.config import DEFAULT_CHAINS, ChainTemplate
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.models import Delivery, DeliveryState, ItemKind, PreparationChain
from scheduler.schemas import ItemIn
from tests.conftest import PostgresServer, free_port
from tests.test_reminders import Inbox

pytestmark = pytest.mark.postgres
ACTOR = agenda.Actor("test", "test")
PEOPLE = {"people": [
    {"email": "o@example.nl", "name": "Olga", "roles": ["lobbyist"]},
    {"email": "p@example.nl", "name": "Piet", "roles": ["staff"]},
]}  # fmt: skip
SETTINGS = reminders.ReminderSettings(defaults={ItemKind.MEETING: ("P2D",)})


@pytest.fixture
def postgres_db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A fresh, migrated PostgreSQL database of its own (for processes, which need its URL)."""
    postgres: PostgresServer = request.getfixturevalue("postgres")
    template = request.getfixturevalue("postgres_template")
    name = f"lobby_replicas_{os.getpid()}_{time.monotonic_ns()}"
    postgres.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    db = Database(postgres.url_for(name))
    try:
        yield db
    finally:
        db.dispose()
        postgres.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def add_meetings(db: Database, prefix: str, count: int, start: datetime) -> None:
    """`count` meetings at `start`, owned by Olga with Piet taking part: one P2D reminder each."""
    at = start.replace(microsecond=0).isoformat(timespec="seconds")
    with db.write() as session:
        for n in range(count):
            spec = {"uid": f"{prefix}{n}", "title": f"Overleg {prefix}{n}", "kind": "meeting",
                    "start": at, "owner": "o@example.nl", "participants": ["p@example.nl"],
                    "reminders": ["P2D"]}  # fmt: skip
            agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)  # waiting for other threads and processes, not for the test clock
    return False


def race(
    db: Database, first: Callable[[Session], int], second: Callable[[Session], int]
) -> dict[str, int | BaseException]:
    """Made to happen every time: `first` has written but not committed when `second` starts
    on the same rows; the test waits until `second` waits on a row lock, then lets `first`
    commit. Returns what each returned (or, for `second`, raised)."""
    first_done, commit_first = threading.Event(), threading.Event()
    outcomes: dict[str, int | BaseException] = {}

    def run_first() -> None:
        with db.write() as session:
            outcomes["first"] = first(session)
            session.flush()
            first_done.set()
            commit_first.wait(timeout=120)

    def run_second() -> None:
        try:
            with db.write() as session:
                outcomes["second"] = second(session)
        except Exception as exc:  # the outcome under test
            outcomes["second"] = exc

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    try:
        threads[0].start()
        assert first_done.wait(timeout=120)
        threads[1].start()
        assert wait_for(lambda: waiting_on_a_lock(db) > 0, timeout=120), "nobody waited"
    finally:
        commit_first.set()
        for thread in threads:
            thread.join(timeout=120)
    return outcomes


def keys(db: Database) -> Counter[str]:
    with db.read() as session:
        return Counter(session.scalars(select(Delivery.key)))


def test_a_planner_meeting_keys_another_is_still_creating_waits_and_creates_none_twice(
    postgres_db: Database,
) -> None:
    """Made to happen every time: the first planner's rows are inserted but not committed
    when the second plans the same items; it waits on them (a row lock), then goes on."""
    db = postgres_db
    import_data(db, PEOPLE, "people", ACTOR)
    add_meetings(db, "m", 50, now_utc() + timedelta(days=5))
    now = now_utc()

    def plan(session: Session) -> int:
        return reminders.plan(session, SETTINGS, now)

    outcomes = race(db, plan, plan)
    assert outcomes == {"first": 100, "second": 0}, outcomes
    planned = keys(db)
    assert len(planned) == 100 and max(planned.values()) == 1


def test_two_replicas_finding_a_chain_off_at_once_record_one_moment_so_its_notice_goes_once(
    postgres_db: Database,
) -> None:
    """A chain's notices are known by the moment it was found off: two moments, two notices.
    The second replica's write waits for the first's (a row lock), then finds it done."""
    db = postgres_db
    import_data(db, PEOPLE, "people", ACTOR)
    start = (now_utc() + timedelta(days=40)).replace(microsecond=0).isoformat(timespec="minutes")
    spec = {"uid": "d1", "title": "Besluit", "kind": "decision", "start": start,
            "owner": "o@example.nl", "participants": ["p@example.nl"]}  # fmt: skip
    templates = {slug: ChainTemplate.model_validate(t) for slug, t in DEFAULT_CHAINS.items()}
    with db.write() as session:
        _, item = agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)
        chains.attach(session, item, "lobbyvenster", templates, actor=ACTOR, now=now_utc())
    with db.write() as session:
        agenda.cancel(session, "d1", ACTOR)
    first_moment, second_moment = now_utc(), now_utc() + timedelta(seconds=1)
    outcomes = race(
        db,
        lambda session: chains.follow(session, first_moment),
        lambda session: chains.follow(session, second_moment),
    )
    assert outcomes == {"first": 1, "second": 0}, outcomes
    with db.read() as session:
        assert session.scalars(select(PreparationChain.cancelled_at)).one() == first_moment


def waiting_on_a_lock(db: Database) -> int:
    with db.engine.connect() as connection:
        return int(connection.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")) or 0)


# ---------------------------------------------------------------- real processes

ITEMS_DUE_NOW = 500  # each with two reminders due a minute ago: sent at once
ITEMS_DUE_LATER = 1500  # each with two reminders due in eight days: planned, not sent
TRACES = ("Traceback", "ERROR", "CRITICAL", "IntegrityError", "UniqueViolation", "deadlock")


def serve(db_url: str, smtp_port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOBBY_")}
    env |= {
        "LOBBY_DATABASE_URL": db_url, "LOBBY_PORT": str(free_port()), "LOBBY_SMTP_HOST": "127.0.0.1",
        "LOBBY_SMTP_PORT": str(smtp_port), "LOBBY_SMTP_SECURITY": "none", "LOBBY_HEARTBEAT_SECONDS": "1",
        "LOBBY_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "scheduler", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def delivered(inbox: Inbox) -> Counter[str]:
    with inbox.lock:
        return Counter(str(m["X-Lobby-Agenda-Delivery"]) for m in inbox.messages)


def states(db: Database) -> Counter[DeliveryState]:
    with db.read() as session:
        counts = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        return Counter({state: count for state, count in counts})


@pytest.mark.slow
def test_two_replicas_starting_together_on_a_fresh_agenda_plan_it_without_an_error_and_send_once(
    postgres_db: Database, smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    """Each replica plans at start-up, within a second of it: both plan every item at once."""
    db, (inbox, port) = postgres_db, smtp
    import_data(db, PEOPLE, "people", ACTOR)
    add_meetings(db, "now", ITEMS_DUE_NOW, now_utc() + timedelta(days=2, minutes=-1))
    add_meetings(db, "later", ITEMS_DUE_LATER, now_utc() + timedelta(days=10))
    assert not keys(db)  # nothing planned yet: both replicas find every item new
    expected = 2 * (ITEMS_DUE_NOW + ITEMS_DUE_LATER)
    logs = [tmp_path / "replica-1.log", tmp_path / "replica-2.log"]
    replicas = [serve(db.url, port, log) for log in logs]
    try:
        assert wait_for(lambda: sum(states(db).values()) >= expected, timeout=180)
        assert wait_for(lambda: states(db)[DeliveryState.SENT] >= 2 * ITEMS_DUE_NOW, timeout=120)
        assert wait_for(lambda: sum(delivered(inbox).values()) >= 2 * ITEMS_DUE_NOW, timeout=30)
    finally:
        for replica in replicas:
            replica.send_signal(signal.SIGTERM)
        for replica in replicas:
            replica.wait(timeout=30)
    planned = keys(db)
    assert len(planned) == expected and max(planned.values()) == 1
    assert states(db) == {
        DeliveryState.SENT: 2 * ITEMS_DUE_NOW,
        DeliveryState.PENDING: 2 * ITEMS_DUE_LATER,
    }
    received = delivered(inbox)
    sent_keys = {key for key in planned if key.split(":")[1].startswith("now")}
    assert set(received) == sent_keys and max(received.values()) == 1  # none lost, none twice
    assert len(set(inbox.ids())) == len(sent_keys)  # one Message-ID per reminder
    for log in logs:
        lines = log.read_text(errors="replace").splitlines()
        traces = [line for line in lines if any(word in line for word in TRACES)]
        assert not traces, f"{log.name}:\n" + "\n".join(lines[:60])
