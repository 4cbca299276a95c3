"""The outbox's own guarantees: "sent" recorded before the final dot, and only under a lease."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scheduler import delivery, outbox, reminders
from scheduler.db import Database
from scheduler.mailer import Flattened
from scheduler.models import Delivery, DeliveryState, ItemKind
from tests.conftest import free_port
from tests.test_reminders import (  # the fixtures too: this file tests the same outbox
    FEED,
    OWNER,
    PARTICIPANT,
    PLANNED_AT,
    Inbox,
    agenda_db,  # noqa: F401
    rows,
    settings_for,
    smtp,  # noqa: F401
)

DUE = datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)  # both P7D reminders of the agenda_db item


class RefusingOne(Inbox):
    """Takes every message whole, then refuses the one to `refused` after its final dot."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refused in envelope.rcpt_tos:
            return "554 5.7.1 message content rejected"
        return await super().handle_DATA(server, session, envelope)


def test_a_row_taken_over_by_another_worker_is_never_sent_by_the_first(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)
    with time_machine.travel(PLANNED_AT, tick=False):
        delivery.dispatch(agenda_db, settings, "w1")

    def render_then_lose_one(
        session: Session, batch: Sequence[Delivery], now: datetime
    ) -> dict[int, Flattened | outbox.Skipped]:
        composed = reminders.messages(session, settings, batch, now)
        # While w1 composes, its lease on the participant's row runs out and w2 takes it.
        taken = next(r.id for r in batch if r.recipient == PARTICIPANT)
        agenda_db.execute(update(Delivery).where(Delivery.id == taken).values(claimed_by="w2"))
        return composed

    with time_machine.travel(DUE, tick=False):
        sent = outbox.send_due(agenda_db, settings.outbox, "w1", render_then_lose_one)
    assert sent == 1 and [str(m["To"]) for m in inbox.messages] == ["Olga Eigenaar <o@example.nl>"]
    taken = next(r for r in rows(agenda_db) if r.recipient == PARTICIPANT and r.offset == "P7D")
    assert (
        taken.state == DeliveryState.SENDING and taken.claimed_by == "w2" and taken.sent_at is None
    )


def test_a_message_refused_after_its_final_dot_is_dead_not_sent(agenda_db: Database) -> None:
    inbox = RefusingOne(PARTICIPANT)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = settings_for(controller)
        with time_machine.travel(PLANNED_AT, tick=False):
            delivery.dispatch(agenda_db, settings, "w1")
        with time_machine.travel(DUE, tick=False):
            assert delivery.dispatch(agenda_db, settings, "w1") == 1
    finally:
        controller.stop()
    by_recipient = {r.recipient: r for r in rows(agenda_db) if r.offset == "P7D"}
    refused, accepted = by_recipient[PARTICIPANT], by_recipient[OWNER]
    assert refused.state == DeliveryState.DEAD and "554" in refused.last_error
    assert refused.sent_at is None and refused.message_id == ""  # recorded before the dot, undone
    assert accepted.state == DeliveryState.SENT and accepted.sent_at == DUE
    assert len(inbox.messages) == 1


class StopAfterFirst(Inbox):
    """Sets `stopping` (a SIGTERM arrives) while the first message is on the wire."""

    def __init__(self, stopping: threading.Event) -> None:
        super().__init__()
        self.stopping = stopping

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.stopping.set()
        return await super().handle_DATA(server, session, envelope)


def _render(
    settings: reminders.ReminderSettings,
) -> Callable[[Session, Sequence[Delivery], datetime], dict[int, Flattened | outbox.Skipped]]:
    def render(
        session: Session, batch: Sequence[Delivery], now: datetime
    ) -> dict[int, Flattened | outbox.Skipped]:
        return reminders.messages(session, settings, batch, now)

    return render


def test_a_shutdown_finishes_the_message_on_the_wire_and_gives_the_rest_of_the_batch_back(
    agenda_db: Database,
) -> None:
    stopping = threading.Event()
    inbox = StopAfterFirst(stopping)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = settings_for(controller)  # one connection: the batch goes in order
        with time_machine.travel(PLANNED_AT, tick=False):
            delivery.dispatch(agenda_db, settings, "w1")  # plans the two P7D (and two P1D) rows
        with time_machine.travel(DUE, tick=False):
            first = outbox.send_due(agenda_db, settings.outbox, "w1", _render(settings), stopping)
            assert first == 1 and len(inbox.messages) == 1
            (given_back,) = [r for r in rows(agenda_db) if r.offset == "P7D" and not r.sent_at]
            assert given_back.state == DeliveryState.PENDING and given_back.attempts == 0
            assert given_back.lease_until is None  # due at once for the next run or a replica
            rest = outbox.send_due(agenda_db, settings.outbox, "w2", _render(settings))
    finally:
        controller.stop()
    assert rest == 1 and len(set(inbox.ids())) == 2


def test_a_run_that_starts_after_a_shutdown_claims_nothing(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)
    with time_machine.travel(PLANNED_AT, tick=False):
        delivery.dispatch(agenda_db, settings, "w1")
    stopping = threading.Event()
    stopping.set()
    with time_machine.travel(DUE, tick=False):
        assert outbox.send_due(agenda_db, settings.outbox, "w1", _render(settings), stopping) == 0
    assert not inbox.messages
    assert all(r.state == DeliveryState.PENDING for r in rows(agenda_db))


def test_a_composed_batch_waits_for_its_turn_as_bytes_not_as_message_trees(
    agenda_db: Database,
) -> None:
    """The outbox composes a batch, then sends it. A composed message is a tree of parts and
    parsed headers, a hundred objects and more, which the garbage collector walks through
    each time it looks at what lives long: a burst of 10,000 reminders held batches of them
    and took several times as long. Each message is flattened as soon as it is composed."""
    settings = reminders.ReminderSettings(
        defaults={ItemKind.MEETING: ("P7D", "P1D")}, feed=FEED, base_url="https://lobby.example"
    )  # with the .ics of the occurrence, as the service sends reminders
    with agenda_db.write() as session:
        reminders.plan(session, settings, PLANNED_AT)
    with agenda_db.read() as session:
        batch = list(session.scalars(select(Delivery)))
        reminders.messages(session, settings, batch, DUE)  # items loaded, templates compiled
        gc.collect()
        before = len(gc.get_objects())
        composed = reminders.messages(session, settings, batch, DUE)
        gc.collect()
        held = len(gc.get_objects()) - before
    assert len(composed) == len(batch) == 4
    assert held <= 10 * len(composed), held  # kept as composed: 292
    assert all(isinstance(message, Flattened) for message in composed.values())
