"""Benchmark: lateness (sent-at minus due-at) of reminders that fall due while the service runs.

Run: .venv/bin/python bench/bench_lateness.py [--reminders 60] [--spread 60]

Starts `lobby-agenda serve` as a real process against a SQLite file and an aiosmtpd server on
loopback, with reminders falling due one after another over --spread seconds, waits until all
are sent, and reports the lateness percentiles from the outbox. Baseline for comparison: the
dispatch interval (the lateness a purely polling service would have on average is half of it).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.bench_reminders import ACTOR, Counting, free_port  # noqa: E402
from scheduler import agenda  # noqa: E402
from scheduler.clock import now_utc  # noqa: E402
from scheduler.db import Database  # noqa: E402
from scheduler.interchange import import_data  # noqa: E402
from scheduler.models import Delivery, DeliveryState  # noqa: E402
from scheduler.schemas import ItemIn  # noqa: E402

INTERVAL = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reminders", type=int, default=60)
    parser.add_argument("--spread", type=int, default=60)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )
    count = multiprocessing.Value("i", 0)  # Counting keeps its tally in shared memory
    handler = Counting(count)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    folder = Path(tempfile.mkdtemp(prefix="lobby-bench-late-"))
    url = f"sqlite:///{folder / 'late.sqlite3'}"
    db = Database(url)
    db.upgrade()
    import_data(
        db,
        {"people": [{"email": "o@example.nl", "name": "Olga", "roles": ["lobbyist"]}]},
        "bench",
        ACTOR,
    )
    first_due = now_utc() + timedelta(seconds=15)
    with db.write() as session:
        for n in range(args.reminders):
            due = first_due + timedelta(seconds=n * args.spread / args.reminders)
            start = (due + timedelta(days=2)).replace(microsecond=0)
            spec = {"uid": f"l{n}", "title": f"Overleg {n}", "kind": "meeting", "start": start.isoformat(),
                    "owner": "o@example.nl", "reminders": ["P2D"]}  # fmt: skip
            agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOBBY_")}
    env |= {"LOBBY_DATABASE_URL": url, "LOBBY_PORT": str(free_port()), "LOBBY_SMTP_HOST": "127.0.0.1",
            "LOBBY_SMTP_PORT": str(controller.port), "LOBBY_SMTP_SECURITY": "none",
            "LOBBY_DISPATCH_INTERVAL_SECONDS": str(INTERVAL), "LOBBY_LOG_LEVEL": "WARNING"}  # fmt: skip
    service = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + args.spread + 60
        while count.value < args.reminders and time.monotonic() < deadline:
            time.sleep(0.5)  # waiting for a real service
    finally:
        service.terminate()
        service.wait(timeout=30)
        controller.stop()
    with db.read() as session:
        rows = [
            r
            for r in session.scalars(select(Delivery))
            if r.state == DeliveryState.SENT and r.sent_at
        ]
    lateness = sorted((r.sent_at - r.due_at).total_seconds() for r in rows)  # type: ignore[operator]
    p99 = lateness[max(0, int(len(lateness) * 0.99) - 1)]
    print(
        f"{len(lateness)} of {args.reminders} reminders due over {args.spread} s, sent by a running service:"
    )
    print(
        f"  lateness p50 {statistics.median(lateness):.2f} s, p99 {p99:.2f} s, max {lateness[-1]:.2f} s   (target p99 <= 2 s)"
    )
    print(
        f"  baseline: polling every {INTERVAL} s alone would average {INTERVAL / 2:.0f} s late, at worst {INTERVAL} s"
    )
    db.dispose()


if __name__ == "__main__":
    main()
