"""The one occurrence engine: expands agenda items into occurrences within a window.

Recurrence (RRULE, RDATE, EXDATE) is evaluated by python-dateutil in the item's own zone,
so a 10:00 meeting stays at 10:00 wall-clock time across DST changes. Moved and cancelled
single occurrences (RECURRENCE-ID overrides) are applied on top. Feeds, CLI, reminders,
digests and pages all call `expand` / `occurrences_between`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from scheduler import clock, vtimezone
from scheduler.errors import ValidationError
from scheduler.models import AgendaItem, ItemStatus, OccurrenceOverride

RRULE_PARTS = frozenset(
    {
        "FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY",
        "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
    }
)  # fmt: skip
# An item occurs at most once a day (its time is its start); series are bounded so that
# expanding one stays cheap.
TIME_OF_DAY_PARTS = frozenset({"BYHOUR", "BYMINUTE", "BYSECOND"})
MAX_COUNT = 1000
LAST_UNTIL_YEAR = 2100
# An agenda repeats at most daily; finer rules would flood every feed and reminder.
ALLOWED_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
_DAY = timedelta(days=1)
_UNTIL = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")


@dataclass(frozen=True)
class Occurrence:
    """One concrete occurrence of an item; instants in UTC."""

    item: AgendaItem
    recurrence_id: datetime | None  # the original start; None for a one-off item
    start: datetime
    end: datetime
    title: str
    location: str
    cancelled: bool = False
    moved: bool = False

    @property
    def all_day(self) -> bool:
        return self.item.all_day

    @property
    def zone(self) -> ZoneInfo:
        return clock.zone(self.item.timezone)


def normalize_rrule(text: str, tz: ZoneInfo, *, all_day: bool = False, field: str = "rrule") -> str:
    """Check an RRULE and return it in canonical form, as RFC 5545 wants it written.

    Raises ValidationError quoting the offending part. A local UNTIL (date or wall time)
    is read in `tz`; a date means "until the end of that day". UNTIL is stored in UTC for
    timed items and as a date for all-day items (their DTSTART is a date).
    """
    body = text.strip().removeprefix("RRULE:").strip().rstrip(";")
    if not body:
        raise ValidationError("RRULE is empty", field=field, key="rrule_empty")
    parts: dict[str, str] = {}
    written: dict[str, str] = {}  # as the user wrote each part, for quoting in messages
    for part in body.split(";"):
        name, sep, value = part.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip():
            raise ValidationError(
                f"RRULE part {part!r} is not NAME=VALUE", field=field, key="rrule_part",
                params={"part": part},
            )  # fmt: skip
        if name not in RRULE_PARTS:
            raise ValidationError(
                f"RRULE part {part!r}: unknown name {name!r}", field=field, key="rrule_part",
                params={"part": part},
            )  # fmt: skip
        if name in TIME_OF_DAY_PARTS:
            raise ValidationError(
                f"RRULE part {part!r}: an item repeats at most daily, at the time of its start",
                field=field, key="rrule_daily",
            )  # fmt: skip
        if name in parts:
            raise ValidationError(
                f"RRULE part {part!r} is given twice", field=field, key="rrule_part",
                params={"part": part},
            )  # fmt: skip
        parts[name] = value.strip().upper()
        written[name] = part.strip()
    _check_frequency(parts, field)
    if "UNTIL" in parts:
        parts["UNTIL"] = _until_in_utc(parts["UNTIL"], tz, field)
        if int(parts["UNTIL"][:4]) > LAST_UNTIL_YEAR:
            raise ValidationError(
                f"RRULE part {written['UNTIL']!r}: end the series by {LAST_UNTIL_YEAR} "
                "or leave UNTIL out",
                field=field, key="rrule_until_year", params={"year": LAST_UNTIL_YEAR},
            )  # fmt: skip
    if parts.get("COUNT", "").isdigit() and int(parts["COUNT"]) > MAX_COUNT:
        raise ValidationError(
            f"RRULE part {written['COUNT']!r}: at most {MAX_COUNT} occurrences; "
            "leave COUNT out for a series without end",
            field=field, key="rrule_count", params={"count": MAX_COUNT},
        )  # fmt: skip
    if "UNTIL" in parts and "COUNT" in parts:
        raise ValidationError(
            "RRULE has both COUNT and UNTIL; keep one", field=field, key="rrule_count_and_until"
        )
    for name, value in parts.items():
        if name not in ("FREQ", "UNTIL"):
            _try_rule(f"FREQ={parts['FREQ']};{name}={value}", written[name], field)
    canonical = ";".join(f"{name}={value}" for name, value in parts.items())
    _try_rule(canonical, canonical, field)
    if all_day and "UNTIL" in parts:
        until = datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        parts["UNTIL"] = until.astimezone(tz).strftime("%Y%m%d")
        canonical = ";".join(f"{name}={value}" for name, value in parts.items())
    return canonical


def _check_frequency(parts: dict[str, str], field: str) -> None:
    if "FREQ" not in parts:
        raise ValidationError(
            "RRULE needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY)", field=field, key="rrule_freq"
        )
    if parts["FREQ"] not in ALLOWED_FREQUENCIES:
        raise ValidationError(
            f"RRULE part 'FREQ={parts['FREQ']}': use DAILY, WEEKLY, MONTHLY or YEARLY",
            field=field, key="rrule_freq",
        )  # fmt: skip


def _until_in_utc(value: str, tz: ZoneInfo, field: str) -> str:
    match = _UNTIL.match(value)
    if not match:
        raise ValidationError(
            f"RRULE part 'UNTIL={value}': write a date (20271231) or a time (20271231T120000Z)",
            field=field, key="rrule_part", params={"part": f"UNTIL={value}"},
        )  # fmt: skip
    day, hms, zulu = match.groups()
    try:
        if zulu:
            moment = datetime.strptime(day + hms, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        elif hms:
            moment = datetime.strptime(day + hms, "%Y%m%d%H%M%S").replace(tzinfo=tz)
        else:
            moment = datetime.strptime(day + "235959", "%Y%m%d%H%M%S").replace(tzinfo=tz)
    except ValueError as exc:
        raise ValidationError(
            f"RRULE part 'UNTIL={value}': {exc}", field=field, key="rrule_part",
            params={"part": f"UNTIL={value}"},
        ) from exc  # fmt: skip
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _try_rule(rule_text: str, quoted: str, field: str) -> None:
    try:
        rrulestr(rule_text, dtstart=datetime(2026, 1, 1, tzinfo=UTC))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValidationError(
            f"RRULE part {quoted!r} does not parse: {exc}", field=field, key="rrule_part",
            params={"part": quoted},
        ) from exc  # fmt: skip


def _rule(rule_text: str, dtstart: datetime) -> rrule:
    """The dateutil rule of a series starting at `dtstart` (aware, in the item's zone)."""
    assert isinstance(dtstart.tzinfo, ZoneInfo)
    return _cached_rule(rule_text, dtstart.replace(tzinfo=None, fold=0), dtstart.tzinfo.key)


@lru_cache(maxsize=4096)
def _cached_rule(rule_text: str, wall: datetime, zone_name: str) -> rrule:
    """Keyed by wall time and zone name: aware datetimes at the same instant compare equal
    whatever their zone, so an aware key would hand one zone's rule to another.

    A date UNTIL (all-day items) becomes the end of that local day."""
    tz = clock.zone(zone_name)
    if match := re.search(r"UNTIL=(\d{8})(?=;|$)", rule_text):
        until = _until_in_utc(match[1], tz, "rrule")
        rule_text = rule_text.replace(match[0], f"UNTIL={until}")
    parsed = rrulestr(rule_text, dtstart=wall.replace(tzinfo=tz))
    assert isinstance(parsed, rrule)  # one RRULE line, never a set
    return parsed


def first_rule_start(item: AgendaItem) -> datetime | None:
    """The rule's first occurrence (UTC) when the item's start is not one of them, else None.

    RFC 5545 leaves a series whose DTSTART is off its rule undefined, and calendar clients
    disagree about it (whether it counts towards COUNT): the agenda refuses such series.
    """
    if not item.rrule:
        return None
    tz = clock.zone(item.timezone)
    local_start = item.starts_at.astimezone(tz)
    first = _rule(item.rrule, local_start).after(local_start, inc=True)
    if first is None:
        raise ValidationError(
            f"{item.rrule} has no occurrence on or after the start", field="rrule",
            key="rrule_no_occurrence",
        )  # fmt: skip
    if _localize(first.replace(tzinfo=None), tz) == item.starts_at:
        return None
    return _localize(first.replace(tzinfo=None), tz)


def _localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """Attach `tz` to a wall time, RFC 5545 style: the earlier of an ambiguous pair, and a
    time inside a DST gap read with the offset before the gap (02:30 becomes 03:30)."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def is_recurring(item: AgendaItem) -> bool:
    return bool(item.rrule or item.rdates)


def original_starts(
    item: AgendaItem, start: datetime, end: datetime, *, honour_exdates: bool = True
) -> list[datetime]:
    """Recurrence ids (UTC) of the item's generated starts in [start, end), EXDATEs removed."""
    tz = clock.zone(item.timezone)
    first = item.starts_at.astimezone(tz)
    candidates: set[datetime] = set()
    if not is_recurring(item):
        candidates.add(item.starts_at)
    else:
        candidates.add(item.starts_at)
        if item.rrule:
            rule = _rule(item.rrule, first)
            # A wall time in a gap (02:30 in March) becomes a later instant (03:30): ask the
            # rule a day wider on both sides, then keep what lies in the window.
            after, before = (start - _DAY).astimezone(tz), (end + _DAY).astimezone(tz)
            candidates.update(
                _localize(w.replace(tzinfo=None), tz) for w in rule.between(after, before, inc=True)
            )
        candidates.update(item.rdates)
    excluded = set(item.exdates) if honour_exdates else set()
    return sorted(m for m in candidates if start <= m < end and m not in excluded)


def is_original_start(item: AgendaItem, moment: datetime, *, honour_exdates: bool = True) -> bool:
    """Whether `moment` (UTC) is one of the item's generated occurrence starts."""
    window = original_starts(
        item, moment, moment + timedelta(seconds=1), honour_exdates=honour_exdates
    )
    return moment in window


def _wall_duration(item: AgendaItem) -> timedelta:
    tz = clock.zone(item.timezone)
    return item.ends_at.astimezone(tz).replace(tzinfo=None) - item.starts_at.astimezone(tz).replace(
        tzinfo=None
    )


def _occurrence(item: AgendaItem, rid: datetime, override: OccurrenceOverride | None) -> Occurrence:
    tz = clock.zone(item.timezone)
    wall_start = rid.astimezone(tz).replace(tzinfo=None)
    start = rid
    end = _localize(wall_start + _wall_duration(item), tz)
    title, location, moved = item.title, item.location, False
    cancelled = item.status == ItemStatus.CANCELLED
    if override is not None:
        if override.starts_at is not None:
            start, moved = override.starts_at, True
            end = override.ends_at or start + (end - rid)
        title = override.title or title
        location = override.location if override.location is not None else location
        cancelled = cancelled or override.cancelled
    recurrence_id = rid if is_recurring(item) else None
    return Occurrence(item, recurrence_id, start, end, title, location, cancelled, moved)


def occurrence_with(item: AgendaItem, override: OccurrenceOverride) -> Occurrence:
    """The occurrence that `override` changes, as it is now."""
    return _occurrence(item, override.recurrence_id, override)


def occurrence_of(item: AgendaItem, recurrence_id: datetime | None) -> Occurrence | None:
    """One occurrence as it is now, by its original start (None: a one-off item's only one,
    or a series' first); None if the series no longer has it."""
    overrides = {o.recurrence_id: o for o in item.overrides}
    rid = item.starts_at if recurrence_id is None else clock.as_utc(recurrence_id)
    if rid in set(item.exdates):
        return None
    if rid not in overrides and not is_original_start(item, rid):
        return None
    return _occurrence(item, rid, overrides.get(rid))


def _overlaps(occurrence: Occurrence, start: datetime, end: datetime) -> bool:
    if occurrence.start == occurrence.end:  # a moment, such as a deadline
        return start <= occurrence.start < end
    return occurrence.start < end and occurrence.end > start


def expand(item: AgendaItem, start: datetime, end: datetime) -> list[Occurrence]:
    """The item's occurrences overlapping [start, end), moved and cancelled ones applied, in
    time order (a moved occurrence where it now falls, not where the rule put it).

    Cancelled occurrences are returned marked `cancelled`; callers decide whether to show them.
    """
    start, end = clock.as_utc(start), clock.as_utc(end)
    span = _wall_duration(item) + timedelta(days=1)  # reach back for occurrences still running
    overrides = {o.recurrence_id: o for o in item.overrides}
    rids = set(original_starts(item, start - span, end + timedelta(days=1)))
    # A moved occurrence may land in the window although its original start lies outside.
    rids.update(rid for rid, o in overrides.items() if o.starts_at is not None and rid not in rids)
    excluded = set(item.exdates)
    found = []
    for rid in sorted(rids - excluded):
        occurrence = _occurrence(item, rid, overrides.get(rid))
        if _overlaps(occurrence, start, end):
            found.append(occurrence)
    return sorted(found, key=lambda o: (o.start, o.recurrence_id or o.start))


def occurrences_between(
    items: Iterable[AgendaItem], start: datetime, end: datetime
) -> list[Occurrence]:
    """All occurrences of `items` in [start, end), ordered by start then title."""
    found = [occ for item in items for occ in expand(item, start, end)]
    return sorted(found, key=lambda o: (o.start, o.title, o.item.uid))


def near_clock_changes(item: AgendaItem) -> list[datetime]:
    """Recurrence ids (UTC) of the occurrences whose wall-clock span touches a night the
    clocks change in the item's zone: a start or end that does not exist or happens twice.

    Readers place such wall times differently (RFC 5545 and Python take the first of two
    02:30s, ical.js the second), so feeds spell these occurrences out in UTC.
    """
    if item.all_day or not is_recurring(item):
        return []
    tz = clock.zone(item.timezone)
    length = _wall_duration(item)
    first = item.starts_at.astimezone(tz).replace(tzinfo=None)
    until = last_end(item)
    last_year = min(until.year if until else LAST_UNTIL_YEAR, LAST_UNTIL_YEAR)
    walls = _walls_near_changes(tz.key, first.time(), length, first.year, last_year)
    rids = {_localize(wall, tz) for wall in walls if wall >= first}
    rids |= {
        moment
        for moment in item.rdates
        if _touches_change(moment.astimezone(tz).replace(tzinfo=None), length, tz.key)
    }
    if not rids:
        return []
    generated = set(original_starts(item, min(rids), max(rids) + timedelta(seconds=1)))
    return sorted(rids & generated)


@lru_cache(maxsize=1024)
def _walls_near_changes(
    zone_name: str, time_of_day: time, length: timedelta, first_year: int, last_year: int
) -> tuple[datetime, ...]:
    """Wall starts at `time_of_day` whose span of `length` touches a change of the zone."""
    found = []
    for low, high in vtimezone.change_windows(zone_name, first_year, last_year):
        day = (low - length).date()
        while day <= high.date():
            wall = datetime.combine(day, time_of_day)
            if wall < high and wall + length >= low:
                found.append(wall)
            day += timedelta(days=1)
    return tuple(found)


def _touches_change(wall: datetime, length: timedelta, zone_name: str) -> bool:
    windows = vtimezone.change_windows(zone_name, wall.year - 1, wall.year + 1)
    return any(wall < high and wall + length >= low for low, high in windows)


def last_end(item: AgendaItem) -> datetime | None:
    """When the item's last occurrence ends; None for a series without an end."""
    tz = clock.zone(item.timezone)
    wall_length = _wall_duration(item)

    def end_of(start: datetime) -> datetime:
        return _localize(start.astimezone(tz).replace(tzinfo=None) + wall_length, tz)

    ends = [item.ends_at]
    if item.rrule:
        if "COUNT=" not in item.rrule and "UNTIL=" not in item.rrule:
            return None
        last_start = None
        for last_start in _rule(item.rrule, item.starts_at.astimezone(tz)):  # noqa: B007
            pass  # bounded: COUNT and UNTIL are capped by normalize_rrule
        if last_start is not None:
            ends.append(end_of(last_start))
    ends += [end_of(moment) for moment in item.rdates]
    ends += [o.ends_at or end_of(o.starts_at) for o in item.overrides if o.starts_at is not None]
    return max(ends)
