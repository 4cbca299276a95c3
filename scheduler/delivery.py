"""What the outbox delivers: plans every kind of mail, then sends what is due, each row
composed by the module that knows its kind."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from scheduler import clock, liveness, outbox, reminders
from scheduler.db import Database
from scheduler.mailer import Outgoing
from scheduler.models import Delivery
from scheduler.reminders import ReminderSettings


def dispatch(
    db: Database, settings: ReminderSettings, worker: str, *, planning: bool = True
) -> int:
    """1. plan (unless told not to: planning reads the whole agenda); 2. expire what is too
    old; 3. claim, compose and send what is due. Returns how many messages were sent."""
    now = clock.now_utc()
    with db.write() as session:
        liveness.beat(session, worker, now, now)  # so that nobody takes our claims for abandoned
        if planning:
            reminders.plan(session, settings, now)
        outbox.expire(session, settings.grace, now)

    def compose(session: Session, rows: Sequence[Delivery], at: datetime) -> dict[int, Outgoing]:
        return reminders.messages(session, settings, rows, at)

    return outbox.send_due(db, settings.outbox, worker, compose)
