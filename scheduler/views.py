"""What the web pages show: the agenda by week (filtered), one item in full, the open agenda,
and the partnerships per theme and level.

Confidential items are for their owner and participants alone: to anyone else they are
absent from the agenda and an item page answers "not found", as for an unknown uid.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import catalog, chains, dossiers, overlaps
from scheduler.agenda import ItemFilter, find_item, occurrences
from scheduler.errors import NotFound
from scheduler.models import (
    AgendaItem,
    Confidentiality,
    Delivery,
    Dossier,
    DossierRole,
    DossierStatus,
    ItemChange,
    ItemKind,
    ItemStatus,
    Person,
    Priority,
)
from scheduler.occurrences import Occurrence, expand
from scheduler.permissions import may_see
from scheduler.reminders import describe_offset
from scheduler.texts import Lang, Words, field_name, label, say_rule, text


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


VIEWS = ("list", "week", "month")


@dataclass(frozen=True)
class GridEntry:
    """One occurrence in a day of the week or month grid."""

    uid: str
    title: str
    time: str  # "10:00", "" for an all-day item
    cancelled: bool


@dataclass(frozen=True)
class Day:
    day: date
    heading: str  # "di 8 dec"
    today: bool
    outside: bool  # in the month grid: a day of the month before or after
    entries: list[GridEntry]


@dataclass(frozen=True)
class Calendar:
    """The week or month grid around a day: weeks of seven days, Monday first."""

    view: str
    title: str  # "Week 50 (7–13 dec 2026)", "december 2026"
    weekdays: list[str]  # "ma" … "zo"
    weeks: list[list[Day]]
    previous: date
    next: date
    focus: date  # the day the keyboard starts on: today, else the first of the period


def agenda_calendar(
    session: Session, person: Person, query: AgendaQuery, lang: Lang, zone: str, now: datetime,
    view: str, around: date | None,
) -> Calendar:  # fmt: skip
    """The week or month (`view`) around the day `around` (default today), with what `person`
    may see in it under the query's filters (its period is the grid's)."""
    words = Words(lang, zone)
    today = now.astimezone(words.zone).date()
    anchor = around or today
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last, title = first + timedelta(days=6), words.week(anchor)
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    else:
        month_start = anchor.replace(day=1)
        following = (month_start + timedelta(days=32)).replace(day=1)
        previous = (month_start - timedelta(days=1)).replace(day=1)
        first = month_start - timedelta(days=month_start.weekday())
        month_end = following - timedelta(days=1)
        last, title = month_end + timedelta(days=6 - month_end.weekday()), words.month(anchor)
    entries = _entries_by_day(session, person, query, words, first, last)
    days = [
        Day(d, words.day(d), d == today, view == "month" and d.month != anchor.month,
            entries.get(d, []))
        for d in (first + timedelta(days=n) for n in range((last - first).days + 1))
    ]  # fmt: skip
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    start_of = (
        anchor - timedelta(days=anchor.weekday()) if view == "week" else anchor.replace(day=1)
    )
    focus = today if first <= today <= last and not days[(today - first).days].outside else start_of
    return Calendar(view, title, words.weekdays(), weeks, previous, following, focus)


def _entries_by_day(
    session: Session, person: Person, query: AgendaQuery, words: Words, first: date, last: date
) -> dict[date, list[GridEntry]]:
    """Each day's occurrences: all-day ones first (on every day they cover), then by time."""
    start, end = _local_span(words, first, last)
    where = ItemFilter(query.themes, query.stakeholders, query.kinds, query.statuses)
    found = [o for o in occurrences(session, start, end, where) if _shown(o, person, query, False)]
    by_day: dict[date, list[tuple[tuple[bool, datetime], GridEntry]]] = {}
    for o in found:
        local_start = o.start.astimezone(words.zone)
        cancelled = o.cancelled or o.item.status == ItemStatus.CANCELLED
        time = "" if o.item.all_day else local_start.strftime("%H:%M")
        entry = GridEntry(o.item.uid, " ".join(o.title.split()), time, cancelled)
        covered = [local_start.date()]
        if o.item.all_day:
            final = (o.end.astimezone(words.zone) - timedelta(seconds=1)).date()
            covered = [local_start.date() + timedelta(days=n)
                       for n in range((final - local_start.date()).days + 1)]  # fmt: skip
        for day in covered:
            if first <= day <= last:
                by_day.setdefault(day, []).append(((not o.item.all_day, o.start), entry))
    return {day: [e for _, e in sorted(pairs, key=lambda p: p[0])] for day, pairs in by_day.items()}


def _period(query: AgendaQuery, words: Words, now: datetime) -> tuple[datetime, datetime]:
    today = now.astimezone(words.zone).date()
    first = query.start or today
    return _local_span(words, first, query.end or first + timedelta(days=27))


def _local_span(words: Words, first: date, last: date) -> tuple[datetime, datetime]:
    """From the reader's midnight before `first` to the one after `last`."""
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
    deliveries: list[MailRow]
    history: list[ChangeRow]
    labels: dict[str, str]
    chains: list[ChainView] = field(default_factory=list)
    overlaps: list[Line] = field(default_factory=list)  # other visits to the same partner
    source: str = ""  # the outside calendar it comes from (its own fields are read-only)


@dataclass(frozen=True)
class ChangeRow:
    """One change of the item's history, its moment in the reader's zone."""

    when: str
    by: str
    field: str
    old: str
    new: str


def change_row(change: ItemChange, words: Words, start: datetime | None = None) -> ChangeRow:
    """The change in the reader's words: the field's name, values as text (a rule in words)."""
    created = change.field == "created"
    return ChangeRow(
        when=words.moment(change.changed_at, False), by=f"{change.changed_by} ({change.channel})",
        field=text("history_created", words.lang) if created
        else field_name(change.field, words.lang) or change.field,
        old=_value_words(change.field, change.old_value, words, start),
        new="" if created else _value_words(change.field, change.new_value, words, start),
    )  # fmt: skip


def _value_words(name: str, stored: str | None, words: Words, start: datetime | None) -> str:
    """A stored (JSON) value as a person reads it: text as is, lists joined, a rule in words,
    reminders in words, a kind or status by its label."""
    try:
        value = json.loads(stored) if stored else None
    except ValueError:
        value = stored
    if value is None or value == "" or value == []:
        return "—"
    if name == "rrule" and isinstance(value, str) and start is not None:
        return say_rule(value, start, words)
    if name == "reminders" and isinstance(value, list):
        return ", ".join(describe_offset(str(v), words.lang) for v in value)
    if isinstance(value, list):
        return ", ".join(str(v) if not isinstance(v, dict) else "…" for v in value)[:200]
    if isinstance(value, dict):
        return "…"
    if isinstance(value, bool):
        return text("yes" if value else "no", words.lang)
    return label(str(value), words.lang)[:200]


@dataclass(frozen=True)
class MailRow:
    """A mail of the item's outbox as a person reads it: "ma 7 dec 10:00", "Herinnering,
    1 dag vooraf", "wacht"."""

    due: str
    what: str
    recipient: str
    state: str


def mail_row(delivery: Delivery, words: Words) -> MailRow:
    what = label(f"mail_{delivery.kind}", words.lang)
    if delivery.offset:
        what += f", {describe_offset(delivery.offset, words.lang)}"
    return MailRow(
        due=words.moment(delivery.due_at, False), what=what, recipient=delivery.recipient,
        state=label(delivery.state.value, words.lang),
    )  # fmt: skip


@dataclass(frozen=True)
class Line:
    text: str
    link: str


@dataclass(frozen=True)
class StepView:
    id: int
    title: str
    due: str  # "do 31 dec", or "" when the chain is off
    owner: str
    owner_id: int | None
    done: bool
    overdue: bool


@dataclass(frozen=True)
class ChainView:
    id: int
    name: str
    leads_up_to: str  # the occurrence, "donderdag 21 januari 2027 om 10:00"
    progress: str  # "1 van 4 stappen gedaan"
    cancelled: bool
    steps: list[StepView]


def _chain_views(
    session: Session, item: AgendaItem, words: Words, today: date, closed: frozenset[date]
) -> list[ChainView]:
    views = []
    for chain in chains.chains_of(session, [item]):
        occurrence = chains.anchor(chain)
        done, total = chains.progress(chain)
        steps = [
            StepView(
                id=step.task.id,
                title=step.task.title,
                due=words.day(step.due_on) if step.due_on else "",
                owner=step.task.owner.name if step.task.owner else "—",
                owner_id=step.task.owner_id,
                done=step.task.done_at is not None,
                overdue=step.overdue(today),
            )
            for step in chains.steps(chain, closed)
        ]
        views.append(
            ChainView(
                id=chain.id,
                name=chain.name,
                leads_up_to=words.long(occurrence.start, item.all_day) if occurrence else "",
                progress=text("steps_done", words.lang, done=str(done), total=str(total)),
                cancelled=occurrence is None,
                steps=steps,
            )
        )
    return views


def visible_item(session: Session, person: Person, uid: str) -> AgendaItem:
    """The item, if `person` may see it; otherwise "not found", as for an unknown uid."""
    try:
        item = find_item(session, uid)
    except NotFound:
        item = None
    if item is None or not may_see(item, person):
        raise NotFound(f"no agenda item {uid!r} (or not yours to see)", field="uid", key="no_item")
    return item


def item_page(
    session: Session, person: Person, uid: str, lang: Lang, zone: str, now: datetime,
    closed: frozenset[date] = frozenset(), window: overlaps.Window | None = None,
) -> ItemPage:  # fmt: skip
    """Everything about one item, for someone who may see it; otherwise "not found"."""
    item = visible_item(session, person, uid)
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
        when=words.period(item.starts_at, item.ends_at, item.all_day),
        next_occurrences=[
            (words.period(o.start, o.end, item.all_day), o.cancelled, _wall_id(o, words))
            for o in ahead
        ],
        deliveries=[mail_row(d, words) for d in deliveries],
        history=[change_row(c, words, item.starts_at) for c in history],
        labels=labels,
        chains=_chain_views(session, item, words, now.astimezone(words.zone).date(), closed),
        overlaps=[
            Line(_overlap_text(mine, other, words), f"/items/{other.item.uid}")
            for mine, other in overlaps.of_item(session, item, now, window, person)
        ]
        if window
        else [],
        source=item.source.name if item.source is not None else "",
    )


def _overlap_text(mine: Occurrence, other: Occurrence, words: Words) -> str:
    """ "ma 8 mrt 10:00: ook Bob Bakker spreekt Metropoolregio Amsterdam (do 11 mrt 14:00,
    Werkbezoek MRA)"."""
    flag = overlaps.flag(mine, other, words.lang)
    when = words.moment(other.start, other.item.all_day)
    return f"{words.moment(mine.start, mine.item.all_day)}: {flag} ({when}, {other.title})"


def _wall_id(occurrence: Occurrence, words: Words) -> str:
    """The occurrence's original start as wall time in the item's zone (how to name it)."""
    original = occurrence.recurrence_id or occurrence.start
    zone = occurrence.zone
    if occurrence.all_day:
        return original.astimezone(zone).date().isoformat()
    return original.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def filter_choices(session: Session) -> dict[str, Sequence[tuple[str, str]]]:
    """What the agenda's filters offer: (value, name) pairs."""
    return {
        "themes": [(t.slug, t.name) for t in catalog.all_themes(session)],
        "stakeholders": [(s.slug, s.name) for s in catalog.all_stakeholders(session)],
        "owners": [(p.email, p.name) for p in catalog.all_people(session) if p.active],
        "dossiers": [
            (row.slug, row.title)
            for row in session.execute(select(Dossier.slug, Dossier.title).order_by(Dossier.title))
        ],
    }


# ---------------------------------------------------------------- dossiers


def dossier_choices(lang: Lang) -> dict[str, list[tuple[str, str]]]:
    """What a dossier's selects offer: (value, words) pairs."""
    return {
        "dossier_statuses": [(s.value, label(s.value, lang)) for s in DossierStatus],
        "dossier_roles": [(r.value, label(r.value, lang)) for r in DossierRole],
        "priorities": [(p.value, label(p.value, lang)) for p in Priority],
    }


@dataclass(frozen=True)
class ContactView:
    stakeholder: str
    every: str  # "elke 6 weken", or ""
    last: str  # "di 20 okt: Overleg Den Haag", "(vertrouwelijk)" for what the reader may not see
    next: str
    overdue: bool


@dataclass(frozen=True)
class DossierRow:
    slug: str
    title: str
    status: str
    lead: str
    priority: str
    horizon: str
    contacts: list[ContactView]
    open_follow_ups: int


def _contact_view(contact: dossiers.Contact, words: Words) -> ContactView:
    def shown(item: AgendaItem | None, at: datetime | None) -> str:
        if item is None or at is None:
            return "—"
        return f"{words.day(at.astimezone(words.zone).date())}: {item.title}"

    every = contact.target.contact_every
    length = words.length(dossiers.every(every)) if every else ""
    return ContactView(
        stakeholder=contact.stakeholder.name,
        every=text("every", words.lang, length=length) if every else "",
        last=shown(contact.last, contact.last_at), next=shown(contact.next, contact.next_at),
        overdue=contact.overdue,
    )  # fmt: skip


def _dossier_row(dossier: Dossier, visible: list[AgendaItem], words: Words,
                 now: datetime) -> DossierRow:  # fmt: skip
    """The dossier as the reader sees it: `visible` are the items they may see."""
    lang = words.lang
    return DossierRow(
        slug=dossier.slug, title=dossier.title, status=label(dossier.status.value, lang),
        lead=dossier.lead.name if dossier.lead else "—",
        priority=label(dossier.priority.value, lang),
        horizon=words.long_day(dossier.horizon_on) if dossier.horizon_on else "—",
        contacts=[_contact_view(c, words) for c in dossiers.contacts(dossier, visible, now)],
        open_follow_ups=sum(not f.done for i in visible for f in i.follow_ups),
    )  # fmt: skip


def dossier_rows(session: Session, reader: Person, lang: Lang, now: datetime) -> list[DossierRow]:
    """Every dossier: status, lead, last and next contact per target, open follow-ups."""
    words = Words(lang, reader.timezone)
    return [
        _dossier_row(d, dossiers.items_of(session, d, reader), words, now)
        for d in dossiers.all_dossiers(session)
    ]


@dataclass(frozen=True)
class DossierPage:
    dossier: Dossier
    row: DossierRow
    role: str
    timeline: list[tuple[datetime, str, str, str]]  # (when, date text, what, link)
    hidden: int  # confidential items of others, counted only


def dossier_page(
    session: Session, reader: Person, slug: str, lang: Lang, now: datetime
) -> DossierPage:
    """One dossier: goal, ask, contacts, and a timeline of its items and notes."""
    dossier = dossiers.find_dossier(session, slug)
    words = Words(lang, reader.timezone)
    items = dossiers.items_of(session, dossier)
    visible = [i for i in items if may_see(i, reader)]  # as items_of(…, reader), in one query
    timeline = [
        (i.starts_at, words.moment(i.starts_at, i.all_day),
         f"{i.title} ({label(i.status.value, lang)})", f"/items/{i.uid}")
        for i in visible
    ] + [
        (n.written_at, words.moment(n.written_at, False),
         f"{text('note', lang)}: {n.text} – {n.written_by}", "")
        for n in dossier.notes
    ]  # fmt: skip
    return DossierPage(
        dossier=dossier,
        row=_dossier_row(dossier, visible, words, now),
        role=label(dossier.role.value, lang) if dossier.role else "—",
        timeline=sorted(timeline, key=lambda entry: entry[0], reverse=True),
        hidden=len(items) - len(visible),
    )
