"""Rate limits kept in the database: a token bucket per limit and client, shared by every
process on the database, refilled with time, pruned when full; and the client as a real
`serve` process sees it, behind a trusted proxy and without one."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from scheduler import retention, throttle
from scheduler.cli import main
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import RateBucket
from scheduler.throttle import BAD_TOKENS, SIGN_IN_REQUESTS, TooMany
from scheduler.web import create_app
from tests.conftest import free_port

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CLIENT, OTHER = "203.0.113.1", "203.0.113.2"
STEP = SIGN_IN_REQUESTS.per / SIGN_IN_REQUESTS.burst  # one token back every 90 seconds


def take(db: Database, client: str = CLIENT, at: datetime = NOW) -> bool:
    """Whether `client` could take a sign-in token at `at` (each take its own transaction)."""
    try:
        with db.write() as session:
            throttle.take(session, SIGN_IN_REQUESTS, client, at)
    except TooMany:
        return False
    return True


def buckets(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(RateBucket)) or 0)


# ---------------------------------------------------------------- the buckets


def test_a_client_takes_its_burst_then_is_refused_while_another_client_is_not(
    db: Database,
) -> None:
    assert [take(db) for _ in range(11)] == [True] * 10 + [False]
    assert take(db, OTHER)
    with pytest.raises(TooMany) as refused, db.write() as session:
        throttle.take(session, SIGN_IN_REQUESTS, CLIENT, NOW)
    assert str(refused.value) == (
        "too many sign-in requests from this address; try again in 2 minutes"
    )
    assert refused.value.status == 429 and refused.value.retry_after == 90


def test_a_bucket_refills_one_token_per_step_and_never_beyond_its_size(db: Database) -> None:
    assert [take(db) for _ in range(10)] == [True] * 10
    assert not take(db, at=NOW + STEP - timedelta(seconds=1))
    assert take(db, at=NOW + STEP)  # one token back
    assert not take(db, at=NOW + STEP)
    later = NOW + STEP + 3 * STEP + STEP / 2  # three and a half tokens back
    assert [take(db, at=later) for _ in range(4)] == [True, True, True, False]
    with pytest.raises(TooMany, match="try again in a minute") as refused, db.write() as session:
        throttle.take(session, SIGN_IN_REQUESTS, CLIENT, later)
    assert refused.value.retry_after == 45
    much_later = later + timedelta(days=30)  # full, and no fuller than full
    assert [take(db, at=much_later) for _ in range(11)] == [True] * 10 + [False]


def test_a_clock_behind_the_last_update_refills_nothing_and_counts_no_time_twice(
    db: Database,
) -> None:
    """Replicas' clocks differ a little: an update "from the future" is not undone."""
    assert [take(db, at=NOW) for _ in range(10)] == [True] * 10
    assert not take(db, at=NOW - timedelta(minutes=5))
    assert take(db, at=NOW + STEP) and not take(db, at=NOW + STEP)


def test_check_takes_nothing_and_count_takes_what_is_left_without_refusing(
    db: Database,
) -> None:
    with db.write() as session:
        for _ in range(31):
            throttle.check(session, BAD_TOKENS, CLIENT, NOW)
        for _ in range(29):
            throttle.count(session, BAD_TOKENS, CLIENT, NOW)
        throttle.check(session, BAD_TOKENS, CLIENT, NOW)  # one left
        throttle.count(session, BAD_TOKENS, CLIENT, NOW)
        throttle.count(session, BAD_TOKENS, CLIENT, NOW)  # none left: counted, not refused
        with pytest.raises(TooMany, match="too many unknown links or tokens from this address"):
            throttle.check(session, BAD_TOKENS, CLIENT, NOW)
        throttle.check(session, SIGN_IN_REQUESTS, CLIENT, NOW)  # each limit has its own bucket
        throttle.check(session, BAD_TOKENS, CLIENT, NOW + BAD_TOKENS.per / BAD_TOKENS.burst)


def test_prune_deletes_the_buckets_that_are_full_again_and_keeps_the_others(
    db: Database,
) -> None:
    take(db, CLIENT, NOW)
    take(db, OTHER, NOW + timedelta(minutes=10))
    nightly = retention.settings_from(Settings())
    assert retention.prune(db, nightly, NOW + timedelta(minutes=14)).counts["rate_buckets"] == 0
    assert retention.prune(db, nightly, NOW + timedelta(minutes=15)).counts["rate_buckets"] == 1
    assert buckets(db) == 1
    assert [take(db, CLIENT, NOW + timedelta(minutes=15)) for _ in range(11)] == [True] * 10 + [
        False
    ]  # a pruned bucket is a full one


def test_no_client_address_is_stored(db: Database) -> None:
    take(db, CLIENT)
    with db.read() as session:
        [key] = session.scalars(select(RateBucket.key))
    assert key.startswith("sign-in:") and CLIENT not in key and len(key) <= 100


# SQLite has one writer at a time: there, B cannot even start before A commits.
@pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_of_two_takes_of_the_last_token_at_once_one_is_refused(db: Database) -> None:
    """B asks for the last token while A has taken it but not yet committed: B must wait
    for A and then find the bucket empty, not read the count A is about to change."""
    assert [take(db) for _ in range(9)] == [True] * 9
    outcome: list[bool] = []
    with db.write() as first:
        throttle.take(first, SIGN_IN_REQUESTS, CLIENT, NOW)
        second = threading.Thread(target=lambda: outcome.append(take(db)))
        second.start()
        assert _waits_for_a_lock(db), "B should wait for A's row lock"
    second.join(timeout=30)
    assert outcome == [False]
    with db.read() as session:
        assert session.scalar(select(RateBucket.tokens)) == 0.0


def _waits_for_a_lock(db: Database) -> bool:
    deadline = time.monotonic() + 30
    with db.engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            watcher.rollback()  # a fresh snapshot of the statistics on the next look
            if waiting:
                return True
            time.sleep(0.02)  # waiting for another connection, not for the test clock
    return False


# ---------------------------------------------------------------- over HTTP


def ask_link(client: TestClient | httpx.Client, **headers: str) -> httpx.Response:
    """Ask for a sign-in link for an unknown address (no mail, the same answer)."""
    if "lobby_csrf" not in client.cookies:
        client.get("/login")
    return client.post(
        "/login",
        data={"email": "nobody@example.nl", "csrf": client.cookies["lobby_csrf"]},
        headers=headers,
    )


def test_the_sign_in_limit_refills_with_time_and_the_refusal_says_when(db_url: str) -> None:
    settings = Settings(database_url=db_url)
    with (
        time_machine.travel(NOW, tick=False) as traveller,
        TestClient(create_app(settings, run_jobs=False)) as client,
    ):
        assert [ask_link(client).status_code for _ in range(10)] == [200] * 10
        refused = ask_link(client)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "90"
        assert refused.json()["error"] == (
            "too many sign-in requests from this address; try again in 2 minutes"
        )
        page = ask_link(client, accept="text/html")
        assert page.status_code == 429 and "probeer het over 2 minuten opnieuw" in page.text
        assert page.headers["retry-after"] == "90"
        traveller.shift(STEP)
        assert [ask_link(client).status_code for _ in range(2)] == [200, 429]
        traveller.shift(SIGN_IN_REQUESTS.per)
        assert [ask_link(client).status_code for _ in range(11)] == [200] * 10 + [429]


@contextmanager
def serving(db_url: str, tmp_path: Path, name: str, **settings: str) -> Iterator[str]:
    """A real `lobby-agenda serve` on a free port, for the block; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOBBY_")}
    env |= {
        "LOBBY_DATABASE_URL": db_url, "LOBBY_PORT": str(port), "LOBBY_LOG_LEVEL": "WARNING",
        "LOBBY_MAIL_DIR": str(tmp_path / "mail"), "LOBBY_HEARTBEAT_SECONDS": "3600", **settings,
    }  # fmt: skip
    log = tmp_path / f"{name}.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "serve"], env=env, stdout=handle, stderr=handle
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _answers(base):
            if process.poll() is not None:
                raise AssertionError(f"serve exited: {log.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not answer within 60 s at {base}")
            time.sleep(0.1)  # a real server starting, not the test clock
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.slow
def test_two_serve_processes_on_one_database_share_the_sign_in_limit(
    db_url: str, tmp_path: Path
) -> None:
    with (
        serving(db_url, tmp_path, "first") as first,
        serving(db_url, tmp_path, "second") as second,
        httpx.Client(base_url=first) as one,
        httpx.Client(base_url=second) as two,
    ):
        answers = [ask_link(one).status_code for _ in range(5)]
        answers += [ask_link(two).status_code for _ in range(5)]
        assert answers == [200] * 10
        for replica in (one, two):
            refused = ask_link(replica)
            assert refused.status_code == 429, refused.text
            assert "try again in 2 minutes" in refused.json()["error"]


@pytest.mark.slow
def test_behind_a_trusted_proxy_each_client_has_its_own_limit_and_others_cannot_choose_theirs(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """The proxy connects from 127.0.0.2 and is trusted; a client connecting from 127.0.0.1
    directly is not (uvicorn's own default would trust loopback), so what it claims in
    X-Forwarded-For counts for nothing."""
    with (
        serving(sqlite_db.url, tmp_path, "proxied", LOBBY_TRUSTED_PROXIES="127.0.0.2") as base,
        httpx.Client(base_url=base, transport=_from("127.0.0.2")) as proxy,
        httpx.Client(base_url=base, transport=_from("127.0.0.1")) as direct,
    ):
        for_one = [ask_link(proxy, **{"x-forwarded-for": CLIENT}).status_code for _ in range(11)]
        assert for_one == [200] * 10 + [429]
        assert ask_link(proxy, **{"x-forwarded-for": OTHER}).status_code == 200
        # A client that sends its own header through the proxy: the proxy appends the
        # address it sees, and only that one counts.
        spoofed = ask_link(proxy, **{"x-forwarded-for": f"198.51.100.9, {CLIENT}"})
        assert spoofed.status_code == 429
        claims = [
            ask_link(direct, **{"x-forwarded-for": f"198.51.100.{n}"}).status_code
            for n in range(11)
        ]
        assert claims == [200] * 10 + [429]  # one limit for the direct peer, whatever it says


def _from(address: str) -> httpx.HTTPTransport:
    """Connections from this loopback address (Linux answers all of 127.0.0.0/8)."""
    return httpx.HTTPTransport(local_address=address)


def test_serve_refuses_a_bad_trusted_proxy_with_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOBBY_TRUSTED_PROXIES", "proxy.intern")
    with pytest.raises(SystemExit) as exited:
        main(["serve"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(
        "error: bad value for setting 'trusted_proxies' from environment variable"
        " LOBBY_TRUSTED_PROXIES: 'proxy.intern' is not an IP address or network"
    )
