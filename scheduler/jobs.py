"""APScheduler wiring, and only that: a few fixed jobs with explicit ids, state in our tables.

APScheduler 3 cannot share a job store between processes, so every replica runs the same
in-memory jobs; each job must therefore be idempotent and claim its work in the database.

No job ever adds or changes a job: `shutdown(wait=True)` holds the job-store lock while it
waits for running jobs, so a job that then calls `add_job` waits for it forever (a SIGTERM
hung until SIGKILL). Timeliness comes from a short fixed sending tick instead.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import ParamSpec

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler import clock, delivery, documents, liveness, retention, sources
from scheduler.db import Database
from scheduler.reminders import ReminderSettings

log = logging.getLogger(__name__)
# Set when the process shuts down: a dispatch run then stops after the message on the wire
# and gives the rest of its batch back; a job that has not started yet does not start.
STOPPING = threading.Event()

# How often the service looks for outside calendars due (each has its own interval).
SOURCES_TICK_SECONDS = 60
# How often the service sends what is due: a reminder leaves at most about this late (the
# lateness benchmark's target is p99 <= 2 s). A tick with nothing due costs two short
# transactions (heartbeat and expiry, then an empty claim).
SEND_TICK_SECONDS = 1
# How long `stop` waits for running jobs: uvicorn's own shutdown before it and the process's
# end after it fit in the rest of the 10 s that `docker stop` gives before SIGKILL (measured,
# when the mail server stopped answering: 8.2 s in all with 8 here, 7.2 s with 7 on a busy
# machine; 5 leaves a busy machine room, and planning and pruning stop between their parts).
STOP_SECONDS = 5.0
JOB_DEFAULTS = {
    "coalesce": True,  # after a pause, run a missed job once, not once per missed tick
    "max_instances": 1,
    "misfire_grace_time": 300,  # APScheduler's default of 1 s would skip runs after a stall
}
# The daily prune (`retention`), at this local time (the setting `timezone`): a quiet hour,
# outside the 02:00-03:00 that the DST changes skip or repeat in Europe/Amsterdam.
PRUNE_JOB = "prune"
PRUNE_AT = {"hour": 3, "minute": 30}
# Planning and sending share one thread, so that in one process they never compete for
# SQLite's single writer (replicas still run side by side: the outbox's claims keep them apart).
OUTBOX_EXECUTOR = "outbox"

P = ParamSpec("P")


class _Running:
    """How many of our jobs are running, so that `stop` can wait for them with a bound.

    APScheduler's own wait has no bound; its pool's threads are not ours to join."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def track(self, job: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(job)
        def tracked(*args: P.args, **kwargs: P.kwargs) -> None:
            with self._idle:
                if STOPPING.is_set():
                    return  # queued before the shutdown: not worth starting now
                self._count += 1
            try:
                job(*args, **kwargs)
            finally:
                with self._idle:
                    self._count -= 1
                    self._idle.notify_all()

        return tracked

    def refuse_new(self) -> None:
        """From now on no job starts (one queued before this returns at once)."""
        with self._idle:
            STOPPING.set()  # under the lock: a job either counted itself or will not start

    def wait_idle(self, seconds: float) -> bool:
        """True once no job runs; False if some still ran after `seconds`."""
        deadline = time.monotonic() + seconds
        with self._idle:
            while self._count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
            return True


RUNNING = _Running()
SEND_TICK = "reminders-send"


class _QuietSkippedSendTicks(logging.Filter):
    """A sending tick skipped because the one before is still sending (a backlog takes many
    seconds) is the design, not a fault; APScheduler would warn about it every second."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = record.args[0] if isinstance(record.args, tuple) and record.args else None
        skipped = "maximum number of running instances" in str(record.msg)
        return not (skipped and getattr(job, "id", None) == SEND_TICK)


QUIET_SKIPPED_SEND_TICKS = _QuietSkippedSendTicks()


def beat(db: Database, instance: str, started_at: datetime) -> None:
    """Record that this process is alive (one row per process)."""
    with db.write() as session:
        liveness.beat(session, instance, started_at, clock.now_utc())


def send_reminders(
    db: Database, settings: ReminderSettings, instance: str, planning: bool = True
) -> None:
    """Plan (unless told not to) and send due reminders. The planning tick plans, well ahead
    of any due time; the sending tick only sends. All state is in the outbox, so every
    replica may run this."""
    delivery.dispatch(db, settings, instance, planning=planning, stopping=STOPPING)


def sync_sources(db: Database, settings: sources.SourceSettings, instance: str) -> None:
    """Fetch the outside calendars whose time has come; each is claimed in the database, so
    every replica may run this."""
    sources.sync_due(db, settings, instance)


def prune(
    db: Database, settings: retention.RetentionSettings, instance: str,
    files: documents.FileStore | None = None,
) -> None:  # fmt: skip
    """Delete what is past its retention, in short transactions; stops between two of them
    when the process shuts down (the rest waits for the next night). Every replica runs it:
    the batches share the rows, so two at once delete each row once. Then files of uploads
    a crash cut off go (`documents.sweep`)."""
    result = retention.prune(db, settings, clock.now_utc(), stopping=STOPPING, ran_by=instance)
    log.info(
        "pruned old rows" if result.complete else "pruning stopped for the shutdown",
        extra={"instance": instance, "deleted": result.counts},
    )
    if files is not None and result.complete:
        with db.read() as session:
            documents.sweep(session, files, clock.now_utc())


def start(
    db: Database,
    *,
    timezone: str,
    heartbeat_seconds: int,
    reminder_settings: ReminderSettings | None = None,
    dispatch_seconds: int = 30,
    source_settings: sources.SourceSettings | None = None,
    retention_settings: retention.RetentionSettings | None = None,
    files: documents.FileStore | None = None,
) -> BackgroundScheduler:
    STOPPING.clear()
    scheduler = BackgroundScheduler(timezone=timezone, job_defaults=JOB_DEFAULTS)
    logging.getLogger("apscheduler.scheduler").addFilter(QUIET_SKIPPED_SEND_TICKS)  # once
    scheduler.add_executor(ThreadPoolExecutor(max_workers=1), OUTBOX_EXECUTOR)
    instance = liveness.instance_name()
    if reminder_settings is not None:
        _add_reminder_jobs(scheduler, db, reminder_settings, instance, dispatch_seconds)
    if source_settings is not None:
        _every(
            scheduler,
            "sources",
            SOURCES_TICK_SECONDS,
            sync_sources,
            (db, source_settings, instance),
        )
    if retention_settings is not None:
        scheduler.add_job(
            RUNNING.track(prune),
            "cron",
            id=PRUNE_JOB,
            replace_existing=True,
            args=(db, retention_settings, instance, files),
            **PRUNE_AT,
        )
    _every(scheduler, "heartbeat", heartbeat_seconds, beat, (db, instance, clock.now_utc()))
    scheduler.start()
    log.info(
        "scheduler started",
        extra={"instance": instance, "jobs": [j.id for j in scheduler.get_jobs()]},
    )
    return scheduler


def _add_reminder_jobs(
    scheduler: BackgroundScheduler, db: Database, settings: ReminderSettings, instance: str,
    dispatch_seconds: int,
) -> None:  # fmt: skip
    """Planning (which reads the whole agenda) every `dispatch_seconds`, at start-up first
    to catch up on what fell due while down; sending every second."""
    args = (db, settings, instance)
    _every(scheduler, "reminders", dispatch_seconds, send_reminders, args, OUTBOX_EXECUTOR)
    send_seconds = min(SEND_TICK_SECONDS, dispatch_seconds)
    _every(scheduler, SEND_TICK, send_seconds, send_reminders, (*args, False), OUTBOX_EXECUTOR)


def _every(
    scheduler: BackgroundScheduler, job_id: str, seconds: int, job: Callable[..., None],
    args: tuple[object, ...], executor: str = "default",
) -> None:  # fmt: skip
    """A fixed tick, the first within a second. Tracked, so that `stop` can wait for it with a
    bound."""
    scheduler.add_job(
        RUNNING.track(job),
        "interval",
        id=job_id,
        replace_existing=True,
        seconds=seconds,
        # Ticks on whole seconds: due times are whole seconds (an offset from a start), so a
        # reminder leaves milliseconds after its time instead of up to a tick later.
        # (APScheduler counts each tick from the one before, so the first sets the phase.)
        start_date=clock.now_utc().replace(microsecond=0) + timedelta(seconds=1),
        args=args,
        executor=executor,
    )


def stop(scheduler: BackgroundScheduler, seconds: float = STOP_SECONDS) -> bool:
    """Stop within `seconds`: no job starts any more, a dispatch run sends the message on the
    wire and gives the rest of its batch back. True if every job finished in time; a job
    still running after that (a fetch or a planning run, or an SMTP server that stopped
    answering) is left behind: `serve` still ends, since uvicorn re-raises the SIGTERM once
    the app has shut down and its default action ends the process whatever threads run (the
    job's claimed rows are taken over once its heartbeat is silent, see `liveness`)."""
    RUNNING.refuse_new()
    # No wait here: APScheduler's wait has no bound, and holds the job-store lock meanwhile.
    scheduler.shutdown(wait=False)
    finished = RUNNING.wait_idle(seconds)
    if finished:
        log.info("scheduler stopped")
    else:
        log.warning("scheduler stopped; a job still running after %s s is abandoned", seconds)
    return finished
