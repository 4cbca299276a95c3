"""Which IANA zone an iCalendar time zone means.

icalendar resolves IANA names and Outlook's Windows names itself, and builds a tzinfo from a
VTIMEZONE whose TZID is neither (Outlook's "Customized Time Zone", a US zone under a made-up
name). An agenda item lives in an IANA zone, so such a custom zone is matched to the IANA zone
that keeps the same offsets, at the same instants, over the years its events need.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from scheduler import clock

_STEP = timedelta(hours=6)  # offsets never change twice within six hours
_FINE = timedelta(minutes=15)  # transitions happen on the quarter hour


def same_clock(zone: ZoneInfo, home: ZoneInfo) -> bool:
    """Whether two zones keep the same time in the years around now: Outlook's "W. Europe
    Standard Time" comes out as Europe/Berlin (CLDR's choice), which here means Amsterdam."""
    if zone.key == home.key:
        return True
    year = clock.now_utc().year
    return agree(zone, home, year - 1, year + 2)


def matching_zone(
    custom: tzinfo, walls: Sequence[datetime], preferred: Sequence[str]
) -> ZoneInfo | None:
    """The IANA zone that gives each of `walls` (the event's wall times, naive) the offset
    `custom` gives it, so that every occurrence keeps its instant; None if none does.

    Best is a zone that also changes its clock at the same instants throughout those years;
    failing that, one that agrees at the event's times only: exporters write VTIMEZONEs for
    a few years, or with a transition an hour off, and an event that never falls there still
    means that zone. Within each, the calendar's own zone first, then the zone CLDR names for
    each Windows zone (in the order of their Windows names), then any other."""
    few = [walls[index * len(walls) // 12] for index in range(min(12, len(walls)))]
    wanted = {wall: _wall_offset(custom, wall) for wall in walls}
    fitting = [
        zone
        for zone in map(clock.zone, _candidates(tuple(preferred)))
        if all(_wall_offset(zone, w) == wanted[w] for w in few)
        and all(_wall_offset(zone, w) == offset for w, offset in wanted.items())
    ]
    first, last = walls[0].year, walls[-1].year
    exact = (zone for zone in fitting if agree(custom, zone, first, last))
    return next(exact, fitting[0] if fitting else None)


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
