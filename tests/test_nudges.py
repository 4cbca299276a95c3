"""Nudges (record the outcome, a follow-up's due date, a partnership's evaluation) through
the outbox to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import time_machine
from aiosmtpd.controller import Controller

from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.models import DeliveryState, ItemKind
from tests.snapshot import assert_matches_snapshot
from tests.test_reminders import (
    ACTOR,
    ENGLISH,
    OWNER,
    PARTICIPANT,
    PEOPLE,
    PLANNED_AT,
    Inbox,
    add_item,
    agenda_db,
    dispatch_at,
    rows,
    settings_for,
    smtp,
)

__all__ = ["agenda_db", "smtp"]  # fixtures used by name below

# The agenda_db item m1: Tuesday 8 December 2026 10:00–11:30 Amsterdam, owner and participant.
ENDED = datetime(2026, 12, 8, 10, 31, tzinfo=UTC)
OUTCOME_DUE = datetime(2026, 12, 11, 8, 0, tzinfo=UTC)  # three days on, Friday 09:00 CET


def body(message: Message) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[attr-defined, no-any-return]


def nudges(db: Database, kind: str) -> list[tuple[str, str, datetime, str]]:
    return [
        (r.recipient, r.state.value, r.due_at, r.last_error) for r in rows(db) if r.kind == kind
    ]


def only_nudges(controller: Controller, **changes: Any) -> Any:
    """Settings without occurrence reminders, so that every mail in a test is a nudge."""
    return settings_for(controller, defaults={ItemKind.MEETING: ()}, **changes)


def test_an_item_that_took_place_without_an_outcome_reminds_its_owner_once(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = only_nudges(controller)
    assert dispatch_at(agenda_db, settings, PLANNED_AT) == 0
    assert nudges(agenda_db, "outcome") == []  # not before the item took place
    dispatch_at(agenda_db, settings, ENDED)
    assert nudges(agenda_db, "outcome") == [(OWNER, "pending", OUTCOME_DUE, "")]
    assert dispatch_at(agenda_db, settings, OUTCOME_DUE - timedelta(seconds=5)) == 0
    assert dispatch_at(agenda_db, settings, OUTCOME_DUE + timedelta(seconds=5)) == 1
    assert dispatch_at(agenda_db, settings, OUTCOME_DUE + timedelta(days=3)) == 0
    [message] = inbox.messages
    assert str(message["To"]) == "Olga Eigenaar <o@example.nl>"  # the owner, not participants
    assert str(message["Subject"]) == (
        "Uitkomst vastleggen: Bestuurlijk overleg MRA – di 8 dec 10:00"
    )
    text = body(message)
    assert "nog geen uitkomst vastgelegd" in text
    assert "Wanneer: dinsdag 8 december 2026 om 10:00" in text
    assert "https://lobby.example/items/m1" in text
    assert message["Auto-Submitted"] == "auto-generated"


def test_recording_the_outcome_in_time_cancels_the_nudge(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = only_nudges(controller)
    dispatch_at(agenda_db, settings, ENDED)
    with time_machine.travel(ENDED + timedelta(days=1), tick=False):
        add_item(agenda_db, status="done", outcome="Toezegging: fietsparkeren in 2027")
    assert dispatch_at(agenda_db, settings, OUTCOME_DUE + timedelta(seconds=5)) == 0
    [(recipient, state, _, reason)] = nudges(agenda_db, "outcome")
    assert (recipient, state) == (OWNER, "cancelled") and "outcome was recorded" in reason
    assert inbox.messages == []


def test_an_old_item_without_outcome_never_nudges_and_a_recent_one_catches_up_at_once(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = only_nudges(controller)
    with time_machine.travel(PLANNED_AT, tick=False):
        add_item(agenda_db, uid="old", start="2026-10-01T10:00", end="2026-10-01T11:00")
        add_item(agenda_db, uid="recent", start="2026-11-20T10:00", end="2026-11-20T11:00")
        add_item(agenda_db, uid="idea", start="2026-11-20T10:00", end=None, status="idea")
    assert dispatch_at(agenda_db, settings, PLANNED_AT) == 1  # due 23 Nov, marked now
    assert [r.item_uid for r in rows(agenda_db) if r.kind == "outcome"] == ["recent"]
    [message] = inbox.messages
    assert "[verlaat]" not in str(message["Subject"])  # caught up, not late


def test_an_outcome_nudge_respects_the_opt_out_and_an_owners_absence(
    db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    _, controller = smtp
    people = {**PEOPLE, "people": [{"email": OWNER, "name": "O", "reminders_off": ["outcome"]}]}
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(db, people, "people", ACTOR)
        add_item(db, participants=[])
        add_item(db, uid="orphan", owner=None, participants=[])
    dispatch_at(db, only_nudges(controller), ENDED)
    assert nudges(db, "outcome") == []


FOLLOW_UP = {"text": "Notitie\nnasturen", "owner": PARTICIPANT, "due": "2026-12-14"}
FOLLOW_UP_DUE = datetime(2026, 12, 11, 8, 0, tzinfo=UTC)  # one working day before Monday 14


def test_a_follow_up_reminds_its_owner_a_working_day_before_its_due_date(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = only_nudges(controller, outcome_after=None)
    with time_machine.travel(PLANNED_AT, tick=False):
        add_item(agenda_db, follow_ups=[FOLLOW_UP])
    dispatch_at(agenda_db, settings, PLANNED_AT)
    assert nudges(agenda_db, "follow-up") == [(PARTICIPANT, "pending", FOLLOW_UP_DUE, "")]
    assert dispatch_at(agenda_db, settings, FOLLOW_UP_DUE + timedelta(seconds=1)) == 1
    [message] = inbox.messages
    assert str(message["Subject"]) == "Vervolgactie: Notitie nasturen – uiterlijk ma 14 dec"
    text = body(message)
    assert "moet binnenkort af zijn" in text and "Uiterlijk: maandag 14 december 2026" in text
    assert "Uit: Bestuurlijk overleg MRA (dinsdag 8 december 2026 om 10:00)" in text


def test_a_follow_up_done_or_moved_before_its_reminder_cancels_or_moves_it(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = only_nudges(controller, outcome_after=None)
    with time_machine.travel(PLANNED_AT, tick=False):
        add_item(agenda_db, follow_ups=[FOLLOW_UP, {**FOLLOW_UP, "text": "Bellen"}])
    dispatch_at(agenda_db, settings, PLANNED_AT)
    with time_machine.travel(PLANNED_AT + timedelta(hours=1), tick=False):
        add_item(
            agenda_db,
            follow_ups=[{**FOLLOW_UP, "done": True}, {**FOLLOW_UP, "text": "Bellen", "due": "2026-12-21"}],
        )  # fmt: skip
    assert dispatch_at(agenda_db, settings, FOLLOW_UP_DUE + timedelta(seconds=1)) == 0
    states = sorted((state, due) for _, state, due, _ in nudges(agenda_db, "follow-up"))
    moved = datetime(2026, 12, 18, 8, 0, tzinfo=UTC)
    assert states == [
        ("cancelled", FOLLOW_UP_DUE),
        ("cancelled", FOLLOW_UP_DUE),
        ("pending", moved),
    ]
    assert dispatch_at(agenda_db, settings, moved + timedelta(seconds=1)) == 1
    assert "Bellen" in str(inbox.messages[0]["Subject"])


def test_a_confidential_items_follow_up_reminds_its_owner_instead_of_an_outsider(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = only_nudges(controller, outcome_after=None)
    with time_machine.travel(PLANNED_AT, tick=False):
        add_item(
            agenda_db,
            confidentiality="confidential",
            follow_ups=[{**FOLLOW_UP, "owner": ENGLISH}],
        )
    dispatch_at(agenda_db, settings, FOLLOW_UP_DUE + timedelta(seconds=1))
    assert [str(m["To"]) for m in inbox.messages] == ["Olga Eigenaar <o@example.nl>"]


PARTNERSHIP = {
    "slug": "mra", "name": "Metropoolregio Amsterdam", "level": "regionaal",
    "kind": "strategisch", "role": "aanjager", "themes": ["mobiliteit"], "contact": ENGLISH,
    "next_evaluation_on": "2026-12-21",
}  # fmt: skip
EVALUATION_DUE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # P14D before Monday 21 at 09:00 CET


def test_a_partnership_reminds_its_contact_before_the_evaluation_in_their_language(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = only_nudges(controller, outcome_after=None)
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(agenda_db, {"partnerships": [PARTNERSHIP]}, "partnerships", ACTOR)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    assert nudges(agenda_db, "evaluation") == [(ENGLISH, "pending", EVALUATION_DUE, "")]
    assert dispatch_at(agenda_db, settings, EVALUATION_DUE + timedelta(seconds=1)) == 1
    [message] = inbox.messages
    assert str(message["Subject"]) == (
        "Partnership evaluation: Metropoolregio Amsterdam – Mon 21 Dec"
    )
    text = body(message)
    assert "You are its contact" in text and "Level: regional" in text
    assert "Our role" not in text and "Role: initiator" in text
    assert "https://lobby.example/partnerships" in text


def test_a_new_evaluation_date_replaces_the_pending_nudge_and_a_past_one_mails_nobody(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = only_nudges(controller, outcome_after=None)
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(agenda_db, {"partnerships": [PARTNERSHIP]}, "partnerships", ACTOR)
    dispatch_at(agenda_db, settings, PLANNED_AT)
    with time_machine.travel(PLANNED_AT + timedelta(hours=1), tick=False):
        moved = {**PARTNERSHIP, "next_evaluation_on": "2026-12-01"}  # its reminder is past
        import_data(agenda_db, {"partnerships": [moved]}, "partnerships", ACTOR)
    assert dispatch_at(agenda_db, settings, EVALUATION_DUE + timedelta(seconds=1)) == 0
    [(_, state, _, reason)] = nudges(agenda_db, "evaluation")
    assert state == DeliveryState.CANCELLED.value and "another date" in reason
    assert inbox.messages == []


def test_the_nudge_emails_match_their_snapshots(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller, defaults={ItemKind.MEETING: ()}, follow_up=("+1WD",))
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(agenda_db, {"partnerships": [PARTNERSHIP]}, "partnerships", ACTOR)
        add_item(agenda_db, follow_ups=[{**FOLLOW_UP, "owner": ENGLISH}])
    dispatch_at(agenda_db, settings, PLANNED_AT)
    dispatch_at(agenda_db, settings, EVALUATION_DUE + timedelta(hours=2))  # late: after a gap
    dispatch_at(agenda_db, settings, ENDED)
    dispatch_at(agenda_db, settings, OUTCOME_DUE + timedelta(seconds=1))
    dispatch_at(agenda_db, settings, datetime(2026, 12, 15, 8, 0, 1, tzinfo=UTC))
    by_kind = {m["X-Lobby-Agenda-Delivery"].split(":")[0]: m for m in inbox.messages}
    assert sorted(by_kind) == ["evaluation", "follow-up", "outcome"]
    assert_matches_snapshot(by_kind["evaluation"], "nudge-evaluation-en-late")
    assert_matches_snapshot(by_kind["follow-up"], "nudge-follow-up-en-overdue")
    assert_matches_snapshot(by_kind["outcome"], "nudge-outcome-nl")


def test_a_ten_week_nudge_before_a_follow_up_far_ahead_is_planned_within_the_horizon(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    _, controller = smtp
    settings = only_nudges(controller, outcome_after=None, follow_up=("P10W",))
    with time_machine.travel(PLANNED_AT, tick=False):
        # Due Monday 15 February 2027, 79 days ahead: ten weeks before is 7 December.
        add_item(agenda_db, follow_ups=[{**FOLLOW_UP, "due": "2027-02-15"}])
    dispatch_at(agenda_db, settings, PLANNED_AT)
    assert nudges(agenda_db, "follow-up") == [
        (PARTICIPANT, "pending", datetime(2026, 12, 7, 8, 0, tzinfo=UTC), "")
    ]  # Monday 7 December 09:00 CET
