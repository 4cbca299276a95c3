"""VTIMEZONE components: Mozilla ical.js, reading only what we write, places every wall time
at the instant the zone database does, in every year up to 2100."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from scheduler.clock import wall_time_is_ambiguous
from scheduler.vtimezone import changes_between, vtimezone
from tests.readers import Seen, icaljs

ZONES = [
    "Europe/Amsterdam", "Europe/London", "Europe/Dublin", "America/New_York", "America/Sao_Paulo",
    "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Jerusalem",
    "Africa/Casablanca", "Asia/Tokyo", "America/St_Johns",
]  # fmt: skip
YEARS = [*range(2019, 2031), 2037, 2038, 2051, 2099]


def _probes(zone: ZoneInfo) -> list[datetime]:
    """Instants around every change of the years tested, and mid-month noons."""
    first, last = min(YEARS), max(YEARS)
    found = [datetime(year, month, 15, 12, tzinfo=UTC) for year in YEARS for month in (1, 4, 7, 10)]
    for change in changes_between(zone, first, last):
        if change.at.year in YEARS:
            found += [change.at + timedelta(minutes=m) for m in (-61, -1, 0, 1, 61)]
    return found


def _calendar(name: str, walls: list[str]) -> bytes:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:p{n}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID={name}:{wall}\r\nSUMMARY:p\r\nEND:VEVENT\r\n"
        for n, wall in enumerate(walls)
    )
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    return head.encode() + vtimezone(name, min(YEARS)) + events.encode() + b"END:VCALENDAR\r\n"


@pytest.mark.parametrize("name", ZONES)
def test_icaljs_places_every_wall_time_where_the_zone_database_does(name: str) -> None:
    zone = ZoneInfo(name)
    # A wall time that happens twice is never written with a TZID (readers disagree about
    # which one it means: RFC 5545 the first, ical.js the second); feeds write it in UTC.
    instants = [i for i in _probes(zone) if not wall_time_is_ambiguous(i.astimezone(zone))]
    walls = [i.astimezone(zone).strftime("%Y%m%dT%H%M%S") for i in instants]
    seen = icaljs(
        _calendar(name, walls), datetime(2000, 1, 1, tzinfo=UTC), datetime(2101, 1, 1, tzinfo=UTC)
    )
    expected = Counter(
        Seen(f"p{n}", i.strftime("%Y-%m-%dT%H:%M:%SZ"), i.strftime("%Y-%m-%dT%H:%M:%SZ"))
        for n, i in enumerate(instants)
    )
    assert seen == expected


def test_the_eu_rule_is_two_open_ended_observances_starting_at_two_and_three() -> None:
    zone = icalendar.Calendar.from_ical(
        b"BEGIN:VCALENDAR\r\n" + vtimezone("Europe/Amsterdam", 2026) + b"END:VCALENDAR\r\n"
    ).walk("VTIMEZONE")[0]
    found = {
        c.name: (c["DTSTART"].to_ical(), c["TZOFFSETFROM"].to_ical(), c["TZOFFSETTO"].to_ical())
        for c in zone.subcomponents
    }
    assert found == {
        "DAYLIGHT": (b"20250330T020000", "+0100", "+0200"),
        "STANDARD": (b"20251026T030000", "+0200", "+0100"),
    }
    assert all("UNTIL" not in c["RRULE"] and "RDATE" not in c for c in zone.subcomponents)


def test_a_zone_without_summer_time_has_one_observance() -> None:
    text = vtimezone("Asia/Tokyo", 2026).decode()
    assert text.count("BEGIN:STANDARD") == 1 and "DAYLIGHT" not in text
    assert "TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900" in text


def test_history_before_the_current_rule_is_listed_change_by_change() -> None:
    text = vtimezone("America/New_York", 2005).decode()
    # 2004–2006: first Sunday of April; from 2007 the second Sunday of March, as a rule.
    assert "DTSTART:20060402T020000" in text and "DTSTART:20070311T020000" in text
    assert text.count("RRULE:") == 2 and "RDATE" not in text
