"""Every kind of mail, read by a parser that is not Python's email package: postal-mime (run by
node), with ical.js for the .ics attachments. Each message must have one RFC 5322 Date, one
Message-ID, its From and To, a Subject that decodes to the text we wrote, exactly one
text/plain and one text/html alternative, and .ics parts that ical.js accepts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller

from scheduler import agenda, digest_mail, sessions
from scheduler.composer import Letterhead
from scheduler.db import Database
from scheduler.ics_writer import FeedOptions
from scheduler.interchange import import_data
from scheduler.mailer import Flattened, Mailer, SmtpSettings
from scheduler.models import Delivery, ItemKind, Language, NudgeKind, Person
from scheduler.reminders import ReminderSettings, build_message
from tests import test_chains, test_dossiers, test_nudges, test_overlaps, test_sources
from tests.readers import postal_mime
from tests.test_email_templates import START, make_item
from tests.test_reminders import (
    ACTOR,
    PLANNED_AT,
    Inbox,
    add_item,
    agenda_db,
    dispatch_at,
    settings_for,
    smtp,
)

dossier_db, people_db = test_dossiers.dossier_db, test_overlaps.people_db
decision_db = test_chains.decision_db
catalog_db, calendar = test_sources.catalog_db, test_sources.calendar
__all__ = ["agenda_db", "calendar", "catalog_db", "decision_db", "dossier_db", "people_db", "smtp"]

SENDER = "lobby-agenda@localhost"  # of settings_for's default mail_from
DATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
)
MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")
# Every kind of mail there is; each test below says which it reads.
KINDS = {"reminder", "cancellation", *NudgeKind, "digest", "source-change", "sign-in"}
CHECKED: dict[str, str] = {}  # kind -> the test that reads it


def checks(*kinds: str) -> Any:
    def mark(test: Any) -> Any:
        CHECKED.update(dict.fromkeys(kinds, test.__name__))
        return test

    return mark


def assert_read_alike(
    sent: list[bytes], *, sender: str = SENDER, calendars: int = 0, can_turn_off: bool = True
) -> list[dict[str, Any]]:
    """Read `sent` with postal-mime, and check each message; returns what it read."""
    assert sent, "no mail to read"
    found = postal_mime(sent)
    for raw, seen in zip(sent, found, strict=True):
        ours = message_from_bytes(raw, policy=policy.default)
        assert len(seen["date"]) == 1 and seen["dateValid"], f"Date: {seen['date']}"
        assert DATE.fullmatch(seen["date"][0]), seen["date"]
        assert len(seen["messageId"]) == 1 and MESSAGE_ID.fullmatch(seen["messageId"][0])
        assert seen["from"]["address"] == sender and seen["from"]["name"] == "Lobbyagenda"
        [to] = ours["To"].addresses
        assert [(t["name"], t["address"]) for t in seen["to"]] == [(to.display_name, to.addr_spec)]
        assert seen["subject"] and seen["subject"] == str(ours["Subject"])
        assert "  " not in seen["subject"] and seen["subject"] == seen["subject"].strip()
        leaves = [p["type"] for p in seen["parts"] if not p["multipart"]]
        assert sorted(leaves) == sorted(["text/plain", "text/html"] + ["text/calendar"] * calendars)
        assert "multipart/alternative" in [p["type"] for p in seen["parts"] if p["multipart"]]
        assert seen["text"].strip() and seen["html"].strip()
        assert len(seen["calendars"]) == calendars
        for read in seen["calendars"]:
            assert read["error"] is None and read["name"] == "vcalendar", read
            assert read["events"] and read["method"] == "PUBLISH"
        assert "auto-submitted" in seen["headers"]
        assert ("list-unsubscribe" in seen["headers"]) is can_turn_off
    return found


def sent_as_file(
    tmp_path: Path, message: EmailMessage | Flattened, at: datetime = PLANNED_AT
) -> bytes:
    """`message` as the mailer hands it over (dated), here to a file instead of a server."""
    with time_machine.travel(at, tick=False), Mailer(SmtpSettings("", mail_dir=str(tmp_path))) as m:
        m.send(message)
    [written] = tmp_path.glob("*.eml")
    written.rename(written.with_suffix(".read"))
    return written.with_suffix(".read").read_bytes()


def delivered(inbox: Inbox, kind: str) -> list[bytes]:
    return [
        raw
        for raw, read in zip(inbox.raw, inbox.messages, strict=True)
        # .strip(): a long key is folded onto the next line, and Python 3.11 reads the fold's
        # blank as part of the value (gh-124452)
        if str(read["X-Lobby-Agenda-Delivery"]).strip().split(":")[0] == kind
    ]


def test_every_kind_of_mail_is_read_below() -> None:
    assert set(CHECKED) == KINDS


def test_a_message_without_a_date_fails_the_check(tmp_path: Path) -> None:
    person = Person(email="z@example.nl", name="Zoë Ünal", language=Language.NL,
                    timezone="Europe/Amsterdam", active=True)  # fmt: skip
    letterhead = Letterhead("Lobbyagenda <lobby-agenda@localhost>", "x.nl", "https://l.example")
    good = sent_as_file(tmp_path, sessions.link_message(person, "https://l/x", letterhead))
    assert_read_alike([good], can_turn_off=False)
    undated = re.sub(rb"(?m)^Date: [^\r\n]*\r\n", b"", good)
    assert undated != good
    with pytest.raises(AssertionError, match="Date"):
        assert_read_alike([undated], can_turn_off=False)


@checks("reminder", "cancellation")
@pytest.mark.parametrize(("offset", "language"), [("P7D", "nl"), ("P7D", "en"), ("", "nl")])
def test_reminders_and_cancellations_read_alike_with_their_ics(
    tmp_path: Path, offset: str, language: str
) -> None:
    item = make_item(title="Overleg Zaanstad – één visie op de Zaancorridor (ü, €)")
    person = Person(email="p@example.nl", name="Zoë Ünal-de Vries", language=Language(language),
                    timezone="Europe/Amsterdam", active=True)  # fmt: skip
    row = Delivery(key=f"reminder:mra-mob:single:{offset}:p@example.nl",
                   kind="reminder" if offset else "cancellation", item_uid=item.uid,
                   occurrence_id=START, occurrence_start=START, offset=offset,
                   recipient=person.email, due_at=START)  # fmt: skip
    settings = ReminderSettings(
        defaults={}, base_url="https://lobby.example", domain="lobby.example",
        feed=FeedOptions("lobby.example", "https://lobby.example", "PT1H", 90, 14, "busy",
                         "Europe/Amsterdam"),
    )  # fmt: skip
    raw = sent_as_file(tmp_path, build_message(item, row, person, settings, late=False))
    [seen] = assert_read_alike([raw], calendars=1)
    assert "Overleg Zaanstad – één visie op de Zaancorridor (ü, €)" in seen["subject"]
    assert seen["to"] == [{"name": "Zoë Ünal-de Vries", "address": "p@example.nl"}]
    assert seen["calendars"][0]["events"][0]["uid"].startswith("mra-mob")


@checks(NudgeKind.OUTCOME, NudgeKind.FOLLOW_UP, NudgeKind.EVALUATION)
def test_outcome_follow_up_and_evaluation_nudges_read_alike(
    agenda_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller, defaults={ItemKind.MEETING: ()}, follow_up=("+1WD",))
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(agenda_db, {"partnerships": [test_nudges.PARTNERSHIP]}, "p", ACTOR)
        add_item(agenda_db, follow_ups=[{**test_nudges.FOLLOW_UP, "owner": test_nudges.ENGLISH}])
    for moment in (PLANNED_AT, test_nudges.EVALUATION_DUE + timedelta(hours=2), test_nudges.ENDED,
                   test_nudges.OUTCOME_DUE + timedelta(seconds=1),
                   datetime(2026, 12, 15, 8, 0, 1, tzinfo=UTC)):  # fmt: skip
        dispatch_at(agenda_db, settings, moment)
    for kind in (NudgeKind.OUTCOME, NudgeKind.FOLLOW_UP, NudgeKind.EVALUATION):
        assert_read_alike(delivered(inbox, kind))


@checks(NudgeKind.PREPARATION, NudgeKind.CHAIN_CANCELLED)
def test_chain_steps_and_a_chain_called_off_read_alike(
    decision_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = test_chains.steps_only(controller)
    test_chains.attach(decision_db)
    dispatch_at(decision_db, settings, PLANNED_AT)
    dispatch_at(decision_db, settings, datetime(2026, 12, 29, 8, 0, 5, tzinfo=UTC))
    [step] = assert_read_alike(delivered(inbox, NudgeKind.PREPARATION))
    assert step["subject"] == "Voorbereiding: Positiepaper gereed – uiterlijk do 31 dec"
    with decision_db.write() as session:
        agenda.cancel(session, "d1", ACTOR)
    dispatch_at(decision_db, settings, datetime(2026, 12, 30, 9, 0, tzinfo=UTC))
    # Always told (it cannot be turned off): no List-Unsubscribe.
    assert_read_alike(delivered(inbox, NudgeKind.CHAIN_CANCELLED), can_turn_off=False)


@checks(NudgeKind.CONTACT_GAP)
def test_a_contact_gap_reads_alike(dossier_db: Database, smtp: tuple[Inbox, Controller]) -> None:
    inbox, controller = smtp
    settings = settings_for(controller, defaults={}, outcome_after=None)
    test_dossiers.add_item(dossier_db, "denhaag", "2026-10-20T10:00", ["ministerie-ienw"])
    for hours in (0, 1, 30):  # planned, then told in the lead's working hours
        dispatch_at(dossier_db, settings, test_dossiers.NOW + timedelta(hours=hours))
    [gap] = assert_read_alike(delivered(inbox, NudgeKind.CONTACT_GAP))
    assert gap["subject"] == "Contact achterstallig: Ministerie van IenW – EU-subsidie spoortunnels"


@checks(NudgeKind.OVERLAP)
def test_an_overlap_warning_reads_alike(
    people_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    test_overlaps.visit(people_db, "a", "2027-03-08T10:00", test_overlaps.ANNA)
    test_overlaps.visit(people_db, "b", "2027-03-11T14:00", test_overlaps.BOB)
    dispatch_at(people_db, test_overlaps.quiet(controller), datetime(2027, 3, 2, 8, 0, tzinfo=UTC))
    assert len(assert_read_alike(delivered(inbox, NudgeKind.OVERLAP))) == 2


@checks("digest")
def test_a_digest_reads_alike(agenda_db: Database, tmp_path: Path) -> None:
    settings = ReminderSettings(defaults={}, base_url="https://lobby.example", domain="l.example")
    with agenda_db.read() as session:
        message = digest_mail.preview(session, settings, "o@example.nl", PLANNED_AT)
    assert_read_alike([sent_as_file(tmp_path, message)])


@checks("source-change")
def test_a_change_notice_of_an_outside_calendar_reads_alike(
    catalog_db: Database, calendar: tuple[Any, str], tmp_path: Path, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the mail does not depend on the database")
    served, url = calendar
    source_id = test_sources.add_source(catalog_db, url)
    test_sources.sync_at(catalog_db, source_id, test_sources.NOW)
    served.file = "ps-v2.ics"
    run_id = test_sources.sync_at(catalog_db, source_id, test_sources.NOW + timedelta(hours=1))
    with catalog_db.read() as session:
        rows = session.query(Delivery).filter(Delivery.subject_id == run_id.run_id).all()
        message = test_sources.sources.messages(
            session, test_sources.settings_for_snapshot(), rows, test_sources.NOW
        )[rows[0].id]
    assert isinstance(message, Flattened)
    assert_read_alike([sent_as_file(tmp_path, message)], sender="lobby@example.nl")


@checks("sign-in")
def test_a_sign_in_link_reads_alike_and_cannot_be_unsubscribed_from(tmp_path: Path) -> None:
    person = Person(email="z@example.nl", name="Zoë Ünal", language=Language.EN,
                    timezone="Europe/Amsterdam", active=True)  # fmt: skip
    letterhead = Letterhead("Lobbyagenda <lobby-agenda@localhost>", "x.nl", "https://l.example")
    message = sessions.link_message(person, "https://l.example/login/abc", letterhead)
    [seen] = assert_read_alike([sent_as_file(tmp_path, message)], can_turn_off=False)
    assert "https://l.example/login/abc" in seen["text"]
