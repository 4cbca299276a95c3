"""Lobby dossiers: the strategy's goals, pursued over months, that agenda items link to.

A dossier names what we want (goal), what we ask of whom (ask), the stakeholders we want to
move (targets, each with an optional contact frequency), the partners pulling the same way
(coalition), its lead, our role, status, horizon and priority, and a log of progress notes.
A status change is logged as a note, so that a report can tell when it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from scheduler import catalog
from scheduler.agenda import Actor, Outcome, item_query
from scheduler.errors import NotFound
from scheduler.models import (
    AgendaItem,
    Dossier,
    DossierNote,
    DossierStatus,
    DossierTarget,
    ItemStatus,
    Person,
    Stakeholder,
    item_dossiers,
)
from scheduler.occurrences import expand
from scheduler.offsets import parse_offset
from scheduler.permissions import may_see
from scheduler.schemas import DossierIn, DossierNoteIn


def dossier_query() -> Select[Dossier]:
    return select(Dossier).options(
        selectinload(Dossier.lead),
        selectinload(Dossier.themes),
        selectinload(Dossier.coalition),
        selectinload(Dossier.targets).selectinload(DossierTarget.stakeholder),
        selectinload(Dossier.notes),
    )


# Dossiers in these states still want their contacts kept up.
LIVE = (DossierStatus.VERKENNING, DossierStatus.ACTIEF)


def live_dossiers(session: Session) -> list[Dossier]:
    return list(session.scalars(dossier_query().where(Dossier.status.in_(LIVE))))


def all_dossiers(session: Session) -> list[Dossier]:
    return list(session.scalars(dossier_query().order_by(Dossier.slug)))


def find_dossier(session: Session, slug: str) -> Dossier:
    found = session.scalar(dossier_query().where(Dossier.slug == slug))
    if found is None:
        raise NotFound(f"no dossier {slug!r}; see `lobby-agenda dossiers list`", field="dossier")
    return found


def items_of(session: Session, dossier: Dossier, reader: Person | None = None) -> list[AgendaItem]:
    """The dossier's items, by start; with a `reader`, only those they may see (a
    confidential item of others tells nothing, not even that we met someone then)."""
    query = item_query().join(item_dossiers).where(item_dossiers.c.dossier_id == dossier.id)
    found = session.scalars(query.order_by(AgendaItem.starts_at, AgendaItem.uid))
    return [i for i in found if reader is None or may_see(i, reader)]


# ---------------------------------------------------------------- changing


def save(session: Session, spec: DossierIn, actor: Actor, now: datetime) -> Outcome:
    """Create or update a dossier from `spec` (fields left out keep their value); a status
    change is logged as a note; imported notes are added unless already there."""
    given = spec.model_fields_set | {"slug", "title"}
    dossier = session.scalar(dossier_query().where(Dossier.slug == spec.slug))
    created = dossier is None
    if dossier is None:
        dossier = Dossier(slug=spec.slug, created_at=now)
        session.add(dossier)
    before = _state(dossier) if not created else None
    old_status = dossier.status
    _apply(session, dossier, spec, given)
    added = _add_notes(dossier, spec.notes, actor, now) if "notes" in given else 0
    if not created and old_status != dossier.status and "notes" not in given:
        _log_status(dossier, old_status, actor, now)
    session.flush()
    if created:
        return "created"
    if before == _state(dossier) and not added:
        return "unchanged"
    dossier.updated_at = now
    return "updated"


def _apply(session: Session, dossier: Dossier, spec: DossierIn, given: set[str]) -> None:
    for name in ("title", "goal", "ask", "role", "status", "priority"):
        if name in given:
            setattr(dossier, name, getattr(spec, name))
    if "horizon" in given:
        dossier.horizon_on = spec.horizon
    if "lead" in given:
        dossier.lead = catalog.person(session, spec.lead, "lead") if spec.lead else None
    if "themes" in given:
        dossier.themes = catalog.themes(session, spec.themes)
    if "coalition" in given:
        dossier.coalition = catalog.stakeholders(session, spec.coalition, field="coalition")
    if "targets" in given:
        _set_targets(session, dossier, spec)


def _set_targets(session: Session, dossier: Dossier, spec: DossierIn) -> None:
    slugs = [t.stakeholder for t in spec.targets]
    found = {s.slug: s for s in catalog.stakeholders(session, slugs, field="targets")}
    current = {t.stakeholder.slug: t for t in dossier.targets}
    kept = []
    for target in spec.targets:
        row = current.get(target.stakeholder) or DossierTarget(
            stakeholder=found[target.stakeholder]
        )
        row.contact_every = target.contact_every
        kept.append(row)
    dossier.targets = kept


def _add_notes(dossier: Dossier, notes: list[DossierNoteIn], actor: Actor, now: datetime) -> int:
    known = {(n.written_at, n.text) for n in dossier.notes}
    added = 0
    for note in notes:
        at = note.at or now
        if (at, note.text) in known:
            continue
        dossier.notes.append(
            DossierNote(
                written_at=at, written_by=note.by or actor.who, text=note.text,
                status_from=note.status_from, status_to=note.status_to,
            )
        )  # fmt: skip
        added += 1
    return added


def _log_status(dossier: Dossier, old: DossierStatus, actor: Actor, now: datetime) -> None:
    new = dossier.status.value
    dossier.notes.append(
        DossierNote(
            written_at=now, written_by=actor.who, text=f"status: {old.value} → {new}",
            status_from=old.value, status_to=new,
        )
    )  # fmt: skip


def _state(dossier: Dossier) -> tuple[Any, ...]:
    return (
        dossier.title, dossier.goal, dossier.ask, dossier.role, dossier.status, dossier.priority,
        dossier.horizon_on, dossier.lead_id, tuple(t.id for t in dossier.themes),
        tuple(s.id for s in dossier.coalition),
        tuple((t.stakeholder_id, t.contact_every) for t in dossier.targets),
    )  # fmt: skip


def add_note(
    session: Session, slug: str, text: str, actor: Actor, now: datetime,
    status: DossierStatus | None = None,
) -> DossierNote:  # fmt: skip
    """Log progress on a dossier, optionally with a new status."""
    dossier = find_dossier(session, slug)
    note = DossierNote(written_at=now, written_by=actor.who, text=text)
    if status is not None and status != dossier.status:
        note.status_from, note.status_to = dossier.status.value, status.value
        dossier.status = status
    dossier.notes.append(note)
    dossier.updated_at = now
    session.flush()
    return note


# ---------------------------------------------------------------- describing


def describe(dossier: Dossier) -> dict[str, Any]:
    """The dossier in the import format."""
    return {
        "slug": dossier.slug,
        "title": dossier.title,
        "goal": dossier.goal,
        "ask": dossier.ask,
        "themes": [t.slug for t in dossier.themes],
        "targets": [
            {"stakeholder": t.stakeholder.slug, "contact_every": t.contact_every}
            for t in dossier.targets
        ],
        "lead": dossier.lead.email if dossier.lead else None,
        "coalition": [s.slug for s in dossier.coalition],
        "role": dossier.role.value if dossier.role else None,
        "status": dossier.status.value,
        "horizon": dossier.horizon_on.isoformat() if dossier.horizon_on else None,
        "priority": dossier.priority.value,
        "notes": [
            {
                "text": n.text,
                "at": n.written_at.isoformat(),
                "by": n.written_by,
                "status_from": n.status_from,
                "status_to": n.status_to,
            }
            for n in dossier.notes
        ],
    }


# ---------------------------------------------------------------- contacts


HELD = (ItemStatus.PLANNED, ItemStatus.CONFIRMED, ItemStatus.DONE)
# How far back a last contact and ahead a next one are looked for (longer is "never").
_LOOK_BACK, _LOOK_AHEAD = timedelta(days=730), timedelta(days=400)


@dataclass(frozen=True)
class Contact:
    """Where a dossier stands with one target: the last item held with it, the next one
    planned, and whether the contact is overdue."""

    target: DossierTarget
    last: AgendaItem | None
    last_at: datetime | None
    next: AgendaItem | None
    next_at: datetime | None
    overdue: bool

    @property
    def stakeholder(self) -> Stakeholder:
        return self.target.stakeholder


def contacts(dossier: Dossier, items: list[AgendaItem], now: datetime) -> list[Contact]:
    """Each target's last and next contact among `items` (the dossier's items, as far as the
    reader may see them), occurrence by occurrence; a contact is overdue when the last held
    one (or, without one, the dossier's creation) is older than the target's frequency and
    none is planned."""
    occurrences = [
        o for i in items if i.status in HELD
        for o in expand(i, now - _LOOK_BACK, now + _LOOK_AHEAD) if not o.cancelled
    ]  # fmt: skip
    found = []
    for target in dossier.targets:
        met = [
            o for o in occurrences if target.stakeholder_id in {s.id for s in o.item.stakeholders}
        ]
        past = [o for o in met if o.start <= now]
        ahead = [o for o in met if o.start > now]
        last = max(past, key=lambda o: o.end) if past else None
        nxt = min(ahead, key=lambda o: o.start) if ahead else None
        overdue = False
        if target.contact_every and nxt is None:
            since = last.end if last else dossier.created_at  # a new dossier has one period
            overdue = since + every(target.contact_every) < now
        found.append(
            Contact(
                target, last.item if last else None, last.end if last else None,
                nxt.item if nxt else None, nxt.start if nxt else None, overdue,
            )
        )  # fmt: skip
    return found


def every(text: str) -> timedelta:
    """A target's contact frequency (an ISO duration, checked on the way in)."""
    duration = parse_offset(text, field="contact_every").duration
    assert duration is not None
    return duration
