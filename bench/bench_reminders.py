"""Benchmark: 10,000 reminders due at once, through the outbox to a real SMTP server (aiosmtpd).

Run: .venv/bin/python bench/bench_reminders.py [--items 5000]

Baseline in the same run: a raw smtplib loop that sends the same messages, built beforehand,
over one reused connection to the same server (the physical limit here). Each item has an owner
and a participant, so --items 5000 means 10,000 reminders. SQLite file database.
"""

from __future__ import annotations

import argparse
import platform
import smtplib
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import select  # noqa: E402

from scheduler import agenda, reminders  # noqa: E402
from scheduler.clock import now_utc  # noqa: E402
from scheduler.db import Database  # noqa: E402
from scheduler.interchange import import_data  # noqa: E402
from scheduler.mailer import SmtpSettings  # noqa: E402
from scheduler.models import Delivery, ItemKind, Person  # noqa: E402
from scheduler.schemas import ItemIn  # noqa: E402

ACTOR = agenda.Actor("bench", "bench")


class Counting:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )
    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
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
        smtp=SmtpSettings(host="127.0.0.1", port=controller.port, security="none", timeout=30),
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
            reminders.build_message(items[r.item_id], r, people[r.person_id], settings, late=False)
            for r in rows
        ]  # type: ignore[index]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", controller.port, timeout=30) as smtp:
        for message in messages:
            smtp.send_message(message)
    raw = time.perf_counter() - started

    # The outbox: plan, claim, render, send, record, as the service does.
    handler.count = 0
    started = time.perf_counter()
    sent = reminders.dispatch(db, settings, "bench")
    outbox = time.perf_counter() - started
    controller.stop()
    assert sent == total == handler.count, (sent, total, handler.count)
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
