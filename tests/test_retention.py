"""Retention: the prune deletes what is past its retention, never what is still in use; as a
nightly job, from the CLI, and visible in /metrics. Real SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from scheduler import jobs, retention, throttle
from scheduler.cli import main
from scheduler.config import Settings, load_settings
from scheduler.db import Database
from scheduler.models import (
    AgendaItem,
    CalendarSource,
    Delivery,
    DeliveryState,
    Dossier,
    DossierTarget,
    Heartbeat,
    ItemChange,
    ItemKind,
    LoginLink,
    NudgeKind,
    Person,
    PruneRun,
    SourceOutcome,
    SourceRun,
    Stakeholder,
    StakeholderKind,
    WebSession,
)
from scheduler.sources import SOURCE_CHANGE

NOW = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
# Everything kept forever: each test turns on what it is about.
NOTHING = retention.RetentionSettings(
    audit=None, sent_mail=None, unsent_mail=None, source_runs=None, sign_in=None, heartbeats=None
)
_unique = itertools.count()


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def count(db: Database, model: Any) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def remaining(db: Database, label: Any) -> set[Any]:
    with db.read() as session:
        return set(session.scalars(select(label)))


# ---------------------------------------------------------------- rows


def person(session: Session) -> Person:
    found = session.scalar(select(Person).where(Person.email == "p@example.nl"))
    if found is None:
        found = Person(email="p@example.nl", name="P")
        session.add(found)
        session.flush()
    return found


def item(session: Session, uid: str, last_ends: datetime | None) -> AgendaItem:
    start = (last_ends or NOW) - timedelta(hours=1)
    row = AgendaItem(
        uid=uid, kind=ItemKind.MEETING, title=uid, starts_at=start,
        ends_at=start + timedelta(hours=1), timezone="Europe/Amsterdam", last_ends_at=last_ends,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def delivery(
    session: Session, key: str, state: DeliveryState, due: datetime, *,
    updated: datetime | None = None, about: AgendaItem | None = None, kind: str = "reminder",
    subject_id: int | None = None,
) -> None:  # fmt: skip
    session.add(
        Delivery(
            key=key, kind=kind, item_id=about.id if about else None, subject_id=subject_id,
            recipient="p@example.nl", due_at=due, next_attempt_at=due, state=state,
            sent_at=due if state == DeliveryState.SENT else None, created_at=due,
            updated_at=updated or due,
        )
    )  # fmt: skip


def source_run(session: Session, finished: datetime) -> SourceRun:
    source = session.scalar(select(CalendarSource))
    if source is None:
        source = CalendarSource(name="PS", url="https://example.nl/ps.ics")
        session.add(source)
        session.flush()
    run = SourceRun(
        source_id=source.id, started_at=finished - timedelta(seconds=2), finished_at=finished,
        outcome=SourceOutcome.UNCHANGED,
    )  # fmt: skip
    session.add(run)
    session.flush()
    return run


def heartbeat(session: Session, instance: str, beat: datetime) -> None:
    session.add(
        Heartbeat(instance=instance, hostname="h", pid=1, started_at=ago(400), beat_at=beat)
    )


def login_link(session: Session, expires: datetime, used: datetime | None = None) -> None:
    session.add(
        LoginLink(
            link_hash=f"link-{next(_unique)}", person_id=person(session).id,
            created_at=expires - timedelta(minutes=15), expires_at=expires, used_at=used,
        )
    )  # fmt: skip


def web_session(session: Session, expires: datetime, ended: datetime | None = None) -> None:
    session.add(
        WebSession(
            session_hash=f"session-{next(_unique)}", person_id=person(session).id,
            created_at=expires - timedelta(days=14), expires_at=expires, ended_at=ended,
        )
    )  # fmt: skip


def audit_entry(session: Session, uid: str, changed: datetime) -> None:
    session.add(
        ItemChange(
            item_uid=uid, revision=1, changed_at=changed, changed_by="test", channel="test",
            field="created",
        )
    )  # fmt: skip


# ---------------------------------------------------------------- settings


def test_the_defaults_keep_mail_and_the_audit_trail_and_prune_the_rest() -> None:
    assert retention.settings_from(load_settings()) == retention.RetentionSettings(
        audit=None, sent_mail=None, unsent_mail=None, source_runs=timedelta(days=90),
        sign_in=timedelta(days=30), heartbeats=timedelta(days=7),
        heartbeat_interval=timedelta(seconds=60),
    )  # fmt: skip


def test_with_the_defaults_old_mail_and_audit_stay_while_old_fetches_links_and_beats_go(
    db: Database,
) -> None:
    with db.write() as session:
        old = item(session, "old", ago(3000))
        delivery(session, "sent", DeliveryState.SENT, ago(3000), about=old)
        delivery(session, "dead", DeliveryState.DEAD, ago(3000), about=old)
        audit_entry(session, "old", ago(3000))
        source_run(session, ago(91))
        source_run(session, ago(89))
        login_link(session, ago(31))
        heartbeat(session, "gone:1", ago(8))
        # rate-limit buckets: one full again (untouched for 15 minutes), one still counting
        throttle.take(session, throttle.SIGN_IN_REQUESTS, "10.0.0.1", NOW - timedelta(minutes=15))
        throttle.take(session, throttle.SIGN_IN_REQUESTS, "10.0.0.2", NOW - timedelta(minutes=14))
    result = retention.prune(db, retention.settings_from(Settings()), NOW)
    assert result.counts == {
        "deliveries": 0, "source_runs": 1, "login_links": 1, "web_sessions": 0,
        "heartbeats": 1, "item_changes": 0, "rate_buckets": 1, "contact_persons": 0,
    }  # fmt: skip
    assert (count(db, Delivery), count(db, ItemChange), count(db, SourceRun)) == (2, 1, 1)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LOBBY_AUDIT_RETENTION_DAYS", "30", "0 keeps them forever; otherwise at least 365 days"),
        ("LOBBY_SENT_MAIL_RETENTION_DAYS", "90", "otherwise at least 120 days"),
        ("LOBBY_UNSENT_MAIL_RETENTION_DAYS", "1", "otherwise at least 120 days"),
        ("LOBBY_SOURCE_RUN_RETENTION_DAYS", "-1", "greater than or equal to 0"),
        ("LOBBY_SIGN_IN_RETENTION_DAYS", "a month", "a valid integer"),
        ("LOBBY_HEARTBEAT_RETENTION_DAYS", "100000", "less than or equal to 36500"),
    ],
)
def test_a_bad_retention_stops_the_command_with_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str,
    variable: str, value: str, message: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("LOBBY_DATABASE_URL", db_url)
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as exited:
        main(["prune"])
    error = capsys.readouterr().err
    assert exited.value.code == 2 and error.count("\n") == 1
    key = variable.removeprefix("LOBBY_").lower()
    assert f"bad value for setting '{key}' from environment variable {variable}: " in error
    assert message in error


# ---------------------------------------------------------------- what goes, what stays


def test_finished_mail_past_its_retention_goes_and_open_young_or_replannable_mail_stays(
    db: Database,
) -> None:
    with db.write() as session:
        ended = item(session, "ended", ago(400))
        series = item(session, "series-without-end", None)
        ahead = item(session, "moved-ahead", NOW + 30 * DAY)
        lately = item(session, "ended-lately", ago(100))
        stakeholder = Stakeholder(slug="mra", name="MRA", kind=StakeholderKind.REGIO)
        dossier = Dossier(slug="tunnels", title="Tunnels")
        target = DossierTarget(dossier=dossier, stakeholder=stakeholder, contact_every="P6W")
        session.add_all([stakeholder, dossier, target])
        session.flush()
        gap = NudgeKind.CONTACT_GAP.value
        for state in DeliveryState:
            delivery(session, f"old-{state.value}", state, ago(300), about=ended)
        delivery(session, "young-sent", DeliveryState.SENT, ago(100), about=ended)
        delivery(session, "young-dead", DeliveryState.DEAD, ago(150), about=ended)
        delivery(session, "noted-lately", DeliveryState.SENT, ago(300), updated=ago(5))
        delivery(session, "of-a-series", DeliveryState.SENT, ago(300), about=series)
        delivery(session, "of-an-item-moved-ahead", DeliveryState.SENT, ago(300), about=ahead)
        delivery(session, "of-an-item-ended-lately", DeliveryState.SENT, ago(300), about=lately)
        delivery(session, "digest", DeliveryState.SENT, ago(300), kind="digest")
        delivery(session, "gap", DeliveryState.SENT, ago(300), kind=gap, subject_id=target.id)
        delivery(session, "gap-gone", DeliveryState.SENT, ago(300), kind=gap, subject_id=9999)
    settings = replace(NOTHING, sent_mail=timedelta(days=120), unsent_mail=timedelta(days=200))
    result = retention.prune(db, settings, NOW)
    gone = {"old-sent", "old-dead", "old-expired", "old-cancelled", "digest", "gap-gone"}
    assert result.counts["deliveries"] == len(gone)
    assert remaining(db, Delivery.key) == {
        "old-pending", "old-sending", "old-failed",  # still to be sent: never
        "young-sent", "young-dead",  # within their retention
        "noted-lately",  # changed since the cutoff
        # their key could be planned again: an occurrence still ahead, or a gap still open
        "of-a-series", "of-an-item-moved-ahead", "of-an-item-ended-lately", "gap",
    }  # fmt: skip


def test_unsent_mail_follows_its_own_setting_not_the_sent_one(db: Database) -> None:
    with db.write() as session:
        delivery(session, "sent", DeliveryState.SENT, ago(300))
        delivery(session, "expired", DeliveryState.EXPIRED, ago(300))
    retention.prune(db, replace(NOTHING, sent_mail=timedelta(days=120)), NOW)
    assert remaining(db, Delivery.key) == {"expired"}
    retention.prune(db, replace(NOTHING, unsent_mail=timedelta(days=120)), NOW)
    assert remaining(db, Delivery.key) == set()


def test_a_fetch_goes_after_its_retention_unless_its_change_notice_is_still_to_be_sent(
    db: Database,
) -> None:
    with db.write() as session:
        source_run(session, ago(91))
        young = source_run(session, ago(89))
        waiting, told = source_run(session, ago(120)), source_run(session, ago(120))
        delivery(session, f"{SOURCE_CHANGE}:{waiting.id}:p", DeliveryState.FAILED, ago(1),
                 kind=SOURCE_CHANGE, subject_id=waiting.id)  # fmt: skip
        delivery(session, f"{SOURCE_CHANGE}:{told.id}:p", DeliveryState.SENT, ago(120),
                 kind=SOURCE_CHANGE, subject_id=told.id)  # fmt: skip
    result = retention.prune(db, replace(NOTHING, source_runs=timedelta(days=90)), NOW)
    assert result.counts["source_runs"] == 2
    assert remaining(db, SourceRun.id) == {young.id, waiting.id}


def test_heartbeats_of_stopped_processes_go_and_a_live_one_stays_however_slowly_it_beats(
    db: Database,
) -> None:
    with db.write() as session:
        heartbeat(session, "live:1", NOW - timedelta(seconds=30))
        heartbeat(session, "stopped:1", ago(8))
        heartbeat(session, "stopped:2", ago(5))
    week = replace(NOTHING, heartbeats=timedelta(days=7))
    assert retention.prune(db, week, NOW).counts["heartbeats"] == 1
    assert remaining(db, Heartbeat.instance) == {"live:1", "stopped:2"}
    # Beating every two days, a process counts as alive until six days of silence (three
    # beats missed): a retention of one day does not cut that short.
    slow = replace(NOTHING, heartbeats=DAY, heartbeat_interval=2 * DAY)
    with db.write() as session:
        heartbeat(session, "slow:1", ago(5.9))
        heartbeat(session, "slow:2", ago(6.1))
    retention.prune(db, slow, NOW)
    assert remaining(db, Heartbeat.instance) == {"live:1", "stopped:2", "slow:1"}


def test_expired_or_ended_sign_ins_go_after_their_retention_and_valid_ones_stay(
    db: Database,
) -> None:
    with db.write() as session:
        login_link(session, ago(31))  # goes
        login_link(session, ago(31), used=ago(31.01))  # used, and long expired: goes
        login_link(session, ago(29))
        login_link(session, NOW + timedelta(minutes=10))  # still valid
        web_session(session, ago(31))  # goes
        web_session(session, ago(20), ended=ago(31))  # signed out long ago: goes
        web_session(session, ago(29))
        web_session(session, NOW + 10 * DAY, ended=ago(1))
        web_session(session, NOW + 10 * DAY)  # still signed in
    result = retention.prune(db, replace(NOTHING, sign_in=timedelta(days=30)), NOW)
    assert (result.counts["login_links"], result.counts["web_sessions"]) == (2, 2)
    assert count(db, LoginLink) == 2 and count(db, WebSession) == 3
    with db.read() as session:
        assert session.scalar(select(func.min(LoginLink.expires_at))) == ago(29)
        assert session.scalar(select(func.min(WebSession.expires_at))) == ago(29)


def test_the_audit_trail_is_kept_forever_unless_its_retention_is_set(db: Database) -> None:
    with db.write() as session:
        audit_entry(session, "old", ago(3000))
        audit_entry(session, "year", ago(366))
        audit_entry(session, "recent", ago(364))
    everything_else = replace(
        NOTHING, sent_mail=timedelta(days=120), unsent_mail=timedelta(days=120),
        source_runs=DAY, sign_in=DAY, heartbeats=DAY,
    )  # fmt: skip
    assert retention.prune(db, everything_else, NOW).counts["item_changes"] == 0
    assert count(db, ItemChange) == 3
    retention.prune(db, replace(NOTHING, audit=timedelta(days=365)), NOW)
    assert remaining(db, ItemChange.item_uid) == {"recent"}


# ---------------------------------------------------------------- how it runs


def old_rows(db: Database, runs: int, links: int = 0) -> None:
    with db.write() as session:
        for _ in range(runs):
            source_run(session, ago(200))
        for _ in range(links):
            login_link(session, ago(200))


PRUNE_ALL = replace(NOTHING, source_runs=timedelta(days=90), sign_in=timedelta(days=30))


def test_a_dry_run_counts_what_would_go_and_changes_nothing(db: Database) -> None:
    old_rows(db, runs=3, links=2)
    result = retention.prune(db, PRUNE_ALL, NOW, dry_run=True)
    assert result.dry_run and (result.counts["source_runs"], result.counts["login_links"]) == (3, 2)
    assert (count(db, SourceRun), count(db, LoginLink), count(db, PruneRun)) == (3, 2, 0)


def test_each_batch_is_its_own_short_transaction_and_the_run_counts_what_went(
    db: Database,
) -> None:
    old_rows(db, runs=7)
    transactions: list[list[str]] = [[]]

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        transactions[-1].append(statement.split()[0].upper())

    def committed(_conn: Any) -> None:
        transactions.append([])

    event.listen(db.engine, "after_cursor_execute", executed)
    event.listen(db.engine, "commit", committed)
    try:
        result = retention.prune(db, replace(PRUNE_ALL, batch=3, pause=timedelta(0)), NOW)
    finally:
        event.remove(db.engine, "after_cursor_execute", executed)
        event.remove(db.engine, "commit", committed)
    assert result.complete and result.counts["source_runs"] == 7
    deleting = [statements for statements in transactions if "DELETE" in statements]
    assert len(deleting) == 3 and all(t.count("DELETE") == 1 for t in deleting)  # 3, 3, 1
    with db.read() as session:
        run = session.scalars(select(PruneRun)).one()
    assert run.complete and run.counts == {"source_runs": 7} and run.finished_at is not None
    assert set(run.cutoffs) == {
        "outside calendar fetches",
        "sign-in links",
        "web sessions",
        "rate-limit counts",
    }


@pytest.fixture
def stopping_reset() -> Iterator[None]:
    jobs.STOPPING.clear()  # an earlier test's app stopped its scheduler, which sets it
    yield
    jobs.STOPPING.clear()


@dataclass(eq=False)  # hashable: SQLAlchemy keeps its listeners in a dict
class _Deletes:
    """Sets `jobs.STOPPING` as the first DELETE of a batch reaches the database."""

    seen: int = 0

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            self.seen += 1
            jobs.STOPPING.set()


def test_the_nightly_job_stops_between_batches_when_the_process_shuts_down(
    db: Database, stopping_reset: None
) -> None:
    old_rows(db, runs=5)
    deletes = _Deletes()
    event.listen(db.engine, "after_cursor_execute", deletes)
    try:
        with time_machine.travel(NOW, tick=False):
            jobs.prune(db, replace(PRUNE_ALL, batch=2), "host:1")
    finally:
        event.remove(db.engine, "after_cursor_execute", deletes)
    assert deletes.seen == 1 and count(db, SourceRun) == 3  # the batch in hand went
    with db.read() as session:
        run = session.scalars(select(PruneRun)).one()
    assert not run.complete and run.counts == {"source_runs": 2} and run.ran_by == "host:1"


def test_two_processes_pruning_at_once_delete_every_row_once_between_them(db: Database) -> None:
    old_rows(db, runs=40, links=40)
    settings = replace(PRUNE_ALL, batch=5)
    start = threading.Barrier(2)
    results: list[retention.PruneResult] = []
    errors: list[BaseException] = []

    def replica(name: str) -> None:
        try:
            start.wait(30)
            results.append(retention.prune(db, settings, NOW, ran_by=name))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(f"replica:{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == [] and len(results) == 2
    assert count(db, SourceRun) == 0 and count(db, LoginLink) == 0
    assert sum(r.counts["source_runs"] for r in results) == 40
    assert sum(r.counts["login_links"] for r in results) == 40
    with db.read() as session:
        assert retention.record(session).totals["source_runs"] == 40


def test_the_scheduler_prunes_every_night_at_half_past_three_in_the_home_zone(
    db: Database, stopping_reset: None
) -> None:
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
    from apscheduler.triggers.cron import CronTrigger

    old_rows(db, runs=3)
    ran = threading.Event()
    outcome: list[JobExecutionEvent] = []

    def listen(done: JobExecutionEvent) -> None:
        if done.job_id == jobs.PRUNE_JOB:
            outcome.append(done)
            ran.set()

    # 03:29:58 summer time in Amsterdam.
    with time_machine.travel(datetime(2027, 6, 1, 1, 29, 58, tzinfo=UTC), tick=False) as clock:
        scheduler = jobs.start(
            db, timezone="Europe/Amsterdam", heartbeat_seconds=60, retention_settings=PRUNE_ALL
        )
        try:
            scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
            trigger = scheduler.get_job(jobs.PRUNE_JOB).trigger
            assert isinstance(trigger, CronTrigger) and str(trigger.timezone) == "Europe/Amsterdam"
            assert count(db, SourceRun) == 3  # not yet
            clock.move_to(datetime(2027, 6, 1, 1, 30, 0, tzinfo=UTC))
            scheduler.wakeup()
            assert ran.wait(60)
        finally:
            assert jobs.stop(scheduler)
    assert outcome[0].exception is None
    assert count(db, SourceRun) == 0
    with db.read() as session:
        run = session.scalars(select(PruneRun)).one()
    assert run.complete and run.started_at == datetime(2027, 6, 1, 1, 30, tzinfo=UTC)


def test_metrics_show_the_last_complete_run_and_the_rows_every_process_pruned(
    db: Database,
) -> None:
    from fastapi.testclient import TestClient

    from scheduler.web import create_app

    def scrape() -> dict[str, float]:
        app = create_app(Settings(database_url=db.url), run_jobs=False)
        with TestClient(app) as client:  # a new app each time: as after a restart
            answer = client.get("/metrics")
        assert answer.status_code == 200
        samples = [line.rsplit(" ", 1) for line in answer.text.splitlines()]
        return {name: float(value) for name, value in samples if not name.startswith("#")}

    before = scrape()
    assert before["lobby_prune_last_run_timestamp_seconds"] == 0
    assert before['lobby_pruned_rows_total{table="source_runs"}'] == 0
    old_rows(db, runs=3)
    with time_machine.travel(NOW, tick=False):
        retention.prune(db, PRUNE_ALL, NOW, ran_by="replica:1")
    old_rows(db, runs=2, links=1)
    later = NOW + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        retention.prune(db, PRUNE_ALL, later, ran_by="replica:2")
    after = scrape()
    assert after["lobby_prune_last_run_timestamp_seconds"] == later.timestamp()
    assert after['lobby_pruned_rows_total{table="source_runs"}'] == 5
    assert after['lobby_pruned_rows_total{table="login_links"}'] == 1
    assert after['lobby_pruned_rows_total{table="item_changes"}'] == 0


# ---------------------------------------------------------------- the command


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db_url: str
) -> Callable[..., tuple[int, str]]:
    monkeypatch.setenv("LOBBY_DATABASE_URL", db_url)

    def run(*args: str) -> tuple[int, str]:
        with time_machine.travel(NOW, tick=False), pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        return int(exited.value.code or 0), captured.out + captured.err

    return run


def test_the_prune_command_says_what_a_dry_run_would_delete_then_deletes_it(
    cli: Callable[..., tuple[int, str]], db: Database
) -> None:
    old_rows(db, runs=2)
    with db.write() as session:
        audit_entry(session, "old", ago(3000))
    code, out = cli("prune", "--dry-run")
    assert code == 0
    assert "outside calendar fetches (source_runs) from before 2027-03-03 10:00 UTC: 2 would be deleted" in out  # fmt: skip
    assert "audit trail: kept (audit_retention_days is 0)" in out
    assert out.rstrip().endswith("dry run: nothing was changed")
    assert (count(db, SourceRun), count(db, ItemChange), count(db, PruneRun)) == (2, 1, 0)
    code, out = cli("prune")
    assert code == 0 and "outside calendar fetches (source_runs) from before" in out
    assert ": 2 deleted" in out and "dry run" not in out
    assert (count(db, SourceRun), count(db, ItemChange)) == (0, 1)
    with db.read() as session:
        assert session.scalars(select(PruneRun.ran_by)).one().startswith("cli:")
