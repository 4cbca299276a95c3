"""Reminders through the outbox, delivered to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select

from scheduler import agenda, clock, delivery, outbox, reminders
from scheduler.db import Database
from scheduler.ics_writer import FeedOptions
from scheduler.interchange import import_data
from scheduler.mailer import SmtpSettings
from scheduler.models import Delivery, DeliveryState, ItemKind
from scheduler.schemas import ItemIn
from tests.conftest import free_port

ACTOR = agenda.Actor("test", "test")
OWNER, PARTICIPANT, ENGLISH = "o@example.nl", "p@example.nl", "e@example.nl"
PEOPLE: dict[str, list[dict[str, Any]]] = {
    "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}],
    "people": [
        {"email": OWNER, "name": "Olga Eigenaar", "roles": ["lobbyist"]},
        {"email": PARTICIPANT, "name": "Piet Deelnemer", "roles": ["staff"]},
        {"email": ENGLISH, "name": "Emily English", "roles": ["lobbyist"], "language": "en"},
    ],
}
PLANNED_AT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
FEED = FeedOptions(
    "lobby.example", "https://lobby.example", "PT1H", 90, 14, "busy", "Europe/Amsterdam"
)
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd narrates every connection


class Inbox:
    """An aiosmtpd handler that keeps what it receives and can refuse chosen recipients."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.received_at: list[datetime] = []  # by the service's clock (time-machine's)
        self.refuse: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.received_at.append(clock.now_utc())
        return "250 Message accepted"

    def ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]

    def assert_dated(self) -> None:
        """Every message has one Date (RFC 5322, 3.6): the moment it was sent, to the second."""
        for received, at in zip(self.messages, self.received_at, strict=True):
            assert len(received.get_all("Date") or []) == 1, received["Subject"]
            sent = parsedate_to_datetime(str(received["Date"]))
            assert at - timedelta(seconds=5) <= sent <= at, (received["Subject"], sent, at)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, Controller]]:
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port()
    )  # port=0 fails in aiosmtpd
    controller.start()
    yield inbox, controller
    if controller._thread is not None:  # not stopped by the test itself
        controller.stop()
    inbox.assert_dated()  # whatever kind of mail the test sent


def settings_for(controller: Controller, **changes: Any) -> reminders.ReminderSettings:
    base = reminders.ReminderSettings(
        defaults={ItemKind.MEETING: ("P7D", "P1D")},
        smtp=SmtpSettings(host="127.0.0.1", port=controller.port, security="none", timeout=30),
        base_url="https://lobby.example",
        domain="lobby.example",
    )
    return replace(base, **changes)


def add_item(db: Database, **fields: Any) -> None:
    values = {"uid": "m1", "title": "Bestuurlijk overleg MRA", "kind": "meeting", "start": "2026-12-08T10:00",
              "end": "2026-12-08T11:30", "owner": OWNER, "participants": [PARTICIPANT], "goal": "Fietsparkeren",
              "location": "Provinciehuis"} | fields  # fmt: skip
    with db.write() as session:
        agenda.save_item(session, ItemIn.model_validate(values), ACTOR)


@pytest.fixture
def agenda_db(db: Database) -> Iterator[Database]:
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(db, PEOPLE, "people", ACTOR)
        add_item(db)
    yield db


def dispatch_at(
    db: Database, settings: reminders.ReminderSettings, moment: datetime, worker: str = "w1"
) -> int:
    with time_machine.travel(moment, tick=False):
        return delivery.dispatch(db, settings, worker)


def rows(db: Database) -> list[Delivery]:
    with db.read() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def test_a_reminder_reaches_owner_and_participants_once_at_its_due_time(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)
    assert dispatch_at(agenda_db, settings, PLANNED_AT) == 0  # planned, nothing due yet
    assert {r.offset for r in rows(agenda_db)} == {"P7D", "P1D"} and len(rows(agenda_db)) == 4
    assert (
        dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)) == 2
    )  # P7D: 1 Dec 10:00 CET
    assert sorted(str(m["To"]) for m in inbox.messages) == [
        "Olga Eigenaar <o@example.nl>",
        "Piet Deelnemer <p@example.nl>",
    ]
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 9, 5, tzinfo=UTC)) == 0
    assert len(inbox.messages) == 2 and len(set(inbox.ids())) == 2
    message = inbox.messages[0]
    assert str(message["Subject"]) == "Herinnering: Bestuurlijk overleg MRA – di 8 dec 10:00"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert "Wanneer: dinsdag 8 december 2026 om 10:00" in body and "Doel: Fietsparkeren" in body
    assert (
        "https://lobby.example/items/m1" in body
        and "Voorbereiding: niet voorbereid: kernboodschap ontbreekt" in body
    )


def test_two_workers_at_once_send_every_reminder_exactly_once(
    db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller, grace=timedelta(days=5))
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(db, PEOPLE, "people", ACTOR)
        for n in range(30):
            add_item(
                db, uid=f"m{n}", start=f"2026-12-{15 + n % 3:02d}T{9 + n % 8:02d}:00", end=None
            )
    dispatch_at(db, settings, PLANNED_AT)
    due = datetime(2026, 12, 11, 0, 0, tzinfo=UTC)  # every P7D reminder is due, no P1D yet
    results: list[int] = []
    with time_machine.travel(due, tick=False):
        workers = [
            threading.Thread(
                target=lambda name=name: results.append(delivery.dispatch(db, settings, name))
            )
            for name in ("a", "b", "c")
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    expected = [r for r in rows(db) if r.state == DeliveryState.SENT]
    assert sum(results) == len(expected) == len(inbox.messages) == 60  # 30 items x 2 people
    assert len(set(inbox.ids())) == 60


def test_an_smtp_outage_is_retried_with_backoff_until_it_arrives(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    controller.stop()
    due = datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)
    assert dispatch_at(agenda_db, settings, due) == 0
    failed = [r for r in rows(agenda_db) if r.state == DeliveryState.FAILED]
    assert len(failed) == 2 and all(r.next_attempt_at == due + timedelta(minutes=1) for r in failed)
    # The first found the server down; the rest of the batch was not even tried.
    assert sorted((r.attempts, r.last_error.split(":")[0]) for r in failed) == [
        (0, "not tried"), (1, "SMTP unavailable"),
    ]  # fmt: skip
    assert dispatch_at(agenda_db, settings, due + timedelta(seconds=30)) == 0  # still backing off
    restarted = Controller(
        inbox, hostname="127.0.0.1", port=controller.port
    )  # the same server, back
    restarted.start()
    try:
        assert dispatch_at(agenda_db, settings, due + timedelta(minutes=2)) == 2
    finally:
        restarted.stop()
    assert sorted(r.attempts for r in rows(agenda_db) if r.state == DeliveryState.SENT) == [1, 2]
    assert len(inbox.messages) == 2


def test_a_reminder_sent_after_an_outage_is_dated_when_it_left_with_the_message_id_it_had(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    controller.stop()
    due = datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)
    assert dispatch_at(agenda_db, settings, due) == 0
    restarted = Controller(inbox, hostname="127.0.0.1", port=controller.port)
    restarted.start()
    try:
        assert dispatch_at(agenda_db, settings, due + timedelta(minutes=7, seconds=3)) == 2
    finally:
        restarted.stop()
    assert [str(m["Date"]) for m in inbox.messages] == ["Tue, 01 Dec 2026 09:07:08 +0000"] * 2
    sent = sorted(r.message_id for r in rows(agenda_db) if r.state == DeliveryState.SENT)
    assert sorted(inbox.ids()) == sent


def test_a_refused_recipient_goes_dead_and_the_others_still_arrive(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    inbox.refuse.add(PARTICIPANT)
    settings = settings_for(controller)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    before = outbox.SMTP_ERRORS["permanent"]
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)) == 1
    assert outbox.SMTP_ERRORS["permanent"] == before + 1  # counted for /metrics
    states = {(r.recipient, r.offset): r.state for r in rows(agenda_db)}
    assert (
        states[(PARTICIPANT, "P7D")] == DeliveryState.DEAD
        and states[(OWNER, "P7D")] == DeliveryState.SENT
    )
    assert [str(m["To"]) for m in inbox.messages] == ["Olga Eigenaar <o@example.nl>"]


def test_a_moved_item_moves_its_pending_reminders_and_never_sends_at_the_old_time(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    with time_machine.travel(PLANNED_AT + timedelta(hours=1), tick=False):
        add_item(agenda_db, start="2026-12-15T14:00", end="2026-12-15T15:00")
    assert (
        dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)) == 0
    )  # the old P7D moment
    assert (
        dispatch_at(agenda_db, settings, datetime(2026, 12, 8, 13, 0, 5, tzinfo=UTC)) == 2
    )  # the new one
    assert "di 15 dec 14:00" in str(inbox.messages[0]["Subject"])


def test_a_reminder_already_sent_goes_again_when_its_meeting_moves_days_later(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    """Reminded on 1 Dec of the meeting of 8 Dec, which then moves to 15 Dec: "in 7 days" came
    two weeks early, so it goes again on 8 Dec; the P1D one, not sent yet, simply moves."""
    inbox, controller = smtp
    settings = settings_for(controller)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)) == 2
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=UTC), tick=False):
        add_item(agenda_db, start="2026-12-15T10:00", end="2026-12-15T11:30")
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 7, 9, 0, 5, tzinfo=UTC)) == 0
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 8, 9, 0, 5, tzinfo=UTC)) == 2
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 8, 9, 30, tzinfo=UTC)) == 0
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 14, 9, 0, 5, tzinfo=UTC)) == 2
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 14, 9, 30, tzinfo=UTC)) == 0
    subjects = [str(m["Subject"]) for m in inbox.messages]
    assert subjects == (
        ["Herinnering: Bestuurlijk overleg MRA – di 8 dec 10:00"] * 2
        + ["[verplaatst] Herinnering: Bestuurlijk overleg MRA – di 15 dec 10:00"] * 2
        + ["Herinnering: Bestuurlijk overleg MRA – di 15 dec 10:00"] * 2
    )  # fmt: skip
    again = inbox.messages[2].get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert "Dit agendapunt is verplaatst sinds je vorige herinnering" in again
    assert len(set(inbox.ids())) == 6
    sent = sorted(r.key.split(":", 3)[3] for r in rows(agenda_db) if r.state == DeliveryState.SENT)
    assert sent == [
        "P1D:o@example.nl", "P1D:p@example.nl", "P7D:o@example.nl", "P7D:o@example.nl:again1",
        "P7D:p@example.nl", "P7D:p@example.nl:again1",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("moved_to", "why"),
    [
        ("2026-12-08T10:20", "twenty minutes later: the reminder still fits"),
        ("2026-12-04T10:00", "earlier: the reminder came late enough"),
        ("2026-12-10T10:00", "two days later: less than half its seven days"),
    ],
)
def test_a_reminder_already_sent_does_not_go_again_for_a_small_or_earlier_move(
    agenda_db: Database, smtp: tuple[Inbox, Controller], moved_to: str, why: str
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller, defaults={ItemKind.MEETING: ("P7D",)})
    dispatch_at(agenda_db, settings, PLANNED_AT)
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)) == 2
    start = datetime.fromisoformat(moved_to)
    with time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), tick=False):
        add_item(agenda_db, start=moved_to, end=(start + timedelta(hours=1)).isoformat())
    for day in range(2, 12):
        dispatch_at(agenda_db, settings, datetime(2026, 12, day, 9, 20, 5, tzinfo=UTC))
    reminded = [m for m in inbox.messages if str(m["Subject"]).startswith("Herinnering")]
    assert len(reminded) == 2, why  # (after the meeting, its owner is asked for the outcome)


def test_a_moved_occurrence_of_a_series_is_reminded_again_once_however_often_it_moves(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    """A weekly series' occurrence of 10 Dec, reminded on 9 Dec, moves to 17 Dec 14:00 and,
    before that reminder leaves, once more to 18 Dec 14:00: one reminder again, at the end."""
    inbox, controller = smtp
    settings = settings_for(controller, defaults={ItemKind.MEETING: ("P1D",)})
    with time_machine.travel(PLANNED_AT, tick=False):
        add_item(agenda_db, uid="w1", title="Weekoverleg", start="2026-12-03T10:00",
                 end="2026-12-03T11:00", rrule="FREQ=WEEKLY;COUNT=3")  # fmt: skip
    dispatch_at(agenda_db, settings, PLANNED_AT)
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 9, 9, 0, 5, tzinfo=UTC)) == 2
    for moment, to in ((datetime(2026, 12, 9, 12, 0, tzinfo=UTC), "2026-12-17T14:00"),
                       (datetime(2026, 12, 12, 12, 0, tzinfo=UTC), "2026-12-18T14:00")):  # fmt: skip
        with time_machine.travel(moment, tick=False), agenda_db.write() as session:
            agenda.move(session, "w1", ACTOR, "2026-12-10T10:00", to, None)
        dispatch_at(agenda_db, settings, moment + timedelta(minutes=1))
    # 16 Dec: the reminders of the series' own 17 Dec at 10:00, and none at 13:00 (the first
    # move's time); 17 Dec at 13:00, a day before where it moved last: once more, once.
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 16, 9, 0, 5, tzinfo=UTC)) == 2
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 16, 13, 0, 5, tzinfo=UTC)) == 0
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 17, 13, 0, 5, tzinfo=UTC)) == 2
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 17, 14, 0, tzinfo=UTC)) == 0
    subjects = [str(m["Subject"]).split(": ", 1)[1] for m in inbox.messages]
    assert subjects == (
        ["Weekoverleg – do 10 dec 10:00"] * 2 + ["Weekoverleg – do 17 dec 10:00"] * 2
        + ["Weekoverleg – vr 18 dec 14:00"] * 2
    )  # fmt: skip


def test_a_cancelled_occurrence_cancels_its_pending_reminders(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    with (
        time_machine.travel(PLANNED_AT + timedelta(hours=1), tick=False),
        agenda_db.write() as session,
    ):
        agenda.cancel(session, "m1", ACTOR)
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 7, 9, 0, 5, tzinfo=UTC)) == 0
    assert {r.state for r in rows(agenda_db)} == {DeliveryState.CANCELLED} and inbox.messages == []


def test_people_already_reminded_of_a_cancelled_occurrence_get_one_cancellation_notice(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller, feed=FEED)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)) == 2  # P7D
    with (
        time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=UTC), tick=False),
        agenda_db.write() as session,
    ):
        agenda.cancel(session, "m1", ACTOR)
    later = datetime(2026, 12, 2, 9, 1, tzinfo=UTC)
    assert dispatch_at(agenda_db, settings, later) == 2  # one notice each, at once
    assert dispatch_at(agenda_db, settings, later + timedelta(days=5)) == 0  # and no P1D
    notices = inbox.messages[2:]
    assert (
        sorted(str(m["Subject"]) for m in notices)
        == ["Vervallen: Bestuurlijk overleg MRA – di 8 dec 10:00"] * 2
    )
    body = notices[0].get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert "gaat niet door" in body and "Voorbereiding" not in body
    [calendar] = [p for p in notices[0].walk() if p.get_content_type() == "text/calendar"]
    assert b"STATUS:CANCELLED" in calendar.get_payload(decode=True)
    states = sorted((r.kind, r.offset, r.state.value) for r in rows(agenda_db))
    assert states == [
        ("cancellation", "", "sent"), ("cancellation", "", "sent"),
        ("reminder", "P1D", "cancelled"), ("reminder", "P1D", "cancelled"),
        ("reminder", "P7D", "sent"), ("reminder", "P7D", "sent"),
    ]  # fmt: skip


def test_a_meeting_reminded_of_then_moved_then_cancelled_sends_its_cancellation_notice(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    """Reminded on 1 Dec of 8 Dec, moved a day on (too little to remind again), then called
    off: those reminded hear that the meeting, now of 9 Dec, is off."""
    inbox, controller = smtp
    settings = settings_for(controller, feed=FEED)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)) == 2
    with time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), tick=False):
        add_item(agenda_db, start="2026-12-09T10:00", end="2026-12-09T11:30")
    with (
        time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=UTC), tick=False),
        agenda_db.write() as session,
    ):
        agenda.cancel(session, "m1", ACTOR)
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 2, 9, 1, tzinfo=UTC)) == 2
    assert [str(m["Subject"]) for m in inbox.messages[2:]] == [
        "Vervallen: Bestuurlijk overleg MRA – wo 9 dec 10:00"
    ] * 2


def test_followers_with_reminders_on_get_them_opt_outs_do_not_and_confidential_stops_them(
    db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller, defaults={ItemKind.MEETING: ("P7D",)})
    people = {**PEOPLE, "people": [
        {"email": OWNER, "name": "Olga Eigenaar", "reminders_off": ["meeting"]},
        {"email": PARTICIPANT, "name": "Piet Deelnemer"},
        {"email": ENGLISH, "name": "Emily English", "language": "en", "themes": ["mobiliteit"], "follow_reminders": True},
        {"email": "quiet@example.nl", "name": "Stille Volger", "themes": ["mobiliteit"]},
    ]}  # fmt: skip
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(db, people, "people", ACTOR)
        add_item(db, themes=["mobiliteit"])
        add_item(
            db,
            uid="m2",
            title="Vertrouwelijk vooroverleg",
            themes=["mobiliteit"],
            confidentiality="confidential",
        )
    dispatch_at(db, settings, PLANNED_AT)
    planned = sorted((r.item_uid, r.recipient) for r in rows(db))
    # The owner opted out of meetings; the quiet follower did not turn reminders on; the
    # confidential item reminds only its participant.
    assert planned == [("m1", ENGLISH), ("m1", PARTICIPANT), ("m2", PARTICIPANT)]
    with time_machine.travel(PLANNED_AT + timedelta(hours=1), tick=False):
        add_item(db, themes=["mobiliteit"], confidentiality="confidential")
    assert dispatch_at(db, settings, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)) == 2
    assert sorted(str(m["To"]) for m in inbox.messages) == ["Piet Deelnemer <p@example.nl>"] * 2
    [stopped] = [r for r in rows(db) if r.recipient == ENGLISH]
    assert stopped.state == DeliveryState.CANCELLED and "became confidential" in stopped.last_error


def test_a_follower_reads_the_reminder_in_their_own_language(
    db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller, defaults={ItemKind.MEETING: ("P7D",)})
    people = {**PEOPLE, "people": [
        {"email": OWNER, "name": "Olga Eigenaar"},
        {"email": ENGLISH, "name": "Emily English", "language": "en", "timezone": "Europe/London", "themes": ["mobiliteit"], "follow_reminders": True},
    ]}  # fmt: skip
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(db, people, "people", ACTOR)
        add_item(db, themes=["mobiliteit"], participants=[])
    dispatch_at(db, settings, PLANNED_AT)
    assert dispatch_at(db, settings, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)) == 2
    subjects = sorted(str(m["Subject"]) for m in inbox.messages)
    # In London the meeting at 10:00 Amsterdam time is at 09:00.
    assert subjects == [
        "Herinnering: Bestuurlijk overleg MRA – di 8 dec 10:00",
        "Reminder: Bestuurlijk overleg MRA – Tue 8 Dec 09:00",
    ]


@pytest.mark.parametrize(
    ("monday", "sunday_ten_utc"),
    [
        (
            "2026-10-26T10:00",
            datetime(2026, 10, 25, 9, 0, tzinfo=UTC),
        ),  # after the October change: CET
        (
            "2027-03-29T10:00",
            datetime(2027, 3, 28, 8, 0, tzinfo=UTC),
        ),  # after the March change: CEST
    ],
)
def test_a_p1d_reminder_across_a_dst_change_comes_at_the_same_wall_time(
    agenda_db: Database, smtp: tuple[Inbox, Controller], monday: str, sunday_ten_utc: datetime
) -> None:
    _, controller = smtp
    settings = settings_for(
        controller, defaults={ItemKind.MEETING: ("P1D",)}, horizon=timedelta(days=200)
    )
    with time_machine.travel(sunday_ten_utc - timedelta(days=3), tick=False):
        add_item(agenda_db, uid="dst", start=monday, end=None, participants=[])
    dispatch_at(agenda_db, settings, sunday_ten_utc - timedelta(days=3))
    (row,) = [r for r in rows(agenda_db) if r.item_uid == "dst"]
    assert row.due_at == sunday_ten_utc  # Sunday 10:00 local time


def test_working_days_skip_weekends_and_dutch_holidays(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    _, controller = smtp
    settings = settings_for(controller, horizon=timedelta(days=60))
    with time_machine.travel(PLANNED_AT, tick=False):
        # Monday 28 December; 5 working days before skips the weekend and Christmas (25 and 26 Dec).
        add_item(
            agenda_db,
            uid="wd",
            start="2026-12-28T14:00",
            end=None,
            participants=[],
            reminders=["5WD"],
        )
    dispatch_at(agenda_db, settings, PLANNED_AT)
    (row,) = [r for r in rows(agenda_db) if r.item_uid == "wd"]
    assert row.due_at == datetime(2026, 12, 18, 8, 0, tzinfo=UTC)  # Friday 18 December, 09:00 CET


def test_a_new_rule_never_mails_about_what_is_already_past(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)
    soon = datetime(
        2026, 12, 6, 9, 0, tzinfo=UTC
    )  # the meeting is two days away: P7D lies in the past
    assert dispatch_at(agenda_db, settings, soon) == 0
    assert {r.offset for r in rows(agenda_db)} == {"P1D"} and inbox.messages == []


def test_after_downtime_due_reminders_go_out_late_within_the_grace_period_and_older_ones_expire(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    # Down from before the P7D moment (1 Dec 10:00) until 1 Dec 20:00: within 12 hours.
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 19, 0, tzinfo=UTC)) == 2
    assert str(inbox.messages[0]["Subject"]).startswith("[verlaat] Herinnering:")
    # Down again over the whole P1D moment (7 Dec 10:00) until after the meeting began.
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 8, 9, 30, tzinfo=UTC)) == 0
    assert sorted(r.state.value for r in rows(agenda_db)) == ["expired", "expired", "sent", "sent"]


def test_without_an_smtp_host_mail_is_written_as_eml_files(
    agenda_db: Database, tmp_path: Path
) -> None:
    settings = reminders.ReminderSettings(
        defaults={ItemKind.MEETING: ("P7D",)}, smtp=SmtpSettings(host="", mail_dir=str(tmp_path))
    )
    dispatch_at(agenda_db, settings, PLANNED_AT)
    assert dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)) == 2
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    assert message_from_bytes(files[0].read_bytes(), policy=policy.default)["Subject"].startswith(
        "Herinnering: Bestuurlijk overleg MRA"
    )


def test_line_breaks_in_a_title_never_reach_a_header_and_english_readers_get_english(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)
    with time_machine.travel(PLANNED_AT, tick=False):
        add_item(
            agenda_db,
            uid="x",
            title="Overleg\r\nBcc: evil@example.com",
            owner=ENGLISH,
            participants=[],
        )
    dispatch_at(agenda_db, settings, PLANNED_AT)
    dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC))
    (message,) = [m for m in inbox.messages if "e@example.nl" in str(m["To"])]
    assert str(message["Subject"]) == "Reminder: Overleg Bcc: evil@example.com – Tue 8 Dec 10:00"
    assert message["Bcc"] is None
    body = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert "When: Tuesday 8 December 2026 at 10:00" in body and "(1 week before)" in body


def test_a_retried_dead_delivery_is_sent_again(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    inbox.refuse.add(PARTICIPANT)
    settings = settings_for(controller)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    due = datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)
    dispatch_at(agenda_db, settings, due)
    (dead,) = [r for r in rows(agenda_db) if r.state == DeliveryState.DEAD]
    inbox.refuse.clear()
    with time_machine.travel(due + timedelta(minutes=10), tick=False), agenda_db.write() as session:
        outbox.retry(session, dead.id, due + timedelta(minutes=10))
    assert dispatch_at(agenda_db, settings, due + timedelta(minutes=10)) == 1
    assert len(inbox.messages) == 2


@pytest.fixture
def stopping_reset() -> Iterator[None]:
    from scheduler import jobs

    yield
    jobs.STOPPING.clear()  # `jobs.start` clears it too; other tests here start no scheduler


def test_the_scheduler_runs_fixed_ticks_only_and_sends_every_second(
    agenda_db: Database, smtp: tuple[Inbox, Controller], stopping_reset: None
) -> None:
    from apscheduler.triggers.interval import IntervalTrigger

    from scheduler import jobs

    _, controller = smtp
    scheduler = jobs.start(
        agenda_db, timezone="Europe/Amsterdam", heartbeat_seconds=60,
        reminder_settings=settings_for(controller), dispatch_seconds=30,
    )  # fmt: skip
    try:
        ticks = {job.id: job.trigger for job in scheduler.get_jobs()}
    finally:
        assert jobs.stop(scheduler)
    assert all(isinstance(trigger, IntervalTrigger) for trigger in ticks.values())
    assert set(ticks) == {"reminders", "reminders-send", "heartbeat"}
    assert ticks["reminders-send"].interval == timedelta(seconds=1)  # how late a reminder may be
    assert ticks["reminders"].interval == timedelta(seconds=30)  # planning


def test_stop_gives_up_on_a_job_that_does_not_finish_in_time(stopping_reset: None) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from scheduler import jobs

    started, release = threading.Event(), threading.Event()

    def stuck() -> None:
        started.set()
        release.wait(60)  # an SMTP server that stopped answering

    scheduler = BackgroundScheduler()
    first = datetime.now(UTC)  # an interval job, as all of ours are
    scheduler.add_job(jobs.RUNNING.track(stuck), "interval", hours=1, next_run_time=first)
    scheduler.start()
    try:
        assert started.wait(30)
        assert not jobs.stop(scheduler, seconds=0.2)  # returns, and says a job was left behind
    finally:
        release.set()
        assert jobs.RUNNING.wait_idle(30)  # the job left behind ends before the next test


def test_a_skipped_sending_tick_is_not_worth_a_warning_but_another_skipped_job_is() -> None:
    from types import SimpleNamespace

    from scheduler import jobs

    def skipped(job_id: str) -> logging.LogRecord:
        message = 'Execution of job "%s" skipped: maximum number of running instances reached (%d)'
        job = SimpleNamespace(id=job_id)  # APScheduler passes the job
        return logging.LogRecord("apscheduler.scheduler", logging.WARNING, "", 0, message, (job, 1), None)  # fmt: skip

    assert not jobs.QUIET_SKIPPED_SEND_TICKS.filter(skipped("reminders-send"))
    assert jobs.QUIET_SKIPPED_SEND_TICKS.filter(skipped("reminders"))  # planning 30 s behind


def test_a_job_due_after_the_shutdown_does_not_start(stopping_reset: None) -> None:
    from scheduler import jobs

    ran: list[str] = []
    jobs.RUNNING.refuse_new()
    # RUNNING counts for the whole process: a job another test left behind may still end.
    assert jobs.RUNNING.wait_idle(30)
    jobs.RUNNING.track(lambda: ran.append("ran"))()
    assert not ran and jobs.RUNNING.wait_idle(0)


def test_a_reminder_carries_its_occurrence_as_an_ics_with_the_feeds_uid(
    db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    import icalendar

    inbox, controller = smtp
    settings = settings_for(controller, feed=FEED)
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(db, PEOPLE, "people", ACTOR)
        add_item(
            db,
            uid="series",
            start="2026-12-01T10:00",
            end="2026-12-01T11:00",
            rrule="FREQ=WEEKLY;COUNT=3",
            participants=[],
        )
    dispatch_at(db, settings, PLANNED_AT)
    dispatch_at(
        db, settings, datetime(2026, 12, 7, 9, 0, 5, tzinfo=UTC)
    )  # P1D of the second occurrence
    (message,) = inbox.messages
    (attachment,) = list(message.iter_attachments())  # type: ignore[attr-defined]
    assert (
        attachment.get_content_type() == "text/calendar"
        and attachment.get_param("method") == "PUBLISH"
    )
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "series@lobby.example"
    assert event["RECURRENCE-ID"].dt == datetime(
        2026, 12, 8, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam")
    )
    assert event["DTSTART"].dt == datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def test_metrics_report_the_outbox_and_how_late_reminders_left(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    from fastapi.testclient import TestClient

    from scheduler.config import Settings
    from scheduler.web import create_app

    _, controller = smtp
    settings = settings_for(controller)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    dispatch_at(agenda_db, settings, datetime(2026, 12, 1, 9, 0, 1, tzinfo=UTC))
    with (
        time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), tick=False),
        TestClient(create_app(Settings(database_url=agenda_db.url), run_jobs=False)) as client,
    ):
        answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert (
        'lobby_deliveries{state="sent"} 2.0' in text
        and 'lobby_deliveries{state="pending"} 2.0' in text
    )
    assert 'lobby_reminder_lateness_seconds_bucket{le="2.0"} 2.0' in text
    assert "lobby_reminder_lateness_seconds_count 2.0" in text and "lobby_feed_hits 0.0" in text
    assert 'lobby_smtp_errors_total{kind="permanent"}' in text


def test_a_ten_week_reminder_on_a_meeting_is_planned_once_within_the_horizon_and_sent(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)  # a 35-day horizon
    with time_machine.travel(PLANNED_AT, tick=False):
        # Monday 8 February 2027 10:00 CET, 72 days ahead: ten weeks before is 30 November.
        add_item(
            agenda_db,
            uid="far",
            start="2027-02-08T10:00",
            end=None,
            participants=[],
            reminders=["P10W"],
        )
    dispatch_at(agenda_db, settings, PLANNED_AT)
    (row,) = [r for r in rows(agenda_db) if r.item_uid == "far"]
    assert (row.offset, row.state, row.due_at) == (
        "P10W",
        DeliveryState.PENDING,
        datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
    )
    assert dispatch_at(agenda_db, settings, datetime(2026, 11, 30, 9, 0, 5, tzinfo=UTC)) == 1
    assert [str(m["Subject"]) for m in inbox.messages] == [
        "Herinnering: Bestuurlijk overleg MRA – ma 8 feb 10:00"
    ]


def test_working_days_before_a_long_recess_are_planned_although_the_meeting_lies_far_beyond_the_horizon(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    from scheduler.offsets import days_of

    _, controller = smtp
    recess = days_of(["2027-07-03/2027-09-05"])  # a summer recess of 65 days
    settings = settings_for(controller, closed_days=recess)
    planned = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    with time_machine.travel(planned, tick=False):
        add_item(
            agenda_db,
            uid="sept",
            start="2027-09-06T10:00",
            end=None,
            participants=[],
            reminders=["5WD"],
        )
    dispatch_at(agenda_db, settings, planned)
    (row,) = [r for r in rows(agenda_db) if r.item_uid == "sept"]
    assert row.due_at == datetime(2027, 6, 28, 7, 0, tzinfo=UTC)  # Monday 28 June 09:00 CEST


def test_a_pending_reminder_planned_at_midnight_by_an_older_version_moves_to_nine_and_goes_out_once(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller)
    with time_machine.travel(PLANNED_AT, tick=False):
        add_item(
            agenda_db, uid="day", start="2026-12-10", end=None, participants=[], reminders=["P1D"]
        )
    dispatch_at(agenda_db, settings, PLANNED_AT)
    nine = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)  # Wednesday 9 December 09:00 CET
    (row,) = [r for r in rows(agenda_db) if r.item_uid == "day"]
    assert row.due_at == nine
    midnight = datetime(2026, 12, 8, 23, 0, tzinfo=UTC)  # what the older version planned
    with agenda_db.write() as session:
        old = session.get(Delivery, row.id)
        assert old is not None
        old.due_at = old.next_attempt_at = midnight
    dispatch_at(agenda_db, settings, PLANNED_AT + timedelta(hours=1))
    (moved,) = [r for r in rows(agenda_db) if r.item_uid == "day"]
    assert (moved.id, moved.key, moved.due_at, moved.next_attempt_at) == (
        row.id,
        row.key,
        nine,
        nine,
    )
    assert dispatch_at(agenda_db, settings, midnight + timedelta(seconds=5)) == 0
    assert dispatch_at(agenda_db, settings, nine + timedelta(seconds=5)) == 1
    assert dispatch_at(agenda_db, settings, nine + timedelta(hours=1)) == 0
    assert [str(m["Subject"]) for m in inbox.messages] == [
        "Herinnering: Bestuurlijk overleg MRA – do 10 dec"
    ]


def test_a_working_day_reminder_follows_its_recipient_to_another_zone(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    _, controller = smtp
    settings = settings_for(controller)
    with time_machine.travel(PLANNED_AT, tick=False):
        add_item(agenda_db, uid="wd", participants=[], reminders=["1WD"])  # Tuesday 8 December
    dispatch_at(agenda_db, settings, PLANNED_AT)
    (row,) = [r for r in rows(agenda_db) if r.item_uid == "wd"]
    assert row.due_at == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam
    with time_machine.travel(PLANNED_AT, tick=False):
        moved = {
            "email": OWNER,
            "name": "Olga Eigenaar",
            "roles": ["lobbyist"],
            "timezone": "America/New_York",
        }
        import_data(agenda_db, {"people": [moved]}, "people", ACTOR)
    dispatch_at(agenda_db, settings, PLANNED_AT + timedelta(hours=1))
    (row,) = [r for r in rows(agenda_db) if r.item_uid == "wd"]
    assert row.due_at == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York
