"""Lobby dossiers: import and export, status log, contacts per target, the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
import yaml
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select

from scheduler import agenda, clock, digest_mail, dossier_report, dossiers, tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import ImportRejected, NotFound
from scheduler.interchange import export_yaml, import_data, import_file
from scheduler.models import DossierStatus, Person
from scheduler.reminders import ReminderSettings
from scheduler.schemas import ItemIn
from scheduler.web import create_app
from tests.test_cli import cli
from tests.test_nudges import body
from tests.test_reminders import Inbox, dispatch_at, settings_for, smtp

__all__ = ["cli", "smtp"]  # fixtures used by name below

ACTOR = agenda.Actor("test", "test")
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LEAD = "j.jansen@example.nl"
CATALOG: dict[str, list[dict[str, Any]]] = {
    "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}],
    "stakeholders": [
        {"slug": "europese-commissie", "name": "Europese Commissie", "kind": "overig"},
        {"slug": "ministerie-ienw", "name": "Ministerie van IenW", "kind": "rijk"},
        {"slug": "dijk-en-waard", "name": "Dijk en Waard", "kind": "gemeente"},
        {"slug": "zaanstad", "name": "Zaanstad", "kind": "gemeente"},
    ],
    "people": [{"email": LEAD, "name": "Joost Jansen", "roles": ["lobbyist"]}],
}
DOSSIER = {
    "slug": "eu-spoortunnels", "title": "EU-subsidie spoortunnels",
    "goal": "CEF-subsidie voor de spoortunnels bij Alkmaar", "ask": "Steun van IenW voor de aanvraag",
    "themes": ["mobiliteit"], "lead": LEAD, "coalition": ["dijk-en-waard", "zaanstad"],
    "targets": [{"stakeholder": "europese-commissie", "contact_every": "P6W"},
                {"stakeholder": "ministerie-ienw", "contact_every": "P4W"}],
    "role": "aanjager", "status": "actief", "horizon": "2027-06-30", "priority": "hoog",
}  # fmt: skip


@pytest.fixture
def dossier_db(db: Database) -> Database:
    with time_machine.travel(NOW, tick=False):
        import_data(db, CATALOG | {"dossiers": [DOSSIER]}, "dossier data", ACTOR)
    return db


def add_item(db: Database, uid: str, start: str, stakeholders: list[str], **fields: Any) -> None:
    spec = {"uid": uid, "title": f"Overleg {uid}", "kind": "meeting", "start": start,
            "stakeholders": stakeholders, "dossiers": ["eu-spoortunnels"], "owner": LEAD} | fields  # fmt: skip
    with time_machine.travel(NOW, tick=False), db.write() as session:
        agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)


def contacts_at(db: Database, moment: datetime) -> dict[str, tuple[str | None, str | None, bool]]:
    with db.read() as session:
        dossier = dossiers.find_dossier(session, "eu-spoortunnels")
        found = dossiers.contacts(dossier, dossiers.items_of(session, dossier), moment)
        return {
            c.stakeholder.slug: (c.last.uid if c.last else None, c.next.uid if c.next else None,
                                 c.overdue)
            for c in found
        }  # fmt: skip


def test_a_dossier_and_its_items_round_trip_through_export_and_import(
    dossier_db: Database, tmp_path: Path
) -> None:
    add_item(dossier_db, "bxl", "2026-11-10T10:00", ["europese-commissie"])
    with time_machine.travel(NOW, tick=False), dossier_db.write() as session:
        dossiers.add_note(session, "eu-spoortunnels", "Brussel positief", ACTOR, NOW)
    with dossier_db.read() as session:
        exported = export_yaml(session)
        before = dossiers.describe(dossiers.find_dossier(session, "eu-spoortunnels"))
    data = yaml.safe_load(exported)
    assert data["dossiers"][0]["targets"][0] == {
        "stakeholder": "europese-commissie", "contact_every": "P6W"
    }  # fmt: skip
    assert data["items"][0]["dossiers"] == ["eu-spoortunnels"]
    path = tmp_path / "export.yaml"
    path.write_text(exported)
    report = import_file(dossier_db, path, ACTOR)
    assert report.counts["dossiers"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert report.counts["items"]["unchanged"] == 1
    with dossier_db.read() as session:
        assert dossiers.describe(dossiers.find_dossier(session, "eu-spoortunnels")) == before


def test_a_status_change_is_logged_as_a_note(dossier_db: Database) -> None:
    later = NOW + timedelta(days=30)
    with time_machine.travel(later, tick=False):
        import_data(dossier_db, {"dossiers": [DOSSIER | {"status": "besluit-genomen"}]}, "u", ACTOR)
    with dossier_db.read() as session:
        [note] = dossiers.find_dossier(session, "eu-spoortunnels").notes
    assert (note.status_from, note.status_to, note.written_at) == (
        "actief",
        "besluit-genomen",
        later,
    )
    assert note.text == "status: actief → besluit-genomen"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"targets": ["onbekend"]}, "dossiers[0].targets: unknown stakeholder 'onbekend'"),
        ({"targets": ["zaanstad:P2M"]}, "months and years have no fixed length"),
        ({"targets": ["zaanstad:PT2H"]}, "write an ISO 8601 duration of at least a day"),
        ({"status": "klaar"}, "dossiers[0].status: Input should be"),
        ({"lead": "niemand@example.nl"}, "unknown person 'niemand@example.nl'"),
        ({"title": ""}, "dossiers[0].title"),
    ],
)
def test_a_bad_dossier_is_refused_with_its_line_and_nothing_changes(
    db: Database, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(CATALOG | {"dossiers": [DOSSIER | change]}, sort_keys=False))
    with pytest.raises(ImportRejected) as caught:
        import_file(db, path, ACTOR)
    assert message in str(caught.value) and "bad.yaml:" in str(caught.value)
    with db.read() as session:
        assert dossiers.all_dossiers(session) == []


def test_an_item_linking_an_unknown_dossier_is_refused(dossier_db: Database) -> None:
    items = {"items": [{"uid": "x", "title": "X", "kind": "meeting", "start": "2026-12-01T10:00",
                        "dossiers": ["bestaat-niet"]}]}  # fmt: skip
    with pytest.raises(
        ImportRejected, match=r"items\[0\].dossiers: unknown dossier 'bestaat-niet'"
    ):
        import_data(dossier_db, items, "i", ACTOR)


def test_contact_with_each_target_last_held_next_planned_and_overdue(dossier_db: Database) -> None:
    # Nothing yet: a new dossier has one period to make contact, then it is overdue.
    assert contacts_at(dossier_db, NOW) == {
        "europese-commissie": (None, None, False), "ministerie-ienw": (None, None, False)
    }  # fmt: skip
    assert contacts_at(dossier_db, NOW + timedelta(weeks=4, hours=1))["ministerie-ienw"] == (
        None, None, True
    )  # fmt: skip
    add_item(dossier_db, "bxl", "2026-11-10T10:00", ["europese-commissie"])
    add_item(dossier_db, "denhaag", "2026-10-20T10:00", ["ministerie-ienw"])
    add_item(dossier_db, "afgelast", "2026-11-25T10:00", ["ministerie-ienw"], status="cancelled")
    found = contacts_at(dossier_db, NOW)
    assert found["europese-commissie"] == ("bxl", None, False)  # 18 days ago; every 6 weeks
    assert found["ministerie-ienw"] == ("denhaag", None, True)  # 5½ weeks ago; every 4 weeks
    # The next planned item clears it.
    add_item(dossier_db, "denhaag2", "2026-12-15T14:00", ["ministerie-ienw"])
    assert contacts_at(dossier_db, NOW)["ministerie-ienw"] == ("denhaag", "denhaag2", False)
    # Six weeks and a day after Brussels, with nothing planned: overdue.
    later = datetime(2026, 12, 22, 12, 0, tzinfo=UTC)
    assert contacts_at(dossier_db, later)["europese-commissie"] == ("bxl", None, True)


# ---------------------------------------------------------------- the command line


def test_the_dossier_commands_add_note_list_and_show(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yaml.safe_dump(CATALOG))
    with time_machine.travel(NOW, tick=False):
        assert cli("import", str(catalog)).code == 0
        added = cli("dossiers", "add", "eu-spoortunnels", "--title", "EU-subsidie spoortunnels",
                    "--target", "europese-commissie:P6W", "--coalition", "zaanstad",
                    "--lead", LEAD, "--status", "actief")  # fmt: skip
        assert (added.code, added.out.strip()) == (0, "created eu-spoortunnels"), added.err
        again = json.loads(
            cli("dossiers", "add", "eu-spoortunnels", "--priority", "hoog", "--json").out
        )
        assert (again["outcome"], again["priority"]) == ("updated", "hoog")
        noted = cli(
            "dossiers", "note", "eu-spoortunnels", "Toekenning binnen", "--status", "gerealiseerd"
        )
        assert noted.out.strip() == "noted on eu-spoortunnels"
        [listed] = json.loads(cli("dossiers", "list", "--json").out)
        assert (listed["status"], listed["priority"], listed["contact_overdue"]) == (
            "gerealiseerd", "hoog", []
        )  # fmt: skip
        shown = json.loads(cli("dossiers", "show", "eu-spoortunnels", "--json").out)
        assert shown["notes"][0]["status_to"] == "gerealiseerd"
        assert shown["contacts"][0]["overdue"] is False  # a new dossier has six weeks
        text = cli("dossiers", "show", "eu-spoortunnels").out
        assert "EU-subsidie spoortunnels" in text and "6 weken" in text
        assert "2026-11-28 10:00" in text and "+00:00" not in text and "P6W" not in text
    with time_machine.travel(NOW + timedelta(weeks=7), tick=False):
        [listed] = json.loads(cli("dossiers", "list", "--json").out)
        assert listed["contact_overdue"] == ["europese-commissie"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("dossiers", "show", "nope"), "error: no dossier 'nope'"),
        (("dossiers", "note", "nope", "tekst"), "error: no dossier 'nope'"),
        (("dossiers", "add", "nieuw"), "error: title: required"),
        (("dossiers", "add", "x", "--title", "X", "--target", "onbekend"), "error: unknown stakeholder 'onbekend'"),
        (("dossiers", "add", "x", "--title", "X", "--status", "klaar"), "error: status: Input should be"),
    ],
)  # fmt: skip
def test_bad_dossier_commands_say_what_is_wrong_in_one_line(
    cli, args: tuple[str, ...], message: str
) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.code == 2 and result.err.startswith(message), result.err
    assert len(result.err.strip().splitlines()) == 1
    assert json.loads(cli("dossiers", "list", "--json").out) == []


# ---------------------------------------------------------------- contact-gap reminders


def gap_mails(inbox: Inbox) -> list[str]:
    return [str(m["Subject"]) for m in inbox.messages]


def test_a_contact_gap_reminds_the_lead_once_and_a_planned_item_clears_the_next(
    dossier_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller, defaults={}, outcome_after=None)
    add_item(dossier_db, "denhaag", "2026-10-20T10:00", ["ministerie-ienw"])
    # 20 October + 4 weeks: overdue since 17 November; told now, once, across restarts.
    for hours in (0, 1, 30):
        dispatch_at(dossier_db, settings, NOW + timedelta(hours=hours))
    assert gap_mails(inbox) == [
        "Contact achterstallig: Ministerie van IenW – EU-subsidie spoortunnels"
    ]
    text = body(inbox.messages[0])
    assert "Laatste contact: dinsdag 20 oktober 2026: Overleg denhaag" in text
    assert "Contact gewenst: elke 4 weken" in text
    assert "https://lobby.example/dossiers/eu-spoortunnels" in text
    # The Commission, never met: six weeks after the dossier began (9 January), 09:00 —
    # unless a contact is planned by then.
    add_item(dossier_db, "bxl", "2027-01-20T10:00", ["europese-commissie"])
    dispatch_at(dossier_db, settings, datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    assert len(inbox.messages) == 1
    with dossier_db.write() as session:
        agenda.delete(session, "bxl", ACTOR)  # the planned contact falls through
    dispatch_at(dossier_db, settings, datetime(2027, 1, 11, 9, 5, tzinfo=UTC))
    assert gap_mails(inbox)[1:] == [
        "Contact achterstallig: Europese Commissie – EU-subsidie spoortunnels"
    ]
    assert "Laatste contact: nog nooit" in body(inbox.messages[1])


def test_a_new_gap_after_a_new_contact_is_told_again_and_a_done_dossier_is_quiet(
    dossier_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller, defaults={}, outcome_after=None)
    add_item(dossier_db, "denhaag", "2026-10-20T10:00", ["ministerie-ienw"])
    dispatch_at(dossier_db, settings, NOW)
    add_item(dossier_db, "denhaag2", "2026-12-01T10:00", ["ministerie-ienw"])
    dispatch_at(dossier_db, settings, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    # Held until 1 December 11:00; 4 weeks on it is overdue (29 December 11:00 CET, in
    # working hours: told then).
    dispatch_at(dossier_db, settings, datetime(2026, 12, 29, 9, 59, tzinfo=UTC))
    assert len(inbox.messages) == 1
    dispatch_at(dossier_db, settings, datetime(2026, 12, 29, 10, 0, 5, tzinfo=UTC))
    assert [s.split(":")[0] for s in gap_mails(inbox)] == ["Contact achterstallig"] * 2
    assert "dinsdag 1 december 2026" in body(inbox.messages[1])
    with time_machine.travel(NOW, tick=False), dossier_db.write() as session:
        dossiers.add_note(session, "eu-spoortunnels", "Klaar", ACTOR, NOW,
                          DossierStatus.GEREALISEERD)  # fmt: skip
    dispatch_at(dossier_db, settings, datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    assert len(inbox.messages) == 2


def test_a_confidential_contact_the_lead_is_not_in_tells_the_lead_nothing(
    dossier_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = settings_for(controller, defaults={}, outcome_after=None)
    with time_machine.travel(NOW, tick=False):
        import_data(dossier_db, {"people": [{"email": "x@example.nl", "name": "X"}]}, "p", ACTOR)
    add_item(dossier_db, "geheim", "2026-11-20T10:00", ["ministerie-ienw"], owner="x@example.nl",
             title="Geheim vooroverleg", confidentiality="confidential")  # fmt: skip
    # For the lead the ministry was never met: overdue four weeks after the dossier began.
    dispatch_at(dossier_db, settings, NOW + timedelta(weeks=4, days=1))
    [message] = inbox.messages
    text = body(message)
    assert "Laatste contact: nog nooit" in text
    assert "Geheim" not in text and "20 november" not in text


# ---------------------------------------------------------------- the dossier's feed


def feed_client(db: Database) -> TestClient:
    return TestClient(create_app(Settings(database_url=db.url), run_jobs=False))


def secret_for(db: Database, email: str, **options: Any) -> str:
    with db.write() as session:
        return tokens.create(session, email, today=NOW.date(), **options)[1]


def test_a_dossiers_feed_holds_its_items_and_hides_confidential_ones_from_outsiders(
    dossier_db: Database,
) -> None:
    with time_machine.travel(NOW, tick=False):
        import_data(dossier_db, {"people": [{"email": "x@example.nl", "name": "X"}]}, "p", ACTOR)
    add_item(dossier_db, "bxl", "2026-12-10T10:00", ["europese-commissie"])
    add_item(dossier_db, "ander", "2026-12-11T10:00", ["zaanstad"], dossiers=[])
    add_item(dossier_db, "geheim", "2026-12-12T10:00", ["ministerie-ienw"], owner="x@example.nl",
             title="Geheim vooroverleg", confidentiality="confidential")  # fmt: skip
    with time_machine.travel(NOW, tick=False), feed_client(dossier_db) as client:
        lead = client.get(f"/feeds/{secret_for(dossier_db, LEAD)}/dossiers/eu-spoortunnels.ics")
        assert lead.status_code == 200
        assert "Lobbyagenda – EU-subsidie spoortunnels" in lead.text
        assert "Overleg bxl" in lead.text and "Overleg ander" not in lead.text
        assert "Geheim" not in lead.text and "geheim@" not in lead.text  # not even "busy"
        owner = client.get(
            f"/feeds/{secret_for(dossier_db, 'x@example.nl')}/dossiers/eu-spoortunnels.ics"
        )
        assert "Geheim vooroverleg" in owner.text


def test_a_dossier_link_opens_that_feed_only_and_an_unknown_dossier_is_404(
    dossier_db: Database,
) -> None:
    secret = secret_for(dossier_db, LEAD, scope="dossier:eu-spoortunnels")
    with time_machine.travel(NOW, tick=False), feed_client(dossier_db) as client:
        first = client.get(f"/feeds/{secret}/dossiers/eu-spoortunnels.ics")
        assert first.status_code == 200
        assert client.get(f"/feeds/{secret}/dossiers/eu-spoortunnels.ics",
                          headers={"if-none-match": first.headers["etag"]}).status_code == 304  # fmt: skip
        assert client.get(f"/feeds/{secret}/all.ics").status_code == 403
        everything = secret_for(dossier_db, LEAD)
        assert client.get(f"/feeds/{everything}/dossiers/bestaat-niet.ics").status_code == 404
        page = client.get(f"/feeds/{everything}", headers={"accept": "text/html"}).text
        assert "Per lobbydossier" in page and "/dossiers/eu-spoortunnels.ics" in page
    with dossier_db.write() as session, pytest.raises(NotFound, match="unknown dossier 'nope'"):
        tokens.create(session, LEAD, scope="dossier:nope", today=NOW.date())


# ---------------------------------------------------------------- pages


def pages_of(db: Database, email: str, *paths: str, at: datetime = NOW) -> list[tuple[int, str]]:
    settings = Settings(database_url=db.url, public_url="https://lobby.example")
    with (
        time_machine.travel(at, tick=False),
        TestClient(
            create_app(settings, run_jobs=False), base_url="https://lobby.example"
        ) as client,
    ):
        client.get(f"/login/{secret_for(db, email, scope='login')}")
        answers = [client.get(path, headers={"accept": "text/html"}) for path in paths]
        return [(a.status_code, a.text) for a in answers]


def test_the_dossier_pages_show_contacts_timeline_and_nothing_confidential(
    dossier_db: Database,
) -> None:
    with time_machine.travel(NOW, tick=False):
        import_data(dossier_db, {"people": [{"email": "x@example.nl", "name": "X"}]}, "p", ACTOR)
    add_item(dossier_db, "denhaag", "2026-10-20T10:00", ["ministerie-ienw"],
             follow_ups=[{"text": "Brief nasturen", "owner": LEAD}])  # fmt: skip
    add_item(dossier_db, "geheim", "2026-11-20T10:00", ["europese-commissie"], owner="x@example.nl",
             title="Geheim vooroverleg", confidentiality="confidential")  # fmt: skip
    with time_machine.travel(NOW, tick=False), dossier_db.write() as session:
        dossiers.add_note(session, "eu-spoortunnels", "Brussel positief", ACTOR, NOW)
    (code, listing), (_, page), (missing, _) = pages_of(
        dossier_db, LEAD, "/dossiers", "/dossiers/eu-spoortunnels", "/dossiers/nope"
    )
    assert code == 200 and missing == 404
    assert "EU-subsidie spoortunnels" in listing and "Open vervolgacties: 1" in listing
    # The ministry: last met 20 October, every 4 weeks, nothing planned: overdue.
    assert "contact achterstallig" in listing and "di 20 okt: Overleg denhaag" in listing
    # The Commission's last contact is confidential: the lead's pages know nothing of it.
    assert "20 nov" not in listing
    for text in (listing, page):
        assert "Geheim" not in text
    assert "CEF-subsidie voor de spoortunnels bij Alkmaar" in page
    assert "<dd>woensdag 30 juni 2027</dd>" in page  # the horizon, with its year
    assert "Notitie: Brussel positief" in page and "Overleg denhaag (gepland)" in page
    assert "en 1 vertrouwelijk(e) agendapunt(en) van anderen" in page
    [(_, owners_page)] = pages_of(dossier_db, "x@example.nl", "/dossiers/eu-spoortunnels")
    assert "Geheim vooroverleg" in owners_page


# ---------------------------------------------------------------- the digest


def digest_text(db: Database, email: str, at: datetime) -> str:
    settings = ReminderSettings(defaults={}, base_url="https://lobby.example")
    with db.read() as session:
        return body(digest_mail.preview(session, settings, email, at))


def test_the_digest_has_a_dossier_section_with_progress_overdue_contacts_and_decisions(
    dossier_db: Database,
) -> None:
    with time_machine.travel(NOW, tick=False):
        import_data(dossier_db, {"people": [{"email": "x@example.nl", "name": "X"}]}, "p", ACTOR)
    add_item(dossier_db, "denhaag", "2026-10-20T10:00", ["ministerie-ienw"])
    add_item(dossier_db, "besluit", "2026-12-03T10:00", ["europese-commissie"], kind="decision",
             title="Besluit CEF-ronde")  # fmt: skip
    add_item(dossier_db, "geheim", "2026-12-04T10:00", ["europese-commissie"], kind="decision",
             title="Geheim besluit", owner="x@example.nl", confidentiality="confidential")  # fmt: skip
    with time_machine.travel(NOW, tick=False), dossier_db.write() as session:
        dossiers.add_note(session, "eu-spoortunnels", "Brussel positief", ACTOR, NOW)
    text = digest_text(dossier_db, LEAD, NOW + timedelta(hours=1))
    section = text[text.index("DOSSIERS") :]
    assert "Voortgang\n- EU-subsidie spoortunnels: Brussel positief (test)" in section
    assert "Contact achterstallig\n- EU-subsidie spoortunnels: Ministerie van IenW" in section
    assert (
        "Besluitvorming in aantocht\n- do 3 dec 10:00: Besluit CEF-ronde (EU-subsidie spoortunnels)"
        in section
    )
    assert "Geheim" not in text
    assert "Geheim besluit" in digest_text(dossier_db, "x@example.nl", NOW + timedelta(hours=1))


# ---------------------------------------------------------------- the report


def hand_built_quarter(db: Database) -> None:
    """Q1 2027 by hand: seven contacts (one confidential), and six things that are not."""
    with time_machine.travel(NOW, tick=False):
        import_data(db, {
            "people": [{"email": "x@example.nl", "name": "X"}],
            "partnerships": [{"slug": "spoor-noord", "name": "Spoor Noord", "level": "regionaal",
                              "kind": "strategisch", "members": ["europese-commissie"]}],
        }, "q1", ACTOR)  # fmt: skip
    contacts = [
        ("m1", "2027-01-12T10:00", ["europese-commissie"], {"status": "done", "outcome": "Steun toegezegd"}),
        ("m2", "2027-02-02T10:00", ["europese-commissie", "ministerie-ienw"], {}),
        ("n1", "2027-03-05T16:00", ["dijk-en-waard"], {"kind": "networking"}),
        ("geheim", "2027-02-15T10:00", ["ministerie-ienw"],
         {"confidentiality": "confidential", "owner": "x@example.nl", "title": "Geheim overleg"}),
        ("w1", "2027-03-17T09:00", ["ministerie-ienw"], {"rrule": "FREQ=WEEKLY;COUNT=3"}),
        # not contacts of the dossier in the quarter:
        ("afgelast", "2027-01-20T10:00", ["europese-commissie"], {"status": "cancelled"}),
        ("idee", "2027-01-21T10:00", ["europese-commissie"], {"status": "idea"}),
        ("later", "2027-04-05T10:00", ["europese-commissie"], {}),
        ("eerder", "2026-12-30T10:00", ["europese-commissie"], {}),
        ("besluit", "2027-02-10T10:00", ["europese-commissie"], {"kind": "decision"}),
        ("los", "2027-02-03T10:00", ["europese-commissie"], {"dossiers": []}),
    ]  # fmt: skip
    for uid, start, stakeholders, fields in contacts:
        add_item(db, uid, start, stakeholders, **fields)
    with db.write() as session:
        for day, status in (
            (datetime(2026, 12, 1, 9, tzinfo=UTC), DossierStatus.VERKENNING),
            (datetime(2027, 3, 1, 9, tzinfo=UTC), DossierStatus.BESLUIT_GENOMEN),
        ):
            dossiers.add_note(session, "eu-spoortunnels", "status", ACTOR, day, status)  # fmt: skip


AFTER_THE_QUARTER = datetime(2027, 4, 1, 8, tzinfo=UTC)


def test_the_reports_counts_match_a_hand_built_quarter(dossier_db: Database) -> None:
    hand_built_quarter(dossier_db)
    with dossier_db.read() as session:
        report = dossier_report.build(
            session, date(2027, 1, 1), date(2027, 3, 31), "Europe/Amsterdam", "nl",
            AFTER_THE_QUARTER,
        )  # fmt: skip
    [section] = report.dossiers
    assert len(section.contacts) == 7 and section.confidential == 1 and section.planned == []
    assert section.by_stakeholder == [
        ("Ministerie van IenW", 4), ("Europese Commissie", 2), ("Dijk en Waard", 1)
    ]  # fmt: skip
    assert section.by_level == [("lokaal", 1), ("regionaal", 2), ("bovenregionaal", 4)]
    assert section.outcomes == [("di 12 jan", "Overleg m1", "Steun toegezegd")]
    assert section.status_changes == [("ma 1 mrt", "verkenning", "besluit genomen")]
    markdown = dossier_report.render_report(report, "md")
    assert "**Contacten: 7** (waarvan 1 vertrouwelijk)" in markdown
    assert "Per partner: Ministerie van IenW 4, Europese Commissie 2, Dijk en Waard 1" in markdown
    assert "| wo 31 mrt | Overleg w1 | Ministerie van IenW |" in markdown
    rows = list(csv.reader(io.StringIO(dossier_report.render_report(report, "csv"))))
    assert rows[0] == ["Dossier", "Datum", "Onderwerp", "Partners", "Niveau", "Uitkomst", "Stand"]
    assert len(rows) == 8 and [
        "EU-subsidie spoortunnels", "2027-02-15", "(vertrouwelijk)", "", "", "", "gehouden"
    ] in rows  # fmt: skip
    html = dossier_report.render_report(report, "html")
    for text in (markdown, html, "\n".join(map(str, rows))):
        assert "Geheim" not in text


def test_contacts_that_have_not_ended_are_planned_not_held(dossier_db: Database) -> None:
    """Made on 17 Feb 2027 over the quarter: the contacts after that are listed apart as planned
    and count nowhere; the one under way at 10:30 has not been held yet either."""
    hand_built_quarter(dossier_db)
    made_at = datetime(2027, 2, 15, 9, 30, tzinfo=UTC)  # the confidential one is under way
    with dossier_db.read() as session:
        report = dossier_report.build(
            session, date(2027, 1, 1), date(2027, 3, 31), "Europe/Amsterdam", "nl", made_at
        )
    [section] = report.dossiers
    assert [c.day for c in section.contacts] == ["di 12 jan", "di 2 feb"]
    assert [c.day for c in section.planned] == [
        "ma 15 feb", "vr 5 mrt", "wo 17 mrt", "wo 24 mrt", "wo 31 mrt"
    ]  # fmt: skip
    assert section.confidential == 0 and section.planned[0].subject == ""
    assert section.by_stakeholder == [("Europese Commissie", 2), ("Ministerie van IenW", 1)]
    assert report.contacts == 2
    markdown = dossier_report.render_report(report, "md")
    assert "**Contacten: 2**" in markdown
    assert "### Gepland in deze periode, nog niet gehouden: 5" in markdown
    assert "- ma 15 feb: (vertrouwelijk)\n" in markdown
    rows = list(csv.reader(io.StringIO(dossier_report.render_report(report, "csv"))))
    assert [row[-1] for row in rows[1:]] == ["gehouden"] * 2 + ["gepland"] * 5
    html = dossier_report.render_report(report, "html")
    assert "Gepland in deze periode, nog niet gehouden: 5</h3>" in html
    for text in (markdown, html, "\n".join(map(str, rows))):
        assert "Geheim" not in text and "Ministerie van IenW 2" not in text


def test_the_report_command_writes_each_format_and_refuses_bad_options(
    cli, dossier_db: Database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    hand_built_quarter(dossier_db)
    target = tmp_path / "q1.html"
    with time_machine.travel(AFTER_THE_QUARTER, tick=False):
        made = cli("report", "dossiers", "--from", "2027-01-01", "--to", "2027-03-31",
                   "--format", "html", "--output", str(target))  # fmt: skip
        assert made.code == 0 and made.err.strip() == f"wrote 7 contacts to {target}"
        assert target.read_text().startswith("<!doctype html>")
        csv_out = cli(
            "report", "dossiers", "--from", "2027-01-01", "--to", "2027-03-31", "--format", "csv"
        )
        assert len(csv_out.out.strip().splitlines()) == 8
        for args, message in (
            (("--format", "pdf"), "error: --format 'pdf': use md, csv or html"),
            (("--to", "2026-12-31"), "error: --to 2026-12-31 is before --from 2027-01-01"),
        ):
            base = {"--from": "2027-01-01", "--to": "2027-03-31", "--format": "md"}
            base.update(dict(zip(args[::2], args[1::2], strict=True)))
            result = cli("report", "dossiers", *[x for pair in base.items() for x in pair])
            assert result.code == 2 and result.err.strip() == message


def test_a_contact_gap_is_told_once_across_real_process_restarts(
    dossier_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    """Two `dispatch --once` processes on the real clock: the gap mail leaves once.

    A gap found outside the lead's working hours waits for the morning, so the lead lives
    where it is midday now, whatever time the suite runs."""
    inbox, controller = smtp
    now = datetime.now(UTC)
    held = (now - timedelta(weeks=10)).astimezone(clock.zone("Europe/Amsterdam"))
    add_item(dossier_db, "denhaag", held.strftime("%Y-%m-%dT10:00"), ["ministerie-ienw"])
    with dossier_db.write() as session:
        lead = session.scalars(select(Person).where(Person.email == LEAD)).one()
        lead.timezone = f"Etc/GMT{now.hour - 12:+d}"  # POSIX signs: Etc/GMT-3 is UTC+3
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LOBBY_") or k.startswith("LOBBY_TEST_")
    }
    env |= {
        "LOBBY_DATABASE_URL": dossier_db.url, "LOBBY_SMTP_HOST": "127.0.0.1",
        "LOBBY_SMTP_PORT": str(controller.port), "LOBBY_SMTP_SECURITY": "none",
        "LOBBY_LOG_LEVEL": "WARNING", "LOBBY_OUTCOME_REMINDER_DAYS": "0",
    }  # fmt: skip
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "scheduler", "dispatch", "--once"], env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    gaps = [m for m in inbox.messages if str(m["Subject"]).startswith("Contact achterstallig")]
    assert [str(m["Subject"]) for m in gaps] == [
        "Contact achterstallig: Ministerie van IenW – EU-subsidie spoortunnels"
    ]


def test_a_series_counts_occurrence_by_occurrence_and_a_cancelled_one_does_not(
    dossier_db: Database,
) -> None:
    # Monthly on the 15th since January 2026, no end: last 15 November, next 15 December.
    add_item(dossier_db, "maand", "2026-01-15T10:00", ["ministerie-ienw"], rrule="FREQ=MONTHLY")
    assert contacts_at(dossier_db, NOW)["ministerie-ienw"] == ("maand", "maand", False)
    with dossier_db.read() as session:
        dossier = dossiers.find_dossier(session, "eu-spoortunnels")
        [_, ienw] = dossiers.contacts(dossier, dossiers.items_of(session, dossier), NOW)
    assert ienw.last_at == datetime(2026, 11, 15, 10, 0, tzinfo=UTC)  # 11:00 CET ends
    assert ienw.next_at == datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
    with dossier_db.write() as session:
        agenda.cancel(session, "maand", ACTOR, occurrence="2026-12-15T10:00")
    with dossier_db.read() as session:
        dossier = dossiers.find_dossier(session, "eu-spoortunnels")
        [_, ienw] = dossiers.contacts(dossier, dossiers.items_of(session, dossier), NOW)
    assert ienw.next_at == datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
