"""VTIMEZONE components that every calendar reader expands alike.

The offsets come from the zone database (zoneinfo). Where a zone follows a yearly rule (the EU
changes on the last Sundays of March and October), the rule is written as an RRULE without an
end, as Outlook, Google and the tzurl.org definitions do: valid for every year the feed covers
and beyond, for open-ended series. Changes that follow no yearly rule (history, or zones
whose rule no RRULE can say) are written as one observance each, never as a comma-separated
RDATE list: Mozilla ical.js (Thunderbird) reads only the first value of such a list.

Each observance's DTSTART is the local time just before the change, read with TZOFFSETFROM
(RFC 5545 §3.6.5): the EU's summer time starts at 02:00 and ends at 03:00 local time.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from scheduler import clock

# The rule found in the zone database must hold up to here (the last year a series may end,
# see occurrences.LAST_UNTIL_YEAR); changes that follow no rule are listed up to here.
LAST_YEAR = 2100
_STEP = timedelta(days=7)  # no zone changes its offset twice within a week
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
Window = tuple[datetime, datetime]  # naive wall times: [first skipped or repeated, first after)


@dataclass(frozen=True)
class Change:
    """One change of a zone's offset: the instant (UTC), the offsets around it, the name after."""

    at: datetime
    before: timedelta
    after: timedelta
    name: str
    daylight: bool

    @property
    def local_start(self) -> datetime:
        """The wall time at which the change happens, on the clock before it (naive)."""
        return (self.at + self.before).replace(tzinfo=None)


@dataclass(frozen=True)
class _Rule:
    """A yearly change rule as an RRULE can say it: month, weekday, which one, local time."""

    month: int
    weekday: int
    nth: int  # 1…4, or -1 for the last one
    wall: tuple[int, int, int]  # hour, minute, second on the clock before the change
    before: timedelta
    after: timedelta
    name: str
    daylight: bool

    def rrule(self) -> str:
        return f"FREQ=YEARLY;BYMONTH={self.month};BYDAY={self.nth}{_WEEKDAYS[self.weekday]}"


def vtimezone(name: str, first_year: int) -> bytes:
    """The VTIMEZONE of zone `name`, right for every instant from 1 January `first_year` on."""
    return _vtimezone(name, max(first_year, 1970))


@lru_cache(maxsize=128)
def _vtimezone(name: str, first_year: int) -> bytes:
    zone = clock.zone(name)
    changes = changes_between(zone, first_year - 1, LAST_YEAR)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    if not changes:
        offset = zone.utcoffset(datetime(first_year, 1, 1))
        assert offset is not None
        lines += _observance(
            "STANDARD",
            datetime(1970, 1, 1),
            offset,
            offset,
            zone.tzname(datetime(first_year, 1, 1)) or name,
        )
    else:
        explicit, rules = _split(changes)
        for change in explicit:
            kind = "DAYLIGHT" if change.daylight else "STANDARD"
            lines += _observance(kind, change.local_start, change.before, change.after, change.name)
        for rule, first in rules:
            kind = "DAYLIGHT" if rule.daylight else "STANDARD"
            lines += _observance(
                kind, first.local_start, rule.before, rule.after, rule.name, rule.rrule()
            )
    lines.append("END:VTIMEZONE")
    return ("\r\n".join(lines) + "\r\n").encode()


def changes_between(zone: ZoneInfo, first_year: int, last_year: int) -> list[Change]:
    """Every offset change of `zone` from 1 January `first_year` to the end of `last_year`."""
    found = []
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    offset = _offset(zone, moment)
    while moment < end:
        following = min(moment + _STEP, end)
        if _offset(zone, following) != offset:
            at = _first_after(zone, moment, following, offset)
            local = at.astimezone(zone)
            after = _offset(zone, at)
            daylight = bool(local.dst())
            found.append(Change(at, offset, after, local.tzname() or zone.key, daylight))
            offset, moment = after, at
        else:
            moment = following
    return found


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _first_after(zone: ZoneInfo, low: datetime, high: datetime, offset: timedelta) -> datetime:
    """The first whole second in (low, high] at which `zone` no longer has `offset`."""
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            middle = low + timedelta(seconds=1)
        if _offset(zone, middle) == offset:
            low = middle
        else:
            high = middle
    return high


def _split(changes: list[Change]) -> tuple[list[Change], list[tuple[_Rule, Change]]]:
    """The changes that follow no yearly rule, and the rules (each with its first change)
    that every change from some year on keeps to.

    The zone's current rules are those of its changes in the last year; they hold from the
    earliest year from which every year keeps to them. A zone that stopped changing before
    the last year has no rule running on: all its changes are listed.
    """
    by_year: dict[int, list[Change]] = {}
    for change in changes:
        by_year.setdefault(change.local_start.year, []).append(change)
    last_year = max(by_year)
    if last_year < LAST_YEAR - 1:
        return changes, []
    rules = [_pick(_candidates(change), by_year) for change in by_year[last_year]]
    if not rules or None in rules:
        return changes, []
    chosen = [rule for rule in rules if rule is not None]
    since = last_year
    while since - 1 in by_year and _year_follows(by_year[since - 1], chosen):
        since -= 1
    explicit = [c for c in changes if c.local_start.year < since]
    firsts = [(rule, next(c for c in by_year[since] if _follows(c, rule))) for rule in chosen]
    return explicit, firsts


def _candidates(change: Change) -> list[_Rule]:
    """Both ways of naming the weekday of `change` (4th and last may be the same day)."""
    local = change.local_start
    days_in_month = calendar.monthrange(local.year, local.month)[1]
    found = []
    nth = (local.day - 1) // 7 + 1
    if nth <= 4:
        found.append(_with_nth(change, nth))
    if local.day + 7 > days_in_month:
        found.append(_with_nth(change, -1))
    return found


def _with_nth(change: Change, nth: int) -> _Rule:
    local = change.local_start
    return _Rule(
        local.month,
        local.weekday(),
        nth,
        (local.hour, local.minute, local.second),
        change.before,
        change.after,
        change.name,
        change.daylight,
    )


def _pick(candidates: list[_Rule], by_year: dict[int, list[Change]]) -> _Rule | None:
    """The candidate rule that the most recent years keep to (4th Sunday and last Sunday of
    March coincide in some years only)."""
    best, best_years = None, -1
    for rule in candidates:
        years = 0
        for year in sorted(by_year, reverse=True):
            if not any(_follows(c, rule) for c in by_year[year]):
                break
            years += 1
        if years > best_years:
            best, best_years = rule, years
    return best


def _follows(change: Change, rule: _Rule) -> bool:
    local = change.local_start
    return (
        (change.before, change.after, change.name, change.daylight)
        == (rule.before, rule.after, rule.name, rule.daylight)
        and local.month == rule.month
        and local.weekday() == rule.weekday
        and (local.hour, local.minute, local.second) == rule.wall
        and local.day == _nth_weekday(local.year, rule).day
    )


def _nth_weekday(year: int, rule: _Rule) -> datetime:
    days = [
        day
        for day in range(1, calendar.monthrange(year, rule.month)[1] + 1)
        if datetime(year, rule.month, day).weekday() == rule.weekday
    ]
    return datetime(year, rule.month, days[rule.nth - 1 if rule.nth > 0 else -1])


def _year_follows(changes: list[Change], rules: list[_Rule]) -> bool:
    if len(changes) != len(rules):
        return False
    return all(any(_follows(c, rule) for c in changes) for rule in rules)


def _observance(
    kind: str,
    start: datetime,
    before: timedelta,
    after: timedelta,
    name: str,
    rrule: str | None = None,
) -> list[str]:
    lines = [
        f"BEGIN:{kind}",
        f"DTSTART:{start:%Y%m%dT%H%M%S}",
        f"TZOFFSETFROM:{_utc_offset(before)}",
        f"TZOFFSETTO:{_utc_offset(after)}",
        f"TZNAME:{name}",
    ]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    return [*lines, f"END:{kind}"]


def _utc_offset(offset: timedelta) -> str:
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


@lru_cache(maxsize=256)
def change_windows(
    name: str, first_year: int, last_year: int
) -> tuple[tuple[datetime, datetime], ...]:
    """The wall-clock spans (naive, half-open) that are skipped or happen twice when `name`
    changes its offset, from `first_year` to `last_year`: 02:00–03:00 on the EU's nights."""
    windows = []
    for change in changes_between(clock.zone(name), first_year, last_year):
        low, high = sorted((change.at + change.before, change.at + change.after))
        windows.append((low.replace(tzinfo=None), high.replace(tzinfo=None)))
    return tuple(windows)
