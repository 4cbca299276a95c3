"""What the outbox delivers: plans every kind of mail, then sends what is due, each row
composed by the module that knows its kind."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from scheduler import chains, clock, digest_mail, liveness, nudges, outbox, reminders, sources
from scheduler.db import Database
from scheduler.mailer import Flattened
from scheduler.models import Delivery
from scheduler.outbox import Skipped
from scheduler.reminders import ReminderSettings

_Render = Callable[
    [Session, ReminderSettings, Sequence[Delivery], datetime], Mapping[int, Flattened | Skipped]
]


def dispatch(
    db: Database, settings: ReminderSettings, worker: str, *, planning: bool = True,
    stopping: threading.Event | None = None,
) -> int:  # fmt: skip
    """1. plan (unless told not to: planning reads the whole agenda); 2. expire what is too
    old; 3. claim, compose and send what is due. Returns how many messages were sent."""
    now = clock.now_utc()
    with db.write() as session:
        liveness.beat(session, worker, now, now)  # so that nobody takes our claims for abandoned
        if not planning:
            outbox.expire(session, settings.grace, now)
    if planning:
        plan(db, settings, now, stopping)
        with db.write() as session:
            outbox.expire(session, settings.grace, now)

    def compose(
        session: Session, rows: Sequence[Delivery], at: datetime
    ) -> dict[int, Flattened | Skipped]:
        by_renderer: dict[_Render, list[Delivery]] = defaultdict(list)
        for row in rows:
            by_renderer[_renderer_of(row.kind)].append(row)
        composed: dict[int, Flattened | Skipped] = {}
        for render, chosen in by_renderer.items():
            composed.update(render(session, settings, chosen, at))
        return composed

    return outbox.send_due(db, settings.outbox, worker, compose, stopping)


# How long the planning of a part of the agenda's reminders takes, roughly (it reads only: see
# outbox.Plan), and how many rows a write transaction creates or changes at most: on SQLite
# a write transaction holds the only write lock, which a web or API edit waits for meanwhile.
PART_SECONDS = 0.1
WRITE_ROWS = 500
# On SQLite, the pause between two write transactions of one plan. A writer waiting for the
# lock does not queue: it sleeps and tries again (after 25 ms, later 50 and 100 ms), and would
# nearly always find the next transaction holding the lock again. (Between the reminders of
# two parts, the next part's reading is pause enough.)
WRITE_GAP = 0.05
_PART_ITEMS = (20, 2000)  # the fewest and most items in one part


def plan(
    db: Database, settings: ReminderSettings, now: datetime,
    stopping: threading.Event | None = None,
) -> int:  # fmt: skip
    """Plan every kind of mail into the outbox; returns how many rows were created or changed.

    The reminders a part of the agenda at a time (`reminders.plan_part`, each part whole in
    itself), then the chains, nudges and digests. Each plan is read in one transaction and
    written in short ones of its own (see `outbox.Plan`); each part of the reminders is sized
    by how long the one before took, so that it lasts about `PART_SECONDS` on a quiet or a
    busy machine. Planning twice, or two replicas at once, creates nothing twice (see
    `outbox.add_missing`). A process shutting down (`stopping`) stops between two
    transactions: the next run plans the rest.
    """
    pause = stopping or threading.Event()
    changed, after, size = 0, 0, 100
    while True:
        started = time.monotonic()
        with db.read() as session:
            part, end = reminders.plan_part(session, settings, now, after, size)
        changed += _write(db, part, pause)
        if end is None:
            break
        if pause.is_set():
            return changed  # shutting down: the next run, here or on another replica, plans on
        after, size = end, _next_size(size, time.monotonic() - started)
    with db.write() as session:
        changed += chains.follow(session, now)  # before the nudges: a chain found off ends its own
    with db.read() as session:
        nudges_planned = nudges.planned(session, settings, now)
    changed += _write(db, nudges_planned, pause)
    with db.read() as session:
        digests_planned = digest_mail.planned(session, now)
    return changed + _write(db, digests_planned, pause)


def _write(db: Database, plan: outbox.Plan, pause: threading.Event) -> int:
    """Write `plan` in transactions of at most `WRITE_ROWS` rows; returns how many rows were
    created or changed."""
    changed = 0
    for n, batch in enumerate(plan.batches(WRITE_ROWS)):
        if n and pause.wait(WRITE_GAP if db.is_sqlite else 0):
            break  # shutting down: the next run writes the rest
        with db.write() as session:
            changed += outbox.write(session, batch)
    return changed


def _next_size(size: int, took: float) -> int:
    """How many items the next part takes, for it to last about `PART_SECONDS` (at most half
    or twice as many as this one: one slow part may be a fluke)."""
    wanted = size * PART_SECONDS / max(took, 0.001)
    return round(min(max(wanted, size / 2, _PART_ITEMS[0]), size * 2, _PART_ITEMS[1]))


def _renderer_of(kind: str) -> _Render:
    if kind in nudges.KINDS:
        return nudges.messages
    if kind == digest_mail.DIGEST:
        return digest_mail.messages
    if kind == sources.SOURCE_CHANGE:
        return sources.messages  # planned by the sync of an outside calendar, not here
    return reminders.messages
