"""Preparation chains: the steps that lead up to a decision moment (a lobby window) or a
deadline, made from the templates in the settings.

A chain belongs to one occurrence of an item (a one-off item's only one). Its tasks keep
their offsets, not dates: a task's due date is worked out from where the occurrence is now,
so the chain moves with the item by construction, through every channel (web, API, CLI,
imports, outside calendars). When the occurrence is cancelled or disappears, the planner
marks the chain cancelled (`follow`), which ends its reminders and tells its owners once
(see nudges).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, selectinload

from scheduler import catalog, clock
from scheduler.agenda import Actor
from scheduler.config import ChainTemplate
from scheduler.errors import NotFound, ValidationError
from scheduler.models import (
    AgendaItem,
    ItemChange,
    ItemStatus,
    Person,
    PreparationChain,
    PreparationTask,
)
from scheduler.occurrences import Occurrence, expand, occurrence_of
from scheduler.offsets import falls_at, parse_offset
from scheduler.permissions import may_see
from scheduler.schemas import parse_wall_time

# Chains of items that ended longer ago than this are history: the planner leaves them be
# (a debriefing step after the moment, or a late reminder, still falls within it).
_FOLLOWED_FOR = timedelta(days=31)


@dataclass(frozen=True)
class Step:
    """A task with its due date as the occurrence now stands (None: the chain is off)."""

    task: PreparationTask
    due_on: date | None

    def overdue(self, today: date) -> bool:
        return self.task.done_at is None and self.due_on is not None and self.due_on < today


# ---------------------------------------------------------------- reading


def chain_query() -> Select[PreparationChain]:
    return select(PreparationChain).options(
        selectinload(PreparationChain.owner),
        selectinload(PreparationChain.tasks).selectinload(PreparationTask.owner),
        selectinload(PreparationChain.item).selectinload(AgendaItem.overrides),
    )


def chains_of(session: Session, items: Sequence[AgendaItem]) -> list[PreparationChain]:
    ids = {item.id for item in items}
    if not ids:
        return []
    query = chain_query().where(PreparationChain.item_id.in_(ids))
    return list(session.scalars(query.order_by(PreparationChain.id)))


def upcoming(session: Session, now: datetime) -> list[PreparationChain]:
    """The chains of items that still lie ahead or ended within the last week (so that
    a debriefing step after the moment stays in view), soonest first."""
    query = (
        chain_query()
        .join(PreparationChain.item)
        .where(
            AgendaItem.last_ends_at.is_(None) | (AgendaItem.last_ends_at > now - timedelta(days=7))
        )
    )
    return list(session.scalars(query.order_by(AgendaItem.starts_at, PreparationChain.id)))


def find_chain(session: Session, chain_id: int) -> PreparationChain:
    chain = session.scalar(chain_query().where(PreparationChain.id == chain_id))
    if chain is None:
        raise NotFound(f"no preparation chain with id {chain_id}", field="chain")
    return chain


def find_task(session: Session, task_id: int) -> PreparationTask:
    task = session.get(PreparationTask, task_id)
    if task is None:
        raise NotFound(f"no preparation task with id {task_id}", field="task", key="no_step")
    return task


def anchor(chain: PreparationChain) -> Occurrence | None:
    """The occurrence the chain leads up to, as it is now; None if it is cancelled or gone."""
    item = chain.item
    if item.status == ItemStatus.CANCELLED:
        return None
    rid = datetime.fromisoformat(chain.occurrence) if chain.occurrence else None
    found = occurrence_of(item, rid)
    return None if found is None or found.cancelled else found


def steps(chain: PreparationChain, closed: frozenset[date] = frozenset()) -> list[Step]:
    """The chain's tasks in order, each with its due date (a day in the item's zone)."""
    occurrence = anchor(chain)
    if occurrence is None:
        return [Step(task, None) for task in chain.tasks]
    zone = clock.zone(chain.item.timezone)
    return [
        Step(task, due_on(task.offset, occurrence, zone, closed, chain.item.all_day))
        for task in chain.tasks
    ]


def due_on(
    offset: str, occurrence: Occurrence, zone: ZoneInfo, closed: frozenset[date],
    all_day: bool = False,
) -> date:  # fmt: skip
    moment = falls_at(parse_offset(offset), occurrence.start, occurrence.end, zone, closed)
    if all_day and parse_offset(offset).after:
        moment -= timedelta(days=1)  # an all-day item's end is the next midnight
    return moment.astimezone(zone).date()


def progress(chain: PreparationChain) -> tuple[int, int]:
    """How many of the chain's tasks are done, of how many."""
    return sum(task.done_at is not None for task in chain.tasks), len(chain.tasks)


def assignee(task: PreparationTask) -> Person | None:
    """Who is asked to do the task: its owner; else (none, gone, or not allowed to see a
    confidential item) the chain's owner; else the item's owner."""
    item = task.chain.item
    for person in (task.owner, task.chain.owner, item.owner):
        if person is not None and person.active and may_see(item, person):
            return person
    return None


# ---------------------------------------------------------------- changing


def attach(
    session: Session, item: AgendaItem, slug: str, templates: Mapping[str, ChainTemplate],
    *, actor: Actor, now: datetime, owner: str | None = None, occurrence: str | None = None,
) -> PreparationChain:  # fmt: skip
    """Attach template `slug` to the item's occurrence (given by its original wall time,
    else the next one), with a task per step; `owner` (an email) owns the chain instead of
    the item's owner."""
    template = templates.get(slug)
    if template is None:
        known = ", ".join(sorted(templates)) or "none are configured"
        raise ValidationError(
            f"no chain template {slug!r} (known: {known})", field="template",
            key="unknown_name", params={"value": slug},
        )  # fmt: skip
    rid = _occurrence_to_lead_up_to(item, occurrence, now)
    key = rid.isoformat() if rid is not None else ""
    exists = select(PreparationChain.id).where(
        PreparationChain.item_id == item.id,
        PreparationChain.occurrence == key,
        PreparationChain.template == slug,
    )
    if session.scalar(exists) is not None:
        raise ValidationError(
            f"{item.uid} already has the chain {slug!r}", field="template", key="chain_twice"
        )
    chain_owner = catalog.person(session, owner) if owner else item.owner
    if chain_owner is None:
        raise ValidationError(
            f"{item.uid} has no owner: name the chain's owner (--owner EMAIL)", field="owner",
            key="chain_no_owner",
        )  # fmt: skip
    if not may_see(item, chain_owner):
        raise ValidationError(
            f"{chain_owner.email} may not see the confidential {item.uid}: the chain's owner "
            "must be its owner or a participant",
            field="owner", key="chain_owner_confidential",
        )  # fmt: skip
    chain = PreparationChain(
        item=item, occurrence=key, template=slug, name=template.name, owner=chain_owner,
        created_at=now, created_by=actor.who,
    )  # fmt: skip
    for position, step in enumerate(template.steps, start=1):
        task_owner = _owner_for(session, step.owner, item, chain_owner, slug)
        chain.tasks.append(
            PreparationTask(
                position=position,
                title=step.task,
                offset=step.when,
                owner=task_owner,
                ticked_by=step.ticked_by,
            )
        )
    session.add(chain)
    session.flush()
    _note(session, chain, actor, now, "chain", None, f"{slug} ({chain.occurrence or 'once'})")
    return chain


def _occurrence_to_lead_up_to(
    item: AgendaItem, occurrence: str | None, now: datetime
) -> datetime | None:
    """The recurrence id of the occurrence a new chain leads up to (None: a one-off item)."""
    if item.status == ItemStatus.CANCELLED:
        raise ValidationError(f"{item.uid} is cancelled", field="uid", key="item_cancelled")
    if occurrence is None:
        upcoming = _next_occurrence(item, now)
        if upcoming is None:
            raise ValidationError(
                f"{item.uid} has no occurrence ahead", field="uid", key="no_occurrence_ahead"
            )
        return upcoming.recurrence_id
    try:
        wall = parse_wall_time(occurrence)
    except ValueError as exc:
        raise ValidationError(str(exc), field="occurrence") from exc
    if not isinstance(wall, datetime):
        wall = datetime.combine(wall, time())  # an all-day occurrence starts at midnight
    if wall.tzinfo is None:
        wall = wall.replace(tzinfo=clock.zone(item.timezone))
    rid = wall.astimezone(UTC)
    found = occurrence_of(item, rid)
    if found is None or found.cancelled or found.recurrence_id is None:
        raise ValidationError(
            f"{item.uid} has no occurrence that started at {occurrence} (give the original "
            "start of an occurrence of a recurring item)",
            field="occurrence",
        )
    return rid


def _next_occurrence(item: AgendaItem, now: datetime) -> Occurrence | None:
    horizon = now + timedelta(days=800)
    upcoming = [o for o in expand(item, now, horizon) if not o.cancelled and o.start >= now]
    return upcoming[0] if upcoming else None


def _owner_for(
    session: Session, role: str, item: AgendaItem, chain_owner: Person, template: str
) -> Person:
    if role == "owner":
        return chain_owner
    if role == "participant":
        others = [p for p in item.participants if p.id != chain_owner.id and p.active]
        return others[0] if others else chain_owner
    person = session.scalar(select(Person).where(Person.email == role.lower()))
    if person is None or not person.active:
        raise ValidationError(
            f"chain template {template!r} names {role}, who is not in the people list",
            field="template",
        )
    return person


def set_task(
    session: Session, task: PreparationTask, *, actor: Actor, now: datetime,
    done: bool | None = None, owner: str | None = None,
) -> PreparationTask:  # fmt: skip
    """Tick a task off (or on again), or give it another owner (an email)."""
    what = f"{task.chain.template} {task.position}. {task.title}"
    if done is True and task.done_at is None:
        task.done_at, task.done_by = now, actor.who
        _note(session, task.chain, actor, now, "chain_step", what, "done")
    elif done is False and task.done_at is not None:
        task.done_at, task.done_by = None, ""
        _note(session, task.chain, actor, now, "chain_step", what, "open")
    if owner is not None:
        new_owner = catalog.person(session, owner)
        if new_owner != task.owner:
            before = task.owner.email if task.owner else None
            task.owner = new_owner
            _note(session, task.chain, actor, now, "chain_step_owner", before, new_owner.email)
    session.flush()
    return task


def tick_by_document(
    session: Session, item: AgendaItem, actor: Actor, now: datetime
) -> list[PreparationTask]:
    """A document was attached to the item: tick off the open steps that a document ticks
    (`ticked_by = "document"` in their template, e.g. "Positiepaper gereed") of the chain
    that leads up to the item's next occurrence still ahead (a paper is for one moment)."""
    live = [
        (occurrence, chain)
        for chain in chains_of(session, [item])
        if chain.cancelled_at is None and (occurrence := anchor(chain)) is not None
        and occurrence.end > now
    ]  # fmt: skip
    if not live:
        return []  # no chain waits for a paper
    first = min(occurrence.start for occurrence, _ in live)
    ticked = [
        task
        for occurrence, chain in live if occurrence.start == first
        for task in chain.tasks if task.ticked_by == "document" and task.done_at is None
    ]  # fmt: skip
    for task in ticked:
        set_task(session, task, actor=actor, now=now, done=True)
    return ticked


def detach(session: Session, chain: PreparationChain, actor: Actor, now: datetime) -> None:
    """Remove a chain and its tasks (their pending reminders are cancelled by the planner)."""
    _note(session, chain, actor, now, "chain", chain.template, None)
    session.delete(chain)
    session.flush()


def _note(
    session: Session, chain: PreparationChain, actor: Actor, now: datetime, field: str,
    old: str | None, new: str | None,
) -> None:  # fmt: skip
    """Into the item's history (the audit trail), without a new revision: the item's own
    fields did not change."""
    session.add(
        ItemChange(
            item_uid=chain.item.uid, revision=chain.item.revision, changed_at=now,
            changed_by=actor.who, channel=actor.channel, field=field,
            old_value=None if old is None else json.dumps(old, ensure_ascii=False),
            new_value=None if new is None else json.dumps(new, ensure_ascii=False),
        )
    )  # fmt: skip


def followed(session: Session, now: datetime, *, live_only: bool = False) -> list[PreparationChain]:
    """The chains the planner still looks after (their item ended at most `_FOLLOWED_FOR`
    ago); with `live_only`, those not called off."""
    query = (
        chain_query()
        .join(PreparationChain.item)
        .where(
            (AgendaItem.last_ends_at.is_(None)) | (AgendaItem.last_ends_at > now - _FOLLOWED_FOR)
        )
    )
    if live_only:
        query = query.where(PreparationChain.cancelled_at.is_(None))
    return list(session.scalars(query))


def follow(session: Session, now: datetime) -> int:
    """Mark chains whose occurrence was cancelled or is gone as cancelled (and the other way
    round, should it come back); returns how many changed. Run by the planner.

    Each change is a compare-and-set on what was read: two replicas finding a chain off at
    once record one moment, the first's (its notices are known by that moment: see nudges)."""
    changed = 0
    for chain in followed(session, now):
        off = anchor(chain) is None
        if off == (chain.cancelled_at is not None):
            continue  # as it should be
        was = PreparationChain.cancelled_at
        result = session.execute(
            update(PreparationChain)
            .where(PreparationChain.id == chain.id, was.is_(None) if off else was.is_not(None))
            .values(cancelled_at=now if off else None)
            .execution_options(synchronize_session=False)
        )
        changed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return changed


def describe(chain: PreparationChain, closed: frozenset[date] = frozenset()) -> dict[str, Any]:
    """The chain as plain data (CLI --json and the API)."""
    done, total = progress(chain)
    return {
        "id": chain.id,
        "item": chain.item.uid,
        "template": chain.template,
        "name": chain.name,
        "occurrence": chain.occurrence or None,
        "owner": chain.owner.email if chain.owner else None,
        "cancelled": chain.cancelled_at is not None or anchor(chain) is None,
        "done": done,
        "total": total,
        "tasks": [
            {
                "id": step.task.id,
                "position": step.task.position,
                "title": step.task.title,
                "when": step.task.offset,
                "due_on": step.due_on.isoformat() if step.due_on else None,
                "owner": step.task.owner.email if step.task.owner else None,
                "done": step.task.done_at is not None,
                "done_at": step.task.done_at.isoformat() if step.task.done_at else None,
                "done_by": step.task.done_by or None,
            }
            for step in steps(chain, closed)
        ],
    }
