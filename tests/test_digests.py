"""Digests: their content (what is coming, what needs attention, what changed, within what
the reader may see), their schedule, and their delivery through the outbox to a real SMTP
server (aiosmtpd) on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select

from scheduler import agenda, catalog, digest_mail, digests
from scheduler.db import Database
from scheduler.digests import Digest
from scheduler.errors import ImportRejected
from scheduler.interchange import import_data
from scheduler.models import DigestFrequency, ItemKind, Person
from scheduler.reminders import ReminderSettings
from tests.snapshot import assert_matches_snapshot
from tests.test_reminders import ACTOR, Inbox, add_item, dispatch_at, rows, settings_for, smtp

__all__ = ["smtp"]  # a fixture used by name below

MANAGER, LOBBYIST, OUTSIDER, ENGLISH = (
    "m@example.nl", "l@example.nl", "x@example.nl", "e@example.nl"
)  # fmt: skip
DATA: dict[str, list[dict[str, Any]]] = {
    "themes": [
        {"slug": "mobiliteit", "name": "Mobiliteit"},
        {"slug": "wonen", "name": "Wonen"},
    ],
    "stakeholders": [
        {"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"},
        {"slug": "ph", "name": "Provincie Noord-Holland", "kind": "provincie"},
    ],
    "people": [
        {"email": MANAGER, "name": "Mira Manager", "roles": ["manager"]},
        {"email": LOBBYIST, "name": "Lars Lobbyist", "roles": ["lobbyist"]},
        {"email": OUTSIDER, "name": "Xander Buiten", "roles": ["staff"], "digest": "weekly",
         "digest_scope": "followed", "themes": ["wonen"]},
        {"email": ENGLISH, "name": "Emily English", "roles": ["manager"], "language": "en",
         "digest": "daily", "digest_time": "08:00"},
    ],
    "partnerships": [
        {"slug": "mra-bestuur", "name": "MRA bestuurlijk overleg", "level": "bovenregionaal",
         "kind": "strategisch", "members": ["mra"], "contact": LOBBYIST,
         "next_evaluation_on": "2026-12-10"},
    ],
}  # fmt: skip
# Saturday 5 December 2026, 12:00 Amsterdam: the agenda is made.
MADE = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
MONDAY = datetime(2026, 12, 7, 6, 30, tzinfo=UTC)  # Monday 7 December 07:30 CET


def item(db: Database, uid: str, **fields: Any) -> None:
    values = {"uid": uid, "owner": LOBBYIST, "participants": [], "goal": "", "location": ""}
    add_item(db, **(values | fields))


@pytest.fixture
def digest_db(db: Database) -> Iterator[Database]:
    with time_machine.travel(MADE, tick=False):
        import_data(db, DATA, "digest data", ACTOR)
        item(db, "mob", title="Bestuurlijk overleg MRA", start="2026-12-08T10:00",
             end="2026-12-08T11:30", themes=["mobiliteit"], stakeholders=["mra"],
             goal="Fietsparkeren", message="Alkmaar draagt bij", role="belangenbehartiger")  # fmt: skip
        item(db, "ps", title="PS besluit Wonen", kind="decision", start="2026-12-14T14:00",
             end="2026-12-14T17:00", themes=["wonen"], stakeholders=["ph"], owner=None)  # fmt: skip
        item(db, "geheim", title="Vertrouwelijk vooroverleg woningbouw", start="2026-12-09T09:00",
             end="2026-12-09T10:00", themes=["wonen"], confidentiality="confidential",
             goal="Grondposities", message="Nog niet delen")  # fmt: skip
    yield db


def build(db: Database, email: str, now: datetime, since: datetime | None = None) -> Digest:
    with db.read() as session:
        person = catalog.person(session, email)
        found = since or digest_mail.since_last(session, person, now)
        return digests.build(session, person, OPTIONS, now, found)


def mail_settings(controller: Controller | None = None, **changes: Any) -> ReminderSettings:
    if controller is not None:
        return settings_for(controller, defaults={ItemKind.MEETING: ()}, **changes)
    return ReminderSettings(
        defaults={ItemKind.MEETING: ()}, base_url="https://lobby.example",
        domain="lobby.example", **changes,
    )  # fmt: skip


OPTIONS = digest_mail.options_of(mail_settings())


def titles(digest: Digest) -> list[str]:
    return [e.title for w in digest.weeks for g in w.days for e in g.entries]


def everything(digest: Digest) -> str:
    """All the words of a digest, to look for what must not be there."""
    return (
        repr(digest.weeks) + repr(digest.highlights) + repr(digest.changes) + repr(digest.by_theme)
    )


def body(message: Message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[attr-defined, no-any-return]


# ---------------------------------------------------------------- content


def test_a_digest_groups_the_coming_two_weeks_by_week_and_day_with_what_managers_need(
    digest_db: Database,
) -> None:
    digest = build(digest_db, MANAGER, MONDAY)
    assert digest.period == "7–21 dec 2026"
    assert [w.heading for w in digest.weeks] == [
        "Week 50 (7–13 dec 2026)",
        "Week 51 (14–20 dec 2026)",
    ]
    [[tuesday], [monday]] = [w.days for w in digest.weeks]
    assert (tuesday.heading, monday.heading) == (
        "dinsdag 8 december 2026",
        "maandag 14 december 2026",
    )
    [meeting] = tuesday.entries
    assert (meeting.when, meeting.stakeholders, meeting.who, meeting.themes) == (
        "di 8 dec 10:00", "Metropoolregio Amsterdam", "Lars Lobbyist", "Mobiliteit"
    )  # fmt: skip
    assert (meeting.goal, meeting.message, meeting.role, meeting.status) == (
        "Fietsparkeren", "Alkmaar draagt bij", "belangenbehartiger", "gepland"
    )  # fmt: skip
    [decision] = monday.entries
    assert (decision.flags, decision.themes) == (("geen eigenaar",), "Wonen")
    assert digest.by_theme == [("Mobiliteit", 1), ("Wonen", 1)]
    # MRA belongs to a supra-regional partnership; a province is supra-regional by its kind.
    assert digest.by_level == [("bovenregionaal", 2)]


def test_within_a_week_the_digest_keeps_time_order_whatever_the_themes(
    digest_db: Database,
) -> None:
    """Wonen on Tuesday, Mobiliteit on Wednesday and Thursday, Wonen again on Thursday
    morning: day after day, and within a day by time, not theme after theme."""
    with time_machine.travel(MADE, tick=False):
        for uid, start, theme in (("wo", "2026-12-09T14:00", "mobiliteit"),
                                  ("do-laat", "2026-12-10T16:00", "mobiliteit"),
                                  ("do-vroeg", "2026-12-10T09:00", "wonen")):  # fmt: skip
            item(digest_db, uid, title=f"Overleg {uid}", start=start,
                 end=start[:-5] + "23:00", themes=[theme])  # fmt: skip
    digest = build(digest_db, MANAGER, MONDAY)
    first_week = [(g.heading, [e.title for e in g.entries]) for g in digest.weeks[0].days]
    assert first_week == [
        ("dinsdag 8 december 2026", ["Bestuurlijk overleg MRA"]),
        ("woensdag 9 december 2026", ["Overleg wo"]),
        ("donderdag 10 december 2026", ["Overleg do-vroeg", "Overleg do-laat"]),
    ]


def test_highlights_name_what_needs_attention(digest_db: Database) -> None:
    with time_machine.travel(MADE, tick=False):
        item(digest_db, "kaal", title="Kennismaking wethouder", start="2026-12-10T15:00",
             end="2026-12-10T16:00", themes=["mobiliteit"])  # fmt: skip
        item(digest_db, "vorige", title="Werkbezoek station", start="2026-11-30T10:00",
             end="2026-11-30T11:00", goal="x", message="y",
             follow_ups=[{"text": "Notitie sturen", "due": "2026-12-04"}])  # fmt: skip
    digest = build(digest_db, MANAGER, MONDAY)
    sections = {s.heading: [line.text for line in s.lines] for s in digest.highlights}
    assert sections == {
        "Besluitvorming nadert: het lobbyvenster sluit": ["ma 14 dec 14:00: PS besluit Wonen"],
        "Zonder eigenaar": ["ma 14 dec 14:00: PS besluit Wonen"],
        "Niet voorbereid (binnen 7 dagen, zonder doel of kernboodschap)": [
            "do 10 dec 15:00: Kennismaking wethouder"
        ],
        "Afgerond zonder uitkomst": ["ma 30 nov 10:00: Werkbezoek station"],
        "Vervolgacties over de datum": ["Notitie sturen (uiterlijk vr 4 dec) – Lars Lobbyist"],
        "Samenwerkingen toe aan evaluatie": ["do 10 dec: MRA bestuurlijk overleg – Lars Lobbyist"],
    }


def test_a_confidential_item_is_in_no_part_of_an_outsiders_digest(digest_db: Database) -> None:
    with time_machine.travel(MADE, tick=False):
        item(digest_db, "geheim2", title="Geheime kennismaking", start="2026-12-10T15:00",
             end="2026-12-10T16:00", confidentiality="confidential",
             follow_ups=[{"text": "Geheime actie", "due": "2026-12-01"}])  # fmt: skip
    for outsider in (MANAGER, OUTSIDER, ENGLISH):
        words = everything(build(digest_db, outsider, MONDAY))
        for secret in ("Vertrouwelijk vooroverleg", "Grondposities", "Geheim"):
            assert secret not in words, (outsider, secret)
    owner = build(digest_db, LOBBYIST, MONDAY)
    assert "Vertrouwelijk vooroverleg woningbouw" in titles(owner)
    assert "Geheime actie" in everything(owner)


def test_the_followed_scope_keeps_to_the_persons_themes_and_stakeholders(
    digest_db: Database,
) -> None:
    digest = build(digest_db, OUTSIDER, MONDAY)
    assert titles(digest) == ["PS besluit Wonen"]  # wonen, and not the confidential one
    assert [line.text for s in digest.highlights for line in s.lines if "MRA" in line.text] == []


def test_changed_since_the_last_digest_lists_added_moved_and_cancelled(
    digest_db: Database,
) -> None:
    sent = MONDAY
    later = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
    with time_machine.travel(sent + timedelta(hours=1), tick=False):
        item(digest_db, "mob", title="Bestuurlijk overleg MRA", start="2026-12-15T10:00",
             end="2026-12-15T11:30")  # fmt: skip
        with digest_db.write() as session:
            agenda.cancel(session, "ps", ACTOR)
        item(digest_db, "nieuw", title="Netwerkborrel", kind="networking",
             start="2026-12-17T17:00", end="2026-12-17T19:00")  # fmt: skip
    digest = build(digest_db, MANAGER, later, since=sent)
    changes = {s.heading: [line.text for line in s.lines] for s in digest.changes}
    assert changes == {
        "Nieuw": ["do 17 dec 17:00: Netwerkborrel"],
        "Verplaatst": ["di 15 dec 10:00: Bestuurlijk overleg MRA"],
        "Vervallen": ["ma 14 dec 14:00: PS besluit Wonen"],
    }
    assert "PS besluit Wonen" not in titles(digest)


def test_a_moved_and_a_cancelled_occurrence_of_a_series_show_as_changed(
    digest_db: Database,
) -> None:
    with time_machine.travel(MADE, tick=False):
        item(digest_db, "reeks", title="Wekelijks overleg", start="2026-12-08T09:00",
             end="2026-12-08T09:30", rrule="FREQ=WEEKLY;COUNT=4")  # fmt: skip
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        item(digest_db, "reeks", title="Wekelijks overleg", start="2026-12-08T09:00",
             end="2026-12-08T09:30", rrule="FREQ=WEEKLY;COUNT=4", occurrences=[
                 {"recurrence_id": "2026-12-15T09:00", "start": "2026-12-16T13:00",
                  "end": "2026-12-16T13:30"},
                 {"recurrence_id": "2026-12-22T09:00", "cancelled": True},
             ])  # fmt: skip
    digest = build(digest_db, MANAGER, MONDAY + timedelta(days=1), since=MONDAY)
    changes = {s.heading: [line.text for line in s.lines] for s in digest.changes}
    assert changes == {
        "Verplaatst": ["di 15 dec 09:00 → wo 16 dec 13:00: Wekelijks overleg"],
        "Vervallen": ["di 22 dec 09:00: Wekelijks overleg"],
    }


def test_english_readers_get_english(digest_db: Database) -> None:
    digest = build(digest_db, ENGLISH, MONDAY)
    assert digest.period == "7\u2009–\u200921 Dec 2026"
    assert digest.weeks[0].days[0].entries[0].when == "Tue 8 Dec 10:00"
    assert digest.highlights[0].heading == "Decisions ahead: the lobby window is closing"


# ---------------------------------------------------------------- schedule and delivery


def test_managers_get_a_weekly_digest_by_default_others_none(digest_db: Database) -> None:
    with digest_db.read() as session:
        chosen = {p.email: p.digest.value for p in session.scalars(select(Person))}
    assert chosen == {MANAGER: "weekly", LOBBYIST: "none", OUTSIDER: "weekly", ENGLISH: "daily"}


def test_one_digest_per_person_per_period_at_their_time_exactly_once(
    digest_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = mail_settings(controller)
    dispatch_at(digest_db, settings, MADE)
    planned = sorted((r.recipient, r.due_at) for r in rows(digest_db) if r.kind == "digest")
    assert planned == [
        (ENGLISH, datetime(2026, 12, 6, 7, 0, tzinfo=UTC)),  # daily 08:00 CET, Sunday
        (MANAGER, MONDAY),
        (OUTSIDER, MONDAY),
    ]
    assert dispatch_at(digest_db, settings, MONDAY - timedelta(seconds=5)) == 1  # Emily's Sunday
    assert dispatch_at(digest_db, settings, MONDAY + timedelta(seconds=5)) == 2
    # A restart (a new worker on the same database) and a second replica send nothing again.
    assert dispatch_at(digest_db, settings, MONDAY + timedelta(minutes=1), worker="w2") == 0
    assert dispatch_at(digest_db, settings, MONDAY + timedelta(minutes=20), worker="w3") == 0
    to = sorted(str(m["To"]) for m in inbox.messages)
    assert to == [
        "Emily English <e@example.nl>", "Mira Manager <m@example.nl>",
        "Xander Buiten <x@example.nl>",
    ]  # fmt: skip
    subject = next(str(m["Subject"]) for m in inbox.messages if MANAGER in str(m["To"]))
    assert subject == ("Lobbyagenda 7–21 dec 2026: 2 agendapunten, 3 aandachtspunten")
    next_week = [
        r for r in rows(digest_db) if r.recipient == MANAGER and r.state.value == "pending"
    ]
    assert [r.due_at for r in next_week] == [MONDAY + timedelta(days=7)]


def test_the_first_digest_says_it_is_the_first_and_the_next_lists_only_what_came_after_it(
    digest_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = mail_settings(controller)
    dispatch_at(digest_db, settings, MADE)
    dispatch_at(digest_db, settings, MONDAY + timedelta(seconds=5))
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        item(digest_db, "nieuw", title="Netwerkborrel", kind="networking",
             start="2026-12-17T17:00", end="2026-12-17T19:00")  # fmt: skip
    dispatch_at(digest_db, settings, MONDAY + timedelta(days=7, seconds=5))
    first, second = [body(m) for m in inbox.messages if MANAGER in str(m["To"])]
    assert "Dit is je eerste overzicht" in first and "\nNieuw\n" not in first
    assert "Dit is je eerste overzicht" not in second
    changed = second.split("GEWIJZIGD SINDS JE VORIGE OVERZICHT", 1)[1].split("IN AANTALLEN")[0]
    assert "Nieuw\n- do 17 dec 17:00: Netwerkborrel" in changed
    assert "Bestuurlijk overleg MRA" not in changed  # made before the first digest went out


def test_a_digest_missed_during_downtime_goes_out_late_while_its_period_lasts(
    digest_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = mail_settings(controller)
    dispatch_at(digest_db, settings, MADE)  # planned; then the service is down until Thursday
    thursday = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    dispatch_at(digest_db, settings, thursday)
    [message] = [m for m in inbox.messages if MANAGER in str(m["To"])]
    assert str(message["Subject"]).startswith("[verlaat] Lobbyagenda")
    assert "later dan gepland" in body(message)
    # Down again over the whole next week: that digest's period passed, so it expired.
    dispatch_at(digest_db, settings, datetime(2026, 12, 21, 8, 0, tzinfo=UTC))
    states = sorted((r.key.split(":")[2], r.state.value) for r in rows(digest_db)
                    if r.recipient == MANAGER)  # fmt: skip
    assert states[:2] == [("2026-W50", "sent"), ("2026-W51", "expired")]


def test_an_empty_digest_is_not_sent(db: Database, smtp: tuple[Inbox, Controller]) -> None:
    inbox, controller = smtp
    with time_machine.travel(MADE, tick=False):
        import_data(db, {"people": [DATA["people"][0]]}, "people", ACTOR)
    dispatch_at(db, mail_settings(controller), MADE)
    dispatch_at(db, mail_settings(controller), MONDAY + timedelta(seconds=1))
    [row] = [r for r in rows(db) if r.state.value != "pending"]
    assert (row.state.value, row.last_error) == ("cancelled", "nothing to report for this period")
    assert inbox.messages == []


def test_a_digest_across_the_dst_change_comes_at_the_same_local_time() -> None:
    person = Person(email="p@example.nl", name="P", timezone="Europe/Amsterdam",
                    digest=DigestFrequency.WEEKLY, digest_day=6, digest_time="07:30")  # fmt: skip
    # Sunday 29 March 2026 the clocks go forward; Sunday 25 October back.
    march = digest_mail.next_slot(person, datetime(2026, 3, 25, 12, 0, tzinfo=UTC))
    assert (march.period, march.due) == ("2026-W13", datetime(2026, 3, 29, 5, 30, tzinfo=UTC))
    assert march.expires == datetime(2026, 4, 5, 5, 30, tzinfo=UTC)
    october = digest_mail.next_slot(person, datetime(2026, 10, 21, 12, 0, tzinfo=UTC))
    assert october.due == datetime(2026, 10, 25, 6, 30, tzinfo=UTC)
    daily = Person(email="d@example.nl", name="D", timezone="Europe/Amsterdam",
                   digest=DigestFrequency.DAILY, digest_day=0, digest_time="07:30")  # fmt: skip
    before = digest_mail.next_slot(daily, datetime(2026, 3, 28, 7, 0, tzinfo=UTC))
    assert before.due == datetime(2026, 3, 29, 5, 30, tzinfo=UTC)
    assert before.expires == datetime(2026, 3, 30, 5, 30, tzinfo=UTC)


def test_a_changed_digest_day_moves_the_pending_one_and_none_cancels_it(
    digest_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    _, controller = smtp
    settings = mail_settings(controller)
    dispatch_at(digest_db, settings, MADE)
    with time_machine.travel(MADE + timedelta(minutes=1), tick=False):
        import_data(digest_db, {"people": [{"email": MANAGER, "name": "Mira Manager",
                    "digest_day": "woensdag", "digest_time": "16:00"}]}, "p", ACTOR)  # fmt: skip
        import_data(digest_db, {"people": [{"email": OUTSIDER, "name": "Xander Buiten",
                    "digest": "none"}]}, "p", ACTOR)  # fmt: skip
    dispatch_at(digest_db, settings, MADE + timedelta(minutes=2))
    by_person = {r.recipient: (r.state.value, r.due_at) for r in rows(digest_db)}
    assert by_person[MANAGER] == ("pending", datetime(2026, 12, 9, 15, 0, tzinfo=UTC))
    assert by_person[OUTSIDER][0] == "cancelled"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("digest_time", "02:30", "between 02:00 and 03:00"),
        ("digest_time", "7.30", "not a time of day"),
        ("digest_day", "funday", "not a weekday"),
        ("digest", "monthly", "Input should be 'none', 'daily' or 'weekly'"),
    ],
)
def test_a_bad_digest_setting_is_refused_with_its_field(
    db: Database, field: str, value: str, message: str
) -> None:
    person = {"email": "a@example.nl", "name": "A", field: value}
    with pytest.raises(ImportRejected) as caught:
        import_data(db, {"people": [person]}, "people.yaml", ACTOR)
    assert f"people[0].{field}" in str(caught.value) and message in str(caught.value)
    with db.read() as session:
        assert session.scalars(select(Person)).first() is None


# ---------------------------------------------------------------- snapshots


@pytest.mark.parametrize(
    ("email", "name"),
    [
        (MANAGER, "digest-nl-manager"),
        (ENGLISH, "digest-en-daily"),
        (OUTSIDER, "digest-nl-followed"),
    ],
)
def test_the_digest_email_matches_its_snapshot(digest_db: Database, email: str, name: str) -> None:
    with time_machine.travel(MADE, tick=False):
        item(digest_db, "reeks", title="Wekelijks overleg", start="2026-12-08T09:00",
             end="2026-12-08T09:30", rrule="FREQ=WEEKLY;COUNT=3", themes=["mobiliteit"],
             goal="Afstemmen", message="Eén lijn")  # fmt: skip
    with digest_db.read() as session:
        outgoing = digest_mail.preview(session, mail_settings(), email, MONDAY)
    assert_matches_snapshot(outgoing, name)


def test_weekly_digests_around_the_spring_dst_change_come_at_0730_local(
    db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = mail_settings(controller)
    march = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    with time_machine.travel(march, tick=False):
        import_data(db, {**DATA, "partnerships": []}, "people", ACTOR)
        item(db, "lente", title="Voorjaarsoverleg", start="2026-03-31T10:00",
             end="2026-03-31T11:00", themes=["wonen"])  # fmt: skip
    dispatch_at(db, settings, march)
    before_change = datetime(2026, 3, 23, 6, 30, tzinfo=UTC)  # Monday 07:30 CET
    after_change = datetime(2026, 3, 30, 5, 30, tzinfo=UTC)  # Monday 07:30 CEST
    assert dispatch_at(db, settings, before_change - timedelta(seconds=1)) == 0
    assert dispatch_at(db, settings, before_change + timedelta(seconds=1)) >= 1
    assert dispatch_at(db, settings, after_change - timedelta(seconds=1)) == 0
    assert dispatch_at(db, settings, after_change + timedelta(seconds=1)) >= 1
    mira = [m for m in inbox.messages if MANAGER in str(m["To"])]
    assert [str(m["Subject"]).split(":")[0] for m in mira] == [
        "Lobbyagenda 23 mrt – 6 apr 2026",
        "Lobbyagenda 30 mrt – 13 apr 2026",
    ]
    sent = sorted(r.sent_at for r in rows(db) if r.recipient == MANAGER and r.sent_at)
    assert sent == [before_change + timedelta(seconds=1), after_change + timedelta(seconds=1)]


def test_a_busy_week_digest_matches_its_snapshot(digest_db: Database) -> None:
    with time_machine.travel(MADE, tick=False):
        for n in range(8):
            item(digest_db, f"druk{n}", title=f"Werkbezoek {n + 1}", start=f"2026-12-{8 + n % 4:02d}T{9 + n:02d}:00",
                 end=f"2026-12-{8 + n % 4:02d}T{9 + n:02d}:45", themes=["mobiliteit" if n % 2 else "wonen"],
                 stakeholders=["mra"], goal=f"Doel {n + 1}", message="Kern" if n % 3 else "",
                 participants=[MANAGER] if n % 2 else [])  # fmt: skip
    with digest_db.read() as session:
        outgoing = digest_mail.preview(session, mail_settings(), MANAGER, MONDAY)
    assert_matches_snapshot(outgoing, "digest-nl-busy-week")
