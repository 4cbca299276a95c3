"""Our feeds as independent readers see them: Mozilla ical.js (Thunderbird) and
recurring-ical-events read the same occurrences, over ten years, as our own engine lists,
around every change of the clocks, in several zones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
import time_machine
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import text

from scheduler import agenda
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.occurrences import expand
from scheduler.web import create_app
from tests.readers import Seen, icaljs, ours, recurring

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
TEN_YEARS = (NOW - timedelta(days=90), NOW + timedelta(days=3653))
ACTOR = agenda.Actor("test", "test")
PUBLIC = {"kind": "meeting", "confidentiality": "public", "status": "confirmed"}


def _item(uid: str, **fields: Any) -> dict[str, Any]:
    return {"uid": uid, "title": uid, **PUBLIC, **fields}


# Each item is a case a reader once got wrong (issue 14), or a neighbour of one.
ITEMS = [
    _item("weekly-ams", start="2026-12-01T10:00", end="2026-12-01T11:30", rrule="FREQ=WEEKLY;BYDAY=TU"),
    _item("weekly-utc", start="2026-12-01T09:00", timezone="UTC", rrule="FREQ=WEEKLY;BYDAY=TU"),
    # Same instant as weekly-utc, another zone: once the rule cache mixed these up.
    _item("weekly-london", start="2026-12-01T09:00", timezone="Europe/London", rrule="FREQ=WEEKLY;BYDAY=TU"),
    _item("monthly-ny", start="2026-12-14T08:30", timezone="America/New_York", rrule="FREQ=MONTHLY;BYDAY=2MO"),
    _item("second-0230", start="2027-10-31T02:30+01:00", end="2027-10-31T03:15+01:00"),
    _item("first-0230", start="2027-10-31T02:30+02:00", end="2027-10-31T02:45+02:00"),
    _item("daily-0230", start="2027-03-20T02:30", end="2027-03-20T03:00", rrule="FREQ=DAILY;COUNT=400"),
    _item("night-span", start="2027-03-27T01:30", end="2027-03-27T03:30", rrule="FREQ=DAILY;UNTIL=20271101"),
    _item(
        "allday-yearly", start="2026-10-31", rrule="FREQ=YEARLY",
        occurrences=[{"recurrence_id": "2027-10-31", "cancelled": True}],
    ),
    _item(
        "moved-and-cancelled", start="2026-12-08T10:00", end="2026-12-08T11:00",
        rrule="FREQ=MONTHLY;BYDAY=2TU;COUNT=24", exdates=["2027-01-12T10:00"],
        occurrences=[
            {"recurrence_id": "2027-03-09T10:00", "start": "2027-03-28T01:45", "end": "2027-03-28T04:00"},
            {"recurrence_id": "2027-10-12T10:00", "start": "2027-10-31T02:15+01:00", "end": "2027-10-31T02:50+01:00"},
            {"recurrence_id": "2027-06-08T10:00", "cancelled": True},
        ],
    ),
    _item(
        "rdates", start="2027-03-01T14:00", end="2027-03-01T15:00",
        rdates=["2027-03-28T01:30", "2027-10-31T02:10+02:00", "2027-11-15T16:00"],
    ),
    _item("deadline", kind="deadline", start="2027-10-31T02:45+01:00"),
    # A day long, its first across Sydney's change: ical.js takes a DTEND's length in real time.
    _item("sydney-day", timezone="Australia/Sydney", start="2027-04-03T02:00", end="2027-04-04T02:00", rrule="FREQ=DAILY;COUNT=30"),
]  # fmt: skip


@pytest.fixture
def feed(db: Database) -> Iterator[bytes]:
    with time_machine.travel(NOW, tick=False):
        import_data(db, {"items": ITEMS}, "readers test", ACTOR)
        with TestClient(create_app(Settings(database_url=db.url), run_jobs=False)) as client:
            yield client.get("/feeds/public.ics").content


def _engine(db: Database, start: datetime, end: datetime) -> set[Seen]:
    with db.read() as session:
        items = agenda.all_items(session)
        return ours([o for item in items for o in expand(item, start, end)])


def test_icaljs_reads_our_feed_as_our_engine_lists_it_for_ten_years(
    db: Database, feed: bytes
) -> None:
    expected = _engine(db, *TEN_YEARS)
    assert {s.uid for s in expected} == {item["uid"] for item in ITEMS}
    assert icaljs(feed, *TEN_YEARS) == expected


def test_recurring_ical_events_reads_our_feed_as_our_engine_lists_it(
    db: Database, feed: bytes
) -> None:
    assert recurring(feed, *TEN_YEARS) == _engine(db, *TEN_YEARS)


def test_the_second_0230_is_written_so_that_no_reader_takes_it_for_the_first(
    db: Database, feed: bytes
) -> None:
    (event,) = [
        e for e in icalendar.Calendar.from_ical(feed).walk("VEVENT") if "second-0230" in e["UID"]
    ]
    assert event["DTSTART"].to_ical() == b"20271031T013000Z"
    (seen,) = [s for s in icaljs(feed, *TEN_YEARS) if s.uid == "second-0230"]
    assert (seen.start, seen.end) == ("2027-10-31T01:30:00Z", "2027-10-31T02:15:00Z")


def test_a_utc_series_stays_anchored_in_utc_across_the_summer(db: Database, feed: bytes) -> None:
    summer = (datetime(2027, 7, 1, tzinfo=UTC), datetime(2027, 7, 8, tzinfo=UTC))
    for reader in (icaljs, recurring):
        found = {s.start for s in reader(feed, *summer) if s.uid == "weekly-utc"}
        assert found == {"2027-07-06T09:00:00Z"}, reader.__name__
        london = {s.start for s in reader(feed, *summer) if s.uid == "weekly-london"}
        assert london == {"2027-07-06T08:00:00Z"}, reader.__name__


def test_a_cancelled_all_day_occurrence_on_the_long_day_ends_the_next_day(
    db: Database, feed: bytes
) -> None:
    events = [
        e for e in icalendar.Calendar.from_ical(feed).walk("VEVENT") if "allday-yearly" in e["UID"]
    ]
    (cancelled,) = [e for e in events if "RECURRENCE-ID" in e]
    assert (cancelled["DTSTART"].to_ical(), cancelled["DTEND"].to_ical()) == (
        b"20271031",
        b"20271101",
    )


def test_an_expired_cancellation_turns_into_an_exdate_with_a_new_sequence_and_stamp(
    db: Database,
) -> None:
    item = _item(
        "expiring", start="2026-12-01T10:00", rrule="FREQ=WEEKLY;COUNT=10",
        occurrences=[{"recurrence_id": "2026-12-08T10:00", "cancelled": True}],
    )  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        import_data(db, {"items": [item]}, "readers test", ACTOR)

    def master_on(day: datetime) -> icalendar.Event:
        with (
            time_machine.travel(day, tick=False),
            TestClient(create_app(Settings(database_url=db.url), run_jobs=False)) as client,
        ):
            body = client.get("/feeds/public.ics").content
        (master,) = [
            e for e in icalendar.Calendar.from_ical(body).walk("VEVENT") if "RECURRENCE-ID" not in e
        ]
        return master

    before, after = master_on(NOW + timedelta(days=1)), master_on(NOW + timedelta(days=60))
    assert "EXDATE" not in before and "EXDATE" in after
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["DTSTAMP"].dt > before["DTSTAMP"].dt
    assert after["DTSTAMP"].dt <= NOW + timedelta(days=60)


# ---------------------------------------------------------------- generated agendas

ZONES = ["Europe/Amsterdam", "UTC", "Europe/London", "America/New_York", "Australia/Sydney"]
RULES = [
    "FREQ=DAILY;COUNT=30", "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=MONTHLY;BYDAY=-1SU", "FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU",
    "FREQ=WEEKLY;UNTIL=20300101",
]  # fmt: skip


@st.composite
def generated_item(draw: st.DrawFn, n: int) -> dict[str, Any]:
    """An item that starts near a change of the clocks, at any quarter hour, often 00–04."""
    zone = draw(st.sampled_from(ZONES))
    day = draw(st.sampled_from(["2027-03-2", "2027-10-2", "2027-04-0", "2027-11-0"])) + str(
        draw(st.integers(1, 9))
    )
    hour = draw(st.one_of(st.integers(0, 4), st.integers(0, 23)))
    minute = draw(st.sampled_from([0, 15, 30, 45]))
    length = draw(st.sampled_from([0, 30, 60, 90, 180, 1440]))
    all_day = draw(st.integers(0, 5)) == 0
    start = datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}")
    item = _item(f"g{n}", timezone=zone)
    if all_day:
        item |= {"start": start.date().isoformat()}
    else:
        item |= {
            "start": start.isoformat(timespec="minutes"),
            "end": (start + timedelta(minutes=length)).isoformat(timespec="minutes"),
        }
    if draw(st.booleans()):
        item["rrule"] = draw(st.sampled_from(RULES))
    return item


def _valid(db: Database, item: dict[str, Any]) -> bool:
    """Whether the agenda takes the item (a start in a gap, or off its rule, it refuses)."""
    from scheduler.errors import LobbyError
    from scheduler.schemas import ItemIn

    try:
        with db.write() as session:
            agenda.save_item(session, ItemIn.model_validate(item), ACTOR)
            session.rollback()
    except LobbyError:
        return False
    return True


def _with_changes(db: Database, uid: str, picks: list[int]) -> None:
    """Cancel, move (by a few hours, onto a night the clocks change) and exclude occurrences."""
    with db.write() as session:
        item = agenda.find_item(session, uid)
        starts = [
            o.recurrence_id
            for o in expand(item, item.starts_at, item.starts_at + timedelta(days=800))
        ]
        if len(starts) <= max(picks) or item.all_day:
            return
        tz = item.timezone
        walls = [agenda.format_wall(s, agenda.clock.zone(tz)) for s in starts if s is not None]
        skip, move, cancel = picks
        moved_to = datetime(2027, 10, 31, 1, 30, tzinfo=UTC) + timedelta(minutes=15 * move)
        changes = {
            "exdates": [walls[skip]],
            "occurrences": [
                {"recurrence_id": walls[cancel], "cancelled": True},
                {"recurrence_id": walls[move], "start": moved_to.isoformat()},
            ],
        }
        agenda.update(session, item, changes, ACTOR)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    items=st.lists(st.integers(0, 10_000), min_size=1, max_size=4).flatmap(
        lambda seeds: st.tuples(*[generated_item(n) for n in range(len(seeds))])
    ),
    picks=st.lists(st.integers(0, 6), min_size=3, max_size=3, unique=True),
)
def test_generated_agendas_read_the_same_in_our_engine_icaljs_and_recurring_ical_events(
    sqlite_db: Database, items: tuple[dict[str, Any], ...], picks: list[int]
) -> None:
    with time_machine.travel(NOW, tick=False):
        with sqlite_db.write() as session:
            session.execute(text("DELETE FROM items"))
        accepted = [item for item in items if _valid(sqlite_db, item)]
        note(f"items {accepted}, picks {picks}")
        event(f"{len(accepted)} of {len(items)} items taken")
        import_data(sqlite_db, {"items": accepted}, "generated", ACTOR)
        for item in accepted:
            if "rrule" in item:
                _with_changes(sqlite_db, item["uid"], picks)
        with TestClient(create_app(Settings(database_url=sqlite_db.url), run_jobs=False)) as client:
            body = client.get("/feeds/public.ics").content
    expected = _engine(sqlite_db, *TEN_YEARS)
    assert icaljs(body, *TEN_YEARS) == expected
    assert recurring(body, *TEN_YEARS) == expected
