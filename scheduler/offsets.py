"""Reminder offsets: ISO 8601 durations before (`P7D`) or after (`+P1D`) a moment, or
working days (`5WD`); and when one falls.

Working days follow the Algemene termijnenwet, the law that extends Dutch legal deadlines:
not Saturday, Sunday, or a day its article 3 treats as a Sunday (`termijnenwet_days`); nor a
municipal closing day or recess day the settings add."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from dateutil.easter import easter

from scheduler.errors import ValidationError

# A reminder counted in working days comes at the start of that working day.
WORKDAY_TIME = time(9, 0)
# The furthest a reminder may lie from its moment: the planner looks this far ahead (plus the
# horizon) for the occurrences it reminds of, so each item stays cheap to plan.
MAX_DURATION = timedelta(days=366)
MAX_WORKDAYS = 250  # about a year of working days (52 weeks, less the termijnenwet days)

_ISO = re.compile(
    r"P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
_WORKDAYS = re.compile(r"(?P<count>\d+)WD")


@dataclass(frozen=True)
class ReminderOffset:
    """When a reminder falls relative to an occurrence's start (or its end, with `after`)."""

    text: str
    after: bool
    duration: timedelta | None = None
    workdays: int | None = None
    # The weeks and days of `duration`, which count on the wall clock; its hours, minutes
    # and seconds count exactly (PT24H is 24 hours, not a day: timedelta would say 1 day).
    days: int = 0


def parse_offset(text: str, *, field: str = "reminders") -> ReminderOffset:
    """Parse `P7D`, `PT2H`, `+P1D` or `5WD`; raise ValidationError quoting the bad value."""
    raw = text.strip().upper()
    after = raw.startswith("+")
    body = raw.lstrip("+-")
    if match := _WORKDAYS.fullmatch(body):
        return ReminderOffset(raw, after, workdays=int(match["count"]))
    match = _ISO.fullmatch(body)
    if not match:
        hint = (
            "months and years have no fixed length; use weeks or days"
            if re.fullmatch(r"P.*\d+[YM].*", body.split("T")[0])
            else "write an ISO 8601 duration such as P7D, PT2H or +P1D, or working days as 5WD"
        )
        raise ValidationError(
            f"{text!r} is not a reminder offset: {hint}", field=field, key="not_an_offset",
            params={"value": text},
        )  # fmt: skip
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    days = parts.get("weeks", 0) * 7 + parts.get("days", 0)
    try:
        return ReminderOffset(raw, after, duration=timedelta(**parts), days=days)
    except OverflowError:
        raise ValidationError(
            f"{text!r} is not a reminder offset: too long", field=field, key="offset_too_far",
            params={"value": text},
        ) from None  # fmt: skip


def parse_length(text: str, *, field: str, example: str = "P6W") -> ReminderOffset:
    """How long, or how often: an ISO 8601 duration of at least a day, such as P6W."""
    offset = parse_offset(text, field=field)
    if offset.after or offset.duration is None or offset.duration.days < 1:
        raise ValidationError(
            f"{text!r}: write an ISO 8601 duration of at least a day, such as {example}",
            field=field,
        )
    return offset


def normalize_offsets(texts: list[str], *, field: str = "reminders") -> list[str]:
    """Validated reminder offsets (at most a year: see `within_a_year`), upper-cased,
    duplicates removed, order kept."""
    seen: dict[str, None] = {}
    for text in texts:
        seen.setdefault(within_a_year(parse_offset(text, field=field), field=field).text, None)
    return list(seen)


def within_a_year(offset: ReminderOffset, *, field: str) -> ReminderOffset:
    """`offset`, or a ValidationError when it lies further from its moment than reminders
    are planned ahead (a reminder that would never be sent is refused, not kept)."""
    too_long = (offset.duration is not None and offset.duration > MAX_DURATION) or (
        offset.workdays is not None and offset.workdays > MAX_WORKDAYS
    )
    if too_long:
        raise ValidationError(
            f"{offset.text!r} lies too far from its moment: a reminder comes at most a year "
            f"before or after it ({MAX_DURATION.days} days, e.g. P52W, or {MAX_WORKDAYS}WD)",
            field=field, key="offset_too_far", params={"value": offset.text},
        )  # fmt: skip
    return offset


def reach(offset: ReminderOffset, closed: int = 0) -> timedelta:
    """How far from its moment `offset` can fall at most, in calendar days: the planner
    looks this far beyond its horizon for occurrences. Working days: an upper bound over
    weekends and the termijnenwet days (a test checks it against every day of 2026-2045),
    plus the `closed` days (closing and recess days still ahead), each of which may push it
    a day further."""
    if offset.workdays is None:
        assert offset.duration is not None
        return offset.duration
    return timedelta(days=(offset.workdays * 3 + 1) // 2 + 7 + closed)  # 1.5 n, rounded up, + 7


def falls_at(
    offset: ReminderOffset, start: datetime, end: datetime, zone: ZoneInfo,
    closed: frozenset[date] = frozenset(),
) -> datetime:  # fmt: skip
    """When a reminder `offset` before `start` (or after `end`) falls, in wall-clock terms in
    `zone` (for a reminder: the recipient's): "P1D before Monday 10:00" is Sunday 10:00
    local, also across a DST change; hours and minutes count exactly; working days count
    from the local date and land at 09:00 local, skipping weekends, the days of the
    Algemene termijnenwet and the `closed` days (closing days, recess periods)."""
    anchor = (end if offset.after else start).astimezone(zone)
    sign = 1 if offset.after else -1
    if offset.workdays is not None:
        day = _working_days_from(anchor.date(), offset.workdays, sign, closed)
        return start_of_working_day(day, zone)
    assert offset.duration is not None
    return _shifted(anchor, offset, sign)


def falls_on(
    offset: ReminderOffset, first: date, last: date, zone: ZoneInfo,
    closed: frozenset[date] = frozenset(),
) -> datetime:  # fmt: skip
    """When a reminder `offset` before the whole days `first`..`last` (an all-day item), or
    after them, falls for someone in `zone`.

    Nobody wants a reminder at midnight, so an offset in working days, whole days or weeks
    lands on its day at the start of the working day, 09:00 in `zone`: P1D before an item on
    Monday comes Sunday 09:00, 1WD before it Friday 09:00, +P1D after an item whose last day
    is Monday comes Tuesday 09:00. An offset with hours or minutes says the time itself and
    counts from midnight in `zone` at the start of `first`, or after `last`: PT2H before
    Monday is Sunday 22:00, P1DT2H Saturday 22:00.
    """
    sign = 1 if offset.after else -1
    day = last if offset.after else first
    if offset.workdays is not None:
        return start_of_working_day(_working_days_from(day, offset.workdays, sign, closed), zone)
    assert offset.duration is not None
    whole_days = timedelta(days=offset.days)
    if offset.duration == whole_days:
        return start_of_working_day(day + sign * whole_days, zone)
    edge = last + timedelta(days=1) if offset.after else first
    return _shifted(datetime.combine(edge, time(0), tzinfo=zone), offset, sign)


def start_of_working_day(day: date, zone: ZoneInfo) -> datetime:
    """09:00 on `day` in `zone`, as a UTC instant."""
    return datetime.combine(day, WORKDAY_TIME, tzinfo=zone).astimezone(UTC)


def _shifted(anchor: datetime, offset: ReminderOffset, sign: int) -> datetime:
    """`anchor` moved by `offset`'s duration: its days on the wall clock, the rest exactly."""
    assert offset.duration is not None
    days = timedelta(days=offset.days)
    moment = anchor
    if days:
        # The same wall time on another day. Where that time happens twice (the October
        # change) the first one; where it does not exist (March) fold=0 reads it with the
        # offset before the change, i.e. an hour later on the clock, as the clocks move.
        wall = anchor.replace(tzinfo=None) + sign * days
        moment = wall.replace(tzinfo=anchor.tzinfo, fold=0)
    # Without whole days the anchor is kept as it is: replacing its tzinfo would drop the
    # fold of a second 02:30 and put the reminder an hour early.
    return moment.astimezone(UTC) + sign * (offset.duration - days)


def _working_days_from(day: date, count: int, sign: int, closed: frozenset[date]) -> date:
    found = day
    while count:
        found += timedelta(days=sign)
        if is_working_day(found, closed):
            count -= 1
    return found


def is_working_day(day: date, closed: frozenset[date] = frozenset()) -> bool:
    """Monday to Friday, not a day of the Algemene termijnenwet, not one of `closed`."""
    return day.weekday() < 5 and day not in termijnenwet_days(day.year) and day not in closed


def parse_period(text: str, *, field: str = "recess") -> tuple[date, date]:
    """`2027-07-03/2027-08-29`: a period of whole days, both ends included."""
    first, sep, last = text.strip().partition("/")
    try:
        period = (date.fromisoformat(first.strip()), date.fromisoformat(last.strip()))
    except ValueError:
        period = None
    if not sep or period is None:
        raise ValidationError(
            f"{text!r} is not a period: write FIRST/LAST, such as 2027-07-03/2027-08-29",
            field=field,
        )
    if period[1] < period[0] or (period[1] - period[0]).days > 366:
        raise ValidationError(
            f"{text!r}: the last day must follow the first within a year", field=field
        )
    return period


def days_of(periods: list[str]) -> frozenset[date]:
    """Every day of the periods."""
    days: set[date] = set()
    for text in periods:
        first, last = parse_period(text)
        days |= {first + timedelta(days=n) for n in range((last - first).days + 1)}
    return frozenset(days)


@cache
def termijnenwet_days(year: int) -> frozenset[date]:
    """The days besides Saturday and Sunday that the Algemene termijnenwet (article 3) treats
    as a Sunday: Nieuwjaarsdag, Tweede Paasdag, Koningsdag, 5 mei (every year, not only every
    fifth), Hemelvaartsdag, Tweede Pinksterdag and both Christmas days. Goede Vrijdag is not
    one of them. Koningsdag is 27 April, or 26 April when the 27th is a Sunday (the rule since
    2014; the service has no deadlines from before)."""
    easter_sunday = easter(year)
    kings_day = date(year, 4, 27)
    if kings_day.weekday() == 6:
        kings_day = date(year, 4, 26)
    return frozenset(
        {
            date(year, 1, 1),
            easter_sunday + timedelta(days=1),  # Tweede Paasdag
            kings_day,
            date(year, 5, 5),
            easter_sunday + timedelta(days=39),  # Hemelvaartsdag
            easter_sunday + timedelta(days=50),  # Tweede Pinksterdag
            date(year, 12, 25),
            date(year, 12, 26),
        }
    )
