"""iCalendar feeds: which items a feed holds, in which view each shows, and the bytes, cached
(the events themselves are written by `ics_writer`).

Speed by design: the VEVENT text of each item is kept, keyed by everything that shapes it
(its revision, the viewer's view and language, the catalog version, …), and the assembled
bytes of each feed are kept, keyed by the data versions read from the database. An unchanged
feed costs one small query; a change to one item re-serializes only that item.

Stable bytes: nothing in a feed depends on "now" except which items it holds (the past it
covers, cancelled items past their retention), and that moves by whole days.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import Integer, Select, cast, extract, or_, select
from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.agenda import item_query
from scheduler.db import data_version
from scheduler.ics_writer import (
    EventWriter,
    FeedOptions,
    View,
    Viewer,
    feed_head,
    zones,
)
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
from scheduler.texts import Lang, text

log = logging.getLogger(__name__)

FeedKind = Literal["public", "all", "me", "theme", "stakeholder", "dossier"]
_NONE_EXPIRED: frozenset[datetime] = frozenset()


@dataclass(frozen=True)
class FeedSpec:
    """Which feed: its kind, the theme or stakeholder slug, and optional filters."""

    kind: FeedKind
    slug: str | None = None
    kinds: tuple[ItemKind, ...] = ()
    statuses: tuple[ItemStatus, ...] = ()


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
                feed_head(_feed_name(session, spec, viewer.language), self.options),
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
            rendered = EventWriter(item, view, viewer, self.options, expired).write()
        except (ValueError, TypeError, KeyError) as exc:
            # Bad data (e.g. an RRULE an older version accepted) must not take the feed down.
            log.warning("item %s left out of feeds: %s", item.uid, exc, extra={"item": item.uid})
            rendered = b""
        self._events.put(key, rendered)
        return rendered

    def _vtimezones(self, items: list[_Candidate], today: date) -> bytes:
        """A VTIMEZONE for each zone used (UTC times need none), from the first year the
        feed's events need on, without end."""
        named = {self.options.home_zone} | {i.timezone for i in items if not i.all_day}
        return zones(named, min((i.first_year for i in items), default=today.year))


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
