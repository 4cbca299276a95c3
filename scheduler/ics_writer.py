"""The one iCalendar writer: how an item shows as VEVENTs (per view: full, public, busy), and
the calendar files built from them — feeds (see `feeds`, which selects and caches), the
single occurrence attached to a mail, an item's own download, and the open agenda's list of
contacts. Nothing else in the package builds a VEVENT (tests/test_layout.py checks that).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vDuration, vRecur

from scheduler import __version__, clock
from scheduler.config import Settings
from scheduler.models import AgendaItem, Confidentiality, ItemKind, ItemStatus, OccurrenceOverride
from scheduler.occurrences import Occurrence, near_clock_changes, occurrence_of, occurrence_with
from scheduler.offsets import parse_offset
from scheduler.texts import Lang, label, text
from scheduler.vtimezone import vtimezone

PRODID = f"-//lobby-agenda//lobby-agenda {__version__}//NL"


class View(enum.StrEnum):
    FULL = "full"  # everything: the team's own feeds
    PUBLIC = "public"  # the open agenda: no goals, messages or people
    BUSY = "busy"  # a confidential item seen by an outsider: the time slot only


@dataclass(frozen=True)
class Viewer:
    """Who reads the feed: a person (token feeds) or nobody in particular (public)."""

    person_id: int | None
    language: Lang
    alarms: bool = False


@dataclass(frozen=True)
class FeedOptions:
    domain: str
    base_url: str
    refresh: str
    past_days: int
    retention_days: int
    confidential: Literal["busy", "omit"]
    home_zone: str


def options_from(settings: Settings) -> FeedOptions:
    return FeedOptions(
        domain=settings.calendar_domain,
        base_url=settings.base_url,
        refresh=settings.feed_refresh,
        past_days=settings.feed_past_days,
        retention_days=settings.feed_cancelled_retention_days,
        confidential=settings.feed_confidential,
        home_zone=settings.timezone,
    )


@lru_cache(maxsize=1)
def _publish_head() -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    head: bytes = calendar.to_ical()
    return head.removesuffix(b"END:VCALENDAR\r\n")


def occurrence_calendar(
    item: AgendaItem, occurrence: Occurrence, options: FeedOptions, lang: Lang
) -> bytes:
    """A calendar file with one occurrence, as the feeds show it (same UID): for email."""
    timed_in_a_zone = not item.all_day and item.timezone != "UTC"
    zone = vtimezone(item.timezone, item.starts_at.year) if timed_in_a_zone else b""
    writer = EventWriter(item, View.FULL, Viewer(None, lang), options, frozenset())
    event: bytes = writer.single(occurrence).to_ical()
    return _publish_head() + zone + event + b"END:VCALENDAR\r\n"


def item_calendar(item: AgendaItem, options: FeedOptions, lang: Lang) -> bytes:
    """A calendar file with the whole item as the feeds show it to its owner (same UIDs, its
    recurrence, exceptions and moved occurrences, VTIMEZONEs): the item page's download.
    The caller decides that the reader may see the item in full."""
    named = {options.home_zone} | ({item.timezone} if not item.all_day else set())
    head = zones(named, item.starts_at.year)
    writer = EventWriter(item, View.FULL, Viewer(None, lang), options, frozenset())
    return _publish_head() + head + writer.write() + b"END:VCALENDAR\r\n"


def feed_head(name: str, options: FeedOptions) -> bytes:
    """A feed's VCALENDAR properties, up to its first component."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    # No X-WR-TIMEZONE: every time carries its own zone, and readers that honour that
    # property (Google, recurring-ical-events) re-anchor a UTC series to it.
    calendar.add("x-wr-calname", name)
    refresh = parse_offset(options.refresh).duration or timedelta(hours=1)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))
    head: bytes = calendar.to_ical()
    return head.removesuffix(b"END:VCALENDAR\r\n")


def zones(names: Iterable[str], first_year: int) -> bytes:
    """A VTIMEZONE for each zone named (UTC times need none), from `first_year` on."""
    return b"".join(vtimezone(name, first_year) for name in sorted(set(names) - {"UTC"}))


def all_day_calendar(events: Iterable[tuple[str, date, str, str]], name: str) -> str:
    """A calendar of all-day events, each (uid, day, summary, description): the open agenda's
    list of lobby contacts."""
    calendar = Calendar()
    calendar.add("prodid", f"-//lobby-agenda//{name}//NL")
    calendar.add("version", "2.0")
    for uid, day, summary, description in events:
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", clock.now_utc())
        event.add("dtstart", day)
        event.add("summary", summary)
        event.add("description", description)
        calendar.add_component(event)
    return bytes(calendar.to_ical()).decode()


class EventWriter:
    """Writes one item as VEVENTs: the master (with RRULE) and one per changed occurrence."""

    def __init__(
        self,
        item: AgendaItem,
        view: View,
        viewer: Viewer,
        options: FeedOptions,
        expired: frozenset[datetime],
    ) -> None:
        self.item = item
        self.view = view
        self.lang = viewer.language
        self.alarms = viewer.alarms and view is View.FULL
        self.options = options
        self.expired = expired
        self.tz: ZoneInfo = clock.zone(item.timezone)
        self.stamp = self._stamp()

    def write(self) -> bytes:
        master = self._master()
        parts = [master.to_ical()]
        for override in self.item.overrides:
            if override.recurrence_id not in self.expired:
                parts.append(self._override(override).to_ical())
        changed = {override.recurrence_id for override in self.item.overrides}
        for rid in near_clock_changes(self.item):
            occurrence = occurrence_of(self.item, rid)
            if rid not in changed and occurrence is not None:
                parts.append(self.single(occurrence).to_ical())
        return b"".join(parts)

    # ------------------------------------------------------------ properties

    def _uid(self) -> str:
        """Stable per item; for a busy slot a hash, since a uid may be a telling name."""
        uid = self.item.uid
        if self.view is View.BUSY:
            uid = "busy-" + hashlib.sha256(uid.encode()).hexdigest()[:24]
        return f"{uid}@{self.options.domain}"

    def _moment(self, moment: datetime) -> date | datetime:
        """A day for all-day items; else the wall time in the item's zone, except in an hour
        that happens twice (02:30 on the night summer time ends), where readers disagree
        about which one a TZID means (RFC 5545: the first; ical.js: the second): in UTC."""
        local = moment.astimezone(self.tz)
        if self.item.all_day:
            return local.date()
        return moment.astimezone(UTC) if clock.wall_time_is_ambiguous(local) else local

    def _generated(self, rid: datetime) -> date | datetime:
        """An occurrence's start as the series generates it (RECURRENCE-ID, EXDATE, the
        master's DTSTART): the rule's wall time, even on a night the clocks change, so that
        every reader matches it with its own expansion; an RDATE's as the RDATE is written."""
        if self.item.all_day:
            return self._moment(rid)
        local = rid.astimezone(self.tz)
        wall = datetime.combine(local.date(), self.item.starts_at.astimezone(self.tz).time())
        if wall.replace(tzinfo=self.tz).astimezone(UTC) == rid:
            return wall.replace(tzinfo=self.tz)
        return self._moment(rid)

    def _moments(self, event: Event, name: str, moments: Iterable[datetime]) -> None:
        """RDATE or EXDATE values, one property per kind of value (zone, UTC or date)."""
        groups: dict[bool, list[date | datetime]] = {}
        for moment in sorted(moments):
            value = self._moment(moment) if name == "rdate" else self._generated(moment)
            utc = isinstance(value, datetime) and value.tzinfo is UTC
            groups.setdefault(utc, []).append(value)
        for values in groups.values():
            event.add(name, values)

    def _stamp(self) -> datetime:
        """When the item last changed as clients see it: its last edit, or the day a
        cancelled occurrence past its retention became an EXDATE, whichever is later."""
        home = clock.zone(self.options.home_zone)
        days = timedelta(days=self.options.retention_days + 1)
        expiries = [
            clock.local_midnight(clock.local_date(o.changed_at, home) + days, home)
            for o in self.item.overrides
            if o.recurrence_id in self.expired
        ]
        return max([self.item.updated_at.astimezone(UTC), *expiries])

    def _common(self, event: Event, title: str, cancelled: bool) -> None:
        item = self.item
        event.add("uid", self._uid())
        event.add("dtstamp", self.stamp)
        event.add("last-modified", self.stamp)
        event.add("created", item.created_at.astimezone(UTC))
        # Each expired cancellation changes the master (a new EXDATE): a new sequence.
        event.add("sequence", item.revision + len(self.expired))
        prefix = text("cancelled_prefix", self.lang) + " " if cancelled else ""
        summary = text("busy", self.lang) if self.view is View.BUSY else title
        event.add("summary", prefix + summary)
        event.add("status", "CANCELLED" if cancelled else _ICAL_STATUS[item.status])
        event.add("class", _ICAL_CLASS[item.confidentiality])
        # A busy slot does not tell its kind (a deadline or decision would be transparent).
        transparent = (
            item.kind in (ItemKind.DECISION, ItemKind.DEADLINE) and self.view is not View.BUSY
        )
        event.add("transp", "TRANSPARENT" if transparent else "OPAQUE")
        if self.view is View.BUSY:
            return
        event.add("description", self._description())
        event.add("categories", [t.name for t in item.themes] + [label(item.kind.value, self.lang)])
        if self.view is View.FULL:
            event.add("url", f"{self.options.base_url}/items/{item.uid}")

    def _times(self, event: Event, start: datetime, end: datetime) -> None:
        event.add("dtstart", self._moment(start))
        if end > start:  # a moment (deadline) has no DTEND: RFC 5545 wants DTEND after DTSTART
            event.add("dtend", self._moment(end))

    def _series_times(self, event: Event) -> None:
        """A series' DTSTART as the rule's wall time, and its length as every occurrence
        has it: the wall-clock length (10:00–11:00 stays an hour on the clock).

        Readers add the series' length to each start on the clock, but take it from DTEND
        differently (ical.js in real time, others on the clock): when the first occurrence
        spans a change of the clocks, or ends in an hour that happens twice, the two differ,
        and the length goes as a DURATION.
        Occurrences whose start or end falls on a change are spelled out (`write`)."""
        item = self.item
        if item.all_day:
            self._times(event, item.starts_at, item.ends_at)
            return
        start = self._generated(item.starts_at)
        assert isinstance(start, datetime)
        local_start = item.starts_at.astimezone(self.tz).replace(tzinfo=None)
        length = item.ends_at.astimezone(self.tz).replace(tzinfo=None) - local_start
        end = start + length
        event.add("dtstart", start)
        if not length:
            return
        if length == item.ends_at - item.starts_at and not clock.wall_time_is_ambiguous(end):
            event.add("dtend", end)
        else:
            event.add("duration", length)

    def _location(self, event: Event, location: str) -> None:
        if self.view is not View.BUSY and location:
            event.add("location", location)

    def _description(self) -> str:
        item, lang = self.item, self.lang
        lines = [f"{text('kind', lang)}: {label(item.kind.value, lang)}"]
        if self.view is View.FULL:
            if item.goal:
                lines.append(f"{text('goal', lang)}: {item.goal}")
            if item.message:
                lines.append(f"{text('message', lang)}: {item.message}")
            if item.role:
                lines.append(f"{text('role', lang)}: {label(item.role.value, lang)}")
        if item.themes:
            lines.append(f"{text('themes', lang)}: " + ", ".join(t.name for t in item.themes))
        if item.stakeholders:
            lines.append(
                f"{text('stakeholders', lang)}: " + ", ".join(s.name for s in item.stakeholders)
            )
        if self.view is View.FULL:
            if item.owner:
                lines.append(f"{text('owner', lang)}: {item.owner.name}")
            if item.participants:
                lines.append(
                    f"{text('participants', lang)}: " + ", ".join(p.name for p in item.participants)
                )
            lines.append(f"{text('status', lang)}: {label(item.status.value, lang)}")
            lines.append(f"{text('preparation', lang)}: {self._preparation()}")
        if item.online_url:
            lines.append(f"{text('online', lang)}: {item.online_url}")
        if item.description:
            lines += ["", item.description]
        if self.view is View.FULL:
            lines += ["", f"{text('more', lang)}: {self.options.base_url}/items/{item.uid}"]
        return "\n".join(lines)

    def _preparation(self) -> str:
        missing = [
            label(f"field_{name}", self.lang)
            for name in ("goal", "message")
            if not getattr(self.item, name)
        ]
        if not missing:
            return text("prepared", self.lang)
        return text("unprepared", self.lang, missing=f" {text('and', self.lang)} ".join(missing))

    # ------------------------------------------------------------ components

    def single(self, occurrence: Occurrence) -> Event:
        """One occurrence as its own event: for a recurring item, with its RECURRENCE-ID."""
        event = Event()
        self._common(event, occurrence.title, occurrence.cancelled)
        if occurrence.recurrence_id is not None:
            event.add("recurrence-id", self._generated(occurrence.recurrence_id))
        self._times(event, occurrence.start, occurrence.end)
        self._location(event, occurrence.location)
        return event

    def _master(self) -> Event:
        item = self.item
        event = Event()
        self._common(event, item.title, item.status == ItemStatus.CANCELLED)
        if item.rrule or item.rdates:
            self._series_times(event)
        else:
            self._times(event, item.starts_at, item.ends_at)
        self._location(event, item.location)
        if item.rrule:
            event.add("rrule", vRecur.from_ical(item.rrule))
        # ical.js leaves out DTSTART when a series has RDATEs but no RRULE (RFC 5545 counts
        # it), and ignores the EXDATEs of an event with neither: name DTSTART among the
        # RDATEs as well, which changes nothing for other readers.
        lone_start = not item.rrule and (item.rdates or item.exdates)
        self._moments(event, "rdate", {*item.rdates, *([item.starts_at] if lone_start else [])})
        self._moments(event, "exdate", set(item.exdates) | self.expired)
        if self.alarms:
            for alarm in self._alarms():
                event.add_component(alarm)
        return event

    def _override(self, override: OccurrenceOverride) -> Event:
        item = self.item
        event = Event()
        cancelled = override.cancelled or item.status == ItemStatus.CANCELLED
        self._common(event, override.title or item.title, cancelled)
        event.add("recurrence-id", self._generated(override.recurrence_id))
        occurrence = occurrence_with(item, override)
        self._times(event, occurrence.start, occurrence.end)
        self._location(event, occurrence.location)
        return event

    def _alarms(self) -> Iterable[Alarm]:
        """One display alarm per reminder offset before the start (calendar clients cannot
        express working days or alarms after the event; those stay email reminders)."""
        for offset_text in self.item.reminders:
            offset = parse_offset(offset_text)
            if offset.after or offset.duration is None:
                continue
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", -offset.duration)
            alarm.add("description", f"{text('reminder', self.lang)}: {self.item.title}")
            yield alarm


_ICAL_STATUS = {
    ItemStatus.IDEA: "TENTATIVE",
    ItemStatus.PLANNED: "TENTATIVE",
    ItemStatus.CONFIRMED: "CONFIRMED",
    ItemStatus.DONE: "CONFIRMED",
    ItemStatus.CANCELLED: "CANCELLED",
}
_ICAL_CLASS = {
    Confidentiality.PUBLIC: "PUBLIC",
    Confidentiality.INTERNAL: "PRIVATE",
    Confidentiality.CONFIDENTIAL: "CONFIDENTIAL",
}
