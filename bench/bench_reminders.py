"""Benchmark: 10,000 reminders due at once, through the outbox to a real SMTP server (aiosmtpd).

Run: .venv/bin/python bench/bench_reminders.py [--items 5000] [--connections N]

Baseline in the same run: a raw smtplib loop that sends the same messages, built and
flattened beforehand, over one reused connection to the same server (the physical limit here).
The server runs in its own process, as a real mail server would. Each item has an owner and a
participant, so --items 5000 means 10,000 reminders. SQLite file database.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import smtplib
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import select  # noqa: E402

from scheduler import agenda, delivery, reminders  # noqa: E402
from scheduler.clock import now_utc  # noqa: E402
from scheduler.config import Settings  # noqa: E402
from scheduler.db import Database  # noqa: E402
from scheduler.ics_writer import options_from  # noqa: E402
from scheduler.interchange import import_data  # noqa: E402
from scheduler.mailer import SmtpSettings  # noqa: E402
from scheduler.models import Delivery, ItemKind, Person  # noqa: E402
from scheduler.schemas import ItemIn  # noqa: E402

ACTOR = agenda.Actor("bench", "bench")


class Counting:
    def __init__(self, count: Any) -> None:
        self.count = count

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def run_server(port: int, count: Any, ready: Any, stop: Any) -> None:
    controller = Controller(Counting(count), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument(
        "--connections", type=int, default=Settings().smtp_connections,
        help="SMTP connections the outbox sends over (default: the setting smtp_connections)",
    )  # fmt: skip
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )
    port = free_port()
    count, ready, stop = (
        multiprocessing.Value("i", 0),
        multiprocessing.Event(),
        multiprocessing.Event(),
    )
    server = multiprocessing.Process(
        target=run_server, args=(port, count, ready, stop), daemon=True
    )
    server.start()
    ready.wait(30)
    folder = Path(tempfile.mkdtemp(prefix="lobby-bench-mail-"))
    db = Database(f"sqlite:///{folder / 'mail.sqlite3'}")
    db.upgrade()
    import_data(db, {"people": [
        {"email": "o@example.nl", "name": "Olga Eigenaar", "roles": ["lobbyist"]},
        {"email": "p@example.nl", "name": "Piet Deelnemer", "roles": ["staff"]},
    ]}, "bench", ACTOR)  # fmt: skip
    start = (now_utc() + timedelta(days=2, minutes=-1)).replace(microsecond=0)
    started = time.perf_counter()
    with db.write() as session:
        for n in range(args.items):
            spec = {"uid": f"r{n}", "title": f"Overleg {n}", "kind": "meeting", "start": start.isoformat(),
                    "owner": "o@example.nl", "participants": ["p@example.nl"], "reminders": ["P2D"],
                    "goal": "Doel", "location": "Alkmaar"}  # fmt: skip
            agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)
    settings = reminders.ReminderSettings(
        defaults={ItemKind.MEETING: ("P2D",)},
        smtp=SmtpSettings(
            host="127.0.0.1",
            port=port,
            security="none",
            timeout=30,
            connections=args.connections,
        ),
        feed=options_from(Settings()),  # as in the service: each reminder carries its .ics
    )
    with db.write() as session:
        reminders.plan(session, settings, now_utc())
    with db.read() as session:
        total = len(list(session.scalars(select(Delivery.id))))
    print(
        f"set up {args.items} items, {total} reminders due, in {time.perf_counter() - started:.0f} s"
    )

    # Baseline: the same messages, built beforehand, over one smtplib connection.
    with db.read() as session:
        rows = list(session.scalars(select(Delivery)))
        people = {p.id: p for p in session.scalars(select(Person))}
        items = {i.id: i for i in agenda.all_items(session)}
        messages = [
            (
                reminders.build_message(
                    items[r.item_id], r, people[r.person_id], settings, late=False
                )
            )
            for r in rows
        ]  # type: ignore[index]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for message in messages:
            smtp.sendmail(message.sender, list(message.recipients), message.data)
    raw = time.perf_counter() - started

    # The outbox: plan, claim, render, send, record, as the service does.
    with count.get_lock():
        count.value = 0
    started = time.perf_counter()
    sent = delivery.dispatch(db, settings, "bench")
    outbox = time.perf_counter() - started
    stop.set()
    server.join(30)
    assert sent == total == count.value, (sent, total, count.value)
    print(f"{total} reminders due at once, SMTP server on loopback (aiosmtpd):")
    print(
        f"  raw smtplib loop, messages built beforehand, one connection: {raw:6.1f} s ({total / raw:6.0f} msg/s)"
    )
    print(
        f"  outbox dispatch (plan, claim, render, send, record)        : {outbox:6.1f} s ({total / outbox:6.0f} msg/s)   (target <= 30 s)"
    )
    print(f"  ratio outbox rate / raw rate: {raw / outbox:.2f}   (target >= 0.50)")
    db.dispose()


if __name__ == "__main__":
    main()
