"""Which IANA zone an iCalendar time zone means.

icalendar resolves IANA names and Outlook's Windows names itself, and builds a tzinfo from a
VTIMEZONE whose TZID is neither (Outlook's "Customized Time Zone", a US zone under a made-up
name). An agenda item lives in an IANA zone, so such a custom zone is matched to the IANA zone
that gives the event's wall times the same offsets, preferably one that changes its clock at
the same instants as the VTIMEZONE throughout those years.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from scheduler import clock

_STEP = timedelta(hours=6)  # offsets never change twice within six hours
_FINE = timedelta(minutes=15)  # transitions happen on the quarter hour
_SECOND = timedelta(seconds=1)
_LAST_EXPANDED = 2037  # icalendar lists a VTIMEZONE's yearly transitions up to 2038


@dataclass(frozen=True)
class Definition:
    """A VTIMEZONE's offsets by instant, from its own transitions. (Reading them through
    the tzinfo icalendar builds costs almost a millisecond per instant.)"""

    times: tuple[datetime, ...]  # naive UTC
    offsets: tuple[timedelta, ...]  # in force from each of `times` on

    @classmethod
    def of(cls, component: Any) -> Definition:
        times, info = component.get_transitions()
        return cls(tuple(times), tuple(offset for offset, _, _ in info))

    def offset(self, moment: datetime) -> timedelta | None:
        """The offset at an instant; None before the first transition (undefined there)."""
        index = bisect_right(self.times, moment.astimezone(UTC).replace(tzinfo=None)) - 1
        return self.offsets[index] if index >= 0 else None

    def changes(self, first: int, last: int) -> list[datetime]:
        """The transitions within the years given, as aware UTC instants."""
        return [t.replace(tzinfo=UTC) for t in self.times if first <= t.year <= last]


def same_clock(zone: ZoneInfo, home: ZoneInfo) -> bool:
    """Whether two zones keep the same time in the years around now: Outlook's "W. Europe
    Standard Time" comes out as Europe/Berlin (CLDR's choice), which here means Amsterdam."""
    return zone.key == home.key or _same_clock(zone.key, home.key, clock.now_utc().year)


@cache
def _same_clock(zone: str, home: str, year: int) -> bool:
    return agree(clock.zone(zone), clock.zone(home), year - 1, year + 2)


def matching_zone(
    custom: tzinfo, definition: Definition | None, walls: Sequence[datetime],
    preferred: Sequence[str],
) -> ZoneInfo | None:  # fmt: skip
    """The IANA zone that gives each of `walls` (the event's wall times, naive) the offset
    `custom` gives it, so that every occurrence keeps its instant; None if none does.

    Best is a zone that also changes its clock at the same instants as the VTIMEZONE over
    those years; failing that, one that agrees at the event's times only: exporters write
    VTIMEZONEs for a few years, or with a transition an hour off, and an event that never
    falls there still means that zone. Within each, the calendar's own zone first, then the
    zone CLDR names for each Windows zone (in the order of their Windows names), then any."""
    few = [walls[index * len(walls) // 12] for index in range(min(12, len(walls)))]
    wanted = {wall: _wall_offset(custom, wall) for wall in walls}
    first, last = walls[0].year, min(walls[-1].year, _LAST_EXPANDED)
    fallback = None
    for zone in map(clock.zone, _candidates(tuple(preferred))):
        if not all(_wall_offset(zone, w) == wanted[w] for w in few):
            continue
        if not all(_wall_offset(zone, w) == offset for w, offset in wanted.items()):
            continue
        if definition is not None and _follows(definition, zone, first, last):
            return zone
        fallback = fallback or zone
    return fallback


def _follows(definition: Definition, zone: ZoneInfo, first: int, last: int) -> bool:
    """Whether `zone` has the VTIMEZONE's offset at noon every day of those years and
    changes its clock at the very instants the VTIMEZONE does."""
    for change in definition.changes(first, last):
        before, after = definition.offset(change - _SECOND), definition.offset(change)
        if (_offset(zone, change - _SECOND), _offset(zone, change)) != (before, after):
            return False
    day, end = date(first, 1, 1), date(last, 12, 31)
    while day <= end:
        noon = datetime.combine(day, time(12), tzinfo=UTC)
        said = definition.offset(noon)
        if said is not None and _offset(zone, noon) != said:
            return False
        day += timedelta(days=1)
    return True


def _wall_offset(zone: tzinfo, wall: datetime) -> timedelta | None:
    return wall.replace(tzinfo=zone).utcoffset()


def agree(first: tzinfo, second: tzinfo, from_year: int, to_year: int) -> bool:
    """Whether two zones have the same offset at every instant of the years given."""
    moment = datetime(from_year, 1, 1, tzinfo=UTC)
    end = datetime(to_year + 1, 1, 1, tzinfo=UTC)
    before: tuple[timedelta | None, timedelta | None] | None = None
    while moment < end:
        now = (_offset(first, moment), _offset(second, moment))
        if now[0] != now[1]:
            return False
        # An offset changed within the last step: compare every quarter hour of it.
        if before not in (None, now) and not _agree_within(first, second, moment - _STEP):
            return False
        before = now
        moment += _STEP
    return True


def _agree_within(first: tzinfo, second: tzinfo, start: datetime) -> bool:
    return all(_offset(first, m) == _offset(second, m) for m in _quarters(start))


def _quarters(start: datetime) -> Iterator[datetime]:
    for index in range(_STEP // _FINE):
        yield start + index * _FINE


def _offset(zone: tzinfo, moment: datetime) -> timedelta | None:
    return moment.astimezone(zone).utcoffset()


@cache
def _candidates(preferred: tuple[str, ...]) -> list[str]:
    """Zone names to try, best first: the calendar's own, then the one CLDR gives for each
    Windows zone (the main city of its region), then every other Area/City name."""
    known = available_timezones()
    main = [name for _, name in sorted(WINDOWS_TO_OLSON.items()) if name in known]
    rest = sorted(known - set(main), key=lambda name: ("/" not in name, name))
    ordered = [name for name in preferred if name in known] + main + rest
    return list(dict.fromkeys(ordered))
