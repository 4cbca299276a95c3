"""iCalendar feeds: which items a feed holds, how each one shows, and the bytes (cached).

Speed by design: the VEVENT text of each item is kept, keyed by everything that shapes it
(its revision, the viewer's view and language, the catalog version, …), and the assembled
bytes of each feed are kept, keyed by the data versions read from the database. An unchanged
feed costs one small query; a change to one item re-serializes only that item.

Stable bytes: nothing in a feed depends on "now" except which items it holds (the past it
covers, cancelled items past their retention), and that moves by whole days.
"""

from __future__ import annotations

import enum
import gzip
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vDuration, vRecur
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from scheduler import __version__, clock
from scheduler.agenda import item_query
from scheduler.config import Settings
from scheduler.db import data_version
from scheduler.models import (
    AgendaItem,
    Confidentiality,
    ItemKind,
    ItemStatus,
    OccurrenceOverride,
    Person,
    Stakeholder,
    Theme,
)
from scheduler.occurrences import is_recurring, last_end
from scheduler.offsets import parse_offset
from scheduler.texts import Lang, label, text

log = logging.getLogger(__name__)

FeedKind = Literal["public", "all", "me", "theme", "stakeholder"]
PRODID = f"-//lobby-agenda//lobby-agenda {__version__}//NL"
_ZONE_YEARS_AHEAD = 5  # open-ended series: VTIMEZONE rules for this many years on


class View(enum.Enum):
    FULL = "full"  # everything: the team's own feeds
    PUBLIC = "public"  # the open agenda: no goals, messages or people
    BUSY = "busy"  # a confidential item seen by an outsider: the time slot only


@dataclass(frozen=True)
class FeedSpec:
    """Which feed: its kind, the theme or stakeholder slug, and optional filters."""

    kind: FeedKind
    slug: str | None = None
    kinds: tuple[ItemKind, ...] = ()
    statuses: tuple[ItemStatus, ...] = ()


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


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    gzipped: bytes
    etag: str
    last_modified: datetime


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


class FeedBuilder:
    """Builds feeds for one process; its caches are safe to share between request threads."""

    def __init__(self, options: FeedOptions, *, events: int = 50_000, feeds: int = 256) -> None:
        self.options = options
        self._events: _Lru[Hashable, bytes] = _Lru(events)
        self._feeds: _Lru[Hashable, RenderedFeed] = _Lru(feeds)
        self._zones: _Lru[Hashable, bytes] = _Lru(64)
        self.stats = {"feed_hits": 0, "feed_builds": 0, "event_renders": 0}

    def feed(self, session: Session, spec: FeedSpec, viewer: Viewer, today: date) -> RenderedFeed:
        """The feed's bytes: from the cache when the data has not changed since."""
        version = data_version(session)
        key = (spec, viewer, version.agenda, version.catalog, today)
        cached = self._feeds.get(key)
        if cached is not None:
            self.stats["feed_hits"] += 1
            return cached
        self.stats["feed_builds"] += 1
        items = self._items(session, spec, viewer, today)
        body = self._assemble(spec, viewer, items, today, version.catalog, session)
        midnight = clock.local_midnight(today, clock.zone(self.options.home_zone))
        rendered = RenderedFeed(
            body=body,
            gzipped=gzip.compress(body, compresslevel=6, mtime=0),
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            last_modified=max(version.changed_at, midnight).replace(microsecond=0),
        )
        self._feeds.put(key, rendered)
        return rendered

    # ------------------------------------------------------------ which items

    def _cutoffs(self, today: date) -> tuple[datetime, datetime]:
        """(start of the past the feed covers, oldest cancellation still shown)."""
        tz = clock.zone(self.options.home_zone)
        past = clock.local_midnight(today - timedelta(days=self.options.past_days), tz)
        retention = clock.local_midnight(today - timedelta(days=self.options.retention_days), tz)
        return past, retention

    def _items(
        self, session: Session, spec: FeedSpec, viewer: Viewer, today: date
    ) -> list[tuple[AgendaItem, View]]:
        past, retention = self._cutoffs(today)
        query = _select(session, spec, viewer).where(
            or_(AgendaItem.rrule.is_not(None), AgendaItem.rdates != [], AgendaItem.ends_at >= past)
        )
        chosen = []
        for item in session.scalars(query.order_by(AgendaItem.uid)):
            if item.status == ItemStatus.CANCELLED and item.updated_at < retention:
                continue  # cancelled long enough ago for every client to have seen it
            if is_recurring(item) and not _still_running(item, past):
                continue
            view = self._view(item, spec, viewer)
            if view is not None:
                chosen.append((item, view))
        return chosen

    def _view(self, item: AgendaItem, spec: FeedSpec, viewer: Viewer) -> View | None:
        if spec.kind == "public":
            return View.PUBLIC
        if item.confidentiality != Confidentiality.CONFIDENTIAL or _takes_part(item, viewer):
            return View.FULL
        return View.BUSY if self.options.confidential == "busy" else None

    # ------------------------------------------------------------ bytes

    def _assemble(
        self,
        spec: FeedSpec,
        viewer: Viewer,
        items: list[tuple[AgendaItem, View]],
        today: date,
        catalog_version: int,
        session: Session,
    ) -> bytes:
        _, retention = self._cutoffs(today)
        events = []
        for item, view in items:
            rendered = self._event(item, view, viewer, retention, catalog_version)
            if rendered:
                events.append(rendered)
        zones = self._vtimezones(items, today)
        header = self._header(_feed_name(session, spec, viewer.language))
        return header + zones + b"".join(events) + b"END:VCALENDAR\r\n"

    def _header(self, name: str) -> bytes:
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", self.options.home_zone)
        refresh = parse_offset(self.options.refresh).duration or timedelta(hours=1)
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
        head: bytes = calendar.to_ical()
        return head.removesuffix(b"END:VCALENDAR\r\n")

    def _vtimezones(self, items: list[tuple[AgendaItem, View]], today: date) -> bytes:
        """A VTIMEZONE for each zone used, covering the years the feed's events need."""
        zones = {self.options.home_zone} | {i.timezone for i, _ in items if not i.all_day}
        first = min((i.starts_at.year for i, _ in items), default=today.year)
        last = max([today.year + _ZONE_YEARS_AHEAD] + [_last_year(i) for i, _ in items])
        parts = []
        for name in sorted(zones):
            key = (name, first, last)
            cached = self._zones.get(key)
            if cached is None:
                component = Timezone.from_tzinfo(
                    clock.zone(name),
                    tzid=name,
                    first_date=date(first, 1, 1),
                    last_date=date(last + 1, 1, 1),
                )
                cached = component.to_ical()
                self._zones.put(key, cached)
            parts.append(cached)
        return b"".join(parts)

    def _event(
        self,
        item: AgendaItem,
        view: View,
        viewer: Viewer,
        retention: datetime,
        catalog_version: int,
    ) -> bytes:
        expired = frozenset(
            o.recurrence_id for o in item.overrides if o.cancelled and o.changed_at < retention
        )
        key = (
            item.id,
            item.revision,
            view,
            viewer.language,
            viewer.alarms,
            expired,
            catalog_version,
        )
        cached = self._events.get(key)
        if cached is not None:
            return cached
        self.stats["event_renders"] += 1
        try:
            rendered = _EventWriter(item, view, viewer, self.options, expired).write()
        except (ValueError, TypeError, KeyError) as exc:
            # Bad data (e.g. an RRULE an older version accepted) must not take the feed down.
            log.warning("item %s left out of feeds: %s", item.uid, exc, extra={"item": item.uid})
            return b""
        self._events.put(key, rendered)
        return rendered


def _select(session: Session, spec: FeedSpec, viewer: Viewer) -> Select[AgendaItem]:
    query = item_query()
    if spec.kind == "public":
        query = query.where(
            AgendaItem.confidentiality == Confidentiality.PUBLIC,
            AgendaItem.status != ItemStatus.IDEA,
        )
    elif spec.kind == "theme":
        query = query.where(AgendaItem.themes.any(Theme.slug == spec.slug))
    elif spec.kind == "stakeholder":
        query = query.where(AgendaItem.stakeholders.any(Stakeholder.slug == spec.slug))
    elif spec.kind == "me":
        person = session.get(Person, viewer.person_id)
        theme_ids = [t.id for t in person.themes] if person else []
        stakeholder_ids = [s.id for s in person.stakeholders] if person else []
        query = query.where(
            or_(
                AgendaItem.owner_id == viewer.person_id,
                AgendaItem.participants.any(Person.id == viewer.person_id),
                AgendaItem.themes.any(Theme.id.in_(theme_ids)),
                AgendaItem.stakeholders.any(Stakeholder.id.in_(stakeholder_ids)),
            )
        )
    if spec.kinds:
        query = query.where(AgendaItem.kind.in_(spec.kinds))
    if spec.statuses:
        query = query.where(AgendaItem.status.in_(spec.statuses))
    return query


def _still_running(item: AgendaItem, past: datetime) -> bool:
    try:
        end = last_end(item)
    except (ValueError, TypeError):
        return True  # let rendering log what is wrong with it
    return end is None or end >= past


def _takes_part(item: AgendaItem, viewer: Viewer) -> bool:
    if viewer.person_id is None:
        return False
    return item.owner_id == viewer.person_id or any(
        p.id == viewer.person_id for p in item.participants
    )


def _last_year(item: AgendaItem) -> int:
    years = [item.ends_at.year, *(m.year for m in item.rdates)]
    if item.rrule and "UNTIL=" in item.rrule:
        years.append(int(item.rrule.split("UNTIL=")[1][:4]))
    return max(years)


def _feed_name(session: Session, spec: FeedSpec, lang: Lang) -> str:
    if spec.kind == "public":
        return text("public_calendar", lang)
    if spec.kind == "me":
        return text("my_calendar", lang)
    base = text("calendar", lang)
    if spec.kind == "theme":
        name = session.scalar(select(Theme.name).where(Theme.slug == spec.slug))
        return f"{base} – {name or spec.slug}"
    if spec.kind == "stakeholder":
        name = session.scalar(select(Stakeholder.name).where(Stakeholder.slug == spec.slug))
        return f"{base} – {name or spec.slug}"
    return base


class _EventWriter:
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

    def write(self) -> bytes:
        master = self._master()
        parts = [master.to_ical()]
        for override in self.item.overrides:
            if override.recurrence_id not in self.expired:
                parts.append(self._override(override).to_ical())
        return b"".join(parts)

    # ------------------------------------------------------------ properties

    def _moment(self, moment: datetime) -> date | datetime:
        local = moment.astimezone(self.tz)
        return local.date() if self.item.all_day else local

    def _common(self, event: Event, title: str, cancelled: bool) -> None:
        item = self.item
        event.add("uid", f"{item.uid}@{self.options.domain}")
        event.add("dtstamp", item.updated_at.astimezone(UTC))
        event.add("last-modified", item.updated_at.astimezone(UTC))
        event.add("created", item.created_at.astimezone(UTC))
        event.add("sequence", item.revision)
        prefix = text("cancelled_prefix", self.lang) + " " if cancelled else ""
        summary = text("busy", self.lang) if self.view is View.BUSY else title
        event.add("summary", prefix + summary)
        event.add("status", "CANCELLED" if cancelled else _ICAL_STATUS[item.status])
        event.add("class", _ICAL_CLASS[item.confidentiality])
        transparent = item.kind in (ItemKind.DECISION, ItemKind.DEADLINE)
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

    def _master(self) -> Event:
        item = self.item
        event = Event()
        self._common(event, item.title, item.status == ItemStatus.CANCELLED)
        self._times(event, item.starts_at, item.ends_at)
        self._location(event, item.location)
        if item.rrule:
            event.add("rrule", vRecur.from_ical(item.rrule))
        if item.rdates:
            event.add("rdate", [self._moment(m) for m in item.rdates])
        exdates = sorted(set(item.exdates) | self.expired)
        if exdates:
            event.add("exdate", [self._moment(m) for m in exdates])
        if self.alarms:
            for alarm in self._alarms():
                event.add_component(alarm)
        return event

    def _override(self, override: OccurrenceOverride) -> Event:
        item = self.item
        event = Event()
        cancelled = override.cancelled or item.status == ItemStatus.CANCELLED
        self._common(event, override.title or item.title, cancelled)
        event.add("recurrence-id", self._moment(override.recurrence_id))
        length = item.ends_at - item.starts_at
        start = override.starts_at or override.recurrence_id
        end = override.ends_at or start + length
        self._times(event, start, end)
        self._location(event, item.location if override.location is None else override.location)
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
