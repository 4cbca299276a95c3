"""The outbox's machinery, whatever the mail: claim due rows, send them, record each outcome.

Exactly once from the user's view: a delivery's key is unique, so planning twice creates
nothing twice; a worker claims rows (compare-and-set on SQLite, FOR UPDATE SKIP LOCKED on
PostgreSQL) and leases them before sending outside any transaction; a crashed worker's rows
are taken over when its lease runs out or its heartbeat stops. "Sent" is recorded after the
server has the whole message but before the final dot that lets it deliver (`mailer`), and
only while the lease still holds: a crash before the record makes the server discard the
message (it is sent again later), a crash after it leaves it delivered. The one window left
is the instant between the record and the dot leaving; each Message-ID derives from the key.

What a row's message says is not known here: the caller passes a renderer per batch.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Update, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from scheduler import clock, liveness
from scheduler.db import Database, conflict_insert
from scheduler.errors import NotFound, ValidationError
from scheduler.mailer import Flattened, Mailer, SendError, SmtpSettings
from scheduler.models import AgendaItem, Delivery, DeliveryState

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# SMTP errors seen by this process, by kind (for /metrics): transient, permanent.
SMTP_ERRORS: Counter[str] = Counter()
OPEN = (DeliveryState.PENDING, DeliveryState.FAILED)
# The rows of a batch a renderer leaves out are cancelled with this reason.
GONE = "its item or recipient is gone"


@dataclass(frozen=True)
class Skipped:
    """A renderer's answer for a row not worth sending (e.g. an empty digest): cancelled."""

    reason: str


# Given the claimed rows of a batch, their messages (or why not) by delivery id: each
# flattened as soon as it is composed (see `Flattened`).
Renderer = Callable[[Session, Sequence[Delivery], datetime], Mapping[int, Flattened | Skipped]]


@dataclass(frozen=True)
class OutboxSettings:
    grace: timedelta = timedelta(hours=12)
    max_attempts: int = 8
    heartbeat: timedelta = timedelta(minutes=1)
    # Claiming and loading the items cost per batch (about 0.07 ms a message at 200, 0.17 at
    # 50); a crashed worker's batch waits for the takeover.
    batch: int = 200
    smtp: SmtpSettings = field(default_factory=lambda: SmtpSettings(host=""))


# ---------------------------------------------------------------- planning

# A row to plan: Delivery's columns by name: key, kind, recipient, due_at, next_attempt_at and
# any of _PLANNED (the columns left out take their defaults).
Row = Mapping[str, Any]
# One INSERT takes rows of one shape: each is completed with these.
_PLANNED: dict[str, Any] = {
    "item_id": None, "item_uid": "", "occurrence_id": None, "occurrence_start": None,
    "offset": "", "subject_id": None, "person_id": None, "expires_at": None,
    "state": DeliveryState.PENDING,
}  # fmt: skip
# Ids per IN list: well below SQLite's limit on a statement's parameters.
_IN_CHUNK = 1000


@dataclass
class Plan:
    """What a planner found the outbox lacks: rows to create, and changes to rows it read
    (as they were when it read them). Planners only read; `write` carries a plan out, in the
    same transaction or in short ones of its own (`batches`): on SQLite a write transaction
    holds the only write lock, which a web or API edit waits for meanwhile.

    A planner reads the open rows before what implies them (or both in one snapshot): any row
    it sees was planned (here or by another replica) from data no newer than what it reads,
    and a row planned later, perhaps from newer data, it does not see, so never takes for
    unwanted. An edit after the reading is planned by the next run, as one after the whole
    run would be."""

    new: list[Row] = field(default_factory=list)
    # (delivery id, its updated_at as read, the changes)
    changes: list[tuple[int, datetime, Row]] = field(default_factory=list)

    def change(self, row: Delivery, values: Row) -> None:
        self.changes.append((row.id, row.updated_at, values))

    def cancel(self, row: Delivery, reason: str, now: datetime) -> None:
        self.change(
            row, {"state": DeliveryState.CANCELLED, "last_error": reason, "updated_at": now}
        )

    def batches(self, size: int) -> Iterator[Plan]:
        """The plan in batches of at most `size` rows, each to be written on its own (each
        row's write stands alone: created unless there, changed unless changed meanwhile)."""
        for start in range(0, len(self.new), size):
            yield Plan(new=self.new[start : start + size])
        for start in range(0, len(self.changes), size):
            yield Plan(changes=self.changes[start : start + size])


def not_there(session: Session, rows: Iterable[Row]) -> list[Row]:
    """The rows whose key this session does not find: what a planner reading finds to create.
    (Most of what it finds implied exists already; `add_missing` still makes sure.)"""
    wanted = list(rows)
    keys = sorted({str(row["key"]) for row in wanted})
    there: set[str] = set()
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        there |= set(session.scalars(select(Delivery.key).where(Delivery.key.in_(chunk))))
    return [row for row in wanted if row["key"] not in there]


def write(session: Session, plan: Plan) -> int:
    """Carry `plan` out: its new rows first (see `add_missing`), then its changes, each only to
    a row still as the planner read it. Returns how many rows were created or changed."""
    return add_missing(session, plan.new) + _change_unchanged(session, plan.changes)


def add_missing(session: Session, rows: Iterable[Row]) -> int:
    """Create the rows whose key does not exist yet; returns how many were created.

    One `INSERT … ON CONFLICT (key) DO NOTHING`: a key that another planner (a second replica,
    a run before) created is left as it is, and one that another is creating in a transaction
    not yet committed is waited for (PostgreSQL), then left as it is: no unique-key error
    rolls anything back. Inserted in key order, so that two planners creating the same keys
    wait for one another, never in a circle (a deadlock).

    A row about an item that was deleted since the planner read it is left out (its reminder
    is about nothing any more, and its foreign key would fail): the items named are held
    against deletion until the commit (FOR KEY SHARE on PostgreSQL; on SQLite the write
    transaction holds the database). Call it before changing any existing row in the same
    transaction: a deletion waiting for the hold may itself be waiting for those rows.
    """
    wanted = {str(row["key"]): _PLANNED | dict(row) for row in rows}
    items = {row["item_id"] for row in wanted.values() if row["item_id"] is not None}
    if items:
        there = _hold_items(session, items) | {None}
        wanted = {key: row for key, row in wanted.items() if row["item_id"] in there}
    if not wanted:
        return 0
    unless_there = conflict_insert(session, Delivery).on_conflict_do_nothing(index_elements=["key"])
    statement = unless_there.returning(Delivery.__table__.c.id)
    return len(session.execute(statement, [wanted[key] for key in sorted(wanted)]).all())


def _hold_items(session: Session, ids: set[int]) -> set[int]:
    """Those of the items that still exist, each held against deletion until the commit."""
    held: set[int] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), _IN_CHUNK):
        chunk = ordered[start : start + _IN_CHUNK]
        query = select(AgendaItem.id).where(AgendaItem.id.in_(chunk))
        held |= set(session.scalars(query.with_for_update(read=True, key_share=True)))
    return held


def _change_unchanged(session: Session, changes: Sequence[tuple[int, datetime, Row]]) -> int:
    """Each change, as a compare-and-set: only while the row is open and unchanged since the
    planner read it (every change to a row stamps `updated_at`). Meanwhile a worker may have
    claimed it, or another replica cancelled or moved it, perhaps from newer data: none of
    that is undone, and whatever is left over is settled by the next run. In id order, as
    `add_missing` goes in key order: two planners wait for one another, never deadlock."""
    changed = 0
    for delivery_id, seen, values in sorted(changes, key=lambda change: change[0]):
        result = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.updated_at == seen,
                Delivery.state.in_(OPEN),
            )
            .values(dict(values))
            .execution_options(synchronize_session=False)
        )
        changed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return changed


def expire(session: Session, grace: timedelta, now: datetime) -> int:
    """Open rows too old to still help become `expired` (shown to admins, never dropped)."""
    too_old = session.execute(
        update(Delivery)
        .where(
            Delivery.state.in_(OPEN),
            or_(
                Delivery.expires_at < now,
                Delivery.expires_at.is_(None) & (Delivery.due_at < now - grace),
                # a reminder before an occurrence is useless once the occurrence has started
                (Delivery.occurrence_start <= now) & ~Delivery.offset.startswith("+"),
            ),
        )
        .values(
            state=DeliveryState.EXPIRED,
            updated_at=now,
            last_error="fell due while the service was down",
        )
    )
    return int(too_old.rowcount or 0)  # type: ignore[attr-defined]


def claim(
    db: Database,
    worker: str,
    now: datetime,
    limit: int,
    heartbeat: timedelta = timedelta(minutes=1),
) -> list[int]:
    """Take up to `limit` due rows for this worker, leased; two workers never get the same row.

    Rows another worker was sending are taken over when its lease ran out, or at once when
    that worker's process stopped beating (it crashed or was killed).
    """
    with db.write() as session:
        alive = liveness.live_instances(session, now, heartbeat) | {worker}
        abandoned = (Delivery.state == DeliveryState.SENDING) & (
            (Delivery.lease_until < now) | Delivery.claimed_by.not_in(alive)
        )
        due = or_(Delivery.state.in_(OPEN) & (Delivery.next_attempt_at <= now), abandoned)
        query = select(Delivery.id).where(due).order_by(Delivery.next_attempt_at).limit(limit)
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        candidates = list(session.scalars(query))
        if not candidates:
            return []
        # One compare-and-set for the batch: the WHERE re-checks each row (on SQLite, where
        # FOR UPDATE does not exist, it is what keeps two workers apart).
        claimed = session.scalars(
            update(Delivery)
            .where(Delivery.id.in_(candidates), due)
            .values(
                state=DeliveryState.SENDING,
                lease_until=now + LEASE,
                claimed_by=worker,
                attempts=Delivery.attempts + 1,
                updated_at=now,
            )
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(claimed)


_Batch = list[tuple[int, Flattened | Skipped | None]]


def send_due(
    db: Database, settings: OutboxSettings, worker: str, render: Renderer,
    stopping: threading.Event | None = None,
) -> int:  # fmt: skip
    """Claim, render and send due rows batch by batch until none is left, until the server
    proves unreachable, or (`stopping`) until the process is shutting down: each lane finishes
    the message on the wire and gives the rest of its batch back at once (a SIGTERM must not
    wait for a batch over a slow server), for the next run or another replica. Returns how
    many were sent.

    A batch goes out over `smtp.connections` lanes at once, each with its own SMTP connection
    and its own database connection for recording "sent" (the time between that commit and
    the final dot is the one window left, see `_record_sent`, so it holds no pool work). The
    lanes are threads: most of a message's time on the wire is waiting for the server, and the
    GIL is free meanwhile. (Rendering the next batch in a thread while one is on the wire was
    measured: no faster; the lanes are.)"""
    lanes = max(1, settings.smtp.connections)
    sent = 0
    with contextlib.ExitStack() as stack:
        wires = [
            _Wire(stack.enter_context(Mailer(settings.smtp)), stack.enter_context(db.writer()))
            for _ in range(lanes)
        ]
        pool = stack.enter_context(ThreadPoolExecutor(lanes, "outbox")) if lanes > 1 else None
        while not _stopped(stopping) and (
            ids := claim(db, worker, clock.now_utc(), settings.batch, settings.heartbeat)
        ):
            with db.read() as session:
                rows = list(session.scalars(select(Delivery).where(Delivery.id.in_(ids))))
                ready = render(session, rows, clock.now_utc())
            batch = [(delivery_id, ready.get(delivery_id)) for delivery_id in ids]
            count, outage = _send_lanes(db, settings, worker, wires, batch, pool, stopping)
            sent += count
            if outage is not None or len(ids) < settings.batch:
                break  # unreachable: the rest waits for its backoff
    return sent


def _stopped(stopping: threading.Event | None) -> bool:
    return stopping is not None and stopping.is_set()


@dataclass(frozen=True)
class _Wire:
    """One lane: an SMTP connection, and the database connection that records its sends."""

    mailer: Mailer
    connection: Connection


def _send_lanes(
    db: Database, settings: OutboxSettings, worker: str, wires: list[_Wire], batch: _Batch,
    pool: ThreadPoolExecutor | None, stopping: threading.Event | None,
) -> tuple[int, SendError | None]:  # fmt: skip
    """The batch, dealt round the lanes; how many were sent, and an outage if one was met."""

    def lane(n: int) -> tuple[int, SendError | None]:
        wire = wires[n]
        mine = batch[n :: len(wires)]
        return _send_batch(db, wire.connection, settings, worker, wire.mailer, mine, stopping)

    results = [lane(0)] if pool is None else list(pool.map(lane, range(len(wires))))
    outage = next((error for _, error in results if error is not None), None)
    return sum(count for count, _ in results), outage


def _send_batch(
    db: Database, connection: Connection, settings: OutboxSettings, worker: str, mailer: Mailer,
    batch: _Batch, stopping: threading.Event | None = None,
) -> tuple[int, SendError | None]:  # fmt: skip
    """Send a batch; stops at the first sign the server is unreachable and returns it, or
    when the process is stopping (the rest is given back)."""
    sent = 0
    for position, (delivery_id, message) in enumerate(batch):
        if _stopped(stopping):
            release(db, worker, [row for row, _ in batch[position:]], connection)
            break
        if not isinstance(message, Flattened):
            reason = message.reason if message else GONE
            _record_failure(db, settings, worker, delivery_id, DeliveryState.CANCELLED, reason)
            continue
        recorded = False

        def record(delivery_id: int = delivery_id, message: Flattened = message) -> None:
            nonlocal recorded
            _record_sent(db, connection, delivery_id, worker, message.message_id)
            recorded = True

        try:
            mailer.send(message, before_final_dot=record)
        except LeaseLost:
            log.warning("delivery %s was taken over by another worker; not sent here", delivery_id)
            continue
        except SendError as exc:
            SMTP_ERRORS["permanent" if exc.permanent else "transient"] += 1
            if recorded and not exc.answered:
                # The server had the whole message but its answer was lost: it may well have
                # delivered it. Sending again could double it; it stays sent, with a note.
                _note(db, delivery_id, f"sent; the server's confirmation was lost: {exc}")
                sent += 1
            else:
                state = DeliveryState.DEAD if exc.permanent else DeliveryState.FAILED
                _record_failure(db, settings, worker, delivery_id, state, str(exc))
            if exc.unreachable:
                _give_back(db, settings, worker, batch[position + 1 :], exc)
                return sent, exc
            continue
        sent += 1
    return sent, None


def _give_back(
    db: Database, settings: OutboxSettings, worker: str, batch: _Batch, error: SendError
) -> None:
    """Claimed rows left untried while the server is unreachable wait for the backoff; the
    claim's attempt is not counted against them."""
    for delivery_id, _ in batch:
        _record_failure(
            db, settings, worker, delivery_id, DeliveryState.FAILED, f"not tried: {error}",
            tried=False,
        )  # fmt: skip


def release(
    db: Database, worker: str, ids: Sequence[int], connection: Connection | None = None
) -> int:
    """Give claimed rows back untried, due as before, for the next run or another replica
    (a stopping process). Only rows this worker still holds and has not recorded as sent;
    the claim's attempt is not counted. Returns how many were given back."""
    if not ids:
        return 0
    given = db.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(ids),
            Delivery.state == DeliveryState.SENDING,
            Delivery.claimed_by == worker,
        )
        .values(
            state=DeliveryState.PENDING,
            lease_until=None,
            attempts=Delivery.attempts - 1,
            updated_at=clock.now_utc(),
        ),
        connection,
    )
    log.info("gave %s claimed deliveries back on shutdown", given)
    return given


class LeaseLost(Exception):
    """Another worker took the row over (this one's lease ran out): it must not be sent here."""


def _record_sent(
    db: Database, connection: Connection, delivery_id: int, worker: str, message_id: str
) -> None:
    """Record "sent" while the server holds the whole message but before the final dot that
    lets it deliver (see `mailer`): one statement, committed at once, on a connection kept
    for the run (the time from this commit to the dot is the one window left). Only while
    this worker still holds the row; otherwise the message is abandoned before the dot."""
    now = clock.now_utc()
    values = {"delivery_id": delivery_id, "worker": worker, "sent_as": message_id}
    values |= {"at": now, "late_before": now - LATE_AFTER}
    changed = db.execute(_MARK_SENT, connection, values)
    if changed != 1:
        raise LeaseLost(delivery_id)


def _mark_sent() -> Update:
    """The statement of `_record_sent`, built once: building and cache-keying an UPDATE
    costs twice what SQLite takes to run and commit it, and this runs for every message."""
    moment = Delivery.__table__.c.sent_at.type
    return (
        update(Delivery)
        .where(
            Delivery.id == bindparam("delivery_id"),
            Delivery.state == DeliveryState.SENDING,
            Delivery.claimed_by == bindparam("worker"),
        )
        .values(
            state=DeliveryState.SENT,
            sent_at=bindparam("at", type_=moment),
            message_id=bindparam("sent_as"),
            late=Delivery.due_at < bindparam("late_before", type_=moment),
            lease_until=None,
            last_error="",
            updated_at=bindparam("at", type_=moment),
        )
    )


_MARK_SENT = _mark_sent()


def _note(db: Database, delivery_id: int, note: str) -> None:
    db.execute(update(Delivery).where(Delivery.id == delivery_id).values(last_error=note))


# A message sent this long after its due time says so.
LATE_AFTER = timedelta(minutes=2)


def _record_failure(
    db: Database, settings: OutboxSettings, worker: str, delivery_id: int,
    state: DeliveryState, error: str, *, tried: bool = True,
) -> None:  # fmt: skip
    now = clock.now_utc()
    with db.write() as session:
        row = session.get(Delivery, delivery_id)
        # SENT too: recorded before the final dot, then refused by the server after it.
        held = row is not None and row.state in (DeliveryState.SENDING, DeliveryState.SENT)
        if row is None or not held or row.claimed_by != worker:
            return  # the lease ran out and another worker took it over: it records the outcome
        if state == DeliveryState.FAILED and tried and row.attempts >= settings.max_attempts:
            state, error = DeliveryState.DEAD, f"{error} (gave up after {row.attempts} attempts)"
        row.state, row.last_error, row.updated_at, row.lease_until = state, error, now, None
        row.sent_at, row.message_id = None, ""
        if state == DeliveryState.FAILED:
            backoff = min(timedelta(minutes=1) * 2 ** (row.attempts - 1), timedelta(hours=2))
            row.next_attempt_at = now + backoff
        if not tried:
            row.attempts -= 1  # claimed, but never offered to the server
        log.warning("%s %s to %s: %s", row.kind, row.key, row.recipient, error or state.value)


def next_due(db: Database) -> datetime | None:
    """When the earliest open delivery falls due (or may be tried again)."""
    with db.read() as session:
        return session.scalar(
            select(func.min(Delivery.next_attempt_at)).where(Delivery.state.in_(OPEN))
        )


def retry(session: Session, delivery_id: int, now: datetime) -> Delivery:
    """Send a dead, failed or expired delivery again (an admin's decision)."""
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise NotFound(f"no delivery with id {delivery_id}", field="id")
    if row.state not in (DeliveryState.DEAD, DeliveryState.FAILED, DeliveryState.EXPIRED):
        raise ValidationError(
            f"delivery {delivery_id} is {row.state.value}; "
            "only dead, failed or expired ones can be retried",
            field="id",
        )
    row.state, row.next_attempt_at, row.attempts, row.updated_at = (
        DeliveryState.PENDING,
        now,
        0,
        now,
    )
    row.due_at = max(row.due_at, now - timedelta(seconds=1))  # not expired again at once
    return row
