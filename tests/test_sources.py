"""Outside calendars, fetched from a real HTTP server on loopback that serves fixture files
changing between fetches, and that answers errors, not at all, too much or nonsense: read-only
items, cancellations kept, 304s, backoff, the failing flag on /feeds and in digests, change
notices delivered once over a real SMTP server (aiosmtpd), and the command line."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select

from scheduler import agenda, delivery, digests, jobs, sources, tokens, views
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import ReadOnly
from scheduler.interchange import import_data
from scheduler.models import (
    AgendaItem,
    CalendarSource,
    Delivery,
    DeliveryState,
    ItemChange,
    Person,
    SourceOutcome,
    SourceRun,
)
from scheduler.schemas import ItemIn
from scheduler.web import create_app, item_form
from tests.snapshot import assert_matches_snapshot, opened
from tests.test_cli import cli
from tests.test_digests import LOBBYIST
from tests.test_reminders import ACTOR, Inbox, settings_for, smtp
from tests.test_web_editing import editor, post

__all__ = ["cli", "editor", "smtp"]  # fixtures used by name below

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday 1 December 2026, 10:00 in Amsterdam
FOLLOWER, OWNER, OUTSIDER = "f@example.nl", "o@example.nl", "x@example.nl"
CATALOG: dict[str, list[dict[str, Any]]] = {
    "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}, {"slug": "wonen", "name": "Wonen"}],
    "stakeholders": [
        {"slug": "provincie-nh", "name": "Provincie Noord-Holland", "kind": "provincie"}
    ],
    "people": [
        {"email": FOLLOWER, "name": "Fien Volger", "roles": ["lobbyist"],
         "themes": ["mobiliteit"], "follow_reminders": True},
        {"email": OWNER, "name": "Olga Eigenaar", "roles": ["lobbyist"], "language": "en"},
        {"email": OUTSIDER, "name": "Xander Buiten", "roles": ["staff"], "themes": ["wonen"],
         "follow_reminders": True},
    ],
}  # fmt: skip
# A real server on loopback answers in milliseconds, but a busy machine can hold it back for
# seconds: fetches get a generous limit. Only the server that never answers meets a short one.
SETTINGS = sources.SourceSettings(timeout=60, max_bytes=64 * 1024)
SHORT = sources.SourceSettings(timeout=0.5, max_bytes=64 * 1024)
PS = "Provinciale Staten"


# ---------------------------------------------------------------- a calendar server


@dataclass
class Calendar:
    """What the server serves next: a fixture file (with an ETag derived from its name), or
    a failure; and the headers of every request it saw."""

    file: str = "ps-v1.ics"
    mode: str = "ok"  # ok | error | silent | huge | text
    text: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def etag(self) -> str:
        return f'"{self.file}"'


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        calendar = self.server.calendar
        calendar.requests.append({k.lower(): v for k, v in self.headers.items()})
        if calendar.mode == "error":
            self._answer(500, b"internal error\n", "text/plain")
        elif calendar.mode == "silent":
            calendar.release.wait()  # no answer at all until the test lets go
            self._answer(200, (FIXTURES / calendar.file).read_bytes())
        elif calendar.mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.end_headers()  # no Content-Length: the client must stop reading by itself
            try:
                for _ in range(400):
                    self.wfile.write(b"X-FILLER:" + b"x" * 1000 + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif calendar.mode == "text":
            self._answer(200, calendar.text.encode())
        elif self.headers.get("If-None-Match") == calendar.etag:
            self.send_response(304)
            self.send_header("ETag", calendar.etag)
            self.end_headers()
        else:
            self._answer(200, (FIXTURES / calendar.file).read_bytes())

    def _answer(self, status: int, body: bytes, kind: str = "text/calendar") -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if status == 200:
            self.send_header("ETag", self.server.calendar.etag)
            self.send_header("Last-Modified", "Mon, 30 Nov 2026 08:00:00 GMT")
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    calendar: Calendar
    daemon_threads = True


@pytest.fixture
def calendar() -> Iterator[tuple[Calendar, str]]:
    """A calendar server on loopback; yields what it serves and its URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.calendar = Calendar()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.calendar, f"http://127.0.0.1:{server.server_address[1]}/ps.ics"
    server.calendar.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def catalog_db(db: Database) -> Database:
    with time_machine.travel(NOW, tick=False):
        import_data(db, CATALOG, "catalog", ACTOR)
    return db


def add_source(db: Database, url: str, name: str = PS, **options: Any) -> int:
    values = {"theme": "mobiliteit", "stakeholder": "provincie-nh"} | options
    with time_machine.travel(NOW, tick=False), db.write() as session:
        return sources.add(session, url=url, name=name, **values).id


def sync_at(
    db: Database, source_id: int, moment: datetime, settings: sources.SourceSettings = SETTINGS,
    worker: str = "w1",
) -> sources.SyncResult:  # fmt: skip
    with time_machine.travel(moment, tick=False):
        result = sources.sync(db, source_id, settings, worker, force=True)
    assert result is not None
    return result


def source_of(db: Database, source_id: int) -> CalendarSource:
    with db.read() as session:
        return sources.find(session, source_id)


def items_of(db: Database, source_id: int) -> dict[str, dict[str, Any]]:
    """Each item of the source by its uid in the feed, described as exported."""
    with db.read() as session:
        found = session.scalars(
            agenda.item_query().where(AgendaItem.source_id == source_id).order_by(AgendaItem.uid)
        )
        prefix = f"src{source_id}-"
        return {i.uid.removeprefix(prefix): agenda.describe_item(i) for i in found}


# ---------------------------------------------------------------- syncing


def test_a_new_source_brings_its_events_as_items_on_its_theme_and_stakeholder(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    _, url = calendar
    source_id = add_source(catalog_db, url)
    result = sync_at(catalog_db, source_id, NOW)
    assert (result.outcome, result.counts["added"], result.failures) == (
        SourceOutcome.CHANGED, 4, 0
    )  # fmt: skip
    found = items_of(catalog_db, source_id)
    assert sorted(found) == [
        "ps-begroting-1218@google.com", "ps-commissie-mob-1216@google.com",
        "ps-fractie@google.com", "ps-vergadering-1214@google.com",
    ]  # fmt: skip
    staten = found["ps-vergadering-1214@google.com"]
    assert (staten["start"], staten["end"], staten["kind"]) == (
        "2026-12-14T14:00", "2026-12-14T18:00", "decision"
    )  # fmt: skip
    assert (staten["themes"], staten["stakeholders"]) == (["mobiliteit"], ["provincie-nh"])
    assert found["ps-begroting-1218@google.com"]["start"] == "2026-12-18"  # all-day
    assert found["ps-fractie@google.com"]["rrule"] == "FREQ=WEEKLY;COUNT=4"
    source = source_of(catalog_db, source_id)
    assert source.last_success_at == NOW and source.next_fetch_at == NOW + timedelta(hours=1)
    assert (source.etag, source.last_modified) == ('"ps-v1.ics"', "Mon, 30 Nov 2026 08:00:00 GMT")


def test_a_changed_feed_moves_cancels_and_adds_and_keeps_a_vanished_event_as_cancelled(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    served, url = calendar
    source_id = add_source(catalog_db, url)
    sync_at(catalog_db, source_id, NOW)
    served.file = "ps-v2.ics"
    later = NOW + timedelta(hours=1)
    result = sync_at(catalog_db, source_id, later)
    assert result.outcome == SourceOutcome.CHANGED
    found = items_of(catalog_db, source_id)
    assert found["ps-vergadering-1214@google.com"]["start"] == "2026-12-15T14:00"  # moved
    assert found["ps-commissie-mob-1216@google.com"]["status"] == "cancelled"  # STATUS:CANCELLED
    assert found["ps-begroting-1218@google.com"]["status"] == "cancelled"  # vanished: kept
    assert found["ps-hoorzitting-ov@google.com"]["status"] == "confirmed"  # new
    assert found["ps-fractie@google.com"]["occurrences"] == [
        {"recurrence_id": "2026-12-21T10:00", "cancelled": True}
    ]
    with catalog_db.read() as session:
        run = session.get(SourceRun, result.run_id)
        assert run is not None
        changes = {(c["uid"].split("-", 1)[1], c["change"]) for c in run.changes}
        history = session.scalars(select(ItemChange).where(ItemChange.changed_at == later))
        channels = {c.channel for c in history}
    assert changes == {
        ("ps-vergadering-1214@google.com", "moved"),
        ("ps-commissie-mob-1216@google.com", "cancelled"),
        ("ps-begroting-1218@google.com", "cancelled"),
        ("ps-hoorzitting-ov@google.com", "added"),
        ("ps-fractie@google.com", "cancelled"),
    }
    assert channels == {"source"}
    # The digest's "changed" section tells it, as for any change.
    with catalog_db.read() as session:
        reader = session.scalars(select(Person).where(Person.email == FOLLOWER)).one()
        digest = digests.build(session, reader, digests.DigestOptions(), later, NOW)
    changed = {section.heading: [line.text for line in section.lines] for section in digest.changes}
    assert any("Hoorzitting OV-concessie" in line for line in changed["Nieuw"])
    assert any("Statenvergadering" in line for line in changed["Verplaatst"])
    assert any("Begrotingsbehandeling" in line for line in changed["Vervallen"])


def test_an_unchanged_feed_is_asked_with_its_etag_and_a_304_changes_nothing(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    served, url = calendar
    source_id = add_source(catalog_db, url)
    sync_at(catalog_db, source_id, NOW)
    before = items_of(catalog_db, source_id)
    result = sync_at(catalog_db, source_id, NOW + timedelta(hours=1))
    assert result.outcome == SourceOutcome.NOT_MODIFIED and result.http_status == 304
    assert served.requests[-1]["if-none-match"] == '"ps-v1.ics"'
    assert served.requests[-1]["if-modified-since"] == "Mon, 30 Nov 2026 08:00:00 GMT"
    assert "if-none-match" not in served.requests[0]
    assert items_of(catalog_db, source_id) == before
    assert source_of(catalog_db, source_id).next_fetch_at == NOW + timedelta(hours=2)


def test_a_feed_read_again_without_changes_records_an_unchanged_run(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    served, url = calendar
    source_id = add_source(catalog_db, url)
    sync_at(catalog_db, source_id, NOW)
    served.mode, served.text = "text", (FIXTURES / "ps-v1.ics").read_text()  # no 304 this time
    result = sync_at(catalog_db, source_id, NOW + timedelta(hours=1))
    assert (result.outcome, result.counts) == (
        SourceOutcome.UNCHANGED, {"added": 0, "moved": 0, "cancelled": 0}
    )  # fmt: skip


def test_what_the_feed_no_longer_says_is_cleared_a_series_without_rrule_stops(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    served, url = calendar
    first = (FIXTURES / "ps-v1.ics").read_text()
    served.mode = "text"
    served.text = first.replace(
        "SUMMARY:Statenvergadering\n", "SUMMARY:Statenvergadering\nURL:https://ps.example/14\n"
    )
    source_id = add_source(catalog_db, url)
    sync_at(catalog_db, source_id, NOW)
    assert items_of(catalog_db, source_id)["ps-vergadering-1214@google.com"]["online_url"]
    # The next version: the weekly meeting is a single one now, and the link is gone.
    served.text = first.replace("RRULE:FREQ=WEEKLY;COUNT=4\n", "")
    sync_at(catalog_db, source_id, NOW + timedelta(hours=1))
    found = items_of(catalog_db, source_id)
    assert found["ps-fractie@google.com"]["rrule"] is None
    assert found["ps-vergadering-1214@google.com"]["online_url"] == ""
    with catalog_db.read() as session:
        series = agenda.find_item(session, f"src{source_id}-ps-fractie@google.com")
        later = agenda.occurrences_between([series], NOW, NOW + timedelta(days=60))
    assert [o.start for o in later] == [datetime(2026, 12, 7, 9, 0, tzinfo=UTC)]


FAILURES = {
    "error": ("the server answered HTTP 500", 500),
    "silent": ("no answer within 0.5 s", None),
    "huge": ("larger than 64 KB (setting source_max_kb)", 200),
    "text": ("not a valid iCalendar file", 200),
}


@pytest.mark.parametrize("mode", sorted(FAILURES))
def test_a_failed_fetch_keeps_the_last_good_items_and_backs_off(
    catalog_db: Database, calendar: tuple[Calendar, str], mode: str
) -> None:
    served, url = calendar
    source_id = add_source(catalog_db, url)
    sync_at(catalog_db, source_id, NOW)
    good = items_of(catalog_db, source_id)
    served.file, served.mode = "ps-v2.ics", mode
    served.text = (FIXTURES / "invalid.ics").read_text()
    later = NOW + timedelta(hours=1)
    # A short limit only where the server never answers: anywhere else it races a busy machine.
    result = sync_at(catalog_db, source_id, later, SHORT if mode == "silent" else SETTINGS)
    served.release.set()
    message, status = FAILURES[mode]
    assert result.outcome == SourceOutcome.FAILED and message in result.error
    assert result.http_status == status
    assert items_of(catalog_db, source_id) == good
    source = source_of(catalog_db, source_id)
    assert (source.failures, source.last_error, source.last_success_at) == (1, result.error, NOW)
    assert source.next_fetch_at == later + timedelta(hours=1)
    assert (source.etag, source.lease_until) == ('"ps-v1.ics"', None)  # the good one's ETag


def test_backoff_doubles_up_to_a_day_and_one_success_clears_it(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    served, url = calendar
    source_id = add_source(catalog_db, url, every="PT10H")
    served.mode = "error"
    waits = []
    moment = NOW
    for _ in range(4):
        result = sync_at(catalog_db, source_id, moment)
        waits.append(result.next_fetch_at - moment)
        moment = result.next_fetch_at
    assert waits == [timedelta(hours=h) for h in (10, 20, 24, 24)]
    assert source_of(catalog_db, source_id).failing
    with catalog_db.read() as session:
        reader = session.scalars(select(Person).where(Person.email == FOLLOWER)).one()
        digest = digests.build(session, reader, digests.DigestOptions(), moment, NOW)
    assert any("(laatst gelukt: nooit)" in line.text for s in digest.highlights for line in s.lines)
    served.mode = "ok"
    result = sync_at(catalog_db, source_id, moment)
    assert (result.outcome, result.failures, result.next_fetch_at) == (
        SourceOutcome.CHANGED, 0, moment + timedelta(hours=10)
    )  # fmt: skip
    assert not source_of(catalog_db, source_id).failing


def test_a_source_failing_three_times_is_flagged_on_feeds_and_in_every_digest(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    served, url = calendar
    source_id = add_source(catalog_db, url)
    sync_at(catalog_db, source_id, NOW)
    served.mode = "error"
    settings = Settings(database_url=catalog_db.url)
    with catalog_db.write() as session:
        _, secret = tokens.create(session, OUTSIDER, scope="all", today=NOW.date())
    moment = NOW
    for failures in (1, 2, 3):
        moment = sync_at(catalog_db, source_id, moment).next_fetch_at
        with TestClient(create_app(settings, run_jobs=False)) as client:
            page = client.get(f"/feeds/{secret}").text
        assert ("die niet bijgewerkt worden" in page) == (failures == 3)
    assert "<strong>Provinciale Staten</strong>: the server answered HTTP 500" in page
    assert "laatst gelukt: dinsdag 1 december 2026 om 10:00" in page
    with TestClient(create_app(settings, run_jobs=False)) as client:
        english = client.get(f"/feeds/{secret}", params={"lang": "en"}).text
        public = client.get("/feeds").text
    assert "Outside calendars that fail to update" in english
    assert "Provinciale Staten" not in public  # internal: names and errors of our calendars
    with catalog_db.read() as session:
        outsider = session.scalars(select(Person).where(Person.email == OUTSIDER)).one()
        digest = digests.build(session, outsider, digests.DigestOptions(), moment, NOW)
    flagged = {s.heading: [line.text for line in s.lines] for s in digest.highlights}
    assert flagged["Buitenagenda's die niet bijgewerkt worden"] == [
        "Provinciale Staten: the server answered HTTP 500 Internal Server Error "
        "(laatst gelukt: di 1 dec 10:00)"
    ]


def test_two_sources_with_the_same_events_never_collide_with_each_other_or_our_items(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    _, url = calendar
    first, second = add_source(catalog_db, url), add_source(catalog_db, url, name="Kopie")
    with catalog_db.write() as session:
        spec = {"uid": "ps-fractie@google.com", "title": "Ons eigen", "kind": "meeting",
                "start": "2026-12-07T10:00"}  # fmt: skip
        agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)
    sync_at(catalog_db, first, NOW)
    sync_at(catalog_db, second, NOW)
    assert len(items_of(catalog_db, first)) == len(items_of(catalog_db, second)) == 4
    with catalog_db.read() as session:
        assert agenda.find_item(session, "ps-fractie@google.com").title == "Ons eigen"


def test_a_source_claimed_by_one_worker_is_not_fetched_by_another(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    served, url = calendar
    source_id = add_source(catalog_db, url)
    assert sources.claim(catalog_db, source_id, "w1", NOW, force=False)
    assert not sources.claim(catalog_db, source_id, "w2", NOW, force=True)
    with time_machine.travel(NOW, tick=False):
        assert sources.sync(catalog_db, source_id, SETTINGS, "w2", force=True) is None
    assert served.requests == []
    # The lease runs out (its process died): another takes over.
    assert sources.claim(
        catalog_db, source_id, "w2", NOW + sources.LEASE + timedelta(1), force=False
    )


def test_the_scheduler_job_fetches_only_the_sources_that_are_due(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    served, url = calendar
    hourly = add_source(catalog_db, url)
    daily = add_source(catalog_db, url, name="Dagelijks", every="P1D")
    with time_machine.travel(NOW, tick=False):
        jobs.sync_sources(catalog_db, SETTINGS, "w1")
    assert len(served.requests) == 2
    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        jobs.sync_sources(catalog_db, SETTINGS, "w1")
    assert len(served.requests) == 3
    assert source_of(catalog_db, hourly).last_attempt_at == NOW + timedelta(minutes=61)
    assert source_of(catalog_db, daily).last_attempt_at == NOW


# ---------------------------------------------------------------- read-only


def test_an_items_own_fields_are_read_only_but_our_lobby_fields_are_not(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    _, url = calendar
    source_id = add_source(catalog_db, url)
    sync_at(catalog_db, source_id, NOW)
    uid = f"src{source_id}-ps-vergadering-1214@google.com"
    who = agenda.Actor(OWNER, "web")
    refusals = [
        lambda s: agenda.update(s, agenda.find_item(s, uid), {"title": "Anders"}, who),
        lambda s: agenda.update(s, agenda.find_item(s, uid), {"start": "2026-12-20T10:00"}, who),
        lambda s: agenda.cancel(s, uid, who),
        lambda s: agenda.delete(s, uid, who),
    ]
    for change in refusals:
        with pytest.raises(ReadOnly, match=f"comes from the outside calendar '{PS}'; it changes there"), catalog_db.write() as session:  # fmt: skip
            change(session)
    with catalog_db.write() as session:
        item = agenda.find_item(session, uid)
        agenda.update(session, item, {"owner": OWNER, "goal": "Geld voor de fietsbrug"}, who)
    assert items_of(catalog_db, source_id)["ps-vergadering-1214@google.com"]["goal"] == (
        "Geld voor de fietsbrug"
    )
    with catalog_db.read() as session:
        owner = session.scalars(select(Person).where(Person.email == OWNER)).one()
        page = views.item_page(session, owner, uid, "nl", "Europe/Amsterdam", NOW)
        assert page.source == PS
        assert agenda.find_item(session, uid).owner is not None
    # The next sync keeps our lobby work.
    sync_at(catalog_db, source_id, NOW + timedelta(hours=1))
    kept = items_of(catalog_db, source_id)["ps-vergadering-1214@google.com"]
    assert (kept["owner"], kept["goal"]) == (OWNER, "Geld voor de fietsbrug")


def test_the_api_refuses_to_change_or_delete_an_item_from_an_outside_calendar(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    _, url = calendar
    source_id = add_source(catalog_db, url)
    sync_at(catalog_db, source_id, NOW)
    uid = f"src{source_id}-ps-vergadering-1214@google.com"
    with catalog_db.write() as session:
        person = session.scalars(select(Person).where(Person.email == FOLLOWER)).one()
        person.roles = ["admin"]
        _, secret = tokens.create(session, FOLLOWER, scope="api-write", today=NOW.date())
    auth = {"authorization": f"Bearer {secret}"}
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(Settings(database_url=catalog_db.url), run_jobs=False)) as client,
    ):
        etag = client.get(f"/api/v1/items/{uid}", headers=auth).headers["etag"]
        moved = client.patch(
            f"/api/v1/items/{uid}", json={"start": "2026-12-20T10:00"},
            headers=auth | {"if-match": etag},
        )  # fmt: skip
        deleted = client.delete(f"/api/v1/items/{uid}", headers=auth | {"if-match": etag})
        goal = client.patch(
            f"/api/v1/items/{uid}", json={"goal": "Fietsbrug"}, headers=auth | {"if-match": etag}
        )
    assert (moved.status_code, moved.json()["field"]) == (409, "start")
    assert "comes from the outside calendar 'Provinciale Staten'" in moved.json()["error"]
    assert deleted.status_code == 409
    assert goal.status_code == 200


def test_removing_a_source_keeps_its_items_as_ordinary_editable_items(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    _, url = calendar
    source_id = add_source(catalog_db, url)
    sync_at(catalog_db, source_id, NOW)
    with catalog_db.write() as session:
        assert sources.remove(session, source_id) == (PS, 4)
    uid = f"src{source_id}-ps-vergadering-1214@google.com"
    with catalog_db.write() as session:
        item = agenda.find_item(session, uid)
        assert item.source_id is None
        agenda.update(session, item, {"title": "Nu van ons"}, ACTOR)
    with catalog_db.read() as session:
        assert session.scalars(select(SourceRun)).all() == []


# ---------------------------------------------------------------- change notices


def test_a_change_notice_reaches_a_follower_once_and_nobody_who_may_not_see_it(
    catalog_db: Database, calendar: tuple[Calendar, str], smtp: tuple[Inbox, Controller]
) -> None:
    served, url = calendar
    inbox, controller = smtp
    mail = settings_for(controller)
    source_id = add_source(catalog_db, url)
    sync_at(catalog_db, source_id, NOW)
    served.file = "ps-v2.ics"
    later = NOW + timedelta(hours=1)
    run_id = sync_at(catalog_db, source_id, later).run_id
    for worker in ("w1", "w2"):  # two dispatch runs (or replicas): still one mail each
        with time_machine.travel(later + timedelta(seconds=30), tick=False):
            delivery.dispatch(catalog_db, mail, worker, planning=False)
    notices = [m for m in inbox.messages if "Wijzigingen in" in str(m["Subject"])]
    # Two runs that changed something: the first (4 added) and the second.
    assert [(str(m["To"]), str(m["Subject"])) for m in notices] == [
        (f"Fien Volger <{FOLLOWER}>", f"Wijzigingen in {PS}"),
        (f"Fien Volger <{FOLLOWER}>", f"Wijzigingen in {PS}"),
    ]
    body = notices[1].get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert "Verplaatst: Statenvergadering" in body
    assert "ma 14 dec 14:00 → dinsdag 15 december 2026 om 14:00" in body
    assert "Nieuw: Hoorzitting OV-concessie" in body
    assert "Vervallen: Begrotingsbehandeling" in body
    with catalog_db.read() as session:
        rows = session.scalars(select(Delivery).where(Delivery.subject_id == run_id)).all()
    assert [(r.key, r.state) for r in rows] == [
        (f"source-change:{run_id}:{FOLLOWER}", DeliveryState.SENT)
    ]


def test_a_confidential_event_from_an_outside_calendar_mails_no_follower(
    catalog_db: Database, calendar: tuple[Calendar, str]
) -> None:
    served, url = calendar
    served.file = "outlook-private.ics"
    source_id = add_source(catalog_db, url, name="Agenda gedeputeerde", kind="meeting")
    result = sync_at(catalog_db, source_id, NOW)
    found = items_of(catalog_db, source_id)
    assert sorted(i["confidentiality"] for i in found.values()) == ["confidential", "internal"]
    assert {i["start"] for i in found.values()} == {"2026-12-10T15:00", "2026-12-11T09:00"}
    with catalog_db.read() as session:
        rows = session.scalars(select(Delivery).where(Delivery.subject_id == result.run_id)).all()
        assert [r.recipient for r in rows] == [FOLLOWER]
        mail = sources.messages(session, settings_for_snapshot(), rows, NOW)
    message = mail[rows[0].id]
    assert not isinstance(message, sources.Skipped)
    text = opened(message).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Bestuurlijk overleg regiodeal" in text
    assert "Gesprek gedeputeerde" not in text


def settings_for_snapshot() -> Any:
    from scheduler.reminders import ReminderSettings

    return ReminderSettings(
        defaults={}, base_url="https://lobby.example", domain="lobby.example",
        mail_from="Lobbyagenda <lobby@example.nl>",
    )  # fmt: skip


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_change_notice_email_matches_its_snapshot(
    catalog_db: Database, calendar: tuple[Calendar, str], language: str, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the text does not depend on the database")
    served, url = calendar
    source_id = add_source(catalog_db, url)
    sync_at(catalog_db, source_id, NOW)
    served.file = "ps-v2.ics"
    run_id = sync_at(catalog_db, source_id, NOW + timedelta(hours=1)).run_id
    with catalog_db.write() as session:
        person = session.scalars(select(Person).where(Person.email == FOLLOWER)).one()
        person.language = person.language.__class__(language)
    with catalog_db.read() as session:
        rows = session.scalars(select(Delivery).where(Delivery.subject_id == run_id)).all()
        message = sources.messages(session, settings_for_snapshot(), rows, NOW)[rows[0].id]
    assert not isinstance(message, sources.Skipped)
    assert_matches_snapshot(message, f"source-change-{language}")


# ---------------------------------------------------------------- command line


def test_the_command_line_adds_lists_syncs_and_removes_a_source(
    cli: Any, calendar: tuple[Calendar, str]
) -> None:
    served, url = calendar
    assert cli("demo").code == 0
    webcal = cli("sources", "add", url.replace("http://", "webcal://"), "--name", "Webcal")
    assert (
        webcal.out.strip() == f"added outside calendar 1: Webcal ({url.replace('http', 'https')})"
    )
    assert cli("sources", "remove", "1").code == 0
    added = cli("sources", "add", url, "--name", PS, "--theme", "mobiliteit", "--every", "PT30M")
    assert added.code == 0 and added.out.startswith("added outside calendar 2: Provinciale Staten")
    listed = json.loads(cli("sources", "list", "--json").out)
    assert [(r["id"], r["every"], r["kind"], r["theme"]) for r in listed] == [
        (2, "PT30M", "decision", "mobiliteit")
    ]
    synced = cli("sources", "sync", "--json")
    assert synced.code == 0 and json.loads(synced.out)[0]["added"] == 4
    assert "never" not in cli("sources", "list").out
    served.mode = "error"
    failed = cli("sources", "sync", "2")
    assert failed.code == 1
    assert failed.out.strip() == (
        "2 Provinciale Staten: failed (the server answered HTTP 500 Internal Server Error)"
    )
    removed = cli("sources", "remove", "2")
    assert removed.out.strip() == (
        "removed outside calendar 2: Provinciale Staten; its 4 items stay, now editable"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sources", "add", "ftp://example.org/a.ics", "--name", "X"],
         "error: url 'ftp://example.org/a.ics' is not an http://, https:// or webcal:// address"),
        (["sources", "add", "https://example.org/a.ics", "--name", "X", "--theme", "nope"],
         "error: unknown theme 'nope'"),
        (["sources", "add", "https://example.org/a.ics", "--name", "X", "--every", "PT1M"],
         "error: --every 'PT1M': use an ISO 8601 duration of at least PT5M"),
        (["sources", "add", "https://example.org/a.ics", "--name", "X", "--kind", "party"],
         "error: kind 'party' is unknown"),
        (["sources", "remove", "99"], "error: no outside calendar with id 99"),
        (["sources", "sync", "99"], "error: no outside calendar with id 99"),
    ],
)  # fmt: skip
def test_bad_input_on_the_command_line_is_one_line_and_a_non_zero_exit(
    cli: Any, args: list[str], message: str
) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.err.startswith(message) and result.err.count("\n") == 1


def test_the_edit_form_changes_our_goal_of_an_outside_item_but_refuses_a_new_time(
    editor: tuple[TestClient, Database], calendar: tuple[Calendar, str]
) -> None:
    client, db = editor
    _, url = calendar
    with db.write() as session:
        source_id = sources.add(session, url=url, name=PS, theme="mobiliteit").id
    assert sources.sync(db, source_id, SETTINGS, "w1", force=True) is not None
    uid = f"src{source_id}-ps-vergadering-1214@google.com"
    with db.write() as session:
        agenda.update(session, agenda.find_item(session, uid), {"owner": LOBBYIST}, ACTOR)
    with db.read() as session:
        item = agenda.find_item(session, uid)
        form = item_form.form_from_item(agenda.describe_item(item))
        form = {k: v for k, v in form.items() if v is not False} | {"revision": str(item.revision)}
    saved = post(client, f"/items/{uid}/edit", form | {"goal": "Fietsbrug"})
    assert saved.status_code == 303
    refused = post(
        client, f"/items/{uid}/edit",
        form | {"start": "2026-12-20T10:00", "revision": str(item.revision + 1)},
    )  # fmt: skip
    assert refused.status_code != 303
    assert "komt uit de buitenagenda" in refused.text
    with db.read() as session:
        stored = agenda.describe_item(agenda.find_item(session, uid))
    assert (stored["goal"], stored["start"]) == ("Fietsbrug", "2026-12-14T14:00")
