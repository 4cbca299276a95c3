"""What a person's digest says: the upcoming agenda by week and theme, what needs attention,
what changed since their last digest, and counts per theme and level.

Only what the reader may see: a confidential item appears only to its owner and participants
(to others it is absent, not even counted). The same content feeds the email and the page.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler import catalog, catalog_views, chains, dossiers, overlaps
from scheduler.agenda import item_query, occurrences
from scheduler.models import (
    SOURCE_FAILING_AFTER,
    AgendaItem,
    CalendarSource,
    Delivery,
    DeliveryState,
    DigestFrequency,
    DigestScope,
    Dossier,
    FollowUp,
    ItemChange,
    ItemKind,
    ItemStatus,
    Level,
    OccurrenceOverride,
    Partnership,
    Person,
    PersonRole,
    PreparationChain,
)
from scheduler.occurrences import Occurrence, occurrences_between
from scheduler.permissions import has_role, involved, may_see
from scheduler.texts import Lang, Words, label, text

UNPREPARED_WITHIN = timedelta(days=7)  # "niet voorbereid": within a week without goal or message
OUTCOME_LOOKBACK = timedelta(days=30)  # items done without an outcome, looked back this far


@dataclass(frozen=True)
class DigestOptions:
    days: int = 14  # the upcoming period
    lobby_window: timedelta = timedelta(days=14)  # decision moments this close are highlighted
    base_url: str = "http://127.0.0.1:8000"
    closed_days: frozenset[date] = frozenset()  # recess: skipped by working-day offsets
    overlap: overlaps.Window | None = None  # colleagues' visits to one partner: flagged


@dataclass(frozen=True)
class Entry:
    """One occurrence in the upcoming period, with what a manager wants to know of it."""

    uid: str
    title: str
    when: str
    kind: str
    status: str
    stakeholders: str
    who: str  # owner and participants
    goal: str
    message: str
    role: str
    location: str
    link: str
    flags: tuple[str, ...] = ()  # "niet voorbereid", "geen eigenaar"
    themes: str = ""
    preparation: str = ""  # "Lobbyvenster: 3 van 4 stappen gedaan"


@dataclass(frozen=True)
class Group:
    heading: str
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Week:
    heading: str
    days: list[Group]  # each day of the week with something on it, in time order


@dataclass(frozen=True)
class Line:
    """A highlight or a change: one line of text, with a link where there is one."""

    text: str
    link: str = ""


@dataclass(frozen=True)
class Section:
    heading: str
    lines: list[Line]


@dataclass(frozen=True)
class Digest:
    person: Person
    lang: Lang
    period: str  # "7 – 20 december 2026"
    weeks: list[Week]
    highlights: list[Section]
    changes: list[Section]
    by_theme: list[tuple[str, int]]
    by_level: list[tuple[str, int]]
    entries: int
    dossiers: list[Section] = field(default_factory=list)
    first: bool = False  # the person's first digest: nothing to compare with yet
    focus: list[Line] = field(default_factory=list)  # per theme followed: its focus, in a line

    @property
    def empty(self) -> bool:
        return not (self.entries or self.highlights or self.changes or self.dossiers)


def language_of(person: Person) -> Lang:
    return "en" if person.language.value == "en" else "nl"


def build(
    session: Session, person: Person, options: DigestOptions, now: datetime,
    since: datetime | None,
) -> Digest:  # fmt: skip
    """The digest `person` reads at `now`; "changed" counts from `since`, their last digest.
    The first (`since` None) has no "changed": everything would be new to it. Progress on
    dossiers and the like then counts from a period back."""
    first = since is None
    if since is None:
        since = now - timedelta(days=1 if person.digest == DigestFrequency.DAILY else 7)
    lang = language_of(person)
    reader = _Reader(person)
    end = now + timedelta(days=options.days)
    upcoming = [
        o
        for o in occurrences(session, now, end)
        if not o.cancelled
        and o.item.status not in (ItemStatus.CANCELLED, ItemStatus.IDEA)
        and reader.reads(o.item)
    ]
    writer = _Writer(person, lang, options)
    writer.chains = _chains_by_occurrence(session, upcoming, options)
    writer.overlaps = _overlaps_by_occurrence(upcoming, reader, options)
    last_day = (end - timedelta(seconds=1)).astimezone(writer.zone).date()
    return Digest(
        person=person,
        lang=lang,
        period=writer.span(now.astimezone(writer.zone).date(), last_day),
        weeks=_weeks(upcoming, writer, now),
        highlights=_highlights(session, reader, writer, upcoming, options, now, since),
        changes=[] if first else _changes(session, reader, writer, since, now),
        first=first,
        by_theme=_count_by_theme(upcoming, lang),
        by_level=_count_by_level(session, upcoming, lang),
        entries=len(upcoming),
        dossiers=_dossiers(session, reader, writer, now, end, since),
        focus=_focus(person, lang, options),
    )


def _focus(person: Person, lang: Lang, options: DigestOptions) -> list[Line]:
    """Per theme the person follows, its focus in a line: priority, our role per level, the
    portfolio holder and the strategic choice. A theme without a focus says nothing."""
    return [
        Line(catalog_views.focus_line(theme, lang), f"{options.base_url}/themes#theme-{theme.slug}")
        for theme in sorted(person.themes, key=lambda t: t.name)
        if not catalog_views.focus_of(theme, lang).empty
    ]


class _Reader:
    """What the person may see (confidential rules) and asked for (their scope)."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.theme_ids = {t.id for t in person.themes}
        self.stakeholder_ids = {s.id for s in person.stakeholders}

    def may_see(self, item: AgendaItem) -> bool:
        return may_see(item, self.person)

    def reads(self, item: AgendaItem) -> bool:
        if not may_see(item, self.person):
            return False
        if self.person.digest_scope == DigestScope.ALL or involved(item, self.person):
            return True
        return bool(
            self.theme_ids & {t.id for t in item.themes}
            or self.stakeholder_ids & {s.id for s in item.stakeholders}
        )

    def reads_partnership(self, partnership: Partnership) -> bool:
        if self.person.digest_scope == DigestScope.ALL or partnership.contact_id == self.person.id:
            return True
        return bool(
            self.theme_ids & {t.id for t in partnership.themes}
            or self.stakeholder_ids & {s.id for s in partnership.members}
        )

    def reads_dossier(self, dossier: Dossier) -> bool:
        if self.person.digest_scope == DigestScope.ALL or dossier.lead_id == self.person.id:
            return True
        return bool(self.theme_ids & {t.id for t in dossier.themes})

    @property
    def oversees(self) -> bool:
        """Managers and admins also see the outbox's troubles."""
        return has_role(self.person, PersonRole.MANAGER) or has_role(self.person, PersonRole.ADMIN)


class _Writer(Words):
    """Words and dates in the reader's language and zone, and links to the pages."""

    def __init__(self, person: Person, lang: Lang, options: DigestOptions) -> None:
        super().__init__(lang, person.timezone)
        self.options = options
        # The preparation chains of the upcoming occurrences, by (item id, recurrence id),
        # and the other visits to the same partner that overlap them.
        self.chains: dict[tuple[int, datetime | None], list[PreparationChain]] = {}
        self.overlaps: dict[tuple[int, datetime | None], list[Occurrence]] = {}

    def progress(self, chain: PreparationChain) -> str:
        done, total = chains.progress(chain)
        return f"{chain.name}: {self.t('steps_done', done=str(done), total=str(total))}"

    def t(self, key: str, **values: str) -> str:
        return text(key, self.lang, **values)

    def link(self, item: AgendaItem) -> str:
        return f"{self.options.base_url}/items/{item.uid}"

    def entry(self, occurrence: Occurrence, now: datetime) -> Entry:
        item = occurrence.item
        flags = []
        if item.owner is None:
            flags.append(self.t("no_owner"))
        if _unprepared(occurrence, now):
            flags.append(self.t("not_prepared"))
        for other in self.overlaps.get((item.id, occurrence.recurrence_id), []):
            flags.append(overlaps.flag(occurrence, other, self.lang))
        return Entry(
            uid=item.uid,
            title=" ".join(occurrence.title.split()),
            when=self.moment(occurrence.start, item.all_day),
            kind=label(item.kind.value, self.lang),
            status=label(item.status.value, self.lang),
            stakeholders=", ".join(s.name for s in item.stakeholders),
            who=", ".join(p.name for p in ([item.owner] if item.owner else []) + item.participants),
            goal=item.goal,
            message=item.message,
            role=label(item.role.value, self.lang) if item.role else "",
            location=occurrence.location,
            link=self.link(item),
            flags=tuple(flags),
            themes=", ".join(t.name for t in item.themes),
            preparation="; ".join(
                self.progress(c) for c in self.chains.get((item.id, occurrence.recurrence_id), [])
            ),
        )

    def line(self, occurrence: Occurrence, note: str = "") -> Line:
        title = " ".join(occurrence.title.split())
        when = self.moment(occurrence.start, occurrence.item.all_day)
        return Line(f"{when}: {title}" + (f" ({note})" if note else ""), self.link(occurrence.item))


def _unprepared(occurrence: Occurrence, now: datetime) -> bool:
    item = occurrence.item
    return occurrence.start < now + UNPREPARED_WITHIN and not (item.goal and item.message)


# ---------------------------------------------------------------- the upcoming period


def _weeks(upcoming: Sequence[Occurrence], writer: _Writer, now: datetime) -> list[Week]:
    """The upcoming occurrences by week and day, in time order (as `upcoming` comes)."""
    by_day: dict[date, list[Entry]] = defaultdict(list)
    for occurrence in upcoming:
        by_day[occurrence.start.astimezone(writer.zone).date()].append(
            writer.entry(occurrence, now)
        )
    weeks: dict[tuple[int, int], Week] = {}
    for day in sorted(by_day):
        year, number, _ = day.isocalendar()
        week = weeks.setdefault(
            (year, number), Week(writer.week(date.fromisocalendar(year, number, 1)), [])
        )
        week.days.append(Group(writer.long_day(day), by_day[day]))
    return list(weeks.values())


def _count_by_theme(upcoming: Sequence[Occurrence], lang: Lang) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for occurrence in upcoming:
        names = [t.name for t in occurrence.item.themes] or [text("no_theme", lang)]
        counts.update(names)
    return sorted(counts.items())


def _count_by_level(
    session: Session, upcoming: Sequence[Occurrence], lang: Lang
) -> list[tuple[str, int]]:
    """Occurrences per level of their stakeholders (see `catalog.Levels`)."""
    levels = catalog.Levels(session)
    counts: Counter[Level] = Counter()
    for occurrence in upcoming:
        counts.update(set().union(*(levels.of(s) for s in occurrence.item.stakeholders)))
    return [(label(level.value, lang), counts[level]) for level in Level if counts[level]]


# ---------------------------------------------------------------- what needs attention


def _highlights(
    session: Session, reader: _Reader, writer: _Writer, upcoming: Sequence[Occurrence],
    options: DigestOptions, now: datetime, since: datetime,
) -> list[Section]:  # fmt: skip
    window = now + options.lobby_window
    sections = [
        Section(
            writer.t("lobby_windows_closing"),
            [
                writer.line(o)
                for o in upcoming
                if o.item.kind == ItemKind.DECISION and o.start < window
            ],
        ),
        Section(writer.t("without_owner"), [writer.line(o) for o in upcoming if not o.item.owner]),
        Section(
            writer.t("unprepared_heading"),
            [writer.line(o) for o in upcoming if _unprepared(o, now)],
        ),
        Section(writer.t("without_outcome"), _without_outcome(session, reader, writer, now)),
        Section(writer.t("overdue_follow_ups"), _overdue_follow_ups(session, reader, writer, now)),
        Section(
            writer.t("preparation_heading"), _preparation(session, reader, writer, options, now)
        ),
        Section(
            writer.t("evaluations_due"),
            _evaluations_due(session, reader, writer, now + timedelta(days=options.days)),
        ),
    ]
    # Everyone: the items of a failing outside calendar may be out of date.
    sections.append(Section(writer.t("failing_sources"), _failing_sources(session, writer)))
    if reader.oversees:
        sections.append(
            Section(writer.t("undelivered"), _undelivered(session, reader, writer, since))
        )
    return [section for section in sections if section.lines]


def _chains_by_occurrence(
    session: Session, upcoming: Sequence[Occurrence], options: DigestOptions
) -> dict[tuple[int, datetime | None], list[PreparationChain]]:
    found: dict[tuple[int, datetime | None], list[PreparationChain]] = defaultdict(list)
    for chain in chains.chains_of(session, list({o.item.id: o.item for o in upcoming}.values())):
        occurrence = chains.anchor(chain)
        if occurrence is not None:
            found[(chain.item_id, occurrence.recurrence_id)].append(chain)
    return found


def _dossiers(
    session: Session, reader: _Reader, writer: _Writer, now: datetime, end: datetime,
    since: datetime,
) -> list[Section]:  # fmt: skip
    """Per dossier the reader follows: progress noted since the last digest, targets whose
    contact is overdue, and decision moments ahead within the period."""
    progress, overdue, decisions = [], [], []
    for dossier in dossiers.all_dossiers(session):
        if not reader.reads_dossier(dossier):
            continue
        link = f"{writer.options.base_url}/dossiers/{dossier.slug}"
        title = " ".join(dossier.title.split())
        for note in dossier.notes:
            if note.written_at > since:
                progress.append(Line(f"{title}: {note.text} ({note.written_by})", link))
        items = dossiers.items_of(session, dossier, reader.person)
        for contact in dossiers.contacts(dossier, items, now):
            if contact.overdue:
                name = contact.stakeholder.name
                overdue.append(
                    Line(writer.t("dossier_overdue", dossier=title, stakeholder=name), link)
                )
        decided = [i for i in items if i.kind == ItemKind.DECISION and reader.reads(i)]
        for occurrence in occurrences_between(decided, now, end):
            if not occurrence.cancelled and occurrence.start >= now:
                line = writer.line(occurrence)
                decisions.append(Line(f"{line.text} ({title})", line.link))
    sections = [
        Section(writer.t("dossier_progress"), progress),
        Section(writer.t("dossier_contacts_overdue"), overdue),
        Section(writer.t("dossier_decisions"), decisions),
    ]
    return [section for section in sections if section.lines]


def _overlaps_by_occurrence(
    upcoming: Sequence[Occurrence], reader: _Reader, options: DigestOptions
) -> dict[tuple[int, datetime | None], list[Occurrence]]:
    """For each upcoming visit, the overlapping ones of colleagues the reader may see."""
    found: dict[tuple[int, datetime | None], list[Occurrence]] = defaultdict(list)
    if options.overlap is None:
        return found
    visits = [o for o in upcoming if overlaps.counts(o)]
    for overlap in overlaps.between(visits, options.overlap):
        for mine in (overlap.first, overlap.second):
            other = overlap.other(mine)
            if reader.may_see(other.item):
                found[(mine.item.id, mine.recurrence_id)].append(other)
    return found


def _preparation(
    session: Session, reader: _Reader, writer: _Writer, options: DigestOptions, now: datetime
) -> list[Line]:
    """Chains with a step open that is overdue or due within the digest's period: where
    they stand, and what is next, by whom."""
    today = now.astimezone(writer.zone).date()
    last_day = today + timedelta(days=options.days)
    lines = []
    for chain in chains.upcoming(session, now):
        occurrence = chains.anchor(chain)
        if occurrence is None or not reader.reads(chain.item):
            continue
        open_steps = [s for s in chains.steps(chain, options.closed_days) if s.task.done_at is None]
        due = [s for s in open_steps if s.due_on is not None and s.due_on <= last_day]
        if not due:
            continue
        step = due[0]
        assert step.due_on is not None
        owner = chains.assignee(step.task)
        late = sum(s.overdue(today) for s in open_steps)
        parts = [
            writer.progress(chain),
            writer.t("next_step", step=step.task.title, date=writer.day(step.due_on),
                     who=owner.name if owner else "?"),
        ]  # fmt: skip
        if late:
            parts.append(writer.t("steps_overdue", count=str(late)))
        lines.append(
            Line(f"{writer.line(occurrence).text} – {'; '.join(parts)}", writer.link(chain.item))
        )
    return lines


def _without_outcome(
    session: Session, reader: _Reader, writer: _Writer, now: datetime
) -> list[Line]:
    query = item_query().where(
        AgendaItem.outcome == "",
        AgendaItem.status.in_((ItemStatus.PLANNED, ItemStatus.CONFIRMED, ItemStatus.DONE)),
        AgendaItem.last_ends_at.between(now - OUTCOME_LOOKBACK, now),
    )
    return [
        Line(f"{writer.moment(item.starts_at, item.all_day)}: {item.title}", writer.link(item))
        for item in session.scalars(query.order_by(AgendaItem.last_ends_at))
        if reader.reads(item)
    ]


def _overdue_follow_ups(
    session: Session, reader: _Reader, writer: _Writer, now: datetime
) -> list[Line]:
    today = now.astimezone(writer.zone).date()
    query = (
        select(FollowUp)
        .where(FollowUp.done.is_(False), FollowUp.due_on < today)
        .options(selectinload(FollowUp.owner), selectinload(FollowUp.item))
        .order_by(FollowUp.due_on)
    )
    lines = []
    for follow_up in session.scalars(query):
        if not reader.reads(follow_up.item):
            continue
        assert follow_up.due_on is not None
        owner = follow_up.owner or follow_up.item.owner
        who = f" – {owner.name}" if owner else ""
        due = writer.t("due_by", date=writer.day(follow_up.due_on))
        text_ = " ".join(follow_up.text.split())
        lines.append(Line(f"{text_} ({due}){who}", writer.link(follow_up.item)))
    return lines


def _evaluations_due(
    session: Session, reader: _Reader, writer: _Writer, until: datetime
) -> list[Line]:
    query = (
        select(Partnership)
        .where(Partnership.next_evaluation_on <= until.astimezone(writer.zone).date())
        .options(
            selectinload(Partnership.themes),
            selectinload(Partnership.members),
            selectinload(Partnership.contact),
        )
        .order_by(Partnership.next_evaluation_on)
    )
    lines = []
    for partnership in session.scalars(query):
        if not reader.reads_partnership(partnership):
            continue
        assert partnership.next_evaluation_on is not None
        contact = f" – {partnership.contact.name}" if partnership.contact else ""
        when = writer.day(partnership.next_evaluation_on)
        lines.append(
            Line(f"{when}: {partnership.name}{contact}", f"{writer.options.base_url}/partnerships")
        )
    return lines


def _failing_sources(session: Session, writer: _Writer) -> list[Line]:
    query = select(CalendarSource).where(CalendarSource.failures >= SOURCE_FAILING_AFTER)
    return [
        Line(
            writer.t(
                "source_failing_line",
                name=source.name,
                error=source.last_error,
                when=writer.moment(source.last_success_at, False)
                if source.last_success_at
                else writer.t("never_succeeded"),
            ),
            f"{writer.options.base_url}/feeds",
        )
        for source in session.scalars(query.order_by(CalendarSource.name))
    ]


def _undelivered(session: Session, reader: _Reader, writer: _Writer, since: datetime) -> list[Line]:
    """Reminders that expired (downtime) or went dead since the last digest."""
    query = (
        select(Delivery)
        .where(
            Delivery.state.in_((DeliveryState.EXPIRED, DeliveryState.DEAD)),
            Delivery.updated_at >= since,
        )
        .order_by(Delivery.due_at)
    )
    rows = list(session.scalars(query))
    items = _items(session, {r.item_id for r in rows if r.item_id is not None})
    lines = []
    for row in rows:
        item = items.get(row.item_id) if row.item_id is not None else None
        about = (
            item.title
            if item and reader.may_see(item)
            else writer.t("confidential_item")
            if item
            else row.kind
        )
        state = label(row.state.value, writer.lang)
        lines.append(
            Line(f"{writer.moment(row.due_at, False)}: {about} → {row.recipient} ({state})")
        )
    return lines


def _items(session: Session, ids: Iterable[int]) -> dict[int, AgendaItem]:
    return {i.id: i for i in session.scalars(item_query().where(AgendaItem.id.in_(set(ids))))}


# ---------------------------------------------------------------- what changed


def _changes(
    session: Session, reader: _Reader, writer: _Writer, since: datetime, now: datetime
) -> list[Section]:
    history = list(
        session.scalars(
            select(ItemChange).where(
                ItemChange.changed_at > since,
                ItemChange.field.in_(("created", "start", "status")),
            )
        )
    )
    by_uid = {i.uid: i for i in session.scalars(
        item_query().where(AgendaItem.uid.in_({c.item_uid for c in history}))
    )}  # fmt: skip
    added = {c.item_uid for c in history if c.field == "created"}
    moved = {c.item_uid for c in history if c.field == "start"} - added
    cancelled = {
        c.item_uid
        for c in history
        if c.field == "status" and c.new_value == json.dumps(ItemStatus.CANCELLED.value)
    }
    overrides = list(
        session.scalars(
            select(OccurrenceOverride)
            .where(OccurrenceOverride.changed_at > since)
            .options(selectinload(OccurrenceOverride.item))
        )
    )

    def lines(uids: set[str]) -> list[Line]:
        found = [by_uid[uid] for uid in uids if uid in by_uid and reader.reads(by_uid[uid])]
        found.sort(key=lambda i: (i.starts_at, i.uid))
        return [
            Line(f"{writer.moment(i.starts_at, i.all_day)}: {i.title}", writer.link(i))
            for i in found
        ]

    moved_lines = lines(moved) + _override_lines(overrides, reader, writer, cancelled=False)
    cancelled_lines = lines(cancelled) + _override_lines(overrides, reader, writer, cancelled=True)
    sections = [
        Section(writer.t("added"), lines(added - cancelled)),
        Section(writer.t("moved"), moved_lines),
        Section(writer.t("cancelled_heading"), cancelled_lines),
    ]
    return [section for section in sections if section.lines]


def _override_lines(
    overrides: Sequence[OccurrenceOverride], reader: _Reader, writer: _Writer, *, cancelled: bool
) -> list[Line]:
    lines = []
    for override in overrides:
        item = override.item
        if override.cancelled != cancelled or not reader.reads(item):
            continue
        if not cancelled and override.starts_at is None:
            continue  # a changed title or place, not a move
        was = writer.moment(override.recurrence_id, item.all_day)
        if cancelled:
            lines.append(Line(f"{was}: {item.title}", writer.link(item)))
        else:
            assert override.starts_at is not None
            now_at = writer.moment(override.starts_at, item.all_day)
            lines.append(Line(f"{was} → {now_at}: {item.title}", writer.link(item)))
    return lines
