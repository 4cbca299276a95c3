"""What the outbox delivers: plans every kind of mail, then sends what is due, each row
composed by the module that knows its kind."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from scheduler import chains, clock, digest_mail, liveness, nudges, outbox, reminders, sources
from scheduler.db import Database
from scheduler.mailer import Outgoing
from scheduler.models import Delivery
from scheduler.outbox import Skipped
from scheduler.reminders import ReminderSettings

_Render = Callable[
    [Session, ReminderSettings, Sequence[Delivery], datetime], Mapping[int, Outgoing | Skipped]
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
        if planning:
            reminders.plan(session, settings, now)
            chains.follow(session, now)  # before the nudges: a chain found off ends its own
            nudges.plan(session, settings, now)
            digest_mail.plan(session, now)
        outbox.expire(session, settings.grace, now)

    def compose(
        session: Session, rows: Sequence[Delivery], at: datetime
    ) -> dict[int, Outgoing | Skipped]:
        by_renderer: dict[_Render, list[Delivery]] = defaultdict(list)
        for row in rows:
            by_renderer[_renderer_of(row.kind)].append(row)
        composed: dict[int, Outgoing | Skipped] = {}
        for render, chosen in by_renderer.items():
            composed.update(render(session, settings, chosen, at))
        return composed

    return outbox.send_due(db, settings.outbox, worker, compose, stopping)


def _renderer_of(kind: str) -> _Render:
    if kind in nudges.KINDS:
        return nudges.messages
    if kind == digest_mail.DIGEST:
        return digest_mail.messages
    if kind == sources.SOURCE_CHANGE:
        return sources.messages  # planned by the sync of an outside calendar, not here
    return reminders.messages
