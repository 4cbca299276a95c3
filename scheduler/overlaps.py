"""Overlap warnings: two colleagues meeting the same partner in the same week, on their own.

The municipality should speak to its partners with one voice. When two upcoming meetings or
networking moments of different owners share a stakeholder within the overlap window (the
same ISO week, or a number of days), both owners are told once (a nudge) and the items show
it. Owners who take part in each other's item already know, and are left alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.agenda import ItemFilter, occurrences
from scheduler.models import AgendaItem, ItemKind, ItemStatus, Person, Stakeholder
from scheduler.occurrences import Occurrence
from scheduler.offsets import parse_length
from scheduler.permissions import may_see
from scheduler.texts import Lang, text

# Kinds where someone goes and speaks with a partner; decisions and deadlines are not visits.
VISITS = (ItemKind.MEETING, ItemKind.NETWORKING)
_LIVE = (ItemStatus.PLANNED, ItemStatus.CONFIRMED)
_AHEAD = timedelta(days=120)  # how far ahead an item page looks for overlaps


@dataclass(frozen=True)
class Window:
    """When two occurrences count as the same moment: the same ISO week in `zone`, or at
    most `days` apart; `off` turns warnings off."""

    zone: ZoneInfo
    days: timedelta | None = None
    off: bool = False

    def close(self, first: datetime, second: datetime) -> bool:
        if self.off:
            return False
        if self.days is not None:
            return abs(first - second) <= self.days
        week = first.astimezone(self.zone).isocalendar()[:2]
        return week == second.astimezone(self.zone).isocalendar()[:2]


def parse_window(text: str, zone: str) -> Window:
    """`week`, `off`, or an ISO duration of whole days such as `P3D`."""
    value = text.strip()
    if value in ("week", "off"):
        return Window(clock.zone(zone), off=value == "off")
    return Window(clock.zone(zone), days=parse_length(value, field="overlap_window").duration)


@dataclass(frozen=True)
class Overlap:
    """Two occurrences of different owners with the same stakeholders, close together."""

    first: Occurrence
    second: Occurrence
    stakeholders: tuple[Stakeholder, ...]

    @property
    def key(self) -> str:
        return f"{_name(self.first)}:{_name(self.second)}"

    def other(self, occurrence: Occurrence) -> Occurrence:
        return self.second if occurrence is self.first else self.first


def _name(occurrence: Occurrence) -> str:
    """The occurrence's lasting name: the uid, and for a series its original start, so that
    moving a meeting within the window does not make a new overlap."""
    rid = occurrence.recurrence_id
    return occurrence.item.uid if rid is None else f"{occurrence.item.uid}@{rid.isoformat()}"


def find(session: Session, start: datetime, end: datetime, window: Window) -> list[Overlap]:
    """Every overlap among the visits that start in [start, end)."""
    if window.off:
        return []
    # The database leaves out what cannot overlap, so that the planner's run stays cheap.
    where = ItemFilter(kinds=VISITS, statuses=_LIVE, with_owner_and_stakeholder=True)
    visits = [o for o in occurrences(session, start, end, where) if counts(o) and o.start >= start]
    return between(visits, window)


def between(visits: Sequence[Occurrence], window: Window) -> list[Overlap]:
    """The overlaps among `visits` (occurrences for which `counts` holds)."""
    by_stakeholder: dict[int, list[Occurrence]] = defaultdict(list)
    for visit in visits:
        for stakeholder in visit.item.stakeholders:
            by_stakeholder[stakeholder.id].append(visit)
    pairs: dict[tuple[str, str], Overlap] = {}
    for meeting in by_stakeholder.values():
        for index, first in enumerate(meeting):
            for second in meeting[index + 1 :]:
                if _apart(first, second) and window.close(first.start, second.start):
                    a, b = sorted((first, second), key=_name)
                    common = shared(a.item, b.item)
                    pairs.setdefault((_name(a), _name(b)), Overlap(a, b, common))
    return sorted(pairs.values(), key=lambda o: (o.first.start, o.key))


def counts(occurrence: Occurrence) -> bool:
    """Whether the occurrence is a live visit to a partner, by someone."""
    item = occurrence.item
    return (
        not occurrence.cancelled
        and item.kind in VISITS
        and item.status in _LIVE
        and item.owner is not None
        and bool(item.stakeholders)
    )


def _apart(first: Occurrence, second: Occurrence) -> bool:
    """Different owners, neither of whom takes part in the other's item."""
    one, two = first.item, second.item
    if one.id == two.id or one.owner_id == two.owner_id:
        return False
    return not (_in(one.owner, two) or _in(two.owner, one))


def _in(person: Person | None, item: AgendaItem) -> bool:
    return person is not None and person in item.participants


def shared(first: AgendaItem, second: AgendaItem) -> tuple[Stakeholder, ...]:
    """The stakeholders both items meet."""
    ids = {s.id for s in second.stakeholders}
    return tuple(s for s in first.stakeholders if s.id in ids)


def flag(mine: Occurrence, other: Occurrence, lang: Lang) -> str:
    """What an item shows of the other visit: "ook Bob Bakker spreekt Metropoolregio
    Amsterdam"."""
    partners = ", ".join(s.name for s in shared(mine.item, other.item))
    who = other.item.owner.name if other.item.owner else "?"
    return text("overlap_flag", lang, who=who, partners=partners)


def of_item(
    session: Session, item: AgendaItem, now: datetime, window: Window, reader: Person
) -> list[tuple[Occurrence, Occurrence]]:
    """The item's upcoming occurrences that overlap another visit `reader` may see: (the
    item's occurrence, the other), soonest first."""
    found = []
    for overlap in find(session, now, now + _AHEAD, window):
        for mine in (overlap.first, overlap.second):
            other = overlap.other(mine)
            if mine.item.id == item.id and may_see(other.item, reader):
                found.append((mine, other))
    return found
