"""Benchmark: full-text search, p50/p95 per database, against a LIKE scan as the baseline.

Run: .venv/bin/python bench/bench_search.py [--items 100000] [--notes 20000]
                                             [--sqlite-items 10000] [--rounds 5]

Starts a throwaway PostgreSQL cluster (as the tests do; as the `postgres` user when root),
fills it with --items items, --notes dossier notes and 2,000 contact persons from
bench/search_data.py (seeded, so every run has the same data), and a SQLite file with
--sqlite-items items (a tenth as many notes, a fiftieth as many contact persons). Each query
below runs --rounds times as a lobbyist (so the permission check is in the query) through
`scheduler.search.search`, the whole call the API makes: ranked page of 20, exact totals per
type, snippets. The baseline in the same run: the same words looked for with
LIKE '%word%' over the same item columns (no stemming, no ranking, no notes) — the scan a
search without an index would do. Targets (issue 17): p95 ≤ 100 ms on PostgreSQL with
100,000 items and 20,000 notes, ≤ 200 ms on SQLite with 10,000 items.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import and_, func, or_, select  # noqa: E402

from bench.search_data import fill  # noqa: E402
from scheduler import search  # noqa: E402
from scheduler.db import Database  # noqa: E402
from scheduler.models import AgendaItem, Confidentiality, Person, item_participants  # noqa: E402
from tests.conftest import _start_cluster, _stop_cluster  # noqa: E402

# From a common word to a rare one, with plurals, phrases, OR, NOT and a prefix; each with
# the words its LIKE baseline looks for (all must occur).
QUERIES = [
    ("vergaderingen", ["vergadering"]),
    ("gemeente", ["gemeente"]),
    ("subsidies provincie", ["subsidie", "provincie"]),
    ('"regionaal overleg"', ["regionaal overleg"]),
    ("spoorlijn OR tunnel", ["spoorlijn"]),
    ("woningen -subsidie", ["woning"]),
    ("warmtenetten", ["warmtenet"]),
    ("ministeries", ["ministerie"]),
    ("grondposit*", ["grondposit"]),
    ("raadsinformatiebrief wethouder", ["raadsinformatiebrief", "wethouder"]),
    ("Zaanstad fietspaden", ["zaanstad", "fietspad"]),
    ("congres", ["congres"]),
]


def timed(work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def like_baseline(db: Database, reader: Person, words: list[str]) -> int:
    """Items containing every word in one of their text columns, as the reader may see them."""
    text = func.lower(
        AgendaItem.title + " " + AgendaItem.description + " " + AgendaItem.goal + " "
        + AgendaItem.message + " " + AgendaItem.outcome
    )  # fmt: skip
    visible = or_(
        AgendaItem.confidentiality != Confidentiality.CONFIDENTIAL,
        AgendaItem.owner_id == reader.id,
        AgendaItem.id.in_(
            select(item_participants.c.item_id).where(item_participants.c.person_id == reader.id)
        ),
    )
    with db.read() as session:
        matching = and_(*[text.like(f"%{word}%") for word in words], visible)
        total = session.scalar(select(func.count()).select_from(AgendaItem).where(matching))
        session.execute(
            select(AgendaItem.id).where(matching).order_by(AgendaItem.starts_at).limit(20)
        ).all()
    return int(total or 0)


def measure(db: Database, rounds: int) -> dict[str, object]:
    with db.read() as session:
        reader = session.scalars(select(Person).where(Person.id == 7)).one()
        session.expunge(reader)
    per_query: dict[str, dict[str, float | int]] = {}
    searched: list[float] = []
    scanned: list[float] = []
    for typed, words in QUERIES:
        totals: list[int] = []

        def run(typed: str = typed, totals: list[int] = totals) -> None:
            with db.read() as session:
                totals.append(search.search(session, typed, reader, limit=20).total)

        run()  # warm: plans, caches (both kinds of query get one)
        like_baseline(db, reader, words)
        times = [timed(run) for _ in range(rounds)]
        likes = [timed(lambda words=words: like_baseline(db, reader, words)) for _ in range(rounds)]
        searched += times
        scanned += likes
        per_query[typed] = {
            "hits": totals[-1], "median_ms": round(statistics.median(times), 1),
            "like_median_ms": round(statistics.median(likes), 1),
        }  # fmt: skip
    return {
        "search_p50_ms": round(statistics.median(searched), 1),
        "search_p95_ms": round(p95(searched), 1),
        "like_p50_ms": round(statistics.median(scanned), 1),
        "like_p95_ms": round(p95(scanned), 1),
        "like_over_search_p50": round(statistics.median(scanned) / statistics.median(searched), 1),
        "queries": per_query,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--notes", type=int, default=20_000)
    parser.add_argument("--sqlite-items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    report: dict[str, object] = {
        "machine": platform.platform(),
        "python": platform.python_version(),
    }

    with tempfile.TemporaryDirectory() as folder:
        sqlite = Database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        sqlite.upgrade()
        started = time.perf_counter()
        filled = fill(
            sqlite, args.sqlite_items, args.sqlite_items // 10,
            contact_persons=args.sqlite_items // 50,
        )  # fmt: skip
        print(f"SQLite: filled {filled} in {time.perf_counter() - started:.0f} s", flush=True)
        report["sqlite"] = {"rows": filled} | measure(sqlite, args.rounds)
        sqlite.dispose()

    server = _start_cluster()
    try:
        server.execute("CREATE DATABASE bench_search")
        postgres = Database(server.url_for("bench_search"))
        postgres.upgrade()
        started = time.perf_counter()
        filled = fill(postgres, args.items, args.notes)
        print(f"PostgreSQL: filled {filled} in {time.perf_counter() - started:.0f} s", flush=True)
        report["postgresql"] = {"rows": filled} | measure(postgres, args.rounds)
        postgres.dispose()
    finally:
        _stop_cluster(server)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
