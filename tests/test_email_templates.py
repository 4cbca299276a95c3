"""Snapshot tests of the reminder email over the variations that matter.

A snapshot is the rendered subject, text and HTML of one reminder (see tests/snapshot.py for
how to accept a deliberate change).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.ics_writer import FeedOptions
from scheduler.models import (
    AgendaItem,
    Confidentiality,
    Delivery,
    ItemKind,
    ItemStatus,
    Language,
    Person,
    Role,
    Stakeholder,
    StakeholderKind,
)
from scheduler.reminders import ReminderSettings, build_message
from tests.snapshot import assert_matches_snapshot

START = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam


def make_item(**changes: object) -> AgendaItem:
    owner = Person(
        email="o@example.nl",
        name="Olga Eigenaar",
        roles=["lobbyist"],
        language=Language.NL,
        timezone="Europe/Amsterdam",
        active=True,
    )
    values: dict[str, object] = {
        "id": 1, "uid": "mra-mob", "kind": ItemKind.MEETING, "title": "Bestuurlijk overleg MRA Mobiliteit",
        "starts_at": START, "ends_at": START + timedelta(minutes=90), "all_day": False,
        "timezone": "Europe/Amsterdam", "rrule": None, "rdates": [], "exdates": [], "location": "Provinciehuis, Haarlem",
        "online_url": "", "goal": "Fietsparkeren bij station Alkmaar", "message": "", "role": Role.BELANGENBEHARTIGER,
        "status": ItemStatus.CONFIRMED, "confidentiality": Confidentiality.INTERNAL, "reminders": ["P7D"],
        "owner": owner, "participants": [], "themes": [], "overrides": [], "revision": 3,
        "stakeholders": [Stakeholder(slug="mra", name="Metropoolregio Amsterdam", kind=StakeholderKind.REGIO)],
        "created_at": START - timedelta(days=30), "updated_at": START - timedelta(days=10),
    }  # fmt: skip
    values.update(changes)
    return AgendaItem(**values)


VARIATIONS = {
    "nl": ({}, "nl", "P7D", False),
    "en": ({}, "en", "P7D", False),
    "nl-late": ({}, "nl", "P1D", True),
    "nl-recurring": ({"rrule": "FREQ=MONTHLY;BYDAY=2TU"}, "nl", "P7D", False),
    "en-all-day-workdays": ({"all_day": True, "starts_at": START - timedelta(hours=10), "ends_at": START + timedelta(hours=14), "kind": ItemKind.DEADLINE, "title": "Zienswijze Mobiliteitsprogramma"}, "en", "5WD", False),
    "nl-cancellation": ({}, "nl", "", False),  # no offset: the notice that it will not take place
    "nl-confidential-after": ({"confidentiality": Confidentiality.CONFIDENTIAL, "message": "Alleen mondeling"}, "nl", "+P1D", False),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(VARIATIONS))
def test_the_reminder_email_matches_its_snapshot(name: str) -> None:
    changes, language, offset, late = VARIATIONS[name]
    item = make_item(**changes)
    person = Person(
        email="p@example.nl",
        name="Piet Deelnemer",
        roles=["staff"],
        language=Language(language),
        timezone="Europe/Amsterdam",
        active=True,
    )
    row = Delivery(key=f"reminder:mra-mob:single:{offset}:p@example.nl", kind="reminder" if offset else "cancellation", item_uid=item.uid,
                   occurrence_id=item.starts_at, occurrence_start=item.starts_at, offset=offset,
                   recipient=person.email, due_at=START)  # fmt: skip
    settings = ReminderSettings(
        defaults={}, base_url="https://lobby.example", domain="lobby.example", mail_from="Lobbyagenda <lobby@example.nl>",
        feed=FeedOptions("lobby.example", "https://lobby.example", "PT1H", 90, 14, "busy", "Europe/Amsterdam"),
    )  # fmt: skip
    message = build_message(item, row, person, settings, late=late).parsed()
    assert_matches_snapshot(message, f"reminder-{name}")
