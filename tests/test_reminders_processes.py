"""The outbox's guarantees with real processes: `kill -9` mid-batch, and two replicas at once."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from scheduler import agenda, reminders
from scheduler.clock import now_utc
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.models import Delivery, DeliveryState, ItemKind
from scheduler.schemas import ItemIn
from tests.conftest import free_port
from tests.test_reminders import Inbox

pytestmark = pytest.mark.slow
ACTOR = agenda.Actor("test", "test")


class SlowInbox(Inbox):
    """Takes a few milliseconds to answer each message, so that a kill lands mid-batch.

    Like a real mail server (Postfix queues a message before it answers), it keeps what it
    received with the final dot even when the client is gone before the answer.
    """

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.gate = threading.Event()  # while closed, every message waits before it is taken
        self.gate.set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.gate.is_set():
            await asyncio.to_thread(self.gate.wait)
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)
        return answer

    def keys(self) -> list[str]:
        with self.lock:
            return [str(m["X-Lobby-Agenda-Delivery"]) for m in self.messages]


@pytest.fixture
def slow_smtp() -> Iterator[tuple[SlowInbox, int]]:
    inbox = SlowInbox(delay=0.010)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    inbox.gate.set()  # no session left waiting, or the server would not stop
    controller.stop()


def due_now(db: Database, items: int) -> set[str]:
    """`items` meetings with an owner and a participant, each reminder due a minute ago."""
    _import_people(db)
    return _meetings(db, "k", items, now_utc() + timedelta(days=2) - timedelta(minutes=1))


def _import_people(db: Database) -> None:
    import_data(db, {"people": [
        {"email": "o@example.nl", "name": "Olga", "roles": ["lobbyist"]},
        {"email": "p@example.nl", "name": "Piet", "roles": ["staff"]},
    ]}, "people", ACTOR)  # fmt: skip


def _meetings(db: Database, prefix: str, items: int, start: datetime) -> set[str]:
    """`items` meetings at `start`, each with a P2D reminder to its owner and participant,
    planned; the keys of the reminders planned now."""
    at = start.replace(microsecond=0).isoformat(timespec="seconds")
    with db.read() as session:
        before = set(session.scalars(select(Delivery.key)))
    with db.write() as session:
        for n in range(items):
            spec = {"uid": f"{prefix}{n}", "title": f"Overleg {prefix}{n}", "kind": "meeting", "start": at,
                    "owner": "o@example.nl", "participants": ["p@example.nl"], "reminders": ["P2D"]}  # fmt: skip
            agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)
    settings = reminders.ReminderSettings(defaults={ItemKind.MEETING: ("P2D",)})
    with db.write() as session:
        reminders.plan(session, settings, now_utc())
    with db.read() as session:
        return set(session.scalars(select(Delivery.key))) - before


def serve(db_url: str, smtp_port: int, **settings: str) -> subprocess.Popen[bytes]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LOBBY_") or k.startswith("LOBBY_TEST_")
    }
    env |= {
        "LOBBY_DATABASE_URL": db_url, "LOBBY_PORT": str(free_port()), "LOBBY_SMTP_HOST": "127.0.0.1",
        "LOBBY_SMTP_PORT": str(smtp_port), "LOBBY_SMTP_SECURITY": "none", "LOBBY_HEARTBEAT_SECONDS": "1",
        "LOBBY_DISPATCH_INTERVAL_SECONDS": "1", "LOBBY_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    env |= {f"LOBBY_{name.upper()}": value for name, value in settings.items()}
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)  # waiting for real processes, not for the test clock
    return False


# Each run starts `serve` with at least BACKLOG reminders due and kills it once a few more
# arrived; a kill counts when it lands while reminders are still going out. The backlog, topped
# up before each run, is seconds of sending: far more than a busy machine lets arrive between
# the few messages and the kill. So the count depends on no machine's speed.
KILLS = 10
BACKLOG = 400


def test_kill_9_in_the_middle_of_a_batch_loses_no_reminder_and_repeats_none(
    tmp_path: Path, sqlite_template: Path, slow_smtp: tuple[SlowInbox, int]
) -> None:
    import shutil

    inbox, port = slow_smtp
    path = tmp_path / "kill.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    _import_people(db)
    expected: set[str] = set()
    kills = runs = 0
    while kills < KILLS:
        runs += 1
        assert runs <= 3 * KILLS, f"{kills} of {runs - 1} kills landed while mail went out"
        unsent = len(expected - set(inbox.keys()))
        if unsent < BACKLOG:  # two reminders a meeting (owner and participant)
            due = now_utc() + timedelta(days=2, minutes=-1)
            expected |= _meetings(db, f"k{runs}-", (BACKLOG - unsent + 1) // 2, due)
        before = len(inbox.messages)
        process = serve(db.url, port)
        try:
            # Generous: on a busy machine `serve` takes seconds to start.
            sending = wait_for(lambda before=before: len(inbox.messages) >= before + 4, 120)
            process.send_signal(signal.SIGKILL)  # mid-batch: no chance to record anything
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        assert sending, f"run {runs}: serve sent nothing within 120 s"
        if not set(inbox.keys()) >= expected:
            kills += 1  # what counts: a kill while reminders were still going out
    final = serve(db.url, port)
    try:
        arrived = wait_for(lambda: set(inbox.keys()) >= expected, timeout=300)
        missing = expected - set(inbox.keys())
        with db.read() as session:
            states = [
                (d.key, d.state.value, d.attempts, d.last_error)
                for d in session.scalars(select(Delivery).where(Delivery.key.in_(missing)))
            ]
        assert arrived, f"not every reminder arrived: {states}"
        assert wait_for(lambda: _all_sent(db, len(expected)), timeout=60)
    finally:
        final.send_signal(signal.SIGTERM)
        final.wait(timeout=30)
    received = Counter(inbox.keys())
    assert set(received) == expected  # none lost, nothing else
    # "Sent" is recorded before the final dot: a kill before it makes the server discard the
    # message, a kill after it leaves it delivered, so nothing arrives twice.
    repeats = {key: count for key, count in received.items() if count > 1}
    assert not repeats, f"{len(repeats)} reminders arrived twice after {runs} kills"
    assert len(set(Counter(inbox.ids()))) == len(expected)  # one Message-ID per reminder
    print(f"\nkill -9 x{runs} ({kills} mid-batch): {len(expected)} reminders, each arrived once")
    db.dispose()


def _all_sent(db: Database, count: int) -> bool:
    with db.read() as session:
        states = Counter(session.scalars(select(Delivery.state)))
    return states[DeliveryState.SENT] == count


@pytest.mark.postgres
def test_two_replicas_on_one_postgresql_database_send_every_reminder_exactly_once(
    request: pytest.FixtureRequest, slow_smtp: tuple[SlowInbox, int]
) -> None:
    inbox, port = slow_smtp
    inbox.delay = 0.0005
    postgres = request.getfixturevalue("postgres")
    template = request.getfixturevalue("postgres_template")
    postgres.execute(f"CREATE DATABASE replicas TEMPLATE {template}")
    url = postgres.url_for("replicas")
    db = Database(url)
    try:
        expected = due_now(db, 1000)  # 2,000 reminders
        # The mail server holds every message until both replicas hold a batch: then both
        # send, however long each took to start. Their SMTP client waits that long too.
        inbox.gate.clear()
        replicas = [serve(url, port, smtp_timeout_seconds="300") for _ in range(2)]
        try:
            assert wait_for(lambda: len(_holding(db)) == 2, timeout=120), _holding(db)
            inbox.gate.set()
            assert wait_for(lambda: len(inbox.messages) >= len(expected), timeout=300)
            assert wait_for(lambda: _all_sent(db, len(expected)), timeout=60)
        finally:
            inbox.gate.set()
            for replica in replicas:
                replica.send_signal(signal.SIGTERM)
            for replica in replicas:
                replica.wait(timeout=30)
        received = Counter(inbox.keys())
        assert set(received) == expected and max(received.values()) == 1  # none lost, none twice
        with db.read() as session:
            workers = Counter(session.scalars(select(Delivery.claimed_by)))
        assert len(workers) == 2, f"both replicas should have sent some: {workers}"
    finally:
        db.dispose()
        postgres.execute("DROP DATABASE IF EXISTS replicas WITH (FORCE)")


def _holding(db: Database) -> set[str]:
    """The workers that hold claimed rows right now."""
    with db.read() as session:
        claimed = select(Delivery.claimed_by).where(Delivery.state == DeliveryState.SENDING)
        return {str(worker) for worker in session.scalars(claimed.distinct())}


def _digest_time_now() -> tuple[str, str]:
    """A zone and a local time a minute ago in it that digests accept (not 02:xx)."""
    for zone in ("Europe/Amsterdam", "UTC"):
        local = (now_utc() - timedelta(minutes=1)).astimezone(ZoneInfo(zone))
        if local.hour != 2:
            return zone, local.strftime("%H:%M")
    raise AssertionError("Amsterdam and UTC cannot both be at 02:xx")


def test_kill_9_while_digests_go_out_sends_each_person_one_digest(
    tmp_path: Path, sqlite_template: Path, slow_smtp: tuple[SlowInbox, int]
) -> None:
    import shutil

    inbox, port = slow_smtp
    path = tmp_path / "digests.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    zone, at = _digest_time_now()
    people = [
        {"email": f"m{n}@example.nl", "name": f"Manager {n}", "roles": ["manager"],
         "digest": "daily", "digest_time": at, "timezone": zone}
        for n in range(60)
    ]  # fmt: skip
    import_data(db, {"people": people}, "people", ACTOR)
    start = (now_utc() + timedelta(days=3)).replace(microsecond=0).isoformat(timespec="seconds")
    with db.write() as session:
        for n in range(30):
            spec = {"uid": f"d{n}", "title": f"Overleg {n}", "kind": "meeting", "start": start,
                    "owner": f"m{n}@example.nl"}  # fmt: skip
            agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)
    expected = {p["email"] for p in people}
    for _ in range(6):
        before = len(inbox.messages)
        process = serve(db.url, port)
        # Generous: on a busy machine `serve` takes seconds to start.
        wait_for(lambda before=before: len(inbox.messages) >= before + 3, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    final = serve(db.url, port)
    try:
        assert wait_for(lambda: _recipients(inbox) >= expected, timeout=60)
        assert wait_for(lambda: _digests_sent(db) == len(expected), timeout=20)
    finally:
        final.send_signal(signal.SIGTERM)
        final.wait(timeout=30)
    received = Counter(str(m["To"]).split("<")[1].rstrip(">") for m in inbox.messages)
    assert set(received) == expected
    assert max(received.values()) == 1, {k: v for k, v in received.items() if v > 1}
    db.dispose()


def _digests_sent(db: Database) -> int:
    with db.read() as session:
        kinds = session.execute(select(Delivery.kind, Delivery.state))
        return sum(1 for kind, state in kinds if kind == "digest" and state == DeliveryState.SENT)


def _recipients(inbox: SlowInbox) -> set[str]:
    with inbox.lock:
        return {str(m["To"]).split("<")[1].rstrip(">") for m in inbox.messages}


# 50 SIGTERMs, as the issue asks: each run starts a real `serve` (1-3 s on a busy machine).
SIGTERMS = 50
# Reminders added before each run: the SIGTERM lands after a random number of them arrived.
PER_RUN = 40


def test_sigterm_at_random_moments_during_dispatch_exits_within_ten_seconds_and_loses_nothing(
    tmp_path: Path, sqlite_template: Path, slow_smtp: tuple[SlowInbox, int]
) -> None:
    import shutil

    inbox, port = slow_smtp
    path = tmp_path / "sigterm.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    _import_people(db)
    # The normal state, and the one that hung: another reminder falls due later (in 8 days).
    later = _meetings(db, "later", 1, now_utc() + timedelta(days=10))
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    expected: set[str] = set()
    exits: list[float] = []
    for run in range(SIGTERMS):
        expected |= _meetings(
            db, f"r{run}-", PER_RUN // 2, now_utc() + timedelta(days=2, minutes=-1)
        )
        exits.append(_sigterm_during_dispatch(db.url, port, inbox, rng.randint(1, PER_RUN - 1)))
        assert exits[-1] <= 10, f"SIGTERM {run + 1} (seed {seed}): exit took {exits[-1]:.1f} s"
    final = serve(db.url, port)
    try:
        assert wait_for(lambda: set(inbox.keys()) >= expected, timeout=60), f"seed {seed}"
        assert wait_for(lambda: _all_sent(db, len(expected)), timeout=20)
    finally:
        final.send_signal(signal.SIGTERM)
        final.wait(timeout=30)
    received = Counter(inbox.keys())
    assert set(received) == expected and not set(received) & later  # none lost, nothing else
    repeats = {key: count for key, count in received.items() if count > 1}
    assert not repeats, f"{len(repeats)} reminders arrived twice (seed {seed})"
    print(f"\nSIGTERM x{len(exits)} during dispatch (seed {seed}): exits took "
          f"{min(exits):.2f}-{max(exits):.2f} s; {len(expected)} reminders, each arrived once")  # fmt: skip
    db.dispose()


def _sigterm_during_dispatch(db_url: str, port: int, inbox: SlowInbox, after: int) -> float:
    """Start `serve`, send SIGTERM once `after` more messages arrived (mid-dispatch, at a point
    chosen by count, not by time); how many seconds the process took to exit."""
    before = len(inbox.messages)
    process = serve(db_url, port)
    try:
        assert wait_for(lambda: len(inbox.messages) >= before + after, timeout=60)
        process.send_signal(signal.SIGTERM)
        sent_at = time.monotonic()
        # Generous: a hang shows as a failure after 30 s, not as a test that never ends.
        exited = wait_for(lambda: process.poll() is not None, timeout=30)
        took = time.monotonic() - sent_at
        assert exited, f"still running {took:.0f} s after SIGTERM"
        return took
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_sigterm_while_the_mail_server_stopped_answering_exits_within_ten_seconds(
    tmp_path: Path, sqlite_template: Path, slow_smtp: tuple[SlowInbox, int]
) -> None:
    import shutil

    inbox, port = slow_smtp
    inbox.delay = 25.0  # takes each message, then answers only after 25 s (the client waits 30)
    path = tmp_path / "stuck.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    expected = due_now(db, 2)  # 4 reminders
    process = serve(db.url, port)
    try:
        assert wait_for(lambda: len(inbox.messages) >= 1, timeout=60)
        process.send_signal(signal.SIGTERM)
        sent_at = time.monotonic()
        exited = wait_for(lambda: process.poll() is not None, timeout=30)
        took = time.monotonic() - sent_at
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert exited and took <= 10, f"exit took {took:.1f} s"
    inbox.delay = 0.010  # the server answers again: a new process sends the rest, once
    final = serve(db.url, port)
    try:
        assert wait_for(lambda: set(inbox.keys()) >= expected, timeout=60)
        assert wait_for(lambda: _all_sent(db, len(expected)), timeout=20)
    finally:
        final.send_signal(signal.SIGTERM)
        final.wait(timeout=30)
    received = Counter(inbox.keys())
    assert set(received) == expected and max(received.values()) == 1
    print(f"\nSIGTERM with the mail server silent: exit took {took:.2f} s")
    db.dispose()
