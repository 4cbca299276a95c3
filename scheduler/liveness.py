"""Which service processes are alive: each one records a heartbeat row; silence means dead.

Work a process claimed (outbox rows) is taken over when its lease runs out, or sooner when
its process has stopped beating, e.g. after `kill -9`.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.db import conflict_insert
from scheduler.models import Heartbeat

# A process that has not beaten for this many intervals is taken for dead.
MISSED_BEATS = 3


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(session: Session, instance: str, started_at: datetime, now: datetime) -> None:
    """Record that `instance` is alive now (one row per process).

    One upsert: a process's heartbeat job and its dispatch run beat at the same moment at
    start-up, and on PostgreSQL both would find no row and insert it (a unique-key error)."""
    hostname, _, pid = instance.rpartition(":")
    session.execute(
        conflict_insert(session, Heartbeat)
        .values(
            instance=instance,
            hostname=hostname or instance,
            pid=int(pid) if pid.isdigit() else 0,
            started_at=started_at,
            beat_at=now,
        )
        .on_conflict_do_update(index_elements=["instance"], set_={"beat_at": now})
    )


def live_instances(session: Session, now: datetime, interval: timedelta) -> set[str]:
    """Instances that beat within the last few intervals."""
    since = now - interval * MISSED_BEATS
    return set(session.scalars(select(Heartbeat.instance).where(Heartbeat.beat_at >= since)))
