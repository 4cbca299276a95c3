"""The open agenda for publication: past public contacts, only once reviewed (and again after
a change), redactions shown with their reason, never an internal or confidential item."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import icalendar
import pytest
import time_machine
from fastapi.testclient import TestClient

from scheduler import open_agenda
from scheduler.agenda import Actor
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import ValidationError
from scheduler.interchange import import_data
from scheduler.web import create_app
from tests.test_reminders import ACTOR, add_item

NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
REVIEWER = Actor("griffie@example.nl", "cli")
PEOPLE: dict[str, list[dict[str, Any]]] = {
    "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}],
    "stakeholders": [{"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"}],
    "people": [
        {"email": "o@example.nl", "name": "Olga Eigenaar"},
        {"email": "p@example.nl", "name": "Piet Deelnemer"},
    ],
}


def contact(db: Database, uid: str, **fields: Any) -> None:
    values = {"uid": uid, "title": f"Overleg {uid}", "start": "2026-12-08T10:00", "end": None,
              "confidentiality": "public", "themes": ["mobiliteit"], "stakeholders": ["mra"]}  # fmt: skip
    add_item(db, **(values | fields))


@pytest.fixture
def agenda(db: Database) -> Database:
    with time_machine.travel(datetime(2026, 11, 28, 9, 0, tzinfo=UTC), tick=False):
        import_data(db, PEOPLE, "people", ACTOR)
        contact(db, "held")  # public, past: reviewed below
        contact(db, "unreviewed")
        contact(db, "intern", confidentiality="internal")
        contact(db, "geheim", confidentiality="confidential")
        contact(db, "later", start="2026-12-28T10:00")  # public but still ahead
        contact(db, "reeks", start="2026-12-01T09:00", rrule="FREQ=WEEKLY;COUNT=4",
                occurrences=[{"recurrence_id": "2026-12-08T09:00", "cancelled": True}])  # fmt: skip
        with db.write() as session:
            for uid in ("held", "later", "reeks"):
                open_agenda.review(session, uid, REVIEWER, {}, NOW)
    return db


def published(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        found = open_agenda.contacts(
            session, date(2026, 12, 1), date(2026, 12, 31), "Europe/Amsterdam", NOW
        )
    return [(c.date, c.uid) for c in found]


def test_only_reviewed_public_contacts_that_took_place_are_published(agenda: Database) -> None:
    assert published(agenda) == [
        ("2026-12-01", "reeks"),
        ("2026-12-08", "held"),  # the series' 8 December was cancelled
        ("2026-12-15", "reeks"),
    ]
    with agenda.read() as session:
        [first] = open_agenda.contacts(
            session, date(2026, 12, 8), date(2026, 12, 8), "Europe/Amsterdam", NOW
        )
    assert (first.subject, first.organisations, first.themes, first.participants) == (
        "Overleg held", "Metropoolregio Amsterdam", "Mobiliteit", "Olga Eigenaar, Piet Deelnemer"
    )  # fmt: skip


def test_a_change_after_the_review_takes_the_item_off_until_it_is_reviewed_again(
    agenda: Database,
) -> None:
    with time_machine.travel(NOW, tick=False):
        contact(agenda, "held", location="Elders")
    assert ("2026-12-08", "held") not in published(agenda)
    with agenda.write() as session:
        open_agenda.review(session, "held", REVIEWER, {"participants": "persoonsgegevens"}, NOW)
    assert ("2026-12-08", "held") in published(agenda)
    with agenda.read() as session:
        [held] = [
            c
            for c in open_agenda.contacts(
                session, date(2026, 12, 8), date(2026, 12, 8), "Europe/Amsterdam", NOW
            )
        ]
    assert held.participants == "[weggelakt: persoonsgegevens]"


def test_internal_and_confidential_items_cannot_be_reviewed_or_published(agenda: Database) -> None:
    for uid in ("intern", "geheim"):
        with pytest.raises(ValidationError, match="only public items"), agenda.write() as session:
            open_agenda.review(session, uid, REVIEWER, {}, NOW)
    with pytest.raises(ValidationError, match="cannot redact 'goal'"), agenda.write() as session:
        open_agenda.review(session, "unreviewed", REVIEWER, {"goal": "geheim"}, NOW)
    with pytest.raises(ValidationError, match="give the reason"), agenda.write() as session:
        open_agenda.review(session, "unreviewed", REVIEWER, {"subject": " "}, NOW)
    uids = {uid for _, uid in published(agenda)}
    assert uids.isdisjoint({"intern", "geheim", "unreviewed", "later"})


def test_the_export_formats(agenda: Database) -> None:
    with agenda.read() as session:
        found = open_agenda.contacts(
            session, date(2026, 12, 1), date(2026, 12, 31), "Europe/Amsterdam", NOW
        )
    rows = list(csv.DictReader(io.StringIO(open_agenda.render(found, "csv", "lobby.example"))))
    assert [r["date"] for r in rows] == ["2026-12-01", "2026-12-08", "2026-12-15"]
    assert json.loads(open_agenda.render(found, "json", "lobby.example"))[1]["uid"] == "held"
    calendar = icalendar.Calendar.from_ical(open_agenda.render(found, "ics", "lobby.example"))
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == [
        "Overleg reeks", "Overleg held", "Overleg reeks"
    ]  # fmt: skip
    with pytest.raises(ValidationError, match="use csv, json or ics"):
        open_agenda.render(found, "pdf", "lobby.example")


def test_the_public_page_lists_the_published_contacts(agenda: Database) -> None:
    settings = Settings(database_url=agenda.url)
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(settings, run_jobs=False)) as client,
    ):
        page = client.get("/public", headers={"accept": "text/html"}).text
    held = page.split("Gevoerde lobbycontacten")[1]
    assert "Overleg held" in held and "Overleg reeks" in held
    for hidden in ("Overleg unreviewed", "Overleg intern", "Overleg geheim"):
        assert hidden not in page
