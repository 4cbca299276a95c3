"""Overlap warnings: two colleagues meeting the same partner close together, told once each
through the outbox (a real SMTP server on loopback)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from scheduler import agenda, digest_mail, overlaps, tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.reminders import ReminderSettings
from scheduler.schemas import ItemIn
from scheduler.web import create_app
from tests.test_nudges import body
from tests.test_reminders import Inbox, dispatch_at, rows, settings_for, smtp

__all__ = ["smtp"]  # a fixture used by name below

ACTOR = agenda.Actor("test", "test")
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday 1 March 2027, 09:00 CET
ANNA, BOB, CAROL = "anna@example.nl", "bob@example.nl", "carol@example.nl"
DATA: dict[str, list[dict[str, Any]]] = {
    "stakeholders": [
        {"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"},
        {"slug": "zaanstad", "name": "Zaanstad", "kind": "gemeente"},
    ],
    "people": [
        {"email": ANNA, "name": "Anna Aalbers", "roles": ["lobbyist"]},
        {"email": BOB, "name": "Bob Bakker", "roles": ["lobbyist"]},
        {"email": CAROL, "name": "Carol de Clercq", "roles": ["lobbyist"]},
    ],
}
WEEK = overlaps.parse_window("week", "Europe/Amsterdam")


@pytest.fixture
def people_db(db: Database) -> Database:
    with time_machine.travel(NOW, tick=False):
        import_data(db, DATA, "people", ACTOR)
    return db


def visit(db: Database, uid: str, start: str, who: str, **fields: Any) -> None:
    spec = {"uid": uid, "title": f"Overleg {uid}", "kind": "meeting", "start": start,
            "stakeholders": ["mra"], "owner": who} | fields  # fmt: skip
    with time_machine.travel(NOW, tick=False), db.write() as session:
        agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)


def found(db: Database, window: overlaps.Window = WEEK) -> list[tuple[str, str]]:
    with db.read() as session:
        return [
            (o.first.item.uid, o.second.item.uid)
            for o in overlaps.find(session, NOW, NOW + timedelta(days=60), window)
        ]


def test_two_owners_meeting_one_partner_in_the_same_week_overlap(people_db: Database) -> None:
    visit(people_db, "a", "2027-03-08T10:00", ANNA)
    visit(people_db, "b", "2027-03-12T15:00", BOB)  # Friday of the same week
    visit(people_db, "c", "2027-03-15T10:00", CAROL)  # Monday after: the next week
    assert found(people_db) == [("a", "b")]


def test_weeks_are_local_weeks_across_the_dst_change(people_db: Database) -> None:
    # Sunday 28 March 2027 23:30 CEST and Monday 29 March 00:30 CEST: adjacent local weeks,
    # although both fall on Sunday 28 March in UTC.
    visit(people_db, "zo", "2027-03-28T23:30", ANNA)
    visit(people_db, "ma", "2027-03-29T00:30", BOB)
    assert found(people_db) == []
    # Monday 22 March (CET) and that Sunday evening (CEST): one week across the change.
    visit(people_db, "ma22", "2027-03-22T10:00", CAROL)
    assert found(people_db) == [("ma22", "zo")]


def test_a_window_of_days_counts_across_weeks(people_db: Database) -> None:
    visit(people_db, "vr", "2027-03-12T15:00", ANNA)
    visit(people_db, "ma", "2027-03-15T10:00", BOB)
    three_days = overlaps.parse_window("P3D", "Europe/Amsterdam")
    assert found(people_db) == [] and found(people_db, three_days) == [("ma", "vr")]
    assert found(people_db, overlaps.parse_window("off", "Europe/Amsterdam")) == []


@pytest.mark.parametrize(
    ("second", "why"),
    [
        ({"owner": ANNA}, "the same owner"),
        ({"participants": [ANNA]}, "Anna takes part in Bob's meeting"),
        ({"status": "cancelled"}, "cancelled"),
        ({"kind": "decision"}, "a decision is no visit"),
        ({"stakeholders": ["zaanstad"]}, "another partner"),
    ],
)
def test_no_overlap_when(people_db: Database, second: dict[str, Any], why: str) -> None:
    visit(people_db, "a", "2027-03-08T10:00", ANNA)
    visit(people_db, "b", "2027-03-10T10:00", BOB, **second)
    assert found(people_db) == [], why


def quiet(controller: Controller) -> ReminderSettings:
    return settings_for(controller, defaults={}, outcome_after=None)


def test_both_owners_are_told_once_in_their_working_hours(
    people_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    visit(people_db, "a", "2027-03-08T10:00", ANNA, title="Bestuurlijk overleg MRA")
    visit(people_db, "b", "2027-03-11T14:00", BOB, title="Werkbezoek MRA")
    evening = datetime(2027, 3, 1, 20, 0, tzinfo=UTC)  # 21:00: waits for the morning
    assert dispatch_at(people_db, quiet(controller), evening) == 0
    for minutes in (0, 5, 59):
        dispatch_at(people_db, quiet(controller), datetime(2027, 3, 2, 8, minutes, tzinfo=UTC))
    assert sorted(str(m["To"]) for m in inbox.messages) == [
        "Anna Aalbers <anna@example.nl>", "Bob Bakker <bob@example.nl>"
    ]  # fmt: skip
    anna = next(m for m in inbox.messages if "anna" in str(m["To"]))
    assert str(anna["Subject"]) == "Eén stem: Metropoolregio Amsterdam – ma 8 mrt 10:00"
    text = body(anna)
    assert "Jouw afspraak: Bestuurlijk overleg MRA (maandag 8 maart 2027 om 10:00)" in text
    assert "Ook: Werkbezoek MRA (donderdag 11 maart 2027 om 14:00) – Bob Bakker" in text
    assert "https://lobby.example/items/b" in text


def test_an_overlap_gone_before_the_morning_is_not_told(
    people_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    visit(people_db, "a", "2027-03-08T10:00", ANNA)
    visit(people_db, "b", "2027-03-11T14:00", BOB)
    dispatch_at(people_db, quiet(controller), datetime(2027, 3, 1, 20, 0, tzinfo=UTC))
    visit(people_db, "b", "2027-03-18T14:00", BOB)  # moved a week on
    dispatch_at(people_db, quiet(controller), datetime(2027, 3, 2, 8, 5, tzinfo=UTC))
    assert inbox.messages == []
    assert {r.state.value for r in rows(people_db) if r.kind == "overlap"} == {"cancelled"}


def test_the_owner_of_a_confidential_visit_is_told_and_the_other_learns_nothing(
    people_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    visit(people_db, "a", "2027-03-08T10:00", ANNA, title="Geheim vooroverleg",
          confidentiality="confidential")  # fmt: skip
    visit(people_db, "b", "2027-03-11T14:00", BOB, title="Werkbezoek MRA")
    dispatch_at(people_db, quiet(controller), datetime(2027, 3, 2, 8, 5, tzinfo=UTC))
    assert [str(m["To"]) for m in inbox.messages] == ["Anna Aalbers <anna@example.nl>"]
    assert all("Geheim" not in r.key for r in rows(people_db))


# ---------------------------------------------------------------- on the item page and in the digest


def page_of(db: Database, email: str, uid: str) -> str:
    settings = Settings(database_url=db.url, public_url="https://lobby.example")
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(
            create_app(settings, run_jobs=False), base_url="https://lobby.example"
        ) as client,
    ):
        with db.write() as session:
            _, secret = tokens.create(session, email, scope="login", today=NOW.date())
        client.get(f"/login/{secret}")
        answer = client.get(f"/items/{uid}", headers={"accept": "text/html"})
        assert answer.status_code == 200
        return answer.text


def digest_of(db: Database, email: str) -> str:
    settings = ReminderSettings(defaults={}, base_url="https://lobby.example")
    with db.read() as session:
        return body(digest_mail.preview(session, settings, email, NOW))


def test_the_item_page_and_the_digest_show_the_overlap(people_db: Database) -> None:
    visit(people_db, "a", "2027-03-08T10:00", ANNA)
    visit(people_db, "b", "2027-03-11T14:00", BOB, title="Werkbezoek MRA")
    page = page_of(people_db, ANNA, "a")
    assert "Eén stem: een collega spreekt dezelfde partner" in page
    assert (
        "ma 8 mrt 10:00: ook Bob Bakker spreekt Metropoolregio Amsterdam (do 11 mrt 14:00, "
        "Werkbezoek MRA)" in page
    )
    assert "[ook Bob Bakker spreekt Metropoolregio Amsterdam]" in digest_of(people_db, ANNA)


def test_a_confidential_overlap_is_shown_only_to_who_may_see_it(people_db: Database) -> None:
    visit(people_db, "a", "2027-03-08T10:00", ANNA, title="Geheim vooroverleg",
          confidentiality="confidential")  # fmt: skip
    visit(people_db, "b", "2027-03-11T14:00", BOB)
    assert "ook Bob Bakker spreekt" in page_of(people_db, ANNA, "a")
    bobs_page, bobs_digest = page_of(people_db, BOB, "b"), digest_of(people_db, BOB)
    for text in (bobs_page, bobs_digest):
        assert "Eén stem" not in text and "Anna Aalbers spreekt" not in text
        assert "Geheim" not in text


def test_moving_a_meeting_within_the_week_does_not_tell_the_owners_again(
    people_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    visit(people_db, "a", "2027-03-08T10:00", ANNA)
    visit(people_db, "b", "2027-03-11T14:00", BOB)
    dispatch_at(people_db, quiet(controller), datetime(2027, 3, 2, 8, 5, tzinfo=UTC))
    assert len(inbox.messages) == 2
    visit(people_db, "b", "2027-03-09T09:00", BOB)  # earlier in the same week: still one overlap
    dispatch_at(people_db, quiet(controller), datetime(2027, 3, 2, 9, 5, tzinfo=UTC))
    assert len(inbox.messages) == 2
