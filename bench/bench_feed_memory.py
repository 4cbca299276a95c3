"""Benchmark: a theme feed's peak memory does not grow with the items outside that feed.

Run: .venv/bin/python bench/bench_feed_memory.py [--feed-items 5000] [--total 100000]

Starts a throwaway PostgreSQL cluster (as the tests do; as the `postgres` user when root),
fills two databases — one with only the theme's items, one with the same items plus items on
other themes up to --total — and builds the theme feed in a fresh process for each, reporting
that process's peak RSS. The baseline is the first database: same feed, nothing else around it.
Items are inserted with plain SQL (the benchmark's setup, not the product's import path).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from scheduler.db import Database  # noqa: E402
from scheduler.models import AgendaItem, Person, Theme, item_themes  # noqa: E402
from tests.conftest import _start_cluster, _stop_cluster  # noqa: E402

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

MEASURE = """
import json, resource, sys, time
from datetime import date
from scheduler.db import Database
from scheduler.feeds import FeedBuilder, FeedSpec
from scheduler.ics_writer import FeedOptions, Viewer
db = Database(sys.argv[1])
options = FeedOptions("bench.example", "https://bench.example", "PT1H", 90, 14, "busy", "Europe/Amsterdam")
started = time.perf_counter()
with db.read() as session:
    feed = FeedBuilder(options).feed(session, FeedSpec("theme", "mobiliteit"), Viewer(1, "nl"), date(2026, 11, 28))
print(json.dumps({"bytes": len(feed.body), "events": feed.body.count(b"BEGIN:VEVENT"),
                  "seconds": time.perf_counter() - started,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def fill(url: str, feed_items: int, total: int) -> None:
    db = Database(url)
    db.upgrade()
    with db.write() as session:
        session.add_all(
            [Theme(slug="mobiliteit", name="Mobiliteit"), Theme(slug="wonen", name="Wonen")]
        )
        session.add(Person(email="o@example.nl", name="Olga", roles=["lobbyist"]))
        session.flush()
        themes = {t.slug: t.id for t in session.query(Theme)}
    rows, links = [], []
    for n in range(total):
        start = NOW + timedelta(days=n % 365, hours=n % 8)
        rows.append({
            "id": n + 1, "uid": f"m-{n:06d}", "kind": "meeting", "title": f"Overleg {n}", "description": "x" * 200,
            "starts_at": start, "ends_at": start + timedelta(hours=1), "all_day": False,
            "timezone": "Europe/Amsterdam", "rrule": "FREQ=WEEKLY;COUNT=10" if n % 5 == 0 else None,
            "rdates": [], "exdates": [], "location": "Alkmaar", "online_url": "", "goal": "Doel",
            "message": "Boodschap", "status": "planned", "confidentiality": "internal", "reminders": ["P7D"],
            "outcome": "", "revision": 1, "created_at": NOW, "updated_at": NOW, "owner_id": 1,
            "last_ends_at": None if n % 5 == 0 else start + timedelta(hours=1), "changed_version": 0,
        })  # fmt: skip
        links.append(
            {"item_id": n + 1, "theme_id": themes["mobiliteit" if n < feed_items else "wonen"]}
        )
        if len(rows) == 5000:
            _flush(db, rows, links)
    _flush(db, rows, links)
    db.dispose()


def _flush(db: Database, rows: list[dict[str, object]], links: list[dict[str, object]]) -> None:
    if rows:
        with db.write() as session:
            session.execute(insert(AgendaItem), rows)
            session.execute(insert(item_themes), links)
        rows.clear()
        links.clear()


def measure(url: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, url], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return dict(json.loads(result.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feed-items", type=int, default=5000)
    parser.add_argument("--total", type=int, default=100_000)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )
    server = _start_cluster()
    try:
        results = {}
        for name, total in (
            ("only the feed's items", args.feed_items),
            ("plus other items", args.total),
        ):
            database = "feed_only" if total == args.feed_items else "feed_and_others"
            server.execute(f"CREATE DATABASE {database}")
            url = server.url_for(database)
            started = time.perf_counter()
            fill(url, args.feed_items, total)
            print(f"filled '{name}': {total} items in {time.perf_counter() - started:.0f} s")
            results[name] = measure(url)
        base, big = results["only the feed's items"], results["plus other items"]
        print(f"theme feed of {args.feed_items} items (PostgreSQL), built in a fresh process:")
        for name, result in results.items():
            print(f"  {name:24s}: {result['events']:.0f} events, {result['bytes'] / 1e6:.2f} MB, "
                  f"{result['seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB")  # fmt: skip
        print(
            f"  peak RSS ratio with {args.total} items / with {args.feed_items}: {big['peak_rss_mb'] / base['peak_rss_mb']:.2f}"
        )
    finally:
        _stop_cluster(server)


if __name__ == "__main__":
    main()
