"""Outside calendars: iCalendar URLs (a province's decision calendar, a parliament's
committee agenda) whose events become read-only agenda items on a chosen theme and stakeholder.

A sync of one source:
1. claims it with a compare-and-set UPDATE (a lease), so that two replicas never fetch it at once;
2. fetches it conditionally (ETag, Last-Modified) with a time and size limit (`fetching`);
3. on a 200, reads it with `ics_reader` and upserts its events through the import path, all or
   nothing, each uid namespaced by the source; events gone from the feed are cancelled, never
   deleted; the items' history (channel "source") feeds the digests' "changed" section;
4. records a run with what was added, moved and cancelled, and plans one mail per follower
   about it into the outbox, in the same transaction (so exactly once);
5. on any failure changes nothing about the items: counts the failure and backs off
   (interval × 2^(failures−1), at most a day). A source failing `SOURCE_FAILING_AFTER` times in a
   row is flagged on /feeds and in every digest.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from scheduler import agenda, catalog, clock, fetching, ics_reader, interchange, outbox
from scheduler.composer import compose, language_of, message_id, one_line
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import FetchFailed, ImportRejected, LobbyError, NotFound, ValidationError
from scheduler.mailer import Flattened
from scheduler.models import (
    AgendaItem,
    CalendarSource,
    Confidentiality,
    Delivery,
    DeliveryState,
    ItemKind,
    ItemStatus,
    Person,
    SourceOutcome,
    SourceRun,
)
from scheduler.offsets import parse_offset
from scheduler.outbox import Skipped
from scheduler.permissions import may_see
from scheduler.reminders import Followers, ReminderSettings, involved
from scheduler.texts import Lang, Words, text

log = logging.getLogger(__name__)

SOURCE_CHANGE = "source-change"  # the outbox kind of a change notice
MIN_INTERVAL = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=24)
# Longer than any fetch may take (source_timeout_seconds is at most 300): a process that died
# mid-fetch leaves its claim, which another takes over after this.
LEASE = timedelta(minutes=10)
_SCHEMES = {"http": "http", "https": "https", "webcal": "https", "webcals": "https"}


@dataclass(frozen=True)
class SourceSettings:
    timeout: float = 20.0
    max_bytes: int = 10_240 * 1024
    defaults: agenda.Defaults = field(default_factory=agenda.Defaults)


def settings_from(conf: Settings) -> SourceSettings:
    return SourceSettings(
        timeout=float(conf.source_timeout_seconds),
        max_bytes=conf.source_max_kb * 1024,
        defaults=agenda.Defaults(conf.timezone, timedelta(minutes=conf.default_duration_minutes)),
    )


# ---------------------------------------------------------------- managing sources


def normalize_url(url: str) -> str:
    """An http(s) URL; webcal:// and webcals:// (what calendar sites link) mean https://."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep or scheme.lower() not in _SCHEMES or not rest.split("/")[0]:
        raise ValidationError(
            f"url {url!r} is not an http://, https:// or webcal:// address of a calendar",
            field="url",
        )
    return f"{_SCHEMES[scheme.lower()]}://{rest}"


def parse_interval(value: str) -> timedelta:
    """An ISO 8601 duration of at least five minutes, such as PT1H."""
    try:
        offset = parse_offset(value, field="every")
    except ValidationError as exc:
        raise ValidationError(f"--every {value!r}: {exc.message}", field="every") from exc
    if offset.duration is None or offset.after or offset.duration < MIN_INTERVAL:
        raise ValidationError(
            f"--every {value!r}: use an ISO 8601 duration of at least PT5M, such as PT1H",
            field="every",
        )
    return offset.duration


def add(
    session: Session, *, url: str, name: str, theme: str | None = None,
    stakeholder: str | None = None, kind: str = "decision", every: str = "PT1H",
) -> CalendarSource:  # fmt: skip
    """A new source, fetched at once by the next sync."""
    if not name.strip():
        raise ValidationError("name is required", field="name")
    try:
        item_kind = ItemKind(kind)
    except ValueError as exc:
        allowed = ", ".join(k.value for k in ItemKind)
        raise ValidationError(f"kind {kind!r} is unknown; use {allowed}", field="kind") from exc
    parse_interval(every)
    source = CalendarSource(
        name=" ".join(name.split()), url=normalize_url(url), kind=item_kind,
        interval=every.strip().upper(), next_fetch_at=clock.now_utc(), failures=0,
        etag="", last_modified="", last_error="", claimed_by="",
    )  # fmt: skip
    if theme:
        source.theme = catalog.themes(session, [theme], field="theme")[0]
    if stakeholder:
        source.stakeholder = catalog.stakeholders(session, [stakeholder], field="stakeholder")[0]
    session.add(source)
    session.flush()
    return source


def find(session: Session, source_id: int) -> CalendarSource:
    source = session.get(CalendarSource, source_id)
    if source is None:
        raise NotFound(f"no outside calendar with id {source_id}", field="id")
    return source


def all_sources(session: Session) -> list[CalendarSource]:
    query = select(CalendarSource).options(
        selectinload(CalendarSource.theme), selectinload(CalendarSource.stakeholder)
    )
    return list(session.scalars(query.order_by(CalendarSource.id)))


def failing(session: Session) -> list[CalendarSource]:
    return [source for source in all_sources(session) if source.failing]


def remove(session: Session, source_id: int) -> tuple[str, int]:
    """Stop syncing a source; its items stay, as ordinary (editable) items. Returns its name
    and how many items it leaves."""
    source = find(session, source_id)
    kept = session.scalar(
        select(func.count()).select_from(AgendaItem).where(AgendaItem.source_id == source_id)
    )
    # The items become our own (the foreign key would do it too: ON DELETE SET NULL); the
    # runs go with the source (ON DELETE CASCADE).
    session.execute(
        update(AgendaItem).where(AgendaItem.source_id == source_id).values(source_id=None)
    )
    session.delete(source)
    return source.name, int(kept or 0)


def describe(source: CalendarSource, item_count: int | None = None) -> dict[str, Any]:
    described = {
        "id": source.id, "name": source.name, "url": source.url, "kind": source.kind.value,
        "theme": source.theme.slug if source.theme else None,
        "stakeholder": source.stakeholder.slug if source.stakeholder else None,
        "every": source.interval, "failures": source.failures, "failing": source.failing,
        "last_error": source.last_error,
        "last_attempt_at": _iso(source.last_attempt_at),
        "last_success_at": _iso(source.last_success_at),
        "next_fetch_at": _iso(source.next_fetch_at),
    }  # fmt: skip
    if item_count is not None:
        described["items"] = item_count
    return described


def item_counts(session: Session) -> dict[int, int]:
    query = (
        select(AgendaItem.source_id, func.count())
        .where(AgendaItem.source_id.is_not(None))
        .group_by(AgendaItem.source_id)
    )
    return {s: int(n) for s, n in session.execute(query) if s is not None}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def source_uid(source_id: int, uid: str) -> str:
    """The event's uid within our agenda: namespaced by the source, so that two sources (or
    our own items) never collide; within the uid column's 200 characters."""
    namespaced = f"src{source_id}-{uid}"
    if len(namespaced) <= 200:
        return namespaced
    return f"src{source_id}-ics-" + hashlib.sha256(uid.encode()).hexdigest()[:32]


# ---------------------------------------------------------------- syncing


@dataclass(frozen=True)
class SyncResult:
    source_id: int
    name: str
    outcome: SourceOutcome
    run_id: int
    http_status: int | None
    error: str
    failures: int
    next_fetch_at: datetime
    counts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.source_id, "name": self.name, "outcome": self.outcome.value,
            "run": self.run_id, "http_status": self.http_status, "error": self.error,
            "failures": self.failures, "next_fetch_at": self.next_fetch_at.isoformat(),
            **self.counts,
        }  # fmt: skip


def due_ids(session: Session, now: datetime) -> list[int]:
    query = select(CalendarSource.id).where(
        CalendarSource.next_fetch_at <= now,
        or_(CalendarSource.lease_until.is_(None), CalendarSource.lease_until < now),
    )
    return list(session.scalars(query.order_by(CalendarSource.next_fetch_at)))


def claim(db: Database, source_id: int, worker: str, now: datetime, *, force: bool) -> bool:
    """Take the source for one fetch: one row changed means it is ours (compare-and-set),
    until the lease runs out. Without `force` only when it is due."""
    free = or_(CalendarSource.lease_until.is_(None), CalendarSource.lease_until < now)
    conditions = [CalendarSource.id == source_id, free]
    if not force:
        conditions.append(CalendarSource.next_fetch_at <= now)
    with db.write() as session:
        claimed = session.execute(
            update(CalendarSource)
            .where(*conditions)
            .values(lease_until=now + LEASE, claimed_by=worker)
            .execution_options(synchronize_session=False)
        )
        return int(claimed.rowcount or 0) == 1  # type: ignore[attr-defined]


def sync_due(db: Database, settings: SourceSettings, worker: str) -> list[SyncResult]:
    """Sync every source whose time has come (the scheduler's job)."""
    with db.read() as session:
        due = due_ids(session, clock.now_utc())
    results = []
    for source_id in due:
        try:
            result = sync(db, source_id, settings, worker)
        except NotFound:
            continue  # removed since we looked
        if result is not None:
            results.append(result)
    return results


def sync(
    db: Database, source_id: int, settings: SourceSettings, worker: str, *, force: bool = False
) -> SyncResult | None:
    """Fetch one source and apply what it says; None when another process holds it (or,
    without `force`, when it is not due). NotFound for an unknown id."""
    started = clock.now_utc()
    with db.read() as session:
        find(session, source_id)  # an unknown id is the caller's mistake, not a failure
    if not claim(db, source_id, worker, started, force=force):
        return None  # being fetched by another process, or not due yet
    with db.read() as session:
        source = find(session, source_id)
        url, etag, modified = source.url, source.etag, source.last_modified
    try:
        fetched = fetching.fetch(
            url, etag=etag, last_modified=modified, timeout=settings.timeout,
            max_bytes=settings.max_bytes,
        )  # fmt: skip
    except FetchFailed as exc:
        return _record_failure(db, source_id, worker, started, exc.message, exc.http_status)
    try:
        with db.write() as session:
            return _apply(session, source_id, worker, started, fetched, settings)
    except LobbyError as exc:  # not a calendar, or events our agenda refuses: nothing changed
        return _record_failure(db, source_id, worker, started, _summary(exc), fetched.status)


def _summary(exc: LobbyError) -> str:
    """An error as one line for /feeds and digests (of an import, its first problem)."""
    if isinstance(exc, ImportRejected):
        more = len(exc.problems) - 1
        line = f"refused: {exc.problems[0]}" + (f" (and {more} more)" if more else "")
    else:
        line = exc.message.strip().splitlines()[0] if exc.message.strip() else type(exc).__name__
    return line if len(line) <= 300 else line[:299] + "…"


def _held(session: Session, source_id: int, worker: str) -> CalendarSource | None:
    source = session.get(CalendarSource, source_id)
    if source is None or source.claimed_by != worker:
        return None  # removed meanwhile, or our lease ran out and another process took it
    return source


def _finish(
    session: Session, source: CalendarSource, started: datetime, outcome: SourceOutcome,
    http_status: int | None, error: str = "", changes: Sequence[dict[str, str | None]] = (),
) -> SyncResult:  # fmt: skip
    """Record the run and when to fetch again; release the claim."""
    now = clock.now_utc()
    interval = parse_interval(source.interval)
    source.last_attempt_at, source.lease_until, source.claimed_by = now, None, ""
    if outcome == SourceOutcome.FAILED:
        source.failures += 1
        source.last_error = error
        source.next_fetch_at = now + min(interval * 2 ** (source.failures - 1), MAX_BACKOFF)
    else:
        source.failures, source.last_error, source.last_success_at = 0, "", now
        source.next_fetch_at = now + interval
    run = SourceRun(
        source_id=source.id, started_at=started, finished_at=now, outcome=outcome,
        http_status=http_status, error=error, changes=list(changes),
    )  # fmt: skip
    session.add(run)
    session.flush()
    counts = {kind: sum(1 for c in changes if c["change"] == kind) for kind in _CHANGES}
    if outcome == SourceOutcome.FAILED:
        log.warning("outside calendar %s (%s) failed: %s", source.id, source.name, error)
    return SyncResult(
        source.id, source.name, outcome, run.id, http_status, error, source.failures,
        source.next_fetch_at, counts,
    )  # fmt: skip


_CHANGES = ("added", "moved", "cancelled")


def _record_failure(
    db: Database, source_id: int, worker: str, started: datetime, error: str,
    http_status: int | None,
) -> SyncResult | None:  # fmt: skip
    with db.write() as session:
        source = _held(session, source_id, worker)
        if source is None:
            return None  # see _held
        return _finish(session, source, started, SourceOutcome.FAILED, http_status, error)


def _apply(
    session: Session, source_id: int, worker: str, started: datetime,
    fetched: fetching.Fetched, settings: SourceSettings,
) -> SyncResult | None:  # fmt: skip
    source = _held(session, source_id, worker)
    if source is None:
        return None  # see _held
    source.etag, source.last_modified = fetched.etag, fetched.last_modified
    if fetched.text is None:
        return _finish(session, source, started, SourceOutcome.NOT_MODIFIED, fetched.status)
    options = ics_reader.Options(
        kind=source.kind.value,
        themes=(source.theme.slug,) if source.theme else (),
        stakeholders=(source.stakeholder.slug,) if source.stakeholder else (),
        default_zone=settings.defaults.timezone,
    )
    found = ics_reader.read(fetched.text, source.name, options)
    entries = []
    for index, read in enumerate(found):
        read.data["uid"] = source_uid(source.id, read.data["uid"])
        entries.append(interchange.Entry("items", index, read.data, read.line, read.field_lines))
    uids = {entry.data["uid"] for entry in entries}
    _refuse_foreign(session, source, uids)
    mine = agenda.item_query().where(AgendaItem.source_id == source.id)
    before = {item.uid: _snapshot(item) for item in session.scalars(mine)}
    actor = agenda.Actor(f"source:{source.id} {source.name}"[:320], agenda.SOURCE_CHANNEL)
    report = interchange.import_in(session, entries, source.name, actor, defaults=settings.defaults)
    for item in session.scalars(select(AgendaItem).where(AgendaItem.uid.in_(uids))):
        item.source_id = source.id
    vanished = [uid for uid, was in before.items() if uid not in uids and not was.cancelled]
    for uid in vanished:
        agenda.cancel(session, uid, actor)  # kept, marked cancelled: it may come back
    session.flush()
    after = {item.uid: item for item in session.scalars(mine)}
    changes = _changes(before, after)
    counts = report.counts.get("items", {})
    changed = counts.get("created", 0) + counts.get("updated", 0) + len(vanished)
    outcome = SourceOutcome.CHANGED if changed else SourceOutcome.UNCHANGED
    result = _finish(session, source, started, outcome, fetched.status, changes=changes)
    if changes:
        _plan_notices(session, result.run_id, [after[c["uid"] or ""] for c in changes])
    return result


def _refuse_foreign(session: Session, source: CalendarSource, uids: set[str]) -> None:
    """A uid of ours or of another source is never taken over (only by a hand-made uid)."""
    foreign = session.scalars(
        select(AgendaItem.uid).where(
            AgendaItem.uid.in_(uids),
            or_(AgendaItem.source_id.is_(None), AgendaItem.source_id != source.id),
        )
    ).first()
    if foreign is not None:
        raise ValidationError(
            f"event uid {foreign!r} belongs to an item that is not from this calendar",
            field="uid",
        )


@dataclass(frozen=True)
class _Was:
    title: str
    start: datetime
    cancelled: bool
    overrides: dict[datetime, tuple[bool, datetime | None]]


def _snapshot(item: AgendaItem) -> _Was:
    return _Was(
        item.title, item.starts_at, item.status == ItemStatus.CANCELLED,
        {o.recurrence_id: (o.cancelled, o.starts_at) for o in item.overrides},
    )  # fmt: skip


def _changes(before: dict[str, _Was], after: dict[str, AgendaItem]) -> list[dict[str, str | None]]:
    """What a follower wants to hear of: events added, moved and cancelled (whole items and
    single occurrences), as uid, title, change, old and new start (UTC ISO)."""
    found: list[dict[str, str | None]] = []

    def note(item: AgendaItem, change: str, old: datetime | None, new: datetime | None) -> None:
        found.append({
            "uid": item.uid, "title": item.title, "change": change, "old_start": _iso(old),
            "new_start": _iso(new),
        })  # fmt: skip

    for uid, item in sorted(after.items(), key=lambda pair: (pair[1].starts_at, pair[0])):
        was, now = before.get(uid), _snapshot(item)
        if was is None:
            if not now.cancelled:
                note(item, "added", None, item.starts_at)
            continue
        if now.cancelled:
            if not was.cancelled:
                note(item, "cancelled", was.start, None)
            continue
        if now.start != was.start:
            note(item, "moved", was.start, now.start)
        for rid, (cancelled, start) in sorted(now.overrides.items()):
            old = was.overrides.get(rid)
            if old == (cancelled, start):
                continue
            if cancelled:
                if not (old and old[0]):
                    note(item, "cancelled", rid, None)
            elif start is not None:
                note(item, "moved", (old[1] if old and old[1] else rid), start)
    return found


# ---------------------------------------------------------------- change notices


def _plan_notices(session: Session, run_id: int, items: Sequence[AgendaItem]) -> int:
    """One mail per person about this run: the followers of the items' themes and
    stakeholders (who asked for their reminders) and the items' owners and participants,
    each only about what they may see, and not when they opted out of the items' kind."""
    followers = Followers(session)
    people: dict[str, Person] = {}
    for item in items:
        candidates = involved(item)
        if item.confidentiality != Confidentiality.CONFIDENTIAL:
            candidates += followers.of(item)
        for person in candidates:
            wanted = person.active and item.kind.value not in person.reminders_off
            if wanted and may_see(item, person):
                people[person.email] = person
    now = clock.now_utc()
    return outbox.add_missing(session, [
        {
            "key": f"{SOURCE_CHANGE}:{run_id}:{email}", "kind": SOURCE_CHANGE, "subject_id": run_id,
            "person_id": person.id, "recipient": email, "due_at": now, "next_attempt_at": now,
            "state": DeliveryState.PENDING, "item_uid": "", "offset": "",
        }
        for email, person in sorted(people.items())
    ])  # fmt: skip


def messages(
    session: Session, settings: ReminderSettings, rows: Sequence[Delivery], now: datetime
) -> dict[int, Flattened | Skipped]:
    """The change notice of each row whose run and person still exist (the delivery's
    renderer for kind `source-change`)."""
    runs = {
        run.id: run
        for run in session.scalars(
            select(SourceRun).where(SourceRun.id.in_({r.subject_id for r in rows}))
        )
    }
    sources = {
        s.id: s
        for s in session.scalars(
            select(CalendarSource).where(
                CalendarSource.id.in_({r.source_id for r in runs.values()})
            )
        )
    }
    people = {
        p.id: p
        for p in session.scalars(select(Person).where(Person.id.in_({r.person_id for r in rows})))
    }
    uids = {str(c["uid"]) for run in runs.values() for c in run.changes}
    items = {i.uid: i for i in session.scalars(agenda.item_query().where(AgendaItem.uid.in_(uids)))}
    composed: dict[int, Flattened | Skipped] = {}
    for row in rows:
        run = runs.get(row.subject_id) if row.subject_id is not None else None
        person = people.get(row.person_id) if row.person_id is not None else None
        source = sources.get(run.source_id) if run is not None else None
        if run is None or person is None or source is None or not person.active:
            continue  # the source was removed, or the person left: cancelled as gone
        lang = language_of(person)
        lines = _lines(run, items, person, settings, lang)
        if not lines:
            composed[row.id] = Skipped("nothing in it the reader may see (any more)")
            continue
        composed[row.id] = Flattened.of(_compose(row, person, source, lines, settings, lang))
    return composed


@dataclass(frozen=True)
class _Line:
    change: str
    title: str
    when: str
    link: str


def _lines(
    run: SourceRun, items: dict[str, AgendaItem], person: Person, settings: ReminderSettings,
    lang: Lang,
) -> list[_Line]:  # fmt: skip
    words = Words(lang, person.timezone)
    headings = {"added": "added", "moved": "moved", "cancelled": "cancelled_heading"}
    lines = []
    for change in run.changes:
        item = items.get(str(change["uid"]))
        if item is None or not may_see(item, person):
            continue  # gone since, or no longer for this reader
        old, new = _moment(change["old_start"]), _moment(change["new_start"])
        if change["change"] == "moved" and old and new:
            when = f"{words.moment(old, item.all_day)} → {words.long(new, item.all_day)}"
        else:
            moment = new or old
            when = words.long(moment, item.all_day) if moment else ""
        lines.append(
            _Line(
                text(headings.get(str(change["change"]), "moved"), lang),
                one_line(str(change["title"])), when, f"{settings.base_url}/items/{item.uid}",
            )
        )  # fmt: skip
    return lines


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _compose(
    row: Delivery, person: Person, source: CalendarSource, lines: list[_Line],
    settings: ReminderSettings, lang: Lang,
) -> EmailMessage:  # fmt: skip
    context = {
        "name": person.name, "source": one_line(source.name), "lines": lines,
    }  # fmt: skip
    # Told because of the items' kinds, which the person can turn off (see _plan_notices).
    return compose(
        "source_change",
        person,
        context,
        letterhead=settings.letterhead,
        message_id=message_id(row.key, settings.domain),
        lang=lang,
        key=row.key,
    )
