"""Benchmark: a 5,000-item theme feed through the ASGI app, against building it from scratch.

Run: .venv/bin/python bench/bench_feeds.py [--items 5000] [--requests 200]

The baseline is what other agenda tools do: build the whole feed with icalendar on every
request (here: our own builder with empty caches, so the output is the same feed). Measured in
process, through the ASGI app (Starlette's TestClient), on a SQLite file; 20 % of the items
recur, each recurring item has one moved and one cancelled occurrence.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import time_machine
from fastapi.testclient import TestClient

from scheduler import agenda, tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.feeds import FeedBuilder, FeedSpec
from scheduler.ics_writer import Viewer, options_from
from scheduler.interchange import import_data
from scheduler.schemas import ItemIn
from scheduler.web import create_app

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
ACTOR = agenda.Actor("bench", "bench")


def agenda_data(count: int) -> dict[str, list[dict[str, Any]]]:
    first = datetime(2026, 12, 1, 9, 0)
    items: list[dict[str, Any]] = []
    for n in range(count):
        start = first + timedelta(days=n % 365, hours=n % 8)
        item: dict[str, Any] = {
            "uid": f"bench-{n:05d}", "title": f"Overleg {n} over de spoorcorridor", "kind": "meeting",
            "start": start.isoformat(timespec="minutes"),
            "end": (start + timedelta(hours=1)).isoformat(timespec="minutes"),
            "themes": ["mobiliteit"], "stakeholders": ["mra"], "owner": "o@example.nl",
            "goal": "Extra spoorcapaciteit Alkmaar–Zaanstad", "message": "Alkmaar is de scharnier",
            "location": "Provinciehuis, Haarlem", "reminders": ["P7D", "P1D"],
            "confidentiality": "internal" if n % 10 else "confidential",
        }  # fmt: skip
        if n % 5 == 0:  # 20 % recurring, each with one moved and one cancelled occurrence
            item["rrule"] = "FREQ=WEEKLY;COUNT=20"
            second, third = start + timedelta(weeks=1), start + timedelta(weeks=2)
            item["occurrences"] = [
                {"recurrence_id": second.isoformat(timespec="minutes"),
                 "start": (second + timedelta(hours=2)).isoformat(timespec="minutes")},
                {"recurrence_id": third.isoformat(timespec="minutes"), "cancelled": True},
            ]  # fmt: skip
        items.append(item)
    return {
        "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}],
        "stakeholders": [{"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"}],
        "people": [{"email": "o@example.nl", "name": "Olga", "roles": ["lobbyist"]}],
        "items": items,
    }


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )

    folder = Path(tempfile.mkdtemp(prefix="lobby-bench-feeds-"))
    url = f"sqlite:///{folder / 'feeds.sqlite3'}"
    db = Database(url)
    db.upgrade()
    with time_machine.travel(NOW, tick=True):
        loading = timed(lambda: import_data(db, agenda_data(args.items), "bench", ACTOR))
        with db.write() as session:
            _, secret = tokens.create(session, "o@example.nl", today=NOW.date())
        print(f"loaded {args.items} items in {loading:.1f} s")
        settings = Settings(database_url=url, calendar_domain="bench.example")
        feed_url = f"/feeds/{secret}/themes/mobiliteit.ics"
        plain = {"Accept-Encoding": "identity"}

        # Baseline: the same feed built from scratch on every request.
        def from_scratch() -> int:
            with db.read() as session:
                builder = FeedBuilder(options_from(settings))
                return len(
                    builder.feed(
                        session, FeedSpec("theme", "mobiliteit"), Viewer(1, "nl"), NOW.date()
                    ).body
                )

        size = from_scratch()
        baseline = [timed(from_scratch) for _ in range(3)]
        baseline_rate = 1 / statistics.median(baseline)

        with TestClient(create_app(settings, run_jobs=False)) as client:
            first = timed(lambda: client.get(feed_url, headers=plain))
            response = client.get(feed_url, headers=plain)
            assert response.status_code == 200 and len(response.content) == size
            etag = response.headers["etag"]
            unchanged = [
                timed(lambda: client.get(feed_url, headers=plain)) for _ in range(args.requests)
            ]
            not_modified = [
                timed(lambda: client.get(feed_url, headers={**plain, "If-None-Match": etag}))
                for _ in range(args.requests)
            ]
            after_change = []
            for round_ in range(5):
                with db.write() as session:
                    spec = ItemIn.model_validate(
                        {
                            "uid": "bench-00042",
                            "title": f"Gewijzigd {round_}",
                            "kind": "meeting",
                            "start": "2026-12-02T10:00",
                        }
                    )
                    agenda.save_item(session, spec, ACTOR)
                after_change.append(timed(lambda: client.get(feed_url, headers=plain)))
            gzip_first = timed(lambda: client.get(feed_url, headers={"Accept-Encoding": "gzip"}))
            gzip_again = statistics.median(
                timed(lambda: client.get(feed_url, headers={"Accept-Encoding": "gzip"}))
                for _ in range(20)
            )
            health = statistics.median(
                timed(lambda: client.get("/healthz")) for _ in range(args.requests)
            )
            direct = asyncio.run(_direct_asgi(client.app, feed_url, etag, args.requests))

    unchanged_rate = 1 / statistics.median(unchanged)
    print(f"theme feed: {args.items} items, {size / 1e6:.2f} MB")
    print(
        f"  baseline, built from scratch per request : {statistics.median(baseline) * 1000:8.1f} ms  ({baseline_rate:8.1f} req/s)"
    )
    print(f"  first request (cold caches)              : {first * 1000:8.1f} ms")
    print(
        f"  unchanged data, cached                   : {statistics.median(unchanged) * 1000:8.2f} ms  ({unchanged_rate:8.1f} req/s)"
    )
    print(
        f"  ratio unchanged / baseline throughput    : {unchanged_rate / baseline_rate:8.0f}x   (target >= 100x)"
    )
    print(
        f"  first request after one item changed     : {statistics.median(after_change) * 1000:8.1f} ms median, {max(after_change) * 1000:.1f} ms max of 5   (target <= 50 ms)"
    )
    print(
        f"  304 Not Modified                         : {statistics.median(not_modified) * 1000:8.2f} ms median, p95 {sorted(not_modified)[int(len(not_modified) * 0.95)] * 1000:.2f} ms   (target <= 2 ms)"
    )
    print(
        f"  gzip: first {gzip_first * 1000:.1f} ms (compresses once), then {gzip_again * 1000:.2f} ms"
    )
    print(f"  (TestClient's own cost, GET /healthz: {health * 1000:.2f} ms per request)")
    print(
        "through the ASGI app directly (httpx ASGITransport, one event loop, no thread hop for the client):"
    )
    print(
        f"  304 Not Modified                         : {direct['304'] * 1000:8.2f} ms median   (target <= 2 ms)"
    )
    print(f"  unchanged data, cached (200)             : {direct['200'] * 1000:8.2f} ms median")
    print(f"  GET /healthz, for comparison             : {direct['health'] * 1000:8.2f} ms median")


async def _direct_asgi(app: Any, url: str, etag: str, requests: int) -> dict[str, float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        results = {}
        for name, path, headers in (
            ("304", url, {"If-None-Match": etag, "Accept-Encoding": "identity"}),
            ("200", url, {"Accept-Encoding": "identity"}),
            ("health", "/healthz", {}),
        ):
            timings = []
            for _ in range(requests):
                started = time.perf_counter()
                await client.get(path, headers=headers)
                timings.append(time.perf_counter() - started)
            results[name] = statistics.median(timings)
        return results


if __name__ == "__main__":
    main()
