"""Calendar feeds: content read back by independent parsers, confidentiality, tokens, HTTP."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import time_machine
import vobject
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as st
from sqlalchemy import text

from scheduler import agenda, tokens
from scheduler.config import Settings
from scheduler.db import Database, data_version
from scheduler.interchange import import_data
from scheduler.occurrences import expand
from scheduler.schemas import ItemIn
from scheduler.web import create_app
from tests.conftest import _start_cluster, _stop_cluster, first_on_rule

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
ACTOR = agenda.Actor("test", "test")
OWNER, PARTICIPANT, OUTSIDER, ENGLISH = (
    "o@example.nl",
    "p@example.nl",
    "x@example.nl",
    "e@example.nl",
)

AGENDA: dict[str, list[dict[str, Any]]] = {
    "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}, {"slug": "wonen", "name": "Wonen"}],
    "stakeholders": [{"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"}],
    "people": [
        {"email": OWNER, "name": "Olga Eigenaar", "roles": ["lobbyist"]},
        {"email": PARTICIPANT, "name": "Piet Deelnemer", "roles": ["staff"]},
        {"email": OUTSIDER, "name": "Xander Buiten", "roles": ["manager"], "themes": ["wonen"]},
        {"email": ENGLISH, "name": "Emily English", "roles": ["lobbyist"], "language": "en"},
    ],
    "items": [
        {
            "uid": "monthly",
            "title": "Bestuurlijk overleg MRA",
            "kind": "meeting",
            "start": "2026-10-13T10:00",
            "end": "2026-10-13T11:30",
            "rrule": "FREQ=MONTHLY;BYDAY=2TU",
            "exdates": ["2027-01-12T10:00"],
            "themes": ["mobiliteit"],
            "stakeholders": ["mra"],
            "owner": OWNER,
            "goal": "Fietsparkeren",
            "message": "Scharnier MRA–NHN",
            "confidentiality": "public",
            "status": "confirmed",
            "reminders": ["P7D", "+P1D", "5WD"],
            "occurrences": [
                {
                    "recurrence_id": "2026-12-08T10:00",
                    "start": "2026-12-09T14:00",
                    "end": "2026-12-09T15:00",
                    "title": "MRA (verschoven)",
                    "location": "Zaandam",
                },
                {"recurrence_id": "2027-02-09T10:00", "cancelled": True},
            ],
        },
        {
            "uid": "secret",
            "title": "Verkennend gesprek regiodeal",
            "kind": "meeting",
            "start": "2026-12-03T08:30",
            "end": "2026-12-03T09:30",
            "location": "Stadhuis",
            "themes": ["wonen"],
            "stakeholders": ["mra"],
            "owner": OWNER,
            "participants": [PARTICIPANT],
            "goal": "Geheim doel",
            "message": "Geheime boodschap",
            "confidentiality": "confidential",
        },
        {
            "uid": "congress",
            "title": "VNG Jaarcongres",
            "kind": "networking",
            "start": "2027-03-29",
            "end": "2027-03-30",
            "themes": ["wonen"],
            "confidentiality": "public",
        },
        {
            "uid": "idea",
            "title": "Misschien een werkbezoek",
            "kind": "meeting",
            "start": "2026-12-15T10:00",
            "status": "idea",
            "confidentiality": "public",
            "themes": ["mobiliteit"],
        },
        {
            "uid": "deadline",
            "title": "Zienswijze",
            "kind": "deadline",
            "start": "2026-12-16T12:00",
            "end": "2026-12-16T12:00",
            "themes": ["wonen"],
            "owner": ENGLISH,
            "reminders": ["P5D"],
        },
        {
            "uid": "long-ago",
            "title": "Oud overleg",
            "kind": "meeting",
            "start": "2026-01-10T10:00",
            "themes": ["wonen"],
        },
    ],
}


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def loaded(db: Database, clock: time_machine.Coordinates) -> Database:
    import_data(db, AGENDA, "feeds test", ACTOR)
    return db


def make_settings(db: Database, **extra: Any) -> Settings:
    return Settings(
        database_url=db.url,
        calendar_domain="lobby.example",
        public_url="https://lobby.example",
        **extra,
    )


@pytest.fixture
def client(loaded: Database) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(loaded), run_jobs=False)) as test_client:
        yield test_client


def token_for(db: Database, email: str, **options: Any) -> str:
    with db.write() as session:
        _, secret = tokens.create(session, email, today=NOW.date(), **options)
    return secret


def parse(body: bytes) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(body)
    list(vobject.readComponents(body.decode()))  # a second parser must accept it too
    return calendar


def events(body: bytes) -> dict[tuple[str, str | None], icalendar.Event]:
    found = {}
    for event in parse(body).walk("VEVENT"):
        rid = event.get("RECURRENCE-ID")
        found[(str(event["UID"]), rid.to_ical().decode() if rid else None)] = event
    return found


# ---------------------------------------------------------------- content


def test_the_feed_header_names_the_calendar_and_hints_how_often_to_refresh(
    client: TestClient, loaded: Database
) -> None:
    body = client.get(f"/feeds/{token_for(loaded, OWNER)}/themes/mobiliteit.ics").content
    calendar = parse(body)
    assert str(calendar["X-WR-CALNAME"]) == "Lobbyagenda – Mobiliteit" == str(calendar["NAME"])
    assert (str(calendar["METHOD"]), str(calendar["CALSCALE"]), str(calendar["VERSION"])) == (
        "PUBLISH",
        "GREGORIAN",
        "2.0",
    )
    assert (
        b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body and b"X-PUBLISHED-TTL:PT1H\r\n" in body
    )
    # Every time carries its zone; X-WR-TIMEZONE would make readers re-anchor UTC series.
    assert "X-WR-TIMEZONE" not in calendar
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Amsterdam"
    # The EU rule as two open-ended RRULEs (ical.js reads only the first of an RDATE list).
    assert [(c.name, c["RRULE"].to_ical()) for c in zone.subcomponents] == [
        ("DAYLIGHT", b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"),
        ("STANDARD", b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"),
    ]
    assert b"RDATE" not in body


def test_a_recurring_series_is_one_event_with_its_exceptions(
    client: TestClient, loaded: Database
) -> None:
    found = events(client.get(f"/feeds/{token_for(loaded, OWNER)}/all.ics").content)
    master = found[("monthly@lobby.example", None)]
    assert master.get("RRULE").to_ical() == b"FREQ=MONTHLY;BYDAY=2TU"
    assert (
        master["DTSTART"].to_ical() == b"20261013T100000"
        and master["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    )
    assert b"20270112T100000" in master["EXDATE"].to_ical()
    moved = found[("monthly@lobby.example", "20261208T100000")]
    assert (str(moved["SUMMARY"]), str(moved["LOCATION"])) == ("MRA (verschoven)", "Zaandam")
    assert moved["DTSTART"].dt == datetime(2026, 12, 9, 14, 0, tzinfo=AMS)
    cancelled = found[("monthly@lobby.example", "20270209T100000")]
    assert str(cancelled["STATUS"]) == "CANCELLED" and str(cancelled["SUMMARY"]).startswith(
        "[GEANNULEERD] "
    )


def test_every_event_carries_what_the_team_needs(client: TestClient, loaded: Database) -> None:
    found = events(client.get(f"/feeds/{token_for(loaded, OWNER)}/all.ics").content)
    master = found[("monthly@lobby.example", None)]
    description = str(master["DESCRIPTION"])
    for expected in ("Soort: Lobbygesprek", "Doel: Fietsparkeren", "Kernboodschap: Scharnier MRA–NHN",
                     "Thema's: Mobiliteit", "Partners: Metropoolregio Amsterdam", "Eigenaar: Olga Eigenaar",
                     "Voorbereiding: doel en kernboodschap staan klaar", "https://lobby.example/items/monthly"):  # fmt: skip
        assert expected in description
    assert str(master["URL"]) == "https://lobby.example/items/monthly"
    assert [str(c) for c in master["CATEGORIES"].cats] == ["Mobiliteit", "Lobbygesprek"]
    assert (str(master["STATUS"]), str(master["CLASS"]), master["SEQUENCE"]) == (
        "CONFIRMED",
        "PUBLIC",
        1,
    )
    assert master["DTSTAMP"].dt == master["LAST-MODIFIED"].dt == NOW
    deadline = found[("deadline@lobby.example", None)]
    assert "DTEND" not in deadline and str(deadline["TRANSP"]) == "TRANSPARENT"
    congress = found[("congress@lobby.example", None)]
    assert (congress["DTSTART"].dt, congress["DTEND"].dt) == (date(2027, 3, 29), date(2027, 3, 31))
    assert "not prepared" not in description and "VALARM" not in str(master.subcomponents)


def test_alarms_come_only_with_a_token_that_asks_for_them(
    client: TestClient, loaded: Database
) -> None:
    plain = events(client.get(f"/feeds/{token_for(loaded, OWNER)}/all.ics").content)
    with_alarms = events(
        client.get(f"/feeds/{token_for(loaded, OWNER, alarms=True)}/all.ics").content
    )
    assert plain[("monthly@lobby.example", None)].walk("VALARM") == []
    alarms = with_alarms[("monthly@lobby.example", None)].walk("VALARM")
    assert [a["TRIGGER"].dt for a in alarms] == [
        -timedelta(days=7)
    ]  # +P1D and 5WD stay email reminders


def test_a_person_who_chose_english_gets_english_text(client: TestClient, loaded: Database) -> None:
    found = events(client.get(f"/feeds/{token_for(loaded, ENGLISH)}/all.ics").content)
    description = str(found[("deadline@lobby.example", None)]["DESCRIPTION"])
    assert (
        "Kind: Deadline" in description
        and "Preparation: not prepared: goal and key message missing" in description
    )


def test_the_public_feed_holds_public_items_without_ideas_or_internal_details(
    client: TestClient,
) -> None:
    answer = client.get("/feeds/public.ics")
    found = events(answer.content)
    assert {uid for uid, _ in found} == {"monthly@lobby.example", "congress@lobby.example"}
    master = found[("monthly@lobby.example", None)]
    assert "Fietsparkeren" not in str(master["DESCRIPTION"]) and "Olga" not in str(
        master["DESCRIPTION"]
    )
    assert "URL" not in master
    assert answer.headers["cache-control"].startswith("public")


def test_the_feed_leaves_out_what_ended_before_the_past_it_covers(
    client: TestClient, loaded: Database
) -> None:
    found = events(client.get(f"/feeds/{token_for(loaded, OWNER)}/all.ics").content)
    assert ("long-ago@lobby.example", None) not in found


# ---------------------------------------------------------------- confidentiality


@pytest.mark.parametrize("feed", ["all.ics", "me.ics", "themes/wonen.ics", "stakeholders/mra.ics"])
@pytest.mark.parametrize("email", [OWNER, PARTICIPANT, OUTSIDER])
def test_a_confidential_item_shows_its_details_only_to_owner_and_participants(
    client: TestClient, loaded: Database, feed: str, email: str
) -> None:
    body = client.get(f"/feeds/{token_for(loaded, email)}/{feed}").content
    if email in (OWNER, PARTICIPANT):
        event = events(body)[("secret@lobby.example", None)]
        assert str(event["SUMMARY"]) == "Verkennend gesprek regiodeal"
        assert b"Geheim doel" in body and str(event["LOCATION"]) == "Stadhuis"
        return
    for secret_text in (b"Geheim", b"Stadhuis", b"Verkennend", b"Piet Deelnemer", b"secret@"):
        assert secret_text not in body
    busy = [e for e in parse(body).walk("VEVENT") if str(e["SUMMARY"]) == "Bezet"]
    if feed != "all.ics":
        # In a theme's or stakeholder's feed (the outsider follows "wonen", so me.ics too),
        # even a busy slot would tell what it is about.
        assert busy == []
        return
    (event,) = busy
    assert str(event["CLASS"]) == "CONFIDENTIAL" and str(event["TRANSP"]) == "OPAQUE"
    assert str(event["UID"]).startswith("busy-") and event["DTSTART"].dt == datetime(
        2026, 12, 3, 8, 30, tzinfo=AMS
    )
    assert all(name not in event for name in ("DESCRIPTION", "LOCATION", "URL", "CATEGORIES"))


def test_the_public_feed_never_holds_a_confidential_item(client: TestClient) -> None:
    assert b"secret@" not in client.get("/feeds/public.ics").content


def test_confidential_items_can_be_left_out_entirely_for_outsiders(loaded: Database) -> None:
    with TestClient(
        create_app(make_settings(loaded, feed_confidential="omit"), run_jobs=False)
    ) as client:
        outsider = client.get(f"/feeds/{token_for(loaded, OUTSIDER)}/all.ics").content
        owner = client.get(f"/feeds/{token_for(loaded, OWNER)}/all.ics").content
    assert b"secret@" not in outsider and b"secret@" in owner


# ---------------------------------------------------------------- tokens


def test_an_unknown_or_malformed_token_is_404(client: TestClient) -> None:
    for token in ("x" * 32, "not a token", "%00", "a" * 500):
        assert client.get(f"/feeds/{token}/all.ics").status_code == 404


def test_a_revoked_or_expired_token_is_410_gone(
    client: TestClient, loaded: Database, clock: time_machine.Coordinates
) -> None:
    revoked = token_for(loaded, OWNER)
    with loaded.write() as session:
        tokens.revoke(session, tokens.listing(session, OWNER)[-1].id, NOW)
    assert client.get(f"/feeds/{revoked}/all.ics").status_code == 410
    expiring = token_for(loaded, OWNER, expires_on=date(2026, 12, 1))
    assert client.get(f"/feeds/{expiring}/all.ics").status_code == 200
    clock.move_to(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert client.get(f"/feeds/{expiring}/all.ics").status_code == 410


def test_a_feed_outside_the_tokens_scope_is_403(client: TestClient, loaded: Database) -> None:
    theme_only = token_for(loaded, OWNER, scope="theme:mobiliteit")
    assert client.get(f"/feeds/{theme_only}/themes/mobiliteit.ics").status_code == 200
    assert client.get(f"/feeds/{theme_only}/themes/wonen.ics").status_code == 403
    assert client.get(f"/feeds/{theme_only}/all.ics").status_code == 403
    me_only = token_for(loaded, OWNER, scope="me")
    assert client.get(f"/feeds/{me_only}/me.ics").status_code == 200
    assert client.get(f"/feeds/{me_only}/stakeholders/mra.ics").status_code == 403


def test_an_unknown_slug_is_404_and_an_unknown_filter_value_400(
    client: TestClient, loaded: Database
) -> None:
    secret = token_for(loaded, OWNER)
    assert client.get(f"/feeds/{secret}/themes/ruimtevaart.ics").status_code == 404
    answer = client.get(f"/feeds/{secret}/all.ics?kind=meeting,party")
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "unknown kind 'party'; allowed: meeting, networking, decision, deadline",
        "field": "kind",
    }
    assert client.get("/feeds/public.ics?status=maybe").json()["field"] == "status"


def test_filters_by_kind_and_status_narrow_the_feed(client: TestClient, loaded: Database) -> None:
    secret = token_for(loaded, OWNER)
    found = events(client.get(f"/feeds/{secret}/all.ics?kind=networking,deadline").content)
    assert {uid for uid, _ in found} == {"congress@lobby.example", "deadline@lobby.example"}
    found = events(client.get(f"/feeds/{secret}/all.ics?status=idea").content)
    assert {uid for uid, _ in found} == {"idea@lobby.example"}


def test_using_a_token_is_noted_with_the_client(client: TestClient, loaded: Database) -> None:
    secret = token_for(loaded, OWNER)
    client.get(f"/feeds/{secret}/all.ics", headers={"User-Agent": "Thunderbird/128"})
    with loaded.read() as session:
        (token,) = tokens.listing(session, OWNER)
    assert token.last_used_at == NOW and token.last_user_agent == "Thunderbird/128"


# ---------------------------------------------------------------- HTTP


def test_an_unchanged_feed_answers_304_to_its_etag_and_date(
    client: TestClient, loaded: Database
) -> None:
    url = f"/feeds/{token_for(loaded, OWNER)}/all.ics"
    first = client.get(url)
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.headers["cache-control"].startswith("private")
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    dated = client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert dated.status_code == 304
    stale = client.get(
        url,
        headers={
            "If-None-Match": '"something-else"',
            "If-Modified-Since": first.headers["last-modified"],
        },
    )
    assert stale.status_code == 200  # If-None-Match wins


def test_a_change_gives_a_new_etag_and_a_higher_sequence(
    client: TestClient, loaded: Database, clock: time_machine.Coordinates
) -> None:
    url = f"/feeds/{token_for(loaded, OWNER)}/all.ics"
    first = client.get(url)
    clock.shift(timedelta(minutes=5))
    with loaded.write() as session:
        agenda.save_item(
            session,
            ItemIn.model_validate(
                {
                    "uid": "monthly",
                    "title": "Bestuurlijk overleg MRA",
                    "kind": "meeting",
                    "start": "2026-10-13T10:00",
                    "goal": "Meer fietsparkeren",
                }
            ),
            ACTOR,
        )
    second = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200 and second.headers["etag"] != first.headers["etag"]
    master = events(second.content)[("monthly@lobby.example", None)]
    assert master["SEQUENCE"] == 2 and master["DTSTAMP"].dt == NOW + timedelta(minutes=5)


def test_the_same_data_gives_the_same_bytes_whenever_it_is_asked(
    loaded: Database, clock: time_machine.Coordinates
) -> None:
    secret = token_for(loaded, OWNER)
    with TestClient(create_app(make_settings(loaded), run_jobs=False)) as client:
        first = client.get(f"/feeds/{secret}/all.ics").content
    clock.shift(timedelta(hours=3))
    with TestClient(
        create_app(make_settings(loaded), run_jobs=False)
    ) as client:  # a fresh process's caches
        assert client.get(f"/feeds/{secret}/all.ics").content == first


def test_head_answers_the_headers_without_the_body(client: TestClient, loaded: Database) -> None:
    url = f"/feeds/{token_for(loaded, OWNER)}/all.ics"
    plain = {"Accept-Encoding": "identity"}
    full = client.get(url, headers=plain)
    head = client.head(url, headers=plain)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == full.headers["etag"]
    assert head.headers["content-length"] == str(len(full.content))


def test_gzip_is_sent_when_accepted(client: TestClient, loaded: Database) -> None:
    url = f"/feeds/{token_for(loaded, OWNER)}/all.ics"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert (
        zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
    )
    assert zipped.content == plain.content  # the client unpacked it
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2
    assert zipped.headers["etag"] != plain.headers["etag"]
    assert (
        client.get(
            url, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]}
        ).status_code
        == 304
    )


def test_an_unchanged_feed_is_served_from_cache_and_one_change_renders_one_item(
    loaded: Database,
) -> None:
    secret = token_for(loaded, OWNER)
    with TestClient(create_app(make_settings(loaded), run_jobs=False)) as client:
        stats = client.app.state.feeds.stats  # type: ignore[attr-defined]
        client.get(f"/feeds/{secret}/all.ics")
        rendered = stats["event_renders"]
        client.get(f"/feeds/{secret}/all.ics")
        assert (stats["feed_hits"], stats["event_renders"]) == (1, rendered)
        with loaded.write() as session:
            agenda.cancel(session, "deadline", ACTOR)
        client.get(f"/feeds/{secret}/all.ics")
        assert stats["event_renders"] == rendered + 1


def test_heartbeats_and_token_use_do_not_change_the_data_version(loaded: Database) -> None:
    with loaded.read() as session:
        before = (data_version(session).agenda, data_version(session).catalog)
    token_for(loaded, OWNER)
    from scheduler import jobs

    jobs.beat(loaded, "host:1", NOW)
    with loaded.read() as session:
        assert (data_version(session).agenda, data_version(session).catalog) == before


# ---------------------------------------------------------------- cancellations and retention


def test_a_cancelled_item_stays_marked_for_the_retention_period_then_disappears(
    client: TestClient, loaded: Database, clock: time_machine.Coordinates
) -> None:
    secret = token_for(loaded, OWNER)
    with loaded.write() as session:
        agenda.cancel(session, "deadline", ACTOR)
    clock.shift(timedelta(days=13))
    event = events(client.get(f"/feeds/{secret}/all.ics").content)[("deadline@lobby.example", None)]
    assert (
        str(event["STATUS"]) == "CANCELLED" and str(event["SUMMARY"]) == "[GEANNULEERD] Zienswijze"
    )
    clock.shift(timedelta(days=2))
    assert ("deadline@lobby.example", None) not in events(
        client.get(f"/feeds/{secret}/all.ics").content
    )


def test_a_cancelled_occurrence_turns_into_an_exdate_after_the_retention_period(
    client: TestClient, loaded: Database, clock: time_machine.Coordinates
) -> None:
    secret = token_for(loaded, OWNER)
    clock.shift(timedelta(days=15))
    found = events(client.get(f"/feeds/{secret}/all.ics").content)
    assert ("monthly@lobby.example", "20270209T100000") not in found
    assert b"20270209T100000" in found[("monthly@lobby.example", None)]["EXDATE"].to_ical()


def test_an_item_with_a_broken_stored_rule_is_left_out_and_the_rest_served(
    client: TestClient, loaded: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with loaded.write() as session:
        session.execute(
            text(
                "UPDATE items SET rrule = 'FREQ=WEEKLY;BYDAY=XX', revision = revision + 1 WHERE uid = 'monthly'"
            )
        )
        session.execute(text("UPDATE data_version SET agenda = agenda + 1"))
    answer = client.get(f"/feeds/{token_for(loaded, OWNER)}/all.ics")
    assert answer.status_code == 200
    found = events(answer.content)
    assert ("monthly@lobby.example", None) not in found and (
        "deadline@lobby.example",
        None,
    ) in found
    assert "item monthly left out of feeds" in caplog.text


# ---------------------------------------------------------------- read back by another implementation


def _their_occurrences(
    body: bytes, start: datetime, end: datetime
) -> set[tuple[str, datetime, str]]:
    calendar = icalendar.Calendar.from_ical(body)
    found = set()
    for event in recurring_ical_events.of(calendar).between(start, end):
        begin = event["DTSTART"].dt
        moment = (
            begin
            if isinstance(begin, datetime)
            else datetime.combine(begin, datetime.min.time(), AMS)
        )
        found.add(
            (str(event["UID"]).split("@")[0], moment.astimezone(UTC), str(event.get("STATUS", "")))
        )
    return found


def _our_occurrences(
    db: Database, start: datetime, end: datetime, uids: set[str]
) -> set[tuple[str, datetime, str]]:
    with db.read() as session:
        items = [agenda.find_item(session, uid) for uid in uids]
        return {
            (
                o.item.uid,
                o.start,
                "CANCELLED"
                if o.cancelled
                else {"confirmed": "CONFIRMED", "done": "CONFIRMED"}.get(
                    o.item.status.value, "TENTATIVE"
                ),
            )
            for item in items
            for o in expand(item, start, end)
        }


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (
            datetime(2026, 10, 1, tzinfo=UTC),
            datetime(2026, 11, 15, tzinfo=UTC),
        ),  # the October change
        (datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 15, tzinfo=UTC)),  # the March change
        (
            datetime(2026, 11, 28, tzinfo=UTC),
            datetime(2027, 6, 1, tzinfo=UTC),
        ),  # moved, exdate, cancelled
    ],
)
def test_another_implementation_reads_the_same_occurrences_as_our_engine(
    client: TestClient, loaded: Database, start: datetime, end: datetime
) -> None:
    body = client.get(f"/feeds/{token_for(loaded, OWNER)}/all.ics").content
    theirs = _their_occurrences(body, start, end)
    uids = {uid for uid, _, _ in theirs} | {"monthly", "congress"}
    assert theirs == _our_occurrences(loaded, start, end, uids)
    assert theirs, "the window holds occurrences"


RULES = st.sampled_from([
    "FREQ=DAILY;COUNT=20", "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY;BYDAY=2TU",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "FREQ=WEEKLY;UNTIL=20281001",
])  # fmt: skip


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1)),
    rule=RULES,
    all_day=st.booleans(),
    picks=st.lists(st.integers(1, 5), min_size=3, max_size=3, unique=True),
)
def test_generated_items_read_back_the_same_by_recurring_ical_events(
    sqlite_db: Database, first: datetime, rule: str, all_day: bool, picks: list[int]
) -> None:
    skip, move, cancel = picks
    wall = first.replace(second=0, microsecond=0, minute=first.minute // 15 * 15)
    if wall.hour == 2:
        wall = wall.replace(hour=14)
    start = first_on_rule(
        wall.date().isoformat() if all_day else wall.isoformat(timespec="minutes"), rule
    )
    with time_machine.travel(NOW, tick=False), sqlite_db.write() as session:
        session.execute(text("DELETE FROM items"))
        fields = {
            "uid": "gen",
            "title": "G",
            "kind": "meeting",
            "start": start,
            "rrule": rule,
            "confidentiality": "public",
        }
        _, item = agenda.save_item(session, ItemIn.model_validate(fields), ACTOR)
        starts = [
            o.recurrence_id
            for o in expand(item, item.starts_at, item.starts_at + timedelta(days=2500))
        ][:6]
        description = agenda.describe_item(item)
        walls = [agenda._format_moment(s, AMS, all_day) for s in starts if s is not None]
        if len(walls) > max(picks):
            note_event("with exdate, moved and cancelled occurrences")
            description["exdates"] = [walls[skip]]
            changes: list[dict[str, object]] = [{"recurrence_id": walls[cancel], "cancelled": True}]
            moved = starts[move]
            if not all_day and moved is not None:  # all-day occurrences move only with their series
                changes.append(
                    {
                        "recurrence_id": walls[move],
                        "start": agenda.format_wall(moved + timedelta(hours=3), AMS),
                    }
                )
            description["occurrences"] = changes
            agenda.save_item(session, ItemIn.model_validate(description), ACTOR)
    window = (NOW - timedelta(days=90), NOW + timedelta(days=800))  # what the feed covers
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(Settings(database_url=sqlite_db.url), run_jobs=False)) as client,
    ):
        body = client.get("/feeds/public.ics").content
    assert _their_occurrences(body, *window) == _our_occurrences(sqlite_db, *window, {"gen"})


# ---------------------------------------------------------------- outages


@pytest.mark.slow
def test_a_feed_answers_503_with_retry_after_when_postgresql_is_down(tmp_path: Path) -> None:
    try:
        server = _start_cluster()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"cannot start a PostgreSQL cluster to stop: {exc}")
    try:
        server.execute("CREATE DATABASE outage")
        url = server.url_for("outage")
        db = Database(url)
        db.upgrade()
        with time_machine.travel(NOW, tick=False):
            import_data(db, AGENDA, "outage", ACTOR)
            secret = token_for(db, OWNER)
            with TestClient(create_app(Settings(database_url=url), run_jobs=False)) as client:
                assert client.get(f"/feeds/{secret}/all.ics").status_code == 200
                db.dispose()
                _stop_cluster(server)
                down = client.get(f"/feeds/{secret}/all.ics")
                public = client.get("/feeds/public.ics")
        assert down.status_code == 503 and down.headers["retry-after"] == "120"
        assert public.status_code == 503 and b"BEGIN:VCALENDAR" not in down.content
    finally:
        _stop_cluster(server)


def test_a_cached_feed_follows_items_that_join_leave_or_change(
    client: TestClient, loaded: Database
) -> None:
    url = f"/feeds/{token_for(loaded, OWNER)}/themes/wonen.ics"
    before = events(client.get(url).content)
    assert ("congress@lobby.example", None) in before and ("new@lobby.example", None) not in before
    with loaded.write() as session:
        moved_out = agenda.describe_item(agenda.find_item(session, "congress")) | {
            "themes": ["mobiliteit"]
        }
        agenda.save_item(session, ItemIn.model_validate(moved_out), ACTOR)
        agenda.save_item(
            session,
            ItemIn.model_validate(
                {
                    "uid": "new",
                    "title": "Nieuw",
                    "kind": "meeting",
                    "start": "2026-12-20T10:00",
                    "themes": ["wonen"],
                }
            ),
            ACTOR,
        )
    after = events(client.get(url).content)
    assert ("congress@lobby.example", None) not in after and ("new@lobby.example", None) in after
    stats = client.app.state.feeds.stats  # type: ignore[attr-defined]
    assert stats["full_selections"] == 1  # the second build only looked at the two changed items


def test_each_committed_change_stamps_the_item_with_the_new_agenda_version(
    loaded: Database,
) -> None:
    with loaded.write() as session:
        agenda.cancel(session, "deadline", ACTOR)
    with loaded.read() as session:
        version = data_version(session).agenda
        stamped = session.scalar(text("SELECT changed_version FROM items WHERE uid = 'deadline'"))
        others = session.scalar(
            text("SELECT max(changed_version) FROM items WHERE uid != 'deadline'")
        )
    assert stamped == version and others < version


def test_odd_request_headers_and_paths_get_a_clear_answer_never_a_500(
    client: TestClient, loaded: Database
) -> None:
    secret = token_for(loaded, OWNER)
    url = f"/feeds/{secret}/all.ics"
    huge_date = {"If-Modified-Since": "Sun, 06 Nov 1994 99999999999999999999:49:37 GMT"}
    assert client.get(url, headers=huge_date).status_code == 200
    refused = client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    assert client.get(f"/feeds/{secret}/themes/wo%00nen.ics").status_code == 404
    assert client.get(f"/feeds/{secret}/stakeholders/{'x' * 5000}.ics").status_code == 404


def test_cancelling_an_occurrence_that_was_moved_long_ago_shows_the_cancellation_anew(
    client: TestClient, loaded: Database, clock: time_machine.Coordinates
) -> None:
    clock.shift(timedelta(days=30))  # the move of 8 December is now a month old
    with loaded.write() as session:
        agenda.cancel(session, "monthly", ACTOR, occurrence="2026-12-08T10:00")
    found = events(client.get(f"/feeds/{token_for(loaded, OWNER)}/all.ics").content)
    assert str(found[("monthly@lobby.example", "20261208T100000")]["STATUS"]) == "CANCELLED"
