"""Benchmark: the occurrence engine and YAML import, each against a baseline in the same run.

Run: .venv/bin/python bench/bench_occurrences.py [--items N]
Prints what it measured on this machine; figures and the command go into bench/README.md.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from dateutil.rrule import rrulestr

from scheduler import agenda
from scheduler.db import Database
from scheduler.interchange import import_file, read_entries
from scheduler.models import AgendaItem, ItemKind, ItemStatus
from scheduler.occurrences import occurrences_between

AMS = ZoneInfo("Europe/Amsterdam")
RULES = [
    "FREQ=WEEKLY;BYDAY=TU",
    "FREQ=MONTHLY;BYDAY=2TU",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
    "FREQ=DAILY",
]


def best_of(runs: int, work: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def recurring_items(count: int) -> list[AgendaItem]:
    items = []
    for n in range(count):
        start = datetime(2026, 1, 5, 9 + n % 8, 0, tzinfo=AMS).astimezone(UTC)
        items.append(
            AgendaItem(
                uid=f"b{n}", kind=ItemKind.MEETING, title=f"Overleg {n}", timezone=AMS.key,
                starts_at=start, ends_at=start + timedelta(hours=1), all_day=False,
                rrule=RULES[n % len(RULES)], rdates=[], exdates=[], location="",
                status=ItemStatus.PLANNED, overrides=[],
            )
        )  # fmt: skip
    return items


def bench_expansion(count: int) -> None:
    items = recurring_items(count)
    window = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))

    def engine() -> int:
        return len(occurrences_between(items, *window))

    def bare_dateutil() -> int:
        total = 0
        for item in items:
            rule = rrulestr(item.rrule or "", dtstart=item.starts_at.astimezone(AMS))
            total += len(
                rule.between(window[0].astimezone(AMS), window[1].astimezone(AMS), inc=True)
            )
        return total

    produced = engine()
    ours, baseline = best_of(3, engine), best_of(3, bare_dateutil)
    print(f"expansion: {count} recurring items over one year -> {produced} occurrences")
    print(f"  engine        {ours * 1000:8.1f} ms  ({produced / ours:,.0f} occurrences/s)")
    print(f"  bare dateutil {baseline * 1000:8.1f} ms  (baseline: rule expansion only)")
    print(f"  ratio engine / baseline: {ours / baseline:.2f}")


def bench_import(count: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="lobby-bench-"))
    first_day = datetime(2027, 1, 4, 10)
    data = {
        "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}],
        "items": [
            {
                "uid": f"i{n}", "title": f"Overleg {n}", "kind": "meeting",
                "start": (first_day + timedelta(days=n % 300)).isoformat(timespec="minutes"),
                "themes": ["mobiliteit"], "reminders": ["P7D", "P1D"], "goal": "Doel " * 10,
            }
            for n in range(count)
        ],
    }  # fmt: skip
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    db = Database(f"sqlite:///{folder / 'bench.sqlite3'}")
    db.upgrade()
    actor = agenda.Actor("bench", "import")

    started = time.perf_counter()
    report = import_file(db, path, actor)
    first = time.perf_counter() - started
    started = time.perf_counter()
    import_file(db, path, actor)
    again = time.perf_counter() - started
    parse = best_of(3, lambda: read_entries(path, 100_000_000))
    db.dispose()
    created = report.counts["items"]["created"]
    print(f"import: {count} items from YAML into SQLite ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"  first import (creates)     {first:6.2f} s  ({created / first:,.0f} items/s)")
    print(f"  second import (unchanged)  {again:6.2f} s  ({count / again:,.0f} items/s)")
    print(f"  parse only (baseline)      {parse:6.2f} s")
    print(f"  ratio first import / parse: {first / parse:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )
    bench_expansion(args.items)
    bench_import(args.items)


if __name__ == "__main__":
    main()
