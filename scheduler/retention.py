"""Retention: rows that have served their purpose are deleted, a small batch at a time.

What goes, each after its own setting's number of days (0 keeps it forever):
1. finished outbox rows, sent or never sent (dead, expired, cancelled), only when configured,
   and only once their key can no longer be planned again (`_finished_mail`): a deleted row
   must never let the same mail be planned and sent twice;
2. fetches of outside calendars, except one whose change notice is still to be sent;
3. sign-in links and web sessions, that long after they expired or were signed out;
4. heartbeats of stopped processes (never one within the time `liveness` counts as alive);
5. the audit trail (item history), only when configured;
6. rate-limit buckets untouched long enough to be full again (not a setting: throttle.py);
7. contact persons who left, that long after the day they left, only when configured: erased
   (`contacts.erase`, which also takes their data out of the items' history), one at a time.
Pending, failed and claimed deliveries, valid links and sessions, and a live process's
heartbeat are never touched.

Each batch is one short transaction (on SQLite a long delete would hold the only write
lock): it picks up to `batch` rows and deletes them. On PostgreSQL it picks with FOR UPDATE
SKIP LOCKED, so two processes pruning at once (replicas, or the CLI beside the service) share
the rows instead of waiting for each other, and delete each row once between them. Each
records its own run (`PruneRun`, raised in each batch's own transaction, so the counts hold
even when a process dies mid-run); /metrics adds the runs up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from scheduler import clock, contacts, liveness, throttle
from scheduler.agenda import Actor
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import (
    AgendaItem,
    Base,
    ContactPerson,
    Delivery,
    DeliveryState,
    DossierTarget,
    Heartbeat,
    ItemChange,
    LoginLink,
    NudgeKind,
    PruneRun,
    RateBucket,
    SourceRun,
    WebSession,
)
from scheduler.outbox import OPEN
from scheduler.sources import SOURCE_CHANGE

# The tables the prune deletes from (the labels of /metrics).
TABLES = (
    "deliveries", "source_runs", "login_links", "web_sessions", "heartbeats", "item_changes",
    "rate_buckets", "contact_persons",
)  # fmt: skip
# Rows per transaction: on SQLite a batch of 500 sent deliveries holds the write lock for
# about 8 ms (median; 65,000 in 2 s of transactions, measured on the 2-core test machine).
BATCH = 500
# On SQLite, between batches: a writer that waited for the lock gets it (its busy handler
# sleeps and retries; back-to-back transactions could starve it past its timeout).
PAUSE = timedelta(milliseconds=50)

_SENT = (DeliveryState.SENT,)
_UNSENT = (DeliveryState.DEAD, DeliveryState.EXPIRED, DeliveryState.CANCELLED)


@dataclass(frozen=True)
class RetentionSettings:
    """How long each kind of row is kept; None keeps it forever."""

    audit: timedelta | None = None
    sent_mail: timedelta | None = None
    unsent_mail: timedelta | None = None
    source_runs: timedelta | None = timedelta(days=90)
    sign_in: timedelta | None = timedelta(days=30)
    heartbeats: timedelta | None = timedelta(days=7)
    contact_persons: timedelta | None = None  # after they left
    heartbeat_interval: timedelta = timedelta(minutes=1)
    batch: int = BATCH
    pause: timedelta = PAUSE


def settings_from(conf: Settings) -> RetentionSettings:
    def days(count: int) -> timedelta | None:
        return timedelta(days=count) if count else None

    return RetentionSettings(
        audit=days(conf.audit_retention_days),
        sent_mail=days(conf.sent_mail_retention_days),
        unsent_mail=days(conf.unsent_mail_retention_days),
        source_runs=days(conf.source_run_retention_days),
        sign_in=days(conf.sign_in_retention_days),
        heartbeats=days(conf.heartbeat_retention_days),
        contact_persons=days(conf.contact_person_retention_days),
        heartbeat_interval=timedelta(seconds=conf.heartbeat_seconds),
    )


@dataclass(frozen=True)
class _Rule:
    name: str  # as the CLI says it
    setting: str
    model: type[Base]
    key: InstrumentedAttribute[Any]
    keep: timedelta | None
    condition: Callable[[datetime], ColumnElement[bool]]  # prunable, given the cutoff
    live_for: timedelta = timedelta(0)  # never a cutoff later than this before now

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)

    def cutoff(self, now: datetime) -> datetime | None:
        return None if self.keep is None else now - max(self.keep, self.live_for)


def _rules(settings: RetentionSettings) -> list[_Rule]:
    beat_live = settings.heartbeat_interval * liveness.MISSED_BEATS
    return [
        _Rule("sent mail", "sent_mail_retention_days", Delivery, Delivery.id,
              settings.sent_mail, lambda cutoff: _finished_mail(_SENT, cutoff)),
        _Rule("unsent mail (dead, expired, cancelled)", "unsent_mail_retention_days", Delivery,
              Delivery.id, settings.unsent_mail, lambda cutoff: _finished_mail(_UNSENT, cutoff)),
        _Rule("outside calendar fetches", "source_run_retention_days", SourceRun, SourceRun.id,
              settings.source_runs, _old_fetch),
        _Rule("sign-in links", "sign_in_retention_days", LoginLink, LoginLink.id,
              settings.sign_in, lambda cutoff: LoginLink.expires_at < cutoff),
        _Rule("web sessions", "sign_in_retention_days", WebSession, WebSession.id,
              settings.sign_in,
              lambda cutoff: or_(WebSession.expires_at < cutoff, WebSession.ended_at < cutoff)),
        _Rule("heartbeats of stopped processes", "heartbeat_retention_days", Heartbeat,
              Heartbeat.instance, settings.heartbeats, lambda cutoff: Heartbeat.beat_at < cutoff,
              live_for=beat_live),
        _Rule("audit trail", "audit_retention_days", ItemChange, ItemChange.id, settings.audit,
              lambda cutoff: ItemChange.changed_at < cutoff),
        # Not a setting: a rate-limit bucket untouched this long is full, as a missing one is.
        _Rule("rate-limit counts", "", RateBucket, RateBucket.key, throttle.FULL_AGAIN_AFTER,
              throttle.full_again),
    ]  # fmt: skip


def _finished_mail(states: tuple[DeliveryState, ...], cutoff: datetime) -> ColumnElement[bool]:
    """Finished rows untouched since the cutoff whose key no planner can make again.

    A key that names a date or a one-time event (an occurrence of a series, a follow-up's
    due date, a digest's period, an outside calendar's fetch) is never planned again once
    that lies this far back: no planner looks back as far as the shortest retention allowed
    (config.MAIL_RETENTION_MIN_DAYS). Two keys name neither: a one-off item's reminders
    (the item may move, a year on), and a dossier target's contact gap (told once, however
    long it lasts). So a row about an item waits until the item's last occurrence ended
    before the cutoff (a series without end: as long as it runs), and a contact-gap nudge
    until its target is gone."""
    item_goes_on = select(AgendaItem.id).where(
        AgendaItem.id == Delivery.item_id,
        or_(AgendaItem.last_ends_at.is_(None), AgendaItem.last_ends_at >= cutoff),
    )
    target_stays = select(DossierTarget.id).where(DossierTarget.id == Delivery.subject_id)
    return and_(
        Delivery.state.in_(states),
        Delivery.due_at < cutoff,
        Delivery.updated_at < cutoff,
        ~item_goes_on.exists(),
        ~and_(Delivery.kind == NudgeKind.CONTACT_GAP.value, target_stays.exists()),
    )


def _old_fetch(cutoff: datetime) -> ColumnElement[bool]:
    """A fetch finished before the cutoff whose change notices are all sent (or given up)."""
    # Not correlated: evaluated once, from the few open rows, not once per fetch.
    notices_due = select(Delivery.subject_id).where(
        Delivery.kind == SOURCE_CHANGE,
        Delivery.state.in_((*OPEN, DeliveryState.SENDING)),
        Delivery.subject_id.is_not(None),
    )
    return and_(SourceRun.finished_at < cutoff, SourceRun.id.not_in(notices_due))


@dataclass(frozen=True)
class RuleResult:
    name: str
    setting: str
    table: str
    cutoff: datetime | None  # None: kept forever
    rows: int  # deleted (or, in a dry run, that would be)


@dataclass(frozen=True)
class PruneResult:
    rules: list[RuleResult]
    complete: bool  # False: stopped between batches (the process is shutting down)
    dry_run: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """Rows by table."""
        counts = dict.fromkeys(TABLES, 0)
        for rule in self.rules:
            counts[rule.table] += rule.rows
        return counts


def prune(
    db: Database, settings: RetentionSettings, now: datetime, *, dry_run: bool = False,
    stopping: threading.Event | None = None, ran_by: str | None = None,
) -> PruneResult:  # fmt: skip
    """Delete what is past its retention at `now`, rule by rule, batch by batch; with
    `stopping`, stop between batches once it is set. A dry run counts and changes nothing
    (it records no run either)."""
    rules = _rules(settings)
    if dry_run:
        return PruneResult(_count(db, rules, settings, now), complete=True, dry_run=True)
    cutoffs = {rule.name: rule.cutoff(now) for rule in rules}
    run_id = _start(db, ran_by or liveness.instance_name(), now, cutoffs)
    done = dict.fromkeys(cutoffs, 0)
    complete = True
    for rule in rules:
        cutoff = cutoffs[rule.name]
        while complete and cutoff is not None:
            if stopping is not None and stopping.is_set():
                complete = False  # shutting down: the rest waits for the next run
                break
            deleted, found = _delete_batch(db, rule, cutoff, settings.batch, run_id)
            done[rule.name] += deleted
            if found < settings.batch:
                break  # nothing left (rows another process holds, it deletes)
            if db.is_sqlite:
                _pause(settings.pause, stopping)
    results = [RuleResult(r.name, r.setting, r.table, cutoffs[r.name], done[r.name]) for r in rules]
    left, erased = _contacts_cutoff(settings, now), 0
    if complete and left is not None:
        erased = _erase_left(db, settings, now, run_id, ran_by or liveness.instance_name())
    results.append(RuleResult(_LEFT, _LEFT_SETTING, "contact_persons", left, erased))
    _finish(db, run_id, complete)
    return PruneResult(results, complete)


_LEFT, _LEFT_SETTING = "contact persons who left", "contact_person_retention_days"


def _contacts_cutoff(settings: RetentionSettings, now: datetime) -> datetime | None:
    """Contact persons who left before this day's midnight (UTC) are erased."""
    if settings.contact_persons is None:
        return None
    return datetime.combine(now.date() - settings.contact_persons, datetime.min.time(), UTC)


def _erase_left(
    db: Database, settings: RetentionSettings, now: datetime, run_id: int, ran_by: str
) -> int:
    """Erase, one person a transaction, those who left before the cutoff (an erasure rewrites
    the history of their items: a few rows each, not worth batching)."""
    assert settings.contact_persons is not None
    erased = 0
    while True:
        with db.write() as session:
            done = contacts.erase_left(
                session, settings.contact_persons, now.date(), Actor(ran_by, "prune"), now,
                limit=1,
            )  # fmt: skip
            run = session.get(PruneRun, run_id)
            if run is not None and done:
                counts = run.counts
                run.counts = {**counts, "contact_persons": counts.get("contact_persons", 0) + done}
        erased += done
        if not done:
            return erased


def _count(
    db: Database, rules: list[_Rule], settings: RetentionSettings, now: datetime
) -> list[RuleResult]:
    results = []
    with db.read() as session:
        for rule in rules:
            cutoff = rule.cutoff(now)
            rows = 0
            if cutoff is not None:
                query = select(func.count()).select_from(rule.model).where(rule.condition(cutoff))
                rows = session.scalar(query) or 0
            results.append(RuleResult(rule.name, rule.setting, rule.table, cutoff, rows))
        left = _contacts_cutoff(settings, now)
        rows = 0
        if left is not None:
            query = select(func.count()).where(ContactPerson.left_on < left.date())
            rows = session.scalar(query) or 0
        results.append(RuleResult(_LEFT, _LEFT_SETTING, "contact_persons", left, rows))
    return results


def _delete_batch(
    db: Database, rule: _Rule, cutoff: datetime, limit: int, run_id: int
) -> tuple[int, int]:
    """Up to `limit` prunable rows picked, then deleted and counted on the run in one short
    transaction. Returns (rows deleted, rows picked).

    On SQLite the rows are picked in a read transaction first, beside any writer: finding
    them walks the table, deleting them by key is quick, and only that holds the write
    lock. On PostgreSQL they are picked and locked in the deleting transaction, skipping
    rows another pruner holds. No order is asked for: the tables are walked oldest first
    anyway, and sorting every prunable row for each batch made a batch five times slower
    (60,000 sent deliveries: 39 ms instead of 7 ms a batch of 200)."""
    condition = rule.condition(cutoff)
    pick = select(rule.key).where(condition).limit(limit)
    keys: list[Any] = []
    if db.is_sqlite:
        with db.read() as session:
            keys = list(session.scalars(pick))
        if not keys:
            return 0, 0
    with db.write() as session:
        if not db.is_sqlite:
            keys = list(session.scalars(pick.with_for_update(skip_locked=True)))
            if not keys:
                return 0, 0
        # The condition again: on SQLite a row may have changed since it was picked (a
        # delivery retried, another pruner's delete), and such a row stays.
        deleted = len(
            session.scalars(
                delete(rule.model)
                .where(rule.key.in_(keys), condition)
                .returning(rule.key)
                .execution_options(synchronize_session=False)
            ).all()
        )
        run = session.get(PruneRun, run_id)
        if run is not None:
            run.counts = {**run.counts, rule.table: run.counts.get(rule.table, 0) + deleted}
        return deleted, len(keys)


def _pause(pause: timedelta, stopping: threading.Event | None) -> None:
    if stopping is not None:
        stopping.wait(pause.total_seconds())  # returns at once when the process stops
    else:
        time.sleep(pause.total_seconds())


def _start(db: Database, ran_by: str, now: datetime, cutoffs: dict[str, datetime | None]) -> int:
    shown = {name: cutoff.isoformat() for name, cutoff in cutoffs.items() if cutoff is not None}
    with db.write() as session:
        run = PruneRun(ran_by=ran_by, started_at=now, counts={}, cutoffs=shown)
        session.add(run)
        session.flush()
        return run.id


def _finish(db: Database, run_id: int, complete: bool) -> None:
    with db.write() as session:
        run = session.get(PruneRun, run_id)
        if run is not None:
            run.finished_at, run.complete = clock.now_utc(), complete


@dataclass(frozen=True)
class Record:
    """What every prune run so far did, whoever ran it (for /metrics)."""

    last_complete: datetime | None  # when the last complete run finished
    totals: dict[str, int]  # rows deleted, by table


def record(session: Session) -> Record:
    last = session.scalar(select(func.max(PruneRun.finished_at)).where(PruneRun.complete.is_(True)))
    totals = dict.fromkeys(TABLES, 0)
    for counts in session.scalars(select(PruneRun.counts)):
        for table, rows in counts.items():
            totals[table] = totals.get(table, 0) + int(rows)
    return Record(last, totals)
