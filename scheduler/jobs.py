"""APScheduler wiring, and only that: a few fixed jobs with explicit ids, state in our tables.

APScheduler 3 cannot share a job store between processes, so every replica runs the same
in-memory jobs; each job must therefore be idempotent and claim its work in the database.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler

from scheduler import clock, delivery, liveness, outbox, sources
from scheduler.db import Database
from scheduler.reminders import ReminderSettings

log = logging.getLogger(__name__)
# Set when the process shuts down: a dispatch run then stops after the batch on the wire.
STOPPING = threading.Event()

# How often the service looks for outside calendars due (each has its own interval).
SOURCES_TICK_SECONDS = 60
JOB_DEFAULTS = {
    "coalesce": True,  # after a pause, run a missed job once, not once per missed tick
    "max_instances": 1,
    "misfire_grace_time": 300,  # APScheduler's default of 1 s would skip runs after a stall
}


def beat(db: Database, instance: str, started_at: datetime) -> None:
    """Record that this process is alive (one row per process)."""
    with db.write() as session:
        liveness.beat(session, instance, started_at, clock.now_utc())


def send_reminders(
    db: Database,
    settings: ReminderSettings,
    instance: str,
    scheduler: BackgroundScheduler | None = None,
    planning: bool = True,
) -> None:
    """Plan and send due reminders, then wake again when the next one falls due (sooner than
    the interval), so that reminders leave within a second or two of their time. A wake-up
    only sends: the interval run plans, well ahead of any due time.

    All state is in the outbox, so every replica may run this.
    """
    delivery.dispatch(db, settings, instance, planning=planning, stopping=STOPPING)
    if scheduler is None:
        return  # a one-off run (tests, `dispatch --once`)
    upcoming = outbox.next_due(db)
    if upcoming is not None and upcoming > clock.now_utc():
        scheduler.add_job(
            send_reminders,
            "date",
            id="reminders-next",
            replace_existing=True,
            run_date=upcoming,
            args=(db, settings, instance, scheduler, False),
        )


def sync_sources(db: Database, settings: sources.SourceSettings, instance: str) -> None:
    """Fetch the outside calendars whose time has come; each is claimed in the database, so
    every replica may run this."""
    sources.sync_due(db, settings, instance)


def start(
    db: Database,
    *,
    timezone: str,
    heartbeat_seconds: int,
    reminder_settings: ReminderSettings | None = None,
    dispatch_seconds: int = 30,
    source_settings: sources.SourceSettings | None = None,
) -> BackgroundScheduler:
    STOPPING.clear()
    scheduler = BackgroundScheduler(timezone=timezone, job_defaults=JOB_DEFAULTS)
    instance = liveness.instance_name()
    if reminder_settings is not None:
        scheduler.add_job(
            send_reminders,
            "interval",
            id="reminders",
            replace_existing=True,
            seconds=dispatch_seconds,
            args=(db, reminder_settings, instance, scheduler),
            next_run_time=clock.now_utc(),  # at start-up: catch up on what fell due while down
        )
    if source_settings is not None:
        scheduler.add_job(
            sync_sources,
            "interval",
            id="sources",
            replace_existing=True,
            seconds=SOURCES_TICK_SECONDS,
            args=(db, source_settings, instance),
            next_run_time=clock.now_utc(),
        )
    scheduler.add_job(
        beat,
        "interval",
        id="heartbeat",
        replace_existing=True,
        seconds=heartbeat_seconds,
        args=(db, instance, clock.now_utc()),
        next_run_time=clock.now_utc(),
    )
    scheduler.start()
    log.info(
        "scheduler started",
        extra={"instance": instance, "jobs": [j.id for j in scheduler.get_jobs()]},
    )
    return scheduler


def stop(scheduler: BackgroundScheduler) -> None:
    """Let a running job finish (a dispatch run after its current batch), then stop."""
    STOPPING.set()
    scheduler.shutdown(wait=True)
    log.info("scheduler stopped")
