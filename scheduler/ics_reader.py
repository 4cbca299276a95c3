"""Reading an iCalendar file (an Outlook, Google or Apple export) as agenda items in the
import format, so that `.ics` files go through the same checks, all-or-nothing transaction
and line-numbered errors as YAML and CSV.

icalendar parses the file and resolves time zones: IANA names, Outlook's Windows names
("W. Europe Standard Time", via CLDR's mapping) and VTIMEZONE components. Each VEVENT becomes
an item keyed by its UID; the VEVENTs with a RECURRENCE-ID become its moved or cancelled
occurrences. An item's zone is its DTSTART's zone; a UTC or floating time takes the
calendar's X-WR-TIMEZONE, else the service's zone.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from scheduler import clock
from scheduler.errors import ImportFileError, ValidationError

_UID = re.compile(r"[A-Za-z0-9._@:+-]+")
# Which VEVENT property a field of the import format comes from (for line numbers).
_FIELD_OF = {
    "UID": "uid", "SUMMARY": "title", "DTSTART": "start", "DTEND": "end", "DURATION": "end",
    "RRULE": "rrule", "EXDATE": "exdates", "RDATE": "rdates", "LOCATION": "location",
    "DESCRIPTION": "description", "URL": "online_url", "RECURRENCE-ID": "occurrences",
    "STATUS": "status", "CLASS": "confidentiality",
}  # fmt: skip


@dataclass(frozen=True)
class Options:
    """What the command line adds to every item of the file."""

    kind: str = "meeting"
    themes: tuple[str, ...] = ()
    stakeholders: tuple[str, ...] = ()
    default_zone: str = "Europe/Amsterdam"


@dataclass
class ReadItem:
    """One item of the file, in the import format, with the lines it came from."""

    data: dict[str, Any]
    line: int
    field_lines: dict[str, int] = field(default_factory=dict)


def read(text: str, source: str, options: Options) -> list[ReadItem]:
    """The items of an iCalendar text, in file order; ImportFileError if it is not one."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise ImportFileError(f"{source}: not a valid iCalendar file: {exc}") from exc
    fallback = _zone_named(str(calendar.get("X-WR-TIMEZONE", "")), options.default_zone)
    lines = _vevent_lines(text)
    events: list[Any] = list(calendar.walk("VEVENT"))
    if len(lines) != len(events):
        raise ImportFileError(f"{source}: its VEVENTs cannot be told apart; is it one calendar?")
    masters: dict[str, ReadItem] = {}
    overrides: list[tuple[Any, dict[str, int]]] = []
    for event, field_lines in zip(events, lines, strict=True):
        if event.get("RECURRENCE-ID") is not None:
            overrides.append((event, field_lines))
            continue
        item = _item(event, field_lines, options, fallback)
        masters.setdefault(item.data["uid"], item)
    for event, field_lines in overrides:
        _attach(event, field_lines, masters, fallback, options)
    return list(masters.values())


# ---------------------------------------------------------------- one event


def _item(
    event: Any, field_lines: dict[str, int], options: Options, fallback: ZoneInfo
) -> ReadItem:
    zone = _zone_of(event.get("DTSTART"), fallback)
    start = _wall(event.get("DTSTART"), zone, "start")
    data: dict[str, Any] = {
        "uid": _uid(str(event.get("UID", ""))),
        "title": " ".join(str(event.get("SUMMARY", "")).split()) or "(zonder titel)",
        "kind": options.kind,
        "start": start,
        "end": _end(event, zone, start),
        "timezone": zone.key,
        "location": str(event.get("LOCATION", "")),
        "description": str(event.get("DESCRIPTION", "")),
        "status": _status(event),
        "confidentiality": _confidentiality(event),
        "themes": list(options.themes),
        "stakeholders": list(options.stakeholders),
        "occurrences": [],
    }
    url = str(event.get("URL", ""))
    if url.startswith(("https://", "http://")):
        data["online_url"] = url
    if event.get("RRULE") is not None:
        data["rrule"] = _text(event["RRULE"])
    data["exdates"] = _moments(event.get("EXDATE"), zone)
    data["rdates"] = _moments(event.get("RDATE"), zone)
    return ReadItem(data, field_lines.get("BEGIN", 0), _field_lines(field_lines))


def _attach(
    event: Any, field_lines: dict[str, int], masters: dict[str, ReadItem],
    fallback: ZoneInfo, options: Options,
) -> None:  # fmt: skip
    """A RECURRENCE-ID event: one occurrence of its series moved, changed or cancelled. One
    whose series is not in the file stands alone, as a one-off item."""
    uid = _uid(str(event.get("UID", "")))
    master = masters.get(uid)
    if master is None:
        single = _item(event, field_lines, options, fallback)
        single.data["uid"] = _uid(f"{uid}-{_text(event['RECURRENCE-ID'])}")
        masters[single.data["uid"]] = single
        return
    zone = ZoneInfo(master.data["timezone"])
    entry: dict[str, Any] = {"recurrence_id": _wall(event["RECURRENCE-ID"], zone, "occurrences")}
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        entry["cancelled"] = True
    else:
        entry["start"] = _wall(event.get("DTSTART"), zone, "occurrences")
        entry["end"] = _end(event, zone, entry["start"])
        title = " ".join(str(event.get("SUMMARY", "")).split())
        if title and title != master.data["title"]:
            entry["title"] = title
        if event.get("LOCATION") is not None:
            entry["location"] = str(event["LOCATION"])
    master.data["occurrences"].append(entry)
    master.field_lines.setdefault("occurrences", field_lines.get("BEGIN", 0))


def _uid(value: str) -> str:
    """The event's UID as the item's uid; one with other characters (or too long) becomes a
    stable digest of itself, so that importing the file again updates the same items."""
    value = value.strip()
    if _UID.fullmatch(value) and len(value) <= 200:
        return value
    return "ics-" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _status(event: Any) -> str:
    return {"CANCELLED": "cancelled", "CONFIRMED": "confirmed"}.get(
        str(event.get("STATUS", "")).upper(), "planned"
    )


def _confidentiality(event: Any) -> str:
    # Outlook marks every event PUBLIC: that must not publish it on the open agenda.
    private = str(event.get("CLASS", "")).upper() in ("PRIVATE", "CONFIDENTIAL")
    return "confidential" if private else "internal"


# ---------------------------------------------------------------- times and zones


def _zone_named(name: str, default: str) -> ZoneInfo:
    for candidate in (name.strip(), WINDOWS_TO_OLSON.get(name.strip(), ""), default):
        if candidate:
            try:
                return clock.zone(candidate)
            except ValidationError:
                continue
    return clock.zone(default)


def _zone_of(prop: Any, fallback: ZoneInfo) -> ZoneInfo:
    """The IANA zone of a DTSTART: its own when icalendar resolved one, else the TZID's
    Windows or IANA name, else `fallback` (UTC and floating times, unknown custom zones)."""
    moment = getattr(prop, "dt", None)
    zone: tzinfo | None = getattr(moment, "tzinfo", None)
    if isinstance(zone, ZoneInfo) and zone.key != "UTC":
        return fallback if _same_clock(zone, fallback) else zone
    tzid = str(prop.params.get("TZID", "")) if prop is not None else ""
    found = _zone_named(tzid, fallback.key) if tzid else fallback
    return fallback if _same_clock(found, fallback) else found


def _same_clock(zone: ZoneInfo, home: ZoneInfo) -> bool:
    """Whether two zones keep the same time in the years around now: Outlook's "W. Europe
    Standard Time" comes out as Europe/Berlin (CLDR's choice), which here means Amsterdam."""
    if zone.key == home.key:
        return True
    year = datetime.now(UTC).year
    samples = [datetime(y, m, 15, 12, tzinfo=UTC) for y in (year - 1, year, year + 1, year + 2)
               for m in range(1, 13)]  # fmt: skip
    samples += [
        datetime(y, 3, d, 1, 30, tzinfo=UTC) for y in (year, year + 1) for d in range(24, 32)
    ]
    samples += [
        datetime(y, 10, d, 0, 30, tzinfo=UTC) for y in (year, year + 1) for d in range(24, 32)
    ]
    return all(s.astimezone(zone).utcoffset() == s.astimezone(home).utcoffset() for s in samples)


def _wall(prop: Any, zone: ZoneInfo, field_name: str) -> str:
    """A DATE as `2026-12-08`; a DATE-TIME as wall time in `zone`."""
    moment = getattr(prop, "dt", None)
    if isinstance(moment, datetime):
        local = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
        return local.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(moment, date):
        return moment.isoformat()
    raise ValidationError("has no DTSTART (or RECURRENCE-ID) date", field=field_name)


def _text(prop: Any) -> str:
    """A property's value as the file writes it (RRULE, RECURRENCE-ID)."""
    written = prop.to_ical()
    return written.decode() if isinstance(written, bytes) else str(written)


def _end(event: Any, zone: ZoneInfo, start: str) -> str | None:
    """DTEND, or DTSTART plus DURATION; for all-day events the last day (DTEND is exclusive)."""
    moment: Any = getattr(event.get("DTEND"), "dt", None)
    if moment is None and event.get("DURATION") is not None:
        begin: Any = getattr(event["DTSTART"], "dt", None)
        moment = begin + getattr(event["DURATION"], "dt", timedelta())
    if moment is None:
        return None
    if len(start) == 10:  # all-day
        day = moment if not isinstance(moment, datetime) else moment.date()
        return (day - timedelta(days=1)).isoformat() if day > date.fromisoformat(start) else start
    return _wall(_Value(moment), zone, "end")


@dataclass(frozen=True)
class _Value:
    dt: date | datetime


def _moments(props: Any, zone: ZoneInfo) -> list[str]:
    """EXDATE or RDATE values (one property or several, each with one or more values)."""
    if props is None:
        return []
    found: list[str] = []
    for prop in props if isinstance(props, list) else [props]:
        for value in getattr(prop, "dts", []):
            if isinstance(value.dt, tuple):  # an RDATE period: its start
                found.append(_wall(_Value(value.dt[0]), zone, "rdates"))
            else:
                found.append(_wall(value, zone, "exdates"))
    return found


# ---------------------------------------------------------------- line numbers


def _vevent_lines(text: str) -> list[dict[str, int]]:
    """Per VEVENT, in order: the line of its BEGIN and of each property's first line."""
    found: list[dict[str, int]] = []
    current: dict[str, int] | None = None
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line[0] in " \t":
            continue  # a folded continuation
        name = re.split(r"[;:]", line, maxsplit=1)[0].upper()
        value = line.split(":", 1)[-1].strip().upper()
        if name == "BEGIN" and value == "VEVENT":
            current = {"BEGIN": number}
            depth = 0
        elif current is not None and name == "BEGIN":
            depth += 1  # a VALARM inside the event
        elif current is not None and name == "END" and value == "VEVENT" and depth == 0:
            found.append(current)
            current = None
        elif current is not None and name == "END":
            depth -= 1
        elif current is not None and depth == 0:
            current.setdefault(name, number)
    return found


def _field_lines(properties: dict[str, int]) -> dict[str, int]:
    lines: dict[str, int] = {}
    for name, number in properties.items():
        if name in _FIELD_OF:
            lines.setdefault(_FIELD_OF[name], number)
    return lines
