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
from functools import lru_cache
from typing import Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vDuration, vRecur
from sqlalchemy import Integer, Select, cast, extract, or_, select
from sqlalchemy.orm import Session

from scheduler import __version__, clock
from scheduler.agenda import item_query
from scheduler.config import Settings
from scheduler.db import data_version
from scheduler.models import (
    AgendaItem,
    Confidentiality,
    Dossier,
    ItemKind,
    ItemStatus,
    OccurrenceOverride,
    Person,
    Stakeholder,
    Theme,
    item_participants,
)
from scheduler.occurrences import (
    Occurrence,
    near_clock_changes,
    occurrence_of,
    occurrence_with,
)
from scheduler.offsets import parse_offset
from scheduler.texts import Lang, label, text
from scheduler.vtimezone import vtimezone

log = logging.getLogger(__name__)

FeedKind = Literal["public", "all", "me", "theme", "stakeholder", "dossier"]
PRODID = f"-//lobby-agenda//lobby-agenda {__version__}//NL"
_NONE_EXPIRED: frozenset[datetime] = frozenset()


class View(enum.StrEnum):
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


@dataclass
class RenderedFeed:
    body: bytes
    etag: str
    last_modified: datetime
    _gzipped: bytes | None = None

    @property
    def gzipped(self) -> bytes:
        """Compressed on first use: most clients ask for gzip, but not every feed is fetched."""
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


@dataclass(frozen=True)
class _Candidate:
    """What the selection needs to know of an item, read without loading the item itself."""

    id: int
    uid: str
    revision: int
    secret: bool  # confidential
    owner_id: int | None
    timezone: str
    all_day: bool
    first_year: int


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A thread-safe least-recently-used map, bounded by entries and by total bytes."""

    def __init__(self, size: int, max_bytes: int = 1 << 40) -> None:
        self._data: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._size, self._max_bytes, self._bytes = size, max_bytes, 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            self._data.move_to_end(key)
            return entry[0]

    def get_many(self, keys: list[K]) -> list[V | None]:
        found: list[V | None] = []
        with self._lock:
            for key in keys:
                entry = self._data.get(key)
                if entry is None:
                    found.append(None)
                else:
                    self._data.move_to_end(key)
                    found.append(entry[0])
        return found

    def put(self, key: K, value: V, weight: int = 0) -> None:
        with self._lock:
            old = self._data.pop(key, None)
            self._bytes -= old[1] if old else 0
            self._data[key] = (value, weight)
            self._bytes += weight
            while len(self._data) > self._size or (
                self._bytes > self._max_bytes and len(self._data) > 1
            ):
                _, (_, dropped) = self._data.popitem(last=False)
                self._bytes -= dropped


EventKey = tuple[int, int, "View", str, bool, frozenset[datetime], int]


@dataclass(frozen=True)
class _Entry:
    """One item's place in a feed: what was selected, its cache key, its event text."""

    item: _Candidate
    key: EventKey
    text: bytes


@dataclass(frozen=True)
class _Plan:
    """A feed's items as last built, and the versions and day they were built for."""

    agenda: int
    catalog: int
    today: date
    entries: dict[int, _Entry]


class FeedBuilder:
    """Builds feeds for one process; its caches are safe to share between request threads."""

    def __init__(
        self, options: FeedOptions, *, events: int = 100_000, feed_bytes: int = 256 << 20
    ) -> None:
        self.options = options
        self._events: _Lru[EventKey, bytes] = _Lru(events)
        self._feeds: _Lru[Hashable, RenderedFeed] = _Lru(1024, feed_bytes)
        self._plans: _Lru[Hashable, _Plan] = _Lru(1024)
        self.stats = {"feed_hits": 0, "feed_builds": 0, "event_renders": 0, "full_selections": 0}

    def feed(self, session: Session, spec: FeedSpec, viewer: Viewer, today: date) -> RenderedFeed:
        """The feed's bytes: from the cache when the data has not changed since.

        1. read the data versions (one row); a feed built for them today is served as is;
        2. otherwise bring the feed's plan up to date: only the items changed since the last
           build are selected again (all of them on a new day or after a catalog change);
        3. render only items whose event text is not cached (loading just those);
        4. join header, time zones and events.
        """
        version = data_version(session)
        key = (spec, viewer, version.agenda, version.catalog, today)
        cached = self._feeds.get(key)
        if cached is not None:
            self.stats["feed_hits"] += 1
            return cached
        self.stats["feed_builds"] += 1
        plan = self._plan(session, spec, viewer, today, version.agenda, version.catalog)
        entries = sorted(plan.entries.values(), key=lambda entry: entry.item.uid)
        body = b"".join(
            [
                self._header(_feed_name(session, spec, viewer.language)),
                self._vtimezones([entry.item for entry in entries], today),
                *(entry.text for entry in entries),
                b"END:VCALENDAR\r\n",
            ]
        )
        midnight = clock.local_midnight(today, clock.zone(self.options.home_zone))
        rendered = RenderedFeed(
            body=body,
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            last_modified=_whole_second_up(max(version.changed_at, midnight)),
        )
        self._feeds.put(key, rendered, weight=len(body) * 2)
        return rendered

    # ------------------------------------------------------------ which items

    def _plan(
        self,
        session: Session,
        spec: FeedSpec,
        viewer: Viewer,
        today: date,
        agenda: int,
        catalog: int,
    ) -> _Plan:
        previous = self._plans.get((spec, viewer))
        usable = (
            previous is not None
            and (previous.catalog, previous.today) == (catalog, today)
            and previous.agenda <= agenda
        )
        if previous is not None and usable:
            changed = set(
                session.scalars(
                    select(AgendaItem.id).where(AgendaItem.changed_version > previous.agenda)
                )
            )
            entries = {i: e for i, e in previous.entries.items() if i not in changed}
            if changed:
                entries |= self._entries(session, spec, viewer, today, catalog, changed)
        else:
            self.stats["full_selections"] += 1
            entries = self._entries(session, spec, viewer, today, catalog, None)
        plan = _Plan(agenda, catalog, today, entries)
        self._plans.put((spec, viewer), plan)
        return plan

    def _cutoffs(self, today: date) -> tuple[datetime, datetime]:
        """(start of the past the feed covers, oldest cancellation still shown)."""
        tz = clock.zone(self.options.home_zone)
        past = clock.local_midnight(today - timedelta(days=self.options.past_days), tz)
        retention = clock.local_midnight(today - timedelta(days=self.options.retention_days), tz)
        return past, retention

    def _entries(
        self,
        session: Session,
        spec: FeedSpec,
        viewer: Viewer,
        today: date,
        catalog: int,
        only: set[int] | None,
    ) -> dict[int, _Entry]:
        """The feed's items (or those of `only` that belong in it), each with its event text."""
        past, retention = self._cutoffs(today)
        query = _select(session, spec, viewer).where(
            or_(AgendaItem.last_ends_at.is_(None), AgendaItem.last_ends_at >= past),
            # cancelled long enough ago for every client to have seen it: gone
            or_(AgendaItem.status != ItemStatus.CANCELLED, AgendaItem.updated_at >= retention),
        )
        if only is not None:
            query = query.where(AgendaItem.id.in_(only))
        taking_part = _taking_part(session, viewer)
        expired = _expired_cancellations(session, retention, only)
        chosen: dict[int, tuple[_Candidate, EventKey]] = {}
        # Core, not ORM: rows as plain tuples, no identity map (5,000 rows in a few ms).
        for row in session.connection().execute(query):
            item = _Candidate(*row)
            view = self._view(item, spec, viewer, taking_part)
            if view is not None:
                key = (item.id, item.revision, view, viewer.language, viewer.alarms,
                       expired.get(item.id, _NONE_EXPIRED), catalog)  # fmt: skip
                chosen[item.id] = (item, key)
        texts = self._events.get_many([key for _, key in chosen.values()])
        found = {item_id: text for item_id, text in zip(chosen, texts, strict=True)}
        missing = [item_id for item_id, text in found.items() if text is None]
        for loaded in _load(session, missing):
            found[loaded.id] = self._render(loaded, chosen[loaded.id][1])
        return {
            item_id: _Entry(item, key, found[item_id] or b"")
            for item_id, (item, key) in chosen.items()
        }

    def _view(
        self, item: _Candidate, spec: FeedSpec, viewer: Viewer, taking_part: set[int]
    ) -> View | None:
        if spec.kind == "public":
            return View.PUBLIC
        if not item.secret:
            return View.FULL
        if viewer.person_id is not None and (
            item.owner_id == viewer.person_id or item.id in taking_part
        ):
            return View.FULL
        # Being in a theme's or stakeholder's feed (or in "me" through one followed) would tell
        # what the item is about: outsiders see the busy slot in the whole agenda only.
        if spec.kind == "all" and self.options.confidential == "busy":
            return View.BUSY
        return None

    # ------------------------------------------------------------ bytes

    def _render(self, item: AgendaItem, key: EventKey) -> bytes:
        _, _, view, language, alarms, expired, _ = key
        self.stats["event_renders"] += 1
        viewer = Viewer(None, language, alarms)  # type: ignore[arg-type]
        try:
            rendered = _EventWriter(item, view, viewer, self.options, expired).write()
        except (ValueError, TypeError, KeyError) as exc:
            # Bad data (e.g. an RRULE an older version accepted) must not take the feed down.
            log.warning("item %s left out of feeds: %s", item.uid, exc, extra={"item": item.uid})
            rendered = b""
        self._events.put(key, rendered)
        return rendered

    def _header(self, name: str) -> bytes:
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("name", name)
        # No X-WR-TIMEZONE: every time carries its own zone, and readers that honour that
        # property (Google, recurring-ical-events) re-anchor a UTC series to it.
        calendar.add("x-wr-calname", name)
        refresh = parse_offset(self.options.refresh).duration or timedelta(hours=1)
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
        head: bytes = calendar.to_ical()
        return head.removesuffix(b"END:VCALENDAR\r\n")

    def _vtimezones(self, items: list[_Candidate], today: date) -> bytes:
        """A VTIMEZONE for each zone used (UTC times need none), from the first year the
        feed's events need on, without end."""
        zones = {self.options.home_zone} | {i.timezone for i in items if not i.all_day}
        first = min((i.first_year for i in items), default=today.year)
        return b"".join(vtimezone(name, first) for name in sorted(zones - {"UTC"}))


# Computed by the database, so that thousands of rows cost no Python-side type conversion.
_LIGHT = (
    AgendaItem.id,
    AgendaItem.uid,
    AgendaItem.revision,
    (AgendaItem.confidentiality == Confidentiality.CONFIDENTIAL).label("secret"),
    AgendaItem.owner_id,
    AgendaItem.timezone,
    AgendaItem.all_day,
    cast(extract("year", AgendaItem.starts_at), Integer).label("first_year"),
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
    writer = _EventWriter(item, View.FULL, Viewer(None, lang), options, frozenset())
    event: bytes = writer.single(occurrence).to_ical()
    return _publish_head() + zone + event + b"END:VCALENDAR\r\n"


def item_calendar(item: AgendaItem, options: FeedOptions, lang: Lang) -> bytes:
    """A calendar file with the whole item as the feeds show it to its owner (same UIDs, its
    recurrence, exceptions and moved occurrences, VTIMEZONEs): the item page's download.
    The caller decides that the reader may see the item in full."""
    zones = {options.home_zone} | ({item.timezone} if not item.all_day else set())
    head = b"".join(vtimezone(name, item.starts_at.year) for name in sorted(zones - {"UTC"}))
    writer = _EventWriter(item, View.FULL, Viewer(None, lang), options, frozenset())
    return _publish_head() + head + writer.write() + b"END:VCALENDAR\r\n"


def _select(session: Session, spec: FeedSpec, viewer: Viewer) -> Select[*tuple[Any, ...]]:
    query = select(*_LIGHT)
    if spec.kind == "public":
        query = query.where(
            AgendaItem.confidentiality == Confidentiality.PUBLIC,
            AgendaItem.status != ItemStatus.IDEA,
        )
    elif spec.kind == "theme":
        query = query.where(AgendaItem.themes.any(Theme.slug == spec.slug))
    elif spec.kind == "stakeholder":
        query = query.where(AgendaItem.stakeholders.any(Stakeholder.slug == spec.slug))
    elif spec.kind == "dossier":
        query = query.where(AgendaItem.dossiers.any(Dossier.slug == spec.slug))
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


def _whole_second_up(moment: datetime) -> datetime:
    """HTTP dates have whole seconds: round up, so that a later change never looks older."""
    rounded = moment.replace(microsecond=0)
    return rounded + timedelta(seconds=1) if moment.microsecond else rounded


def _taking_part(session: Session, viewer: Viewer) -> set[int]:
    """Ids of the items the viewer takes part in (to show them confidential items in full)."""
    if viewer.person_id is None:
        return set()
    rows = session.execute(
        select(item_participants.c.item_id).where(item_participants.c.person_id == viewer.person_id)
    )
    return {row[0] for row in rows}


def _expired_cancellations(
    session: Session, retention: datetime, only: set[int] | None
) -> dict[int, frozenset[datetime]]:
    """Per item, the cancelled occurrences old enough to become a plain EXDATE."""
    query = select(OccurrenceOverride.item_id, OccurrenceOverride.recurrence_id).where(
        OccurrenceOverride.cancelled, OccurrenceOverride.changed_at < retention
    )
    if only is not None:
        query = query.where(OccurrenceOverride.item_id.in_(only))
    rows = session.execute(query)
    found: dict[int, set[datetime]] = {}
    for item_id, recurrence_id in rows:
        found.setdefault(item_id, set()).add(recurrence_id)
    return {item_id: frozenset(moments) for item_id, moments in found.items()}


def _load(session: Session, ids: list[int]) -> Iterable[AgendaItem]:
    """The full items (with everything an event shows) for these ids, in batches."""
    for start in range(0, len(ids), 500):
        yield from session.scalars(item_query().where(AgendaItem.id.in_(ids[start : start + 500])))


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
    if spec.kind == "dossier":
        name = session.scalar(select(Dossier.title).where(Dossier.slug == spec.slug))
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
