"""What the web pages show: the agenda by week (filtered), one item in full, the open agenda,
and the partnerships per theme and level.

Confidential items are for their owner and participants alone: to anyone else they are
absent from the agenda and an item page answers "not found", as for an unknown uid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import catalog
from scheduler.agenda import ItemFilter, find_item, occurrences
from scheduler.errors import NotFound
from scheduler.models import (
    AgendaItem,
    Confidentiality,
    Delivery,
    ItemChange,
    ItemKind,
    ItemStatus,
    Level,
    Person,
)
from scheduler.occurrences import Occurrence, expand
from scheduler.permissions import may_see
from scheduler.texts import Lang, Words, label, text


@dataclass(frozen=True)
class Row:
    """One occurrence on the agenda page."""

    uid: str
    title: str
    when: str
    kind: str
    status: str
    cancelled: bool
    location: str
    themes: str
    stakeholders: str
    owner: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class WeekRows:
    heading: str
    rows: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class AgendaQuery:
    themes: tuple[str, ...] = ()
    stakeholders: tuple[str, ...] = ()
    kinds: tuple[ItemKind, ...] = ()
    statuses: tuple[ItemStatus, ...] = ()
    owner: str | None = None
    start: date | None = None
    end: date | None = None  # inclusive


def agenda_weeks(
    session: Session, person: Person | None, query: AgendaQuery, lang: Lang, zone: str,
    now: datetime, *, public: bool = False,
) -> list[WeekRows]:  # fmt: skip
    """Occurrences in the period (default: today and the next four weeks), by ISO week; only
    what `person` may see (`public`: public items only, without people)."""
    words = Words(lang, zone)
    start, end = _period(query, words, now)
    where = ItemFilter(query.themes, query.stakeholders, query.kinds, query.statuses)
    found = [o for o in occurrences(session, start, end, where) if _shown(o, person, query, public)]
    weeks: dict[tuple[int, int], WeekRows] = {}
    for occurrence in found:
        day = occurrence.start.astimezone(words.zone).date()
        key = day.isocalendar()[:2]
        week = weeks.setdefault(key, WeekRows(words.week(day)))
        week.rows.append(_row(occurrence, words, now, public))
    return [weeks[key] for key in sorted(weeks)]


def _period(query: AgendaQuery, words: Words, now: datetime) -> tuple[datetime, datetime]:
    today = now.astimezone(words.zone).date()
    first = query.start or today
    last = query.end or first + timedelta(days=27)
    start = datetime.combine(first, datetime.min.time(), tzinfo=words.zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=words.zone)
    return start, end


def _shown(occurrence: Occurrence, person: Person | None, query: AgendaQuery, public: bool) -> bool:
    item = occurrence.item
    if public:
        return item.confidentiality == Confidentiality.PUBLIC and item.status != ItemStatus.IDEA
    if not may_see(item, person):
        return False
    return query.owner is None or (item.owner is not None and item.owner.email == query.owner)


def _row(occurrence: Occurrence, words: Words, now: datetime, public: bool) -> Row:
    item = occurrence.item
    flags: list[str] = []
    soon = now < occurrence.start < now + timedelta(days=7)
    if not public and soon and not (item.goal and item.message):
        flags.append(text("not_prepared", words.lang))
    return Row(
        uid=item.uid,
        title=" ".join(occurrence.title.split()),
        when=words.moment(occurrence.start, item.all_day),
        kind=label(item.kind.value, words.lang),
        status=label(
            ItemStatus.CANCELLED.value if occurrence.cancelled else item.status.value, words.lang
        ),
        cancelled=occurrence.cancelled or item.status == ItemStatus.CANCELLED,
        location=occurrence.location,
        themes=", ".join(t.name for t in item.themes),
        stakeholders=", ".join(s.name for s in item.stakeholders),
        owner="" if public or item.owner is None else item.owner.name,
        flags=tuple(flags),
    )


# ---------------------------------------------------------------- one item


@dataclass(frozen=True)
class ItemPage:
    item: AgendaItem
    when: str
    next_occurrences: list[tuple[str, bool, str]]  # (when, cancelled, original wall time)
    deliveries: list[Delivery]
    history: list[ItemChange]
    labels: dict[str, str]
    source: str = ""  # the outside calendar it comes from (its own fields are read-only)


def item_page(
    session: Session, person: Person, uid: str, lang: Lang, zone: str, now: datetime
) -> ItemPage:
    """Everything about one item, for someone who may see it; otherwise "not found"."""
    try:
        item = find_item(session, uid)
    except NotFound:
        raise NotFound(f"no agenda item {uid!r} (or not yours to see)", field="uid") from None
    if not may_see(item, person):
        raise NotFound(f"no agenda item {uid!r} (or not yours to see)", field="uid")
    words = Words(lang, zone)
    ahead = [o for o in expand(item, now, now + timedelta(days=800))][:5]
    deliveries = session.scalars(
        select(Delivery).where(Delivery.item_id == item.id).order_by(Delivery.due_at.desc())
    )
    history = session.scalars(
        select(ItemChange)
        .where(ItemChange.item_uid == item.uid)
        .order_by(ItemChange.changed_at.desc(), ItemChange.id.desc())
    )
    labels = {
        "kind": label(item.kind.value, lang),
        "status": label(item.status.value, lang),
        "role": label(item.role.value, lang) if item.role else "",
        "confidentiality": label(item.confidentiality.value, lang),
    }
    return ItemPage(
        item=item,
        when=words.long(item.starts_at, item.all_day),
        next_occurrences=[
            (words.long(o.start, item.all_day), o.cancelled, _wall_id(o, words)) for o in ahead
        ],
        deliveries=list(deliveries),
        history=list(history),
        labels=labels,
        source=item.source.name if item.source is not None else "",
    )


def _wall_id(occurrence: Occurrence, words: Words) -> str:
    """The occurrence's original start as wall time in the item's zone (how to name it)."""
    original = occurrence.recurrence_id or occurrence.start
    zone = occurrence.zone
    if occurrence.all_day:
        return original.astimezone(zone).date().isoformat()
    return original.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------- partnerships


@dataclass(frozen=True)
class Cell:
    name: str
    role: str
    evaluation: str


def partnership_matrix(session: Session, lang: Lang) -> list[tuple[str, dict[str, list[Cell]]]]:
    """Themes × levels: each partnership with our role and its next evaluation."""
    locale = "en_GB" if lang == "en" else "nl_NL"
    # Every theme has a row, also one without partnerships.
    grid: dict[str, dict[str, list[Cell]]] = {
        theme.name: {lv.value: [] for lv in Level} for theme in catalog.all_themes(session)
    }
    for partnership in catalog.all_partnerships(session):
        evaluation = (
            format_date(partnership.next_evaluation_on, "d MMM y", locale=locale)
            if partnership.next_evaluation_on
            else ""
        )
        cell = Cell(
            partnership.name,
            label(partnership.role.value, lang) if partnership.role else "",
            evaluation,
        )
        for name in [t.name for t in partnership.themes] or [text("no_theme", lang)]:
            grid.setdefault(name, {lv.value: [] for lv in Level})
            grid[name][partnership.level.value].append(cell)
    return sorted(grid.items())


def level_names(lang: Lang) -> list[tuple[str, str]]:
    return [(level.value, label(level.value, lang)) for level in Level]


def filter_choices(session: Session) -> dict[str, Sequence[tuple[str, str]]]:
    """What the agenda's filters offer: (value, name) pairs."""
    return {
        "themes": [(t.slug, t.name) for t in catalog.all_themes(session)],
        "stakeholders": [(s.slug, s.name) for s in catalog.all_stakeholders(session)],
        "owners": [(p.email, p.name) for p in catalog.all_people(session) if p.active],
    }
