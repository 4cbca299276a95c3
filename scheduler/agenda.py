"""Agenda items: save (create or update, with change history), cancel, describe, list.

`describe_item` is the one external form of an item (export, `--json`, history snapshots):
wall times in the item's own zone, references by slug and email. Saving merges what was
given into the stored description and rebuilds the item from it, so creation, partial
updates and imports share one path and one set of checks.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from scheduler import catalog, clock
from scheduler.errors import NotFound, ReadOnly, ValidationError
from scheduler.models import (
    AgendaItem,
    FollowUp,
    ItemChange,
    ItemKind,
    ItemStatus,
    OccurrenceOverride,
    Stakeholder,
    Theme,
)
from scheduler.occurrences import (
    Occurrence,
    first_rule_start,
    is_original_start,
    is_recurring,
    last_end,
    normalize_rrule,
    occurrences_between,
)
from scheduler.schemas import FollowUpIn, ItemIn, OverrideIn, WallTime, parse, parse_wall_time

Outcome = Literal["created", "updated", "unchanged"]
# The channel of changes made by syncing an outside calendar (`scheduler.sources`).
SOURCE_CHANNEL = "source"
# What an outside calendar owns of its items: only its sync changes these. The rest (owner,
# participants, goal, message, role, reminders, outcome, follow-ups) is our own lobby work.
SOURCE_FIELDS = frozenset({
    "title", "kind", "start", "end", "timezone", "rrule", "rdates", "exdates", "occurrences",
    "location", "online_url", "description", "themes", "stakeholders", "status",
    "confidentiality",
})  # fmt: skip


@dataclass(frozen=True)
class Actor:
    """Who makes a change and through which channel (cli, import, demo, api, web)."""

    who: str
    channel: str


@dataclass(frozen=True)
class Defaults:
    timezone: str = "Europe/Amsterdam"
    duration: timedelta = timedelta(hours=1)


# ---------------------------------------------------------------- describing


def format_wall(moment: datetime, tz: ZoneInfo) -> str:
    """A UTC instant as wall time in `tz`; with its offset where the wall time is ambiguous."""
    local = moment.astimezone(tz)
    text = local.isoformat(timespec="seconds" if local.second else "minutes")
    return text if clock.wall_time_is_ambiguous(local) else text[: -len("+01:00")]


def _format_moment(moment: datetime, tz: ZoneInfo, all_day: bool) -> str:
    return clock.local_date(moment, tz).isoformat() if all_day else format_wall(moment, tz)


def _describe_override(
    item: AgendaItem, override: OccurrenceOverride, tz: ZoneInfo
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "recurrence_id": _format_moment(override.recurrence_id, tz, item.all_day),
        "cancelled": override.cancelled,
    }
    if override.starts_at is not None:
        entry["start"] = _format_moment(override.starts_at, tz, item.all_day)
    if override.ends_at is not None:
        entry["end"] = (
            _day_before(override.ends_at, tz).isoformat()
            if item.all_day
            else format_wall(override.ends_at, tz)
        )
    if override.title is not None:
        entry["title"] = override.title
    if override.location is not None:
        entry["location"] = override.location
    return entry


def _last_day(item: AgendaItem, tz: ZoneInfo) -> date:
    """The last day an all-day item covers (its stored end is the next local midnight)."""
    first = clock.local_date(item.starts_at, tz)
    return max(_day_before(item.ends_at, tz), first)


def _day_before(end: datetime, tz: ZoneInfo) -> date:
    return clock.local_date(end, tz) - timedelta(days=1)


def describe_item(item: AgendaItem) -> dict[str, Any]:
    """Every field of the item in its external (import/export) form."""
    tz = clock.zone(item.timezone)
    return {
        "uid": item.uid,
        "title": item.title,
        "kind": item.kind.value,
        "start": _format_moment(item.starts_at, tz, item.all_day),
        "end": _last_day(item, tz).isoformat() if item.all_day else format_wall(item.ends_at, tz),
        "timezone": item.timezone,
        "rrule": item.rrule,
        "rdates": [_format_moment(m, tz, item.all_day) for m in item.rdates],
        "exdates": [_format_moment(m, tz, item.all_day) for m in item.exdates],
        "occurrences": [_describe_override(item, o, tz) for o in item.overrides],
        "location": item.location,
        "online_url": item.online_url,
        "description": item.description,
        "themes": [theme.slug for theme in item.themes],
        "stakeholders": [stakeholder.slug for stakeholder in item.stakeholders],
        "owner": item.owner.email if item.owner else None,
        "participants": [person.email for person in item.participants],
        "goal": item.goal,
        "message": item.message,
        "role": item.role.value if item.role else None,
        "status": item.status.value,
        "confidentiality": item.confidentiality.value,
        "reminders": list(item.reminders),
        "outcome": item.outcome,
        "follow_ups": [
            {
                "text": f.text,
                "owner": f.owner.email if f.owner else None,
                "due": f.due_on.isoformat() if f.due_on else None,
                "done": f.done,
            }
            for f in item.follow_ups
        ],
        "dossiers": [dossier.slug for dossier in item.dossiers],
        "contacts": [contact.slug for contact in item.contacts],
    }


# ---------------------------------------------------------------- wall times to instants


@dataclass
class _Times:
    tz: ZoneInfo
    all_day: bool
    problems: list[ValidationError] = field(default_factory=list)

    def instant(self, wall: WallTime, name: str) -> datetime:
        """Place a wall time of this item in its zone; refuse a mix of days and times."""
        is_day = not isinstance(wall, datetime)
        if is_day != self.all_day:
            want = "a date (all-day item)" if self.all_day else "a date and time"
            raise ValidationError(
                f"{wall.isoformat()} should be {want}, like start", field=name,
                key="want_day" if self.all_day else "want_time", params={"value": wall},
            )  # fmt: skip
        if isinstance(wall, datetime):
            if wall.tzinfo is not None:
                return wall.astimezone(UTC)
            local = wall.replace(tzinfo=self.tz)
            if not clock.wall_time_exists(local):
                raise ValidationError(
                    f"{wall.isoformat(timespec='minutes')} does not exist in {self.tz.key} "
                    "(the clock skips that hour at the change to summer time)",
                    field=name, key="skipped_hour",
                    params={"value": f"{wall:%H:%M}", "day": wall.date()},
                )  # fmt: skip
            return local.astimezone(UTC)
        return clock.local_midnight(wall, self.tz)


def _show(wall: WallTime | None) -> str:
    if isinstance(wall, datetime):
        return wall.isoformat(timespec="minutes")
    return wall.isoformat() if wall else "?"


def _end_instant(spec: ItemIn, times: _Times, start: datetime, default: timedelta) -> datetime:
    """The exclusive end. All-day ends are counted in calendar days, not in 24-hour steps
    (the days of the DST changes last 23 and 25 hours)."""
    if times.all_day:
        assert isinstance(spec.start, date)
        last_day = spec.start if spec.end is None else spec.end
        times.instant(last_day, "end")  # refuses a time where a date belongs
        if last_day < spec.start:
            raise ValidationError(
                f"end {_show(last_day)} is before start {_show(spec.start)}", field="end",
                key="end_before_start",
            )  # fmt: skip
        return clock.local_midnight(last_day + timedelta(days=1), times.tz)
    if spec.end is None:
        return start + default
    end = times.instant(spec.end, "end")
    if end < start:
        raise ValidationError(
            f"end {_show(spec.end)} is before start {_show(spec.start)}", field="end",
            key="end_before_start",
        )  # fmt: skip
    return end


# ---------------------------------------------------------------- saving


def find_item(session: Session, uid: str) -> AgendaItem:
    item = session.scalar(item_query().where(AgendaItem.uid == uid))
    if item is None:
        raise NotFound(f"no agenda item with uid {uid!r}", field="uid", key="no_item")
    return item


def item_query() -> Select[AgendaItem]:
    return select(AgendaItem).options(
        selectinload(AgendaItem.themes),
        selectinload(AgendaItem.stakeholders),
        selectinload(AgendaItem.participants),
        selectinload(AgendaItem.owner),
        selectinload(AgendaItem.overrides),
        selectinload(AgendaItem.follow_ups).selectinload(FollowUp.owner),
        selectinload(AgendaItem.dossiers),
        selectinload(AgendaItem.contacts),
    )


def _merge(existing: AgendaItem, spec: ItemIn) -> ItemIn:
    """The stored description with the given fields of `spec` laid over it."""
    merged = describe_item(existing)
    given = spec.model_dump(include=spec.model_fields_set)
    if "start" in given and "end" not in given:
        merged["end"] = _shifted_end(existing, spec.start)
    merged.update(given)
    return parse(ItemIn, merged)


def _shifted_end(item: AgendaItem, new_start: WallTime) -> WallTime | None:
    """Moving the start moves the end along, keeping the wall-clock length."""
    if isinstance(new_start, datetime) == item.all_day:
        return None  # switching between all-day and timed: the default length applies
    tz = clock.zone(item.timezone)
    if item.all_day:
        days = (_last_day(item, tz) - clock.local_date(item.starts_at, tz)).days
        return new_start + timedelta(days=days)
    length = item.ends_at.astimezone(tz).replace(tzinfo=None) - item.starts_at.astimezone(
        tz
    ).replace(tzinfo=None)
    return new_start + length


def save_item(
    session: Session, spec: ItemIn, actor: Actor, defaults: Defaults = Defaults()
) -> tuple[Outcome, AgendaItem]:
    """Create the item, or update the one with `spec.uid`; record what changed."""
    existing = session.scalar(item_query().where(AgendaItem.uid == spec.uid)) if spec.uid else None
    if existing is None:
        item = AgendaItem(uid=spec.uid or _new_uid(), revision=0)
        _build(session, item, spec, defaults)
        session.add(item)
        session.flush()
        _record(session, item, None, describe_item(item), actor)
        return "created", item
    before = describe_item(existing)
    _build(session, existing, _merge(existing, spec), defaults)
    _check_source(existing, before, describe_item(existing), actor)
    session.flush()
    changed = _record(session, existing, before, describe_item(existing), actor)
    return ("updated" if changed else "unchanged"), existing


def _check_source(
    item: AgendaItem, before: dict[str, Any], after: dict[str, Any], actor: Actor
) -> None:
    """An item from an outside calendar: what the calendar owns changes only through its sync."""
    if item.source_id is None or actor.channel == SOURCE_CHANNEL:
        return  # our own item, or the sync itself
    touched = [key for key in after if key in SOURCE_FIELDS and before.get(key) != after.get(key)]
    if touched:
        raise read_only(
            item,
            f"{', '.join(touched)} cannot be changed here; owner, participants, goal, message, "
            "role, reminders, outcome and follow-ups can",
            touched[0],
        )


def read_only(item: AgendaItem, detail: str, field: str = "uid") -> ReadOnly:
    name = item.source.name if item.source is not None else f"#{item.source_id}"
    return ReadOnly(
        f"{item.uid} comes from the outside calendar {name!r}; it changes there ({detail})",
        field=field, key="read_only", params={"source": name},
    )  # fmt: skip


def update(
    session: Session, item: AgendaItem, changes: Mapping[str, Any], actor: Actor
) -> AgendaItem:
    """Change the given fields (in the import format) of `item`; the rest stays. A new start
    without an end moves the end along, as in `save_item`."""
    if changes.get("uid", item.uid) != item.uid:
        raise ValidationError("the uid of an item cannot change", field="uid")
    merged = describe_item(item) | dict(changes)
    spec = parse(ItemIn, merged)
    if "start" in changes and "end" not in changes:
        spec = parse(ItemIn, merged | {"end": _shifted_end(item, spec.start)})
    save_item(session, spec, actor)
    return item


def _new_uid() -> str:
    return str(uuid.uuid4())


def _build(session: Session, item: AgendaItem, spec: ItemIn, defaults: Defaults) -> None:
    """Set every field of `item` from the complete `spec`."""
    zone_name = spec.timezone or item.timezone or defaults.timezone
    times = _Times(clock.zone(zone_name), all_day=not isinstance(spec.start, datetime))
    starts_at = times.instant(spec.start, "start")
    item.timezone = zone_name
    item.all_day = times.all_day
    item.starts_at = starts_at
    item.ends_at = _end_instant(spec, times, starts_at, defaults.duration)
    item.rrule = (
        normalize_rrule(spec.rrule, times.tz, all_day=times.all_day) if spec.rrule else None
    )
    item.rdates = [times.instant(w, "rdates") for w in spec.rdates]
    item.exdates = [times.instant(w, "exdates") for w in spec.exdates]
    item.kind, item.title, item.status = spec.kind, spec.title, spec.status
    item.description, item.location, item.online_url = (
        spec.description,
        spec.location,
        spec.online_url,
    )
    item.goal, item.message, item.role, item.outcome = (
        spec.goal,
        spec.message,
        spec.role,
        spec.outcome,
    )
    item.confidentiality, item.reminders = spec.confidentiality, list(spec.reminders)
    item.themes = catalog.themes(session, spec.themes)
    item.stakeholders = catalog.stakeholders(session, spec.stakeholders)
    item.owner = catalog.person(session, spec.owner) if spec.owner else None
    item.participants = catalog.people(session, spec.participants)
    item.dossiers = catalog.dossiers(session, spec.dossiers)
    item.contacts = catalog.contact_persons(session, spec.contacts)
    _check_rule_start(item, spec)
    _check_exdates(item, spec)
    _set_overrides(item, spec.occurrences, times)
    _set_follow_ups(session, item, spec.follow_ups)
    item.last_ends_at = last_end(item)


def _check_rule_start(item: AgendaItem, spec: ItemIn) -> None:
    tz = clock.zone(item.timezone)
    local = item.starts_at.astimezone(tz)
    if is_recurring(item) and not item.all_day and local.fold:
        earlier = local.replace(fold=0).isoformat(timespec="minutes")
        raise ValidationError(
            f"start {local.isoformat(timespec='minutes')} is the second time the clock shows "
            f"{local:%H:%M} that night; a series repeats at a wall-clock time and starts at "
            f"the first, {earlier}",
            field="start", key="second_hour", params={"value": f"{local:%H:%M}"},
        )  # fmt: skip
    first = first_rule_start(item)
    if first is not None:
        tz = clock.zone(item.timezone)
        raise ValidationError(
            f"start {_show(spec.start)} is not an occurrence of {item.rrule}; start the series "
            f"on its first occurrence, {_format_moment(first, tz, item.all_day)}",
            field="start", key="not_first_occurrence",
            params={"first": _format_moment(first, tz, item.all_day)},
        )  # fmt: skip


def _check_exdates(item: AgendaItem, spec: ItemIn) -> None:
    for wall, moment in zip(spec.exdates, item.exdates, strict=True):
        if not is_original_start(item, moment, honour_exdates=False):
            raise ValidationError(
                f"{_show(wall)} is not an occurrence of this item", field="exdates",
                key="not_an_occurrence", params={"value": _show(wall)},
            )  # fmt: skip


def _set_overrides(item: AgendaItem, entries: Sequence[OverrideIn], times: _Times) -> None:
    if entries and not (item.rrule or item.rdates):
        raise ValidationError(
            "only a recurring item has single occurrences to change", field="occurrences"
        )
    current = {o.recurrence_id: o for o in item.overrides}
    wanted: dict[datetime, OccurrenceOverride] = {}
    for entry in entries:
        rid = times.instant(entry.recurrence_id, "occurrences.recurrence_id")
        if not is_original_start(item, rid) or rid in wanted:
            raise ValidationError(
                f"{_show(entry.recurrence_id)} is not an occurrence of this item "
                "(or is listed twice)",
                field="occurrences.recurrence_id", key="not_an_occurrence",
                params={"value": _show(entry.recurrence_id)},
            )  # fmt: skip
        starts_at, ends_at = _moved_times(item, entry, times)
        fields = (entry.cancelled, starts_at, ends_at, entry.title, entry.location)
        override = current.get(rid) or OccurrenceOverride(recurrence_id=rid)
        if override.id is None or fields != _override_fields(override):
            # A change restarts the time a cancellation stays visible in feeds.
            override.cancelled, override.starts_at, override.ends_at = fields[:3]
            override.title, override.location = fields[3:]
            override.changed_at = clock.now_utc()
        wanted[rid] = override
    item.overrides = [wanted[rid] for rid in sorted(wanted)]


def _moved_times(
    item: AgendaItem, entry: OverrideIn, times: _Times
) -> tuple[datetime | None, datetime | None]:
    """Where a moved occurrence lies: times for a timed item; days for an all-day item, its
    end the last day (as the item's own), by default as many days as the item lasts."""
    starts_at = times.instant(entry.start, "occurrences.start") if entry.start else None
    ends_at: datetime | None = None
    if times.all_day and isinstance(entry.start, date):
        days = (_last_day(item, times.tz) - clock.local_date(item.starts_at, times.tz)).days
        last = entry.end if entry.end is not None else entry.start + timedelta(days=days)
        times.instant(last, "occurrences.end")  # refuses a time where a day belongs
        ends_at = times.instant(last + timedelta(days=1), "occurrences.end")
    elif entry.end is not None:
        ends_at = times.instant(entry.end, "occurrences.end")
    # An all-day end is the midnight after its last day: at least a day after the start.
    shortest = timedelta(days=1) if times.all_day else timedelta()
    if starts_at and ends_at and ends_at - starts_at < shortest:
        raise ValidationError(
            f"end {_show(entry.end)} is before start {_show(entry.start)}",
            field="occurrences.end", key="end_before_start",
        )  # fmt: skip
    return starts_at, ends_at


def _override_fields(override: OccurrenceOverride) -> tuple[object, ...]:
    return (
        override.cancelled,
        override.starts_at,
        override.ends_at,
        override.title,
        override.location,
    )


def _set_follow_ups(session: Session, item: AgendaItem, entries: Sequence[FollowUpIn]) -> None:
    by_text = {f.text: f for f in item.follow_ups}
    kept = []
    for entry in entries:
        follow_up = by_text.pop(entry.text, None) or FollowUp(text=entry.text)
        follow_up.owner = (
            catalog.person(session, entry.owner, "follow_ups.owner") if entry.owner else None
        )
        follow_up.due_on, follow_up.done = entry.due, entry.done
        kept.append(follow_up)
    item.follow_ups = kept


def _record(
    session: Session,
    item: AgendaItem,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    actor: Actor,
) -> bool:
    """Write the change history of one save and raise the revision; False when nothing changed."""
    if before is None:
        changes = [("created", None, after)]
    else:
        changes = [
            (key, before.get(key), value)
            for key, value in after.items()
            if before.get(key) != value
        ]
    if not changes:
        return False
    item.revision += 1
    item.updated_at = clock.now_utc()
    for name, old, new in changes:
        session.add(
            ItemChange(
                item_uid=item.uid,
                revision=item.revision,
                changed_at=item.updated_at,
                changed_by=actor.who,
                channel=actor.channel,
                field=name,
                old_value=None if old is None else json.dumps(old, ensure_ascii=False),
                new_value=None if new is None else json.dumps(new, ensure_ascii=False),
            )
        )
    return True


def history(
    session: Session, uid: str | None = None, since: datetime | None = None
) -> list[ItemChange]:
    """The audit trail, oldest first: of one item (also a deleted one), from `since`."""
    query = select(ItemChange).order_by(ItemChange.id)
    if uid is not None:
        query = query.where(ItemChange.item_uid == uid)
    if since is not None:
        query = query.where(ItemChange.changed_at >= since)
    return list(session.scalars(query))


def cancel(session: Session, uid: str, actor: Actor, occurrence: str | None = None) -> AgendaItem:
    """Cancel the whole item, or with `occurrence` (its original wall time) one occurrence."""
    item = find_item(session, uid)
    description = describe_item(item)
    if occurrence is None:
        description["status"] = ItemStatus.CANCELLED.value
    else:
        entries = _overrides_by_start(description, occurrence)
        key = next(
            (k for k in entries if parse_wall_time(k) == parse_wall_time(occurrence)), occurrence
        )
        entries[key] = {**entries.get(key, {"recurrence_id": occurrence}), "cancelled": True}
        description["occurrences"] = list(entries.values())
    save_item(session, parse(ItemIn, description), actor)
    return item


def move(
    session: Session, uid: str, actor: Actor, occurrence: str, start: str, end: str | None
) -> AgendaItem:
    """Move one occurrence of a recurring item (given by its original wall time)."""
    item = find_item(session, uid)
    _check_wall_time(start, "start")
    if end:
        _check_wall_time(end, "end")
    description = describe_item(item)
    entries = _overrides_by_start(description, occurrence)
    key = next(
        (k for k in entries if parse_wall_time(k) == parse_wall_time(occurrence)), occurrence
    )
    moved = {**entries.get(key, {"recurrence_id": occurrence}), "cancelled": False, "start": start}
    entries[key] = moved | ({"end": end} if end else {})
    description["occurrences"] = list(entries.values())
    save_item(session, parse(ItemIn, description), actor)
    return item


def _overrides_by_start(description: dict[str, Any], occurrence: str) -> dict[str, Any]:
    _check_wall_time(occurrence, "occurrence")
    return {e["recurrence_id"]: e for e in description["occurrences"]}


def _check_wall_time(value: str, field: str) -> None:
    """A date or wall time as the caller typed it, or a ValidationError naming their field
    (checked later, inside the whole item, it would be named `occurrences.2.start`)."""
    try:
        parse_wall_time(value)
    except ValueError as exc:
        raise ValidationError(
            f"{field}: {exc}",
            field=field,
            key=getattr(exc, "key", "invalid"),
            params=getattr(exc, "params", {"value": value}),
        ) from exc


def delete(session: Session, uid: str, actor: Actor) -> None:
    """Remove an item; its history stays (recorded as "deleted"), its pending reminders are
    cancelled by the next planning, and feeds drop it."""
    item = find_item(session, uid)
    if item.source_id is not None:
        # Deleting: the outside calendar decides (or `sources remove` makes it our own).
        raise read_only(item, "it cannot be deleted here")
    # The whole item as it was, so that the history keeps what was deleted.
    _record(session, item, {"deleted": describe_item(item)}, {"deleted": None}, actor)
    session.delete(item)


# ---------------------------------------------------------------- listing


@dataclass(frozen=True)
class ItemFilter:
    themes: Sequence[str] = ()
    stakeholders: Sequence[str] = ()
    kinds: Sequence[ItemKind] = ()
    statuses: Sequence[ItemStatus] = ()
    with_owner_and_stakeholder: bool = False  # only items someone owns, with some partner


def items_in_window(
    session: Session, start: datetime, end: datetime, where: ItemFilter
) -> list[AgendaItem]:
    """Items that may occur in [start, end): recurring ones always, one-offs by their times."""
    query = item_query().where(
        or_(
            AgendaItem.rrule.is_not(None),
            AgendaItem.rdates != [],
            (AgendaItem.starts_at < end) & (AgendaItem.ends_at >= start),
        )
    )
    return list(session.scalars(_filtered(query, where)))


def filtered_items(session: Session, where: ItemFilter) -> list[AgendaItem]:
    """Every item matching the filters, by start."""
    query = item_query().order_by(AgendaItem.starts_at, AgendaItem.uid)
    return list(session.scalars(_filtered(query, where)))


def _filtered(query: Select[AgendaItem], where: ItemFilter) -> Select[AgendaItem]:
    if where.themes:
        query = query.where(AgendaItem.themes.any(Theme.slug.in_(where.themes)))
    if where.stakeholders:
        query = query.where(AgendaItem.stakeholders.any(Stakeholder.slug.in_(where.stakeholders)))
    if where.kinds:
        query = query.where(AgendaItem.kind.in_(where.kinds))
    if where.statuses:
        query = query.where(AgendaItem.status.in_(where.statuses))
    if where.with_owner_and_stakeholder:
        query = query.where(AgendaItem.owner_id.is_not(None), AgendaItem.stakeholders.any())
    return query


def occurrences(
    session: Session, start: datetime, end: datetime, where: ItemFilter = ItemFilter()
) -> list[Occurrence]:
    return occurrences_between(items_in_window(session, start, end, where), start, end)


def all_items(session: Session) -> list[AgendaItem]:
    return list(session.scalars(item_query().order_by(AgendaItem.starts_at, AgendaItem.uid)))


def existing_uids(session: Session) -> set[str]:
    return set(session.scalars(select(AgendaItem.uid)))
