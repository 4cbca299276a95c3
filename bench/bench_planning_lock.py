"""Benchmark: how long an agenda edit waits while the service plans 5,000 items on SQLite.

Run: .venv/bin/python bench/bench_planning_lock.py [--items 5000]

SQLite has one writer at a time, and every planning transaction is a write transaction. A
planning run (`delivery.dispatch`, as the service's planning tick runs it) goes in a process
of its own, as a second process would; meanwhile this process edits one item again and again
(`agenda.save_item` in a write transaction, as a web or API edit does) and times each edit
from its start to its commit. Baseline: the same edits with no planning running. Two runs:
the first, which creates every row, and the steady one that follows (nothing to change: what
the service does every `dispatch_interval_seconds`). The agenda: 5,000 items over a year, a
tenth weekly series, each with an owner and a participant out of 20 people, a theme and a
stakeholder; the default reminder rules.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from scheduler import agenda, delivery, reminders  # noqa: E402
from scheduler.clock import now_utc  # noqa: E402
from scheduler.config import Settings  # noqa: E402
from scheduler.db import Database  # noqa: E402
from scheduler.interchange import import_data  # noqa: E402
from scheduler.models import Delivery  # noqa: E402
from scheduler.schemas import ItemIn  # noqa: E402

ACTOR = agenda.Actor("bench", "bench")
KINDS = ("meeting", "meeting", "networking", "decision", "deadline")
PAUSE = 0.02  # between two edits, as people type


def catalog() -> dict[str, Any]:
    return {
        "themes": [{"slug": f"t{n}", "name": f"Thema {n}"} for n in range(5)],
        "stakeholders": [
            {"slug": f"s{n}", "name": f"Partner {n}", "kind": "gemeente"} for n in range(10)
        ],
        "people": [
            {"email": f"p{n}@example.nl", "name": f"Persoon {n}", "roles": ["lobbyist"]}
            for n in range(20)
        ],
    }


def build(db: Database, items: int) -> None:
    rng = random.Random(18)
    import_data(db, catalog(), "bench", ACTOR)
    first = (now_utc() - timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    with db.write() as session:
        for n in range(items):
            start = first + timedelta(hours=rng.randrange(365 * 24))
            owner, other = rng.sample(range(20), 2)
            spec = {
                "uid": f"i{n}", "title": f"Overleg {n}", "kind": KINDS[n % len(KINDS)],
                "start": start.isoformat(), "owner": f"p{owner}@example.nl",
                "participants": [f"p{other}@example.nl"], "themes": [f"t{n % 5}"],
                "stakeholders": [f"s{rng.randrange(10)}"],
            }  # fmt: skip
            if n % 10 == 0:
                spec["rrule"] = "FREQ=WEEKLY;COUNT=10"
            agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)


def plan(url: str, mail_dir: str, started: Any) -> None:
    """One planning run, in a process of its own, as the service's planning tick runs it."""
    db = Database(url)
    conf = Settings(database_url=url, mail_dir=mail_dir)
    settings = reminders.settings_from(conf)
    started.set()
    began = time.perf_counter()
    delivery.dispatch(db, settings, "bench-planner")
    print(f"    planning run took {time.perf_counter() - began:.1f} s")
    db.dispose()


def edit(db: Database, n: int) -> float:
    """One edit of one item; how long it took from its start to its commit (seconds)."""
    spec = {"uid": "i1", "title": f"Overleg 1 ({n})", "kind": "meeting",
            "start": "2027-01-05T10:00", "owner": "p1@example.nl"}  # fmt: skip
    began = time.perf_counter()
    with db.write() as session:
        agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)
    return time.perf_counter() - began


def edits(db: Database, until: Any, count: int | None = None) -> tuple[list[float], int]:
    """Edits one after another until `until()` is true (or `count` of them); their times, and
    how many failed with "database is locked"."""
    times: list[float] = []
    locked = 0
    while (count is None and not until()) or (count is not None and len(times) < count):
        try:
            times.append(edit(db, len(times)))
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            locked += 1
        time.sleep(PAUSE)
    return times, locked


def report(label: str, times: list[float], locked: int) -> None:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))] if ms else float("nan")
    print(
        f"  {label:<34} {len(ms):5} edits   median {statistics.median(ms):7.1f} ms   "
        f"p95 {p95:7.1f} ms   max {max(ms):7.1f} ms   'database is locked': {locked}"
    )


def during_planning(db: Database, mail_dir: str) -> tuple[list[float], int]:
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    planner = context.Process(target=plan, args=(db.url, mail_dir, started))
    planner.start()
    started.wait(120)
    result = edits(db, lambda: not planner.is_alive())
    planner.join()
    return result


def rows(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Delivery)) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )
    print(f"command: python bench/bench_planning_lock.py --items {args.items}  (code in {ROOT})")
    folder = Path(tempfile.mkdtemp(prefix="lobby-bench-lock-"))
    db = Database(f"sqlite:///{folder / 'lock.sqlite3'}")
    db.upgrade()
    began = time.perf_counter()
    build(db, args.items)
    print(f"set up {args.items} items in {time.perf_counter() - began:.0f} s")
    mail_dir = str(folder / "mail")
    report("baseline, no planning running", *edits(db, lambda: False, count=100))
    print("  first planning run (creates the rows):")
    first = during_planning(db, mail_dir)
    print(f"    {rows(db)} rows planned")
    report("edits during the first run", *first)
    print("  steady planning run (nothing to change):")
    report("edits during a steady run", *during_planning(db, mail_dir))
    db.dispose()


if __name__ == "__main__":
    main()
