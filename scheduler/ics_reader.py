"""Reading an iCalendar file (an Outlook, Google or Apple export, an outside calendar) as
agenda items in the import format, so that `.ics` files go through the same checks,
all-or-nothing transaction and line-numbered errors as YAML and CSV.

The aim is the occurrences the reference readers (recurring-ical-events, Mozilla ical.js)
see. icalendar parses the file and resolves time zones (IANA names, Outlook's Windows names,
VTIMEZONE components; a custom VTIMEZONE is matched to an IANA zone by `ics_zones`), and
`ics_series` reshapes what an item cannot hold as such. Each VEVENT becomes an item keyed by
its UID (the copy with the highest SEQUENCE when a UID repeats); the VEVENTs with a
RECURRENCE-ID become its moved or cancelled occurrences. An item's zone is its DTSTART's zone;
a floating time takes the calendar's X-WR-TIMEZONE, else the service's zone, and so does a
UTC time, except in a series of a calendar without X-WR-TIMEZONE: that one repeats in UTC.

Every field the calendar owns is given, also when empty, so that importing a newer version
of the file (or syncing an outside calendar) clears what the calendar no longer says.
Anything a reader cannot make sense of is refused as `file:line: what`, never a crash.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import partial
from itertools import islice, takewhile
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rrulestr
from icalendar.error import GloballyUniqueTZIDGuessed
from icalendar.prop.broken import vBroken
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from scheduler import clock, ics_series, ics_zones
from scheduler.errors import ImportFileError, ImportRejected, Problem, ValidationError
from scheduler.ics_series import Moment, Series, key
from scheduler.occurrences import normalize_rrule

_UID = re.compile(r"[A-Za-z0-9._@:+-]+")
# Which VEVENT property a field of the import format comes from (for line numbers).
_FIELD_OF = {
    "UID": "uid", "SUMMARY": "title", "DTSTART": "start", "DTEND": "end", "DURATION": "end",
    "RRULE": "rrule", "EXDATE": "exdates", "RDATE": "rdates", "LOCATION": "location",
    "DESCRIPTION": "description", "URL": "online_url", "RECURRENCE-ID": "occurrences",
    "STATUS": "status", "CLASS": "confidentiality",
}  # fmt: skip
_PARSE_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError)
_DAY = timedelta(days=1)
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Options:
    """What the command line adds to every item of the file."""

    kind: str = "meeting"
    themes: tuple[str, ...] = ()
    stakeholders: tuple[str, ...] = ()
    default_zone: str = "Europe/Amsterdam"


@dataclass
class ReadItem:
    """One item of the file, in the import format, with the lines it came from and what the
    reader chose for it that the person importing should know (`notes`)."""

    data: dict[str, Any]
    line: int
    field_lines: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read(text: str, source: str, options: Options) -> list[ReadItem]:
    """The items of an iCalendar text, in file order. ImportFileError if it is not one;
    ImportRejected (every problem, with its line) if an event cannot be read."""
    with warnings.catch_warnings():
        # "/mozilla.org/…/Europe/Berlin" means Europe/Berlin; icalendar warns while guessing.
        warnings.simplefilter("ignore", GloballyUniqueTZIDGuessed)
        calendar = _calendar(text, source)
        return _Reader(source, options, calendar).items(_events(calendar, text, source))


# ---------------------------------------------------------------- the file


def _calendar(text: str, source: str) -> Any:
    try:
        return icalendar.Calendar.from_ical(text)
    except _PARSE_ERRORS as exc:
        line = _line_of_error(text, str(exc))
        where = f"{source}:{line}" if line else source
        said = " ".join(str(exc).split())  # icalendar quotes whole components, lines and all
        said = said if len(said) <= 160 else said[:160] + " …"
        raise ImportFileError(f"{where}: not a valid iCalendar file: {said}") from exc


def _line_of_error(text: str, message: str) -> int | None:
    """Where icalendar's complaint points: the line holding the text it quotes, else the
    first BEGIN/END that does not pair up."""
    lines = text.splitlines()
    quoted = re.findall(r"'([^']{3,})'", message) + re.findall(r"[:\s](\S{3,})$", message)
    for fragment in quoted:
        for number, line in enumerate(lines, start=1):
            if fragment.strip() and fragment.strip() in line:
                return number
    return _unpaired(lines)


def _unpaired(lines: list[str]) -> int | None:
    open_at: list[tuple[str, int]] = []
    closed = False
    for number, line in enumerate(lines, start=1):
        name, _, value = line.partition(":")
        if name.upper() == "BEGIN":
            if not open_at and closed:
                return number  # a second calendar (or component) at the top of the file
            open_at.append((value.strip().upper(), number))
        elif name.upper() == "END":
            if not open_at or open_at[-1][0] != value.strip().upper():
                return number
            open_at.pop()
            closed = not open_at
    return open_at[-1][1] if open_at else None


@dataclass
class _Event:
    """One VEVENT with the lines of its properties."""

    component: Any
    lines: dict[str, list[int]]
    zones: dict[str, _OwnZone]  # the file's own VTIMEZONEs, by TZID (see `_own_zones`)

    @property
    def line(self) -> int:
        return self.lines["BEGIN"][0]

    def field_lines(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for name, numbers in self.lines.items():
            if name in _FIELD_OF:
                found.setdefault(_FIELD_OF[name], numbers[0])
        return found

    def prop(self, name: str) -> Any:
        """The property `name`, or None; refuses one that is broken or given twice."""
        found = self.component.get(name)
        if isinstance(found, list):
            if len({_ical(p) for p in found}) > 1:
                at = " and ".join(str(n) for n in self.lines.get(name, []))
                raise ValidationError(
                    f"{name} is given {len(found)} times (lines {at}) with different values; "
                    "keep one",
                    field=_FIELD_OF.get(name),
                )
            found = found[0]
        return _readable(name, found)

    def props(self, name: str) -> list[Any]:
        """Every property `name` (RRULE, RDATE, EXDATE may repeat)."""
        found = self.component.get(name)
        values = found if isinstance(found, list) else [] if found is None else [found]
        return [_readable(name, value) for value in values]

    def text(self, name: str) -> str:
        value = self.component.get(name)
        return str(value[0] if isinstance(value, list) else value or "")

    def moment(self, name: str) -> date | datetime | None:
        prop = self.prop(name)
        return None if prop is None else self.own(prop, _moment(prop, name))

    def values(self, prop: Any) -> list[Any]:
        """The values of an RDATE or EXDATE property (days, times or periods), as declared."""
        found = [_declared(prop, value.dt) for value in prop.dts]
        return [
            tuple(self.own(prop, part) for part in value)
            if isinstance(value, tuple)
            else self.own(prop, value)
            for value in found
        ]

    def own(self, prop: Any, value: Any) -> Any:
        """A time in a zone the file defines itself, in that definition."""
        tzid = str(prop.params.get("TZID", ""))
        if isinstance(value, datetime) and value.tzinfo is not None and tzid in self.zones:
            return value.replace(tzinfo=self.zones[tzid].tz)
        return value

    def definition(self, zone: tzinfo) -> ics_zones.Definition | None:
        return next((own.definition for own in self.zones.values() if own.tz is zone), None)


def _ical(prop: Any) -> bytes:
    written = prop.to_ical()
    return written if isinstance(written, bytes) else str(written).encode()


def _readable(name: str, prop: Any) -> Any:
    if isinstance(prop, vBroken):
        raise ValidationError(
            f"{name} {str(prop)!r} cannot be read: {prop.parse_error}", field=_FIELD_OF.get(name)
        )
    return prop


def _moment(prop: Any, name: str) -> date | datetime:
    value = _declared(prop, prop.dt)
    if isinstance(value, date):
        return value
    raise ValidationError(f"{name} is not a date or date and time", field=_FIELD_OF.get(name))


def _declared(prop: Any, value: Any) -> Any:
    """The value as its VALUE parameter declares it: icalendar reads
    `DTSTART;TZID=Europe/Berlin;VALUE=DATE:20180702` as a midnight, ical.js as the day."""
    if isinstance(value, datetime) and str(prop.params.get("VALUE", "")).upper() == "DATE":
        return value.date()
    return value


def _events(calendar: Any, text: str, source: str) -> list[_Event]:
    lines = _vevent_lines(text)
    components: list[Any] = list(calendar.walk("VEVENT"))
    if len(lines) != len(components):
        raise ImportFileError(f"{source}: its VEVENTs cannot be told apart; is it one calendar?")
    zones = _own_zones(calendar)
    return [_Event(c, found, zones) for c, found in zip(components, lines, strict=True)]


@dataclass(frozen=True)
class _OwnZone:
    tz: tzinfo
    definition: ics_zones.Definition


def _own_zones(calendar: Any) -> dict[str, _OwnZone]:
    """The file's VTIMEZONEs that are no IANA or Windows zone, each read from this file:
    icalendar keeps the first definition of a TZID for the whole process, and Outlook calls
    every custom zone "Customized Time Zone", whatever its rules."""
    zones: dict[str, _OwnZone] = {}
    for component in calendar.walk("VTIMEZONE"):
        tzid = str(component.get("TZID", ""))
        if tzid and _zone_named(tzid) is None:
            with contextlib.suppress(*_PARSE_ERRORS):
                own = component.to_tz(lookup_tzid=False)
                zones[tzid] = _OwnZone(own, ics_zones.Definition.of(component))
    return zones


def _vevent_lines(text: str) -> list[dict[str, list[int]]]:
    """Per VEVENT, in order: the line of its BEGIN and the lines of each property."""
    found: list[dict[str, list[int]]] = []
    current: dict[str, list[int]] | None = None
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line[0] in " \t":
            continue  # a folded continuation
        name = re.split(r"[;:]", line, maxsplit=1)[0].upper()
        value = line.split(":", 1)[-1].strip().upper()
        if name == "BEGIN" and value == "VEVENT":
            current, depth = {"BEGIN": [number]}, 0
        elif current is not None and name == "BEGIN":
            depth += 1  # a VALARM inside the event
        elif current is not None and name == "END" and value == "VEVENT" and depth == 0:
            found.append(current)
            current = None
        elif current is not None and name == "END":
            depth -= 1
        elif current is not None and depth == 0:
            current.setdefault(name, []).append(number)
    return found


# ---------------------------------------------------------------- reading the events


@dataclass
class _Override:
    """A RECURRENCE-ID event, with its recurrence id placed in its series' zone."""

    event: _Event
    rid: Moment


@dataclass
class _Piece:
    """An item in the making: a series, its changed occurrences (by recurrence id), the
    event it speaks for, and how that event's times go into the item's zone."""

    uid: str
    event: _Event
    series: Series
    place: _Place
    changes: dict[Moment, dict[str, Any]] = field(default_factory=dict)


Build = Callable[[], list[_Piece]]


class _Reader:
    def __init__(self, source: str, options: Options, calendar: Any) -> None:
        self.source = source
        self.options = options
        x_wr = calendar.get("X-WR-TIMEZONE")
        x_wr_name = str(x_wr[0] if isinstance(x_wr, list) else x_wr or "").strip()
        self.x_wr = _zone_named(x_wr_name)
        self.fallback = self.x_wr or clock.zone(options.default_zone)
        self.problems: list[Problem] = []
        self.found: list[ReadItem] = []
        self.matched: dict[tzinfo, tuple[str]] = {}

    def items(self, events: list[_Event]) -> list[ReadItem]:
        masters, overrides, notes = _grouped(events, self.source)
        for uid, event in masters.items():
            self._guarded(event, partial(self._series_items, uid, event, overrides.pop(uid, [])))
        for uid, orphans in overrides.items():
            for orphan in orphans:
                self._guarded(orphan, partial(self._orphan, uid, orphan))
        if self.problems:
            raise ImportRejected(self.problems)
        for item in self.found:
            item.notes += notes.get(item.data["uid"], [])
        return self.found

    def _guarded(self, event: _Event, build: Build) -> None:
        """Read one event into items; a problem is kept, with its line, to report them all."""
        try:
            pieces = build()
        except ValidationError as exc:
            self._problem(event, exc.field or "start", exc.message)
        except (ValueError, TypeError, OverflowError) as exc:
            # What a reader library raises on values beyond what we check (a year 1, a rule
            # dateutil cannot expand): still the file's problem, told with the event's line.
            self._problem(event, "", f"the event cannot be read: {exc}")
        else:
            self.found += [self._read_item(piece) for piece in pieces]

    def _problem(self, event: _Event, name: str, message: str) -> None:
        """A problem at the line of the property behind field `name`, else the event's."""
        line = event.field_lines().get(name.split(".")[0], event.line)
        where = f"items[{len(self.found)}]" + (f".{name}" if name else "")
        self.problems.append(Problem(self.source, line, where, message))

    # ------------------------------------------------------------ series

    def _series_items(self, uid: str, event: _Event, overrides: list[_Event]) -> list[_Piece]:
        piece, periods = self._series(uid, event)
        placed = [self._placed(o, piece) for o in overrides]
        ranges = sorted((c for c in placed if _this_and_future(c.event)), key=lambda c: key(c.rid))
        extra: list[_Piece] = []
        for change in sorted((c for c in placed if c not in ranges), key=lambda c: key(c.rid)):
            extra += self._change(piece, change)
        for rid, end in periods.items():
            _period(piece, rid, end)
        pieces = self._split(piece, ranges) if ranges else [piece]
        for part in pieces:
            part.series = ics_series.anchored(part.series)
        return pieces + extra

    def _series(self, uid: str, event: _Event) -> tuple[_Piece, dict[Moment, Moment]]:
        start_value = event.moment("DTSTART")
        if start_value is None:
            raise ValidationError(
                "the event has no DTSTART, so it has no time in the agenda", field="start"
            )
        recurring = bool(event.props("RRULE") or event.props("RDATE"))
        place = self._place_for(start_value, recurring, event)
        start = place(start_value)
        all_day = not isinstance(start, datetime)
        floating = isinstance(start_value, datetime) and start_value.tzinfo is None
        rules = [_rule_text(p, place.zone, all_day, floating) for p in event.props("RRULE")]
        rdates, periods = _rdates(event, place, all_day)
        series = Series(place.zone, start, _length(event, start, place), rules, rdates)
        series = ics_series.single_rule(series)
        exdates = [place(value) for p in event.props("EXDATE") for value in event.values(p)]
        series.exdates = ics_series.resolved_exdates(series, exdates)
        excluded = _keys(series.exdates)
        kept = {rid: end for rid, end in periods.items() if key(rid) not in excluded}
        return _Piece(uid, event, series, place), kept

    def _place_for(self, start: date | datetime, recurring: bool, event: _Event) -> _Place:
        """The item's zone, from its DTSTART, and how to put the event's times in it."""
        zone_of = getattr(start, "tzinfo", None)
        if not isinstance(start, datetime) or zone_of is None:
            return _Place(self.fallback, ())  # all-day or floating: the calendar's own zone
        if zone_of is UTC or (isinstance(zone_of, ZoneInfo) and zone_of.key == "UTC"):
            # A series in UTC: the readers repeat it in UTC, unless X-WR-TIMEZONE says more.
            zone = self.x_wr or (clock.zone("UTC") if recurring else self.fallback)
            return _Place(zone, ())
        if isinstance(zone_of, ZoneInfo):
            same = ics_zones.same_clock(zone_of, self.fallback)
            return _Place(self.fallback if same else zone_of, (zone_of,))
        return self._custom_zone(zone_of, start, recurring, event)

    def _custom_zone(
        self, custom: tzinfo, start: datetime, recurring: bool, event: _Event
    ) -> _Place:
        """A VTIMEZONE of the file's own: the IANA zone that gives the event's wall times the
        same offsets. Failing that, an event whose times all have one offset keeps its
        instants, repeating in UTC if it repeats; a series across the zone's own clock
        changes cannot be held."""
        walls = _walls(start, event)
        # The zone found for the file's other events in this VTIMEZONE most likely fits too.
        preferred = (*self.matched.get(custom, ()), self.fallback.key, "UTC")
        zone = ics_zones.matching_zone(custom, event.definition(custom), walls, preferred)
        if zone is not None:
            self.matched[custom] = (zone.key,)
            return _Place(zone, (custom,))
        if not recurring:
            return _Place(self.fallback, ())
        if len({wall.replace(tzinfo=custom).utcoffset() for wall in walls}) == 1:
            return _Place(clock.zone("UTC"), ())
        tzid = event.prop("DTSTART").params.get("TZID", "?")
        raise ValidationError(
            f"TZID {tzid!r}: no IANA time zone has the offsets of its VTIMEZONE at the "
            f"event's times ({walls[0].year}–{walls[-1].year}), and the series spans its "
            "clock changes; export the calendar with a standard time zone",
            field="start",
        )

    def _placed(self, override: _Event, piece: _Piece) -> _Override:
        value = override.moment("RECURRENCE-ID")
        assert value is not None  # grouped by it
        series = piece.series
        if series.all_day:
            # A whole-day series named by a midnight (Exchange): that day, as written.
            return _Override(override, value.date() if isinstance(value, datetime) else value)
        if not isinstance(value, datetime):
            on_day = ics_series.resolved_exdates(series, [value])
            if not on_day:
                raise ValidationError(
                    f"RECURRENCE-ID {value.isoformat()} is a day without an occurrence",
                    field="occurrences",
                )
            return _Override(override, on_day[0])
        return _Override(override, piece.place(value))

    def _change(self, piece: _Piece, change: _Override) -> list[_Piece]:
        """One occurrence changed: cancelled, moved or retitled; one that changes between
        a whole day and a time becomes an item of its own (an item is one or the other)."""
        series, event, rid = piece.series, change.event, change.rid
        if key(rid) in _keys(series.exdates):
            return []  # excluded: both readers drop the change with it
        if not series.occurs(rid):
            if _stale(event, piece.event):
                return []  # an older copy of a series that no longer has that occurrence
            series.rdates.append(rid)  # recurring-ical-events shows it all the same
        if event.text("STATUS").upper() == "CANCELLED":
            piece.changes[rid] = {"recurrence_id": _text(rid), "cancelled": True}
            return []
        start_value = event.moment("DTSTART") or rid
        if isinstance(start_value, datetime) == series.all_day:
            series.exdates.append(rid)
            return [self._one_off(f"{piece.uid}-{_text(rid)}", event)]
        start = piece.place(start_value)
        end = ics_series.shifted(start, _length(event, start, piece.place))
        entry = {"recurrence_id": _text(rid), "start": _text(start), "end": _end_text(start, end)}
        if _title(event) != _title(piece.event):
            entry["title"] = _title(event)
        if event.component.get("LOCATION") is not None:
            entry["location"] = event.text("LOCATION")
        piece.changes[rid] = entry
        return []

    def _split(self, piece: _Piece, ranges: list[_Override]) -> list[_Piece]:
        """RANGE=THISANDFUTURE: from each such change on, the series moves by the change's
        shift and takes its length and text; an item per stretch, the first keeps the uid."""
        cuts = [r.rid for r in ranges]
        stretches: list[Series | None] = []
        rest = piece.series
        for at in cuts:
            before, rest = ics_series.split(rest, at, timedelta())
            stretches.append(before)
        stretches.append(rest)
        pieces: list[_Piece] = []
        for index, stretch in enumerate(stretches):
            if stretch is None:
                continue
            low = cuts[index - 1] if index else None
            part = _Piece(piece.uid, piece.event, stretch, piece.place)
            shift = timedelta()
            if low is not None:
                part.event = ranges[index - 1].event
                part.uid = piece.uid if not pieces else f"{piece.uid}-{_text(low)}"
                shift = self._shift(piece, ranges[index - 1])
                _, part.series = ics_series.split(stretch, stretch.start, shift)
                start = piece.place(part.event.moment("DTSTART") or low)
                part.series.length = _length(part.event, start, piece.place)
            high = cuts[index] if index < len(cuts) else None
            part.changes = _moved_changes(piece.changes, low, high, shift)
            pieces.append(part)
        return pieces

    def _shift(self, piece: _Piece, change: _Override) -> timedelta:
        moved = piece.place(change.event.moment("DTSTART") or change.rid)
        rid = change.rid
        if isinstance(moved, datetime) and isinstance(rid, datetime):
            return moved.replace(tzinfo=None) - rid.replace(tzinfo=None)
        if not isinstance(moved, datetime) and not isinstance(rid, datetime):
            return moved - rid
        raise ValidationError(
            "RANGE=THISANDFUTURE changes the series between whole days and times",
            field="occurrences",
        )

    # ------------------------------------------------------------ one-offs

    def _orphan(self, uid: str, event: _Event) -> list[_Piece]:
        """A changed occurrence whose series is not in the file: an event of its own."""
        rid = event.moment("RECURRENCE-ID")
        assert rid is not None
        return [self._one_off(f"{uid}-{_text(rid)}", event)]

    def _one_off(self, uid: str, event: _Event) -> _Piece:
        start_value = event.moment("DTSTART")
        if start_value is None:
            raise ValidationError("the event has no DTSTART", field="start")
        place = self._place_for(start_value, False, event)
        start = place(start_value)
        return _Piece(uid, event, Series(place.zone, start, _length(event, start, place)), place)

    # ------------------------------------------------------------ the record

    def _read_item(self, piece: _Piece) -> ReadItem:
        event, series = piece.event, piece.series
        end = ics_series.shifted(series.start, series.length)
        data: dict[str, Any] = {
            "uid": _uid(piece.uid),
            "title": _title(event) or "(zonder titel)",
            "kind": self.options.kind,
            "start": _text(series.start),
            "end": _end_text(series.start, end),
            "timezone": series.zone.key,
            "rrule": series.rules[0] if series.rules else None,
            "rdates": [_text(m) for m in sorted(series.rdates, key=key)],
            "exdates": [_text(m) for m in sorted(series.exdates, key=key)],
            "occurrences": [piece.changes[rid] for rid in sorted(piece.changes, key=key)],
            "location": event.text("LOCATION"),
            "online_url": _web_link(event.text("URL")),
            "description": event.text("DESCRIPTION"),
            "status": _status(event),
            "confidentiality": _confidentiality(event),
            "themes": list(self.options.themes),
            "stakeholders": list(self.options.stakeholders),
        }
        return ReadItem(data, event.line, event.field_lines())


# ---------------------------------------------------------------- grouping by UID


def _grouped(
    events: list[_Event], source: str
) -> tuple[dict[str, _Event], dict[str, list[_Event]], dict[str, list[str]]]:
    """Series by UID and their changed occurrences; of repeated copies the newest (highest
    SEQUENCE, then DTSTAMP or LAST-MODIFIED; the first of equals), with a note saying so."""
    copies: dict[str, list[_Event]] = {}
    changes: dict[tuple[str, bytes], list[_Event]] = {}
    unnamed = Counter[str]()
    for event in events:
        uid = event.text("UID").strip() or _made_uid(event, unnamed)
        rid = event.component.get("RECURRENCE-ID")
        if rid is None:
            copies.setdefault(uid, []).append(event)
        else:  # given twice, it is refused when read (`_Event.prop`)
            written = _ical(rid[0] if isinstance(rid, list) else rid)
            changes.setdefault((uid, written), []).append(event)
    notes: dict[str, list[str]] = {}
    masters = {uid: _newest(source, uid, found, notes, "") for uid, found in copies.items()}
    overrides: dict[str, list[_Event]] = {}
    for (uid, rid), found in changes.items():
        overrides.setdefault(uid, []).append(_newest(source, uid, found, notes, rid.decode()))
    return masters, overrides, notes


def _made_uid(event: _Event, seen: Counter[str]) -> str:
    """An event without UID (Outlook Web App exports): a uid from its start and title, so
    that each is an item and importing the file again finds the same ones."""
    basis = f"{event.text('DTSTART')}|{_title(event)}"
    seen[basis] += 1
    return "ics-" + hashlib.sha256(f"{basis}|{seen[basis]}".encode()).hexdigest()[:32]


def _newest(
    source: str, uid: str, copies: list[_Event], notes: dict[str, list[str]], rid: str
) -> _Event:
    chosen = max(copies, key=_version)
    if len(copies) > 1:
        lines = ", ".join(str(c.line) for c in copies)
        what = f"UID {uid}" + (f" with RECURRENCE-ID {rid}" if rid else "")
        notes.setdefault(_uid(uid), []).append(
            f"{source}:{chosen.line}: {what} appears {len(copies)} times (lines {lines}); "
            f"kept the newest, this one (SEQUENCE {_sequence(chosen)}, DTSTAMP "
            f"{_stamp(chosen, 'DTSTAMP'):%Y-%m-%d %H:%M} UTC)"
        )
    return chosen


def _version(event: _Event) -> tuple[int, datetime]:
    stamps = [_stamp(event, name) for name in ("DTSTAMP", "LAST-MODIFIED")]
    return _sequence(event), max(stamps)


def _sequence(event: _Event) -> int:
    try:
        return int(event.text("SEQUENCE") or 0)
    except ValueError:
        return 0


def _stamp(event: _Event, name: str) -> datetime:
    prop = event.component.get(name)
    value = None if isinstance(prop, vBroken | list) else getattr(prop, "dt", None)
    if not isinstance(value, datetime):
        return _EPOCH
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# ---------------------------------------------------------------- times and zones


@dataclass(frozen=True)
class _Place:
    """Puts an event's times in the item's zone: a time in a zone that keeps the same clock
    keeps its wall time (and with it a time in a DST gap); others keep their instant."""

    zone: ZoneInfo
    same: tuple[tzinfo | None, ...]

    def __call__(self, value: date | datetime) -> Moment:
        if not isinstance(value, datetime):
            return value
        if value.tzinfo is None or value.tzinfo in self.same or value.tzinfo is self.zone:
            return value.replace(tzinfo=self.zone)
        return value.astimezone(self.zone)


def _zone_named(name: str) -> ZoneInfo | None:
    for candidate in (name, WINDOWS_TO_OLSON.get(name, "")):
        if candidate:
            try:
                return clock.zone(candidate)
            except ValidationError:
                continue
    return None


def _walls(start: datetime, event: _Event) -> list[datetime]:
    """The wall times (naive) at which the event occurs, as far as a zone must match: the
    start and end, the rules' occurrences (for a rule without end, until ten years from now)
    and the RDATEs."""
    first = start.replace(tzinfo=None)
    horizon = datetime(max(first.year, clock.now_utc().year) + 10, 12, 31)
    found = {first}
    end = event.moment("DTEND")
    if isinstance(end, datetime) and end.tzinfo is start.tzinfo:
        found.add(end.replace(tzinfo=None))
    for prop in event.props("RRULE"):
        found.update(_rule_walls(_ical(prop).decode(), first, horizon))
    for prop in event.props("RDATE"):
        found.update(wall for value in event.values(prop) if (wall := _naive(value)) is not None)
    return sorted(found)


def _rule_walls(text: str, start: datetime, horizon: datetime) -> list[datetime]:
    """A rule's occurrences, read as wall times (a UTC UNTIL too: it only bounds the list)."""
    try:
        rule = rrulestr(re.sub(r"(UNTIL=\d{8}T\d{6})Z", r"\1", text), dtstart=start)
        return list(islice(takewhile(lambda w: w <= horizon, rule), 5000))
    except (ValueError, TypeError):
        return []  # a broken rule is refused where it is read


def _naive(value: Any) -> datetime | None:
    first = value[0] if isinstance(value, tuple) else value
    return first.replace(tzinfo=None) if isinstance(first, datetime) else None


def _rule_text(prop: Any, zone: ZoneInfo, all_day: bool, floating: bool) -> str:
    """The RRULE in the agenda's form, its UNTIL read as both readers read it."""
    text = _ical(prop).decode()
    if all_day:
        # Google ends whole-day series with a UTC time (UNTIL=20270104T230000Z); the readers
        # compare the days as written, so the series ends on 4 January.
        text = re.sub(r"UNTIL=(\d{8})T\d{6}Z?", r"UNTIL=\1", text)
    elif not floating:
        # RFC 5545 wants UTC here; a local UNTIL with a zoned start is read as UTC by both.
        text = re.sub(r"UNTIL=(\d{8}T\d{6})(?=;|$)", r"UNTIL=\1Z", text)
    return normalize_rrule(text, zone, all_day=all_day)


def _rdates(
    event: _Event, place: _Place, all_day: bool
) -> tuple[list[Moment], dict[Moment, Moment]]:
    """RDATEs, and for each one given as a PERIOD its own end."""
    found: list[Moment] = []
    periods: dict[Moment, Moment] = {}
    for prop in event.props("RDATE"):
        for value in event.values(prop):
            if not isinstance(value, tuple):
                found.append(place(value))
                continue
            begin, until = value
            start = place(begin)
            end = place(until) if isinstance(until, date) else ics_series.shifted(start, until)
            found.append(start)
            periods[start] = end
    if any(isinstance(m, datetime) == all_day for m in found):
        raise ValidationError("RDATE mixes days and times with DTSTART", field="rdates")
    return found, periods


def _period(piece: _Piece, rid: Moment, end: Moment) -> None:
    """An RDATE with its own length: that occurrence, with its end (unless the file
    changes that occurrence itself)."""
    if rid in piece.changes or key(ics_series.shifted(rid, piece.series.length)) == key(end):
        return
    piece.changes[rid] = {
        "recurrence_id": _text(rid),
        "start": _text(rid),
        "end": _end_text(rid, end),
    }


def _length(event: _Event, start: Moment, place: _Place) -> timedelta:
    """DTEND, or DURATION; without either a whole day for a date and no time at all for a
    time, as RFC 5545 and both readers have it (wall-clock length)."""
    end_value = event.moment("DTEND")
    if end_value is None:
        duration = event.prop("DURATION")
        if duration is not None and isinstance(duration.dt, timedelta):
            return (
                max(duration.dt, timedelta()) if isinstance(start, datetime) else _days(duration.dt)
            )
        return timedelta() if isinstance(start, datetime) else _DAY
    end = place(end_value)
    if isinstance(start, datetime):
        if not isinstance(end, datetime):
            end = datetime.combine(end, datetime.min.time(), tzinfo=start.tzinfo)
        length = end.replace(tzinfo=None) - start.replace(tzinfo=None)
        return max(length, timedelta())
    day = end.date() if isinstance(end, datetime) else end
    return _days(day - start)


def _days(length: timedelta) -> timedelta:
    return timedelta(days=max(length.days, 1))


def _stale(change: _Event, series: _Event) -> bool:
    """A change carrying its own recurrence (a whole series copied, as Google does) that is
    older than its series: recurring-ical-events ignores it unless it names an occurrence."""
    rules = any(change.component.get(name) for name in ("RRULE", "RDATE", "EXDATE"))
    return rules and _sequence(change) < _sequence(series)


def _this_and_future(event: _Event) -> bool:
    prop = event.component.get("RECURRENCE-ID")
    return str(getattr(prop, "params", {}).get("RANGE", "")).upper() == "THISANDFUTURE"


def _moved_changes(
    changes: dict[Moment, dict[str, Any]], low: Moment | None, high: Moment | None,
    shift: timedelta,
) -> dict[Moment, dict[str, Any]]:  # fmt: skip
    """The changed occurrences within one stretch of a split series, their recurrence ids
    moved along with it; the change that starts the stretch is the stretch itself."""
    found = {}
    for rid, entry in changes.items():
        if low is not None and key(rid) <= key(low):
            continue
        if high is not None and key(rid) >= key(high):
            continue
        moved = ics_series.shifted(rid, shift)
        found[moved] = entry | {"recurrence_id": _text(moved)}
    return found


def _keys(moments: Iterable[Moment]) -> set[date | datetime]:
    return {key(m) for m in moments}


def _text(moment: Moment) -> str:
    """A day as `2026-12-08`; a time as wall time, with its offset where the wall time alone
    would not say which instant (the repeated hour) or does not exist (a DST gap, read with
    the offset before it, as RFC 5545 says: 02:30 is 03:30 summer time)."""
    if not isinstance(moment, datetime):
        return moment.isoformat()
    wall = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if clock.wall_time_exists(moment) and not clock.wall_time_is_ambiguous(moment):
        return wall
    return wall + moment.isoformat()[19:]


def _end_text(start: Moment, end: Moment) -> str:
    """The end as the import format has it: for a whole-day item its last day."""
    if isinstance(start, datetime):
        return _text(end)
    assert not isinstance(end, datetime)
    return max(end - _DAY, start).isoformat()


# ---------------------------------------------------------------- other fields


def _uid(value: str) -> str:
    """The event's UID as the item's uid; one with other characters (or too long) becomes a
    stable digest of itself, so that importing the file again updates the same items."""
    value = value.strip()
    if _UID.fullmatch(value) and len(value) <= 200:
        return value
    return "ics-" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _title(event: _Event) -> str:
    return " ".join(event.text("SUMMARY").split())


def _web_link(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else ""


def _status(event: _Event) -> str:
    return {"CANCELLED": "cancelled", "CONFIRMED": "confirmed"}.get(
        event.text("STATUS").upper(), "planned"
    )


def _confidentiality(event: _Event) -> str:
    # Outlook marks every event PUBLIC: that must not publish it on the open agenda.
    private = event.text("CLASS").upper() in ("PRIVATE", "CONFIDENTIAL")
    return "confidential" if private else "internal"
