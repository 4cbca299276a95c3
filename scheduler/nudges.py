"""Mail that asks someone to act: record what came of an item, finish a follow-up action,
evaluate a partnership, take the next step of a preparation chain, get back in touch with a
dossier's target; and the one notice that a preparation chain is off because its occurrence
was cancelled.

Planned into the outbox like reminders, one row per (kind, subject, period, recipient), the
period being the date the nudge is about: a changed date is a new nudge, and the pending
one for the old date is cancelled. Composed from one set of templates (`email/nudge.*`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler import chains, clock, dossiers, outbox, overlaps
from scheduler.agenda import item_query
from scheduler.composer import compose, language_of, message_id, one_line
from scheduler.mailer import Flattened
from scheduler.models import (
    AgendaItem,
    Confidentiality,
    Delivery,
    DeliveryState,
    DossierTarget,
    FollowUp,
    ItemStatus,
    NudgeKind,
    OptOut,
    Partnership,
    Person,
    PreparationChain,
    PreparationTask,
)
from scheduler.occurrences import Occurrence
from scheduler.offsets import WORKDAY_TIME, falls_at, parse_offset
from scheduler.outbox import LATE_AFTER, OPEN
from scheduler.permissions import may_see
from scheduler.reminders import (
    PLANNING_SLACK,
    ReminderSettings,
    furthest,
    involved,
)
from scheduler.texts import Lang, Words, label, text

KINDS = tuple(kind.value for kind in NudgeKind)
# The kinds a person can turn off on their own page (a chain called off is always told).
_CAN_TURN_OFF = frozenset(kind.value for kind in NudgeKind if kind.value in set(OptOut))
# Items are often marked done, or their date corrected, days after they took place: an
# outcome nudge found past due is still sent within this time; older gaps are the digest's.
OUTCOME_CATCH_UP = timedelta(days=14)
_GONE = {
    NudgeKind.OUTCOME: "the outcome was recorded, or the item was cancelled or changed",
    NudgeKind.FOLLOW_UP: "the follow-up was done, removed, or got another date or owner",
    NudgeKind.EVALUATION: "the evaluation got another date or contact",
    NudgeKind.PREPARATION: "the step was done, or got another date or owner, or its chain is off",
    NudgeKind.CHAIN_CANCELLED: "the occurrence the chain leads up to is on again",
    NudgeKind.CONTACT_GAP: "a contact was planned or held, or the target or lead changed",
    NudgeKind.OVERLAP: "the two items no longer meet the same partner at the same time",
}
_END_OF_WORKDAY = time(18, 0)
# A chain found cancelled is announced within this time; later, it is old news.
CHAIN_NOTICE_CATCH_UP = timedelta(days=2)
# A gap in a dossier's contacts is told once, however long ago it began.
CONTACT_GAP_CATCH_UP = timedelta(days=3660)
_CATCH_UP = {
    NudgeKind.OUTCOME: OUTCOME_CATCH_UP,
    NudgeKind.CHAIN_CANCELLED: CHAIN_NOTICE_CATCH_UP,
    NudgeKind.CONTACT_GAP: CONTACT_GAP_CATCH_UP,
}


@dataclass(frozen=True)
class Nudge:
    """One nudge the agenda implies now."""

    key: str
    kind: NudgeKind
    person: Person
    due: datetime
    item: AgendaItem | None = None
    # What it is about besides an item: a follow-up, partnership, preparation task or chain,
    # or dossier target (by kind).
    subject_id: int | None = None
    offset: str = ""


# ---------------------------------------------------------------- planning


def planned(session: Session, settings: ReminderSettings, now: datetime) -> outbox.Plan:
    """The nudges to create (due within the horizon) and the open ones to cancel (no longer
    implied); reads only (see `outbox.Plan`). Idempotent."""
    open_rows = select(Delivery).where(Delivery.kind.in_(KINDS), Delivery.state.in_(OPEN))
    rows = list(session.scalars(open_rows.order_by(Delivery.id)))
    wanted = {nudge.key: nudge for nudge in _implied(session, settings, now)}
    new = [
        _new_row(nudge, now)
        for nudge in wanted.values()
        # not long past (never mail about the past), and within the horizon
        if now - _CATCH_UP.get(nudge.kind, PLANNING_SLACK) <= nudge.due <= now + settings.horizon
    ]
    plan = outbox.Plan(new=outbox.not_there(session, new))
    for row in rows:
        if row.key not in wanted:
            plan.cancel(row, _GONE[NudgeKind(row.kind)], now)
    return plan


def _new_row(nudge: Nudge, now: datetime) -> outbox.Row:
    due = max(nudge.due, now)  # one caught up goes out now, not late
    return {
        "key": nudge.key, "kind": nudge.kind.value,
        "item_id": nudge.item.id if nudge.item else None,
        "item_uid": nudge.item.uid if nudge.item else "",
        "subject_id": nudge.subject_id, "offset": nudge.offset,
        "person_id": nudge.person.id, "recipient": nudge.person.email,
        "due_at": due, "next_attempt_at": due, "state": DeliveryState.PENDING,
    }  # fmt: skip


def _implied(session: Session, settings: ReminderSettings, now: datetime) -> Iterator[Nudge]:
    if settings.outcome_after is not None:
        yield from _outcomes(session, settings.outcome_after, now)
    window = (
        (now - timedelta(days=31)).date(),
        (now + settings.horizon + _furthest(settings)).date(),
    )
    yield from _follow_ups(session, settings.follow_up, window, settings.closed_days)
    yield from _evaluations(session, settings.evaluation, window, settings.closed_days)
    yield from _preparations(session, settings.preparation, window, settings.closed_days, now)
    yield from _chain_notices(session, now)
    yield from _contact_gaps(session, now)
    yield from _overlaps(session, settings, now)


def _furthest(settings: ReminderSettings) -> timedelta:
    """How far beyond the horizon a due date (of a follow-up, evaluation or step) may lie
    and still have a nudge within it."""
    offsets = (*settings.follow_up, *settings.evaluation, *settings.preparation)
    return furthest(offsets, len(settings.closed_days))


def _wants(person: Person | None, kind: NudgeKind) -> bool:
    return person is not None and person.active and kind.value not in person.reminders_off


def _at_start_of(day: date, person: Person) -> tuple[datetime, ZoneInfo]:
    """The start of the working day `day` where `person` is, and their zone."""
    zone = clock.zone(person.timezone)
    return datetime.combine(day, WORKDAY_TIME, tzinfo=zone), zone


def _working_hours_from(moment: datetime, person: Person) -> datetime:
    """`moment` if it falls in working hours where `person` is (09:00–18:00), else the start
    of the next ones: a nudge found at night waits for the morning."""
    local = moment.astimezone(clock.zone(person.timezone))
    start, _ = _at_start_of(local.date(), person)
    if local < start:
        return start.astimezone(UTC)
    if local.time() < _END_OF_WORKDAY:
        return moment
    return _at_start_of(local.date() + timedelta(days=1), person)[0].astimezone(UTC)


def _outcomes(session: Session, after: timedelta, now: datetime) -> Iterator[Nudge]:
    """Items that took place without an outcome: their owner, `after` days after the (last)
    occurrence, at the start of the working day."""
    query = item_query().where(
        AgendaItem.outcome == "",
        AgendaItem.owner_id.is_not(None),
        AgendaItem.status.in_((ItemStatus.PLANNED, ItemStatus.CONFIRMED, ItemStatus.DONE)),
        AgendaItem.last_ends_at.between(now - after - OUTCOME_CATCH_UP - timedelta(days=1), now),
    )
    for item in session.scalars(query):
        owner = item.owner
        if owner is None or not _wants(owner, NudgeKind.OUTCOME):
            continue
        assert item.last_ends_at is not None
        ended = item.last_ends_at.astimezone(clock.zone(owner.timezone)).date()
        due = _at_start_of(ended + after, owner)[0].astimezone(UTC)
        key = f"{NudgeKind.OUTCOME}:{item.uid}:{ended.isoformat()}:{owner.email}"
        yield Nudge(key, NudgeKind.OUTCOME, owner, due, item=item)


def _follow_ups(
    session: Session, offsets: Sequence[str], window: tuple[date, date], closed: frozenset[date]
) -> Iterator[Nudge]:
    query = (
        select(FollowUp)
        .where(FollowUp.done.is_(False), FollowUp.due_on.between(*window))
        .options(
            selectinload(FollowUp.owner),
            selectinload(FollowUp.item).selectinload(AgendaItem.owner),
            selectinload(FollowUp.item).selectinload(AgendaItem.participants),
        )
    )
    for follow_up in session.scalars(query):
        person = follow_up_recipient(follow_up)
        if person is None or not _wants(person, NudgeKind.FOLLOW_UP):
            continue
        assert follow_up.due_on is not None
        subject = f"{follow_up.item.uid}:{follow_up.id}:{follow_up.due_on.isoformat()}"
        for offset, due in _before(follow_up.due_on, person, offsets, closed):
            key = f"{NudgeKind.FOLLOW_UP}:{subject}:{offset}:{person.email}"
            yield Nudge(key, NudgeKind.FOLLOW_UP, person, due, follow_up.item, follow_up.id, offset)


def _before(
    day: date, person: Person, offsets: Sequence[str], closed: frozenset[date]
) -> Iterator[tuple[str, datetime]]:
    """Each offset with when it falls, counted from the start of the working day `day`."""
    moment, zone = _at_start_of(day, person)
    for offset in offsets:
        yield offset, falls_at(parse_offset(offset), moment, moment, zone, closed)


def follow_up_recipient(follow_up: FollowUp) -> Person | None:
    """Its owner; the item's owner instead when the action has none, or when the item is
    confidential and the action's owner is neither its owner nor a participant."""
    item, owner = follow_up.item, follow_up.owner
    if owner is None:
        return item.owner
    if item.confidentiality == Confidentiality.CONFIDENTIAL and owner not in involved(item):
        return item.owner
    return owner


def _evaluations(
    session: Session, offsets: Sequence[str], window: tuple[date, date], closed: frozenset[date]
) -> Iterator[Nudge]:
    query = (
        select(Partnership)
        .where(Partnership.next_evaluation_on.between(*window), Partnership.contact_id.is_not(None))
        .options(selectinload(Partnership.contact))
    )
    for partnership in session.scalars(query):
        contact = partnership.contact
        if contact is None or not _wants(contact, NudgeKind.EVALUATION):
            continue
        assert partnership.next_evaluation_on is not None
        subject = f"{partnership.slug}:{partnership.next_evaluation_on.isoformat()}"
        for offset, due in _before(partnership.next_evaluation_on, contact, offsets, closed):
            key = f"{NudgeKind.EVALUATION}:{subject}:{offset}:{contact.email}"
            yield Nudge(
                key, NudgeKind.EVALUATION, contact, due, subject_id=partnership.id, offset=offset
            )


def _preparations(
    session: Session, offsets: Sequence[str], window: tuple[date, date],
    closed: frozenset[date], now: datetime,
) -> Iterator[Nudge]:  # fmt: skip
    for chain in chains.followed(session, now, live_only=True):
        for step in chains.steps(chain, closed):
            task, day = step.task, step.due_on
            if task.done_at is not None or day is None or not window[0] <= day <= window[1]:
                continue
            person = chains.assignee(task)
            if person is None or not _wants(person, NudgeKind.PREPARATION):
                continue
            subject = f"{chain.item.uid}:{task.id}:{day.isoformat()}"
            for offset, due in _before(day, person, offsets, closed):
                key = f"{NudgeKind.PREPARATION}:{subject}:{offset}:{person.email}"
                yield Nudge(key, NudgeKind.PREPARATION, person, due, chain.item, task.id, offset)


def _chain_notices(session: Session, now: datetime) -> Iterator[Nudge]:
    """Once per chain found cancelled: its owner and the owners of its open steps."""
    query = chains.chain_query().where(PreparationChain.cancelled_at > now - CHAIN_NOTICE_CATCH_UP)
    for chain in session.scalars(query):
        assert chain.cancelled_at is not None
        for person in _told_of_cancellation(chain):
            # Called off again after coming back is news again: the moment is in the key.
            off = chain.cancelled_at.strftime("%Y%m%dT%H%M%S")
            key = f"{NudgeKind.CHAIN_CANCELLED}:{chain.id}:{off}:{person.email}"
            yield Nudge(
                key, NudgeKind.CHAIN_CANCELLED, person, chain.cancelled_at, chain.item, chain.id
            )


def _told_of_cancellation(chain: PreparationChain) -> list[Person]:
    people = [chain.owner] + [chains.assignee(t) for t in chain.tasks if t.done_at is None]
    unique = {p.id: p for p in people if p is not None and p.active}
    return [p for p in unique.values() if may_see(chain.item, p)]


def _contact_gaps(session: Session, now: datetime) -> Iterator[Nudge]:
    """Once per gap: a dossier's lead, when a target's contact is overdue. A gap is known by
    its last contact, so a new contact and a new gap later make a new nudge."""
    for dossier in dossiers.live_dossiers(session):
        lead = dossier.lead
        if lead is None or not _wants(lead, NudgeKind.CONTACT_GAP):
            continue
        items = dossiers.items_of(session, dossier, lead)
        for contact in dossiers.contacts(dossier, items, now):
            if not contact.overdue:
                continue
            since = contact.last_at or dossier.created_at
            began = since + dossiers.every(contact.target.contact_every)
            last = contact.last_at.date().isoformat() if contact.last_at else "never"
            gap = f"{dossier.slug}:{contact.stakeholder.slug}:{last}"
            yield Nudge(
                f"{NudgeKind.CONTACT_GAP}:{gap}:{lead.email}", NudgeKind.CONTACT_GAP, lead,
                _working_hours_from(max(began, now), lead), subject_id=contact.target.id,
                offset=contact.target.contact_every,
            )  # fmt: skip


def _overlaps(session: Session, settings: ReminderSettings, now: datetime) -> Iterator[Nudge]:
    """Once per overlap: each owner who may see the other item (the owner of a confidential
    one is told of the other; the other is not told of it)."""
    for overlap in overlaps.find(session, now, now + settings.horizon, settings.overlap):
        for mine in (overlap.first, overlap.second):
            owner, other = mine.item.owner, overlap.other(mine).item
            if owner is None or not _wants(owner, NudgeKind.OVERLAP) or not may_see(other, owner):
                continue
            key = f"{NudgeKind.OVERLAP}:{overlap.key}:{owner.email}"
            due = min(_working_hours_from(now, owner), overlap.first.start - timedelta(hours=1))
            yield Nudge(key, NudgeKind.OVERLAP, owner, max(due, now), mine.item, other.id)


# ---------------------------------------------------------------- the message


@dataclass(frozen=True)
class _Content:
    subject: str
    intro: str
    title: str
    facts: list[tuple[str, str]]
    link: str


def messages(
    session: Session, settings: ReminderSettings, rows: Sequence[Delivery], now: datetime
) -> dict[int, Flattened]:
    """The message of each nudge row whose subject and person still exist."""
    people = _by_id(session, Person, {r.person_id for r in rows})
    items = {
        i.id: i
        for i in session.scalars(
            item_query().where(AgendaItem.id.in_({r.item_id for r in rows if r.item_id}))
        )
    }
    follow_ups = _by_id(session, FollowUp, _subjects(rows, NudgeKind.FOLLOW_UP))
    partnerships = _by_id(session, Partnership, _subjects(rows, NudgeKind.EVALUATION))
    tasks = _by_id(session, PreparationTask, _subjects(rows, NudgeKind.PREPARATION))
    cancelled_chains = _by_id(session, PreparationChain, _subjects(rows, NudgeKind.CHAIN_CANCELLED))
    targets = _by_id(session, DossierTarget, _subjects(rows, NudgeKind.CONTACT_GAP))
    found = _overlaps_by_key(session, settings, rows, now)
    composed: dict[int, Flattened] = {}
    for row in rows:
        person = people.get(row.person_id) if row.person_id is not None else None
        if person is None:
            continue
        lang = language_of(person)
        item = items.get(row.item_id) if row.item_id is not None else None
        kind = NudgeKind(row.kind)
        content: _Content | None = None
        if kind == NudgeKind.OUTCOME and item is not None:
            content = _outcome(item, person, settings, lang)
        elif kind == NudgeKind.FOLLOW_UP and item is not None and row.subject_id in follow_ups:
            content = _follow_up(follow_ups[row.subject_id], item, person, row, settings, lang)
        elif kind == NudgeKind.EVALUATION and row.subject_id in partnerships:
            content = _evaluation(partnerships[row.subject_id], person, row, settings, lang)
        elif kind == NudgeKind.PREPARATION and row.subject_id in tasks:
            content = _preparation(tasks[row.subject_id], person, row, settings, lang)
        elif kind == NudgeKind.CHAIN_CANCELLED and row.subject_id in cancelled_chains:
            content = _chain_cancelled(cancelled_chains[row.subject_id], person, settings, lang)
        elif kind == NudgeKind.CONTACT_GAP and row.subject_id in targets:
            content = _contact_gap(session, targets[row.subject_id], person, settings, lang, now)
        elif kind == NudgeKind.OVERLAP and row.key in found:
            content = _overlap(found[row.key], row, person, settings, lang)
        if content is not None:
            late = now - row.due_at > LATE_AFTER
            composed[row.id] = Flattened.of(_compose(row, person, content, settings, lang, late))
    return composed


_Row = TypeVar(
    "_Row", Person, FollowUp, Partnership, PreparationTask, PreparationChain, DossierTarget
)


def _by_id(session: Session, model: type[_Row], ids: set[int | None]) -> dict[int, _Row]:
    wanted = {i for i in ids if i is not None}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}


def _subjects(rows: Sequence[Delivery], kind: NudgeKind) -> set[int | None]:
    return {r.subject_id for r in rows if r.kind == kind.value}


def _compose(
    row: Delivery, person: Person, content: _Content, settings: ReminderSettings, lang: Lang,
    late: bool,
) -> EmailMessage:  # fmt: skip
    context = {
        "name": person.name, "late": late, "subject": content.subject, "intro": content.intro,
        "title": content.title, "facts": content.facts, "link": content.link,
    }  # fmt: skip
    return compose(
        "nudge", person, context, letterhead=settings.letterhead,
        message_id=message_id(row.key, settings.domain), lang=lang, key=row.key,
        can_turn_off=row.kind in _CAN_TURN_OFF,
    )  # fmt: skip


def _item_facts(item: AgendaItem, lang: Lang) -> list[tuple[str, str]]:
    facts = [(text("kind", lang), label(item.kind.value, lang))]
    if item.stakeholders:
        facts.append((text("stakeholders", lang), ", ".join(s.name for s in item.stakeholders)))
    for key in ("goal", "message"):
        if getattr(item, key):
            facts.append((text(key, lang), getattr(item, key)))
    return facts


def _when(item: AgendaItem, person: Person, lang: Lang) -> tuple[str, str]:
    """When the item's (last) occurrence began, long and short, in the person's zone."""
    assert item.last_ends_at is not None
    began = item.last_ends_at - (item.ends_at - item.starts_at)
    words = Words(lang, person.timezone)
    return words.long(began, item.all_day), words.moment(began, item.all_day)


def _outcome(item: AgendaItem, person: Person, settings: ReminderSettings, lang: Lang) -> _Content:
    when_long, when_short = _when(item, person, lang)
    title = one_line(item.title)
    return _Content(
        subject=f"{text('outcome_subject', lang)}: {title} – {when_short}",
        intro=text("outcome_intro", lang),
        title=title,
        facts=[(text("when", lang), when_long), *_item_facts(item, lang)],
        link=f"{settings.base_url}/items/{item.uid}",
    )


def _follow_up(
    follow_up: FollowUp, item: AgendaItem, person: Person, row: Delivery,
    settings: ReminderSettings, lang: Lang,
) -> _Content:  # fmt: skip
    assert follow_up.due_on is not None
    action = one_line(follow_up.text)
    overdue = bool(row.offset) and parse_offset(row.offset).after
    when_long, _ = _when(item, person, lang) if item.last_ends_at else ("", "")
    origin = f"{one_line(item.title)} ({when_long})" if when_long else one_line(item.title)
    words = Words(lang, person.timezone)
    due_by = text("due_by", lang, date=words.day(follow_up.due_on))
    return _Content(
        subject=f"{text('follow_up_subject', lang)}: {action} – {due_by}",
        intro=text("follow_up_overdue" if overdue else "follow_up_intro", lang),
        title=action,
        facts=[
            (text("due", lang), words.long_day(follow_up.due_on)),
            (text("from_item", lang), origin),
            *_item_facts(item, lang)[1:],
        ],
        link=f"{settings.base_url}/items/{item.uid}",
    )


def _evaluation(
    partnership: Partnership, person: Person, row: Delivery, settings: ReminderSettings,
    lang: Lang,
) -> _Content | None:  # fmt: skip
    if partnership.next_evaluation_on is None:
        return None
    words = Words(lang, person.timezone)
    name = one_line(partnership.name)
    overdue = bool(row.offset) and parse_offset(row.offset).after
    facts = [
        (text("evaluation_on", lang), words.long_day(partnership.next_evaluation_on)),
        (text("level", lang), label(partnership.level.value, lang)),
        (text("partnership_kind", lang), label(partnership.kind.value, lang)),
    ]
    if partnership.role is not None:
        facts.append((text("role", lang), label(partnership.role.value, lang)))
    if partnership.members:
        facts.append((text("members", lang), ", ".join(m.name for m in partnership.members)))
    if partnership.themes:
        facts.append((text("themes", lang), ", ".join(t.name for t in partnership.themes)))
    short = words.day(partnership.next_evaluation_on)
    return _Content(
        subject=f"{text('evaluation_subject', lang)}: {name} – {short}",
        intro=text("evaluation_overdue" if overdue else "evaluation_intro", lang),
        title=name,
        facts=facts,
        link=f"{settings.base_url}/partnerships",
    )


def _preparation(
    task: PreparationTask, person: Person, row: Delivery, settings: ReminderSettings, lang: Lang
) -> _Content | None:
    chain = task.chain
    step = next(s for s in chains.steps(chain, settings.closed_days) if s.task.id == task.id)
    occurrence = chains.anchor(chain)
    if step.due_on is None or occurrence is None:
        return None  # the chain went off after planning; the planner cancels the row
    words = Words(lang, person.timezone)
    title, item = one_line(task.title), chain.item
    overdue = bool(row.offset) and parse_offset(row.offset).after
    done, total = chains.progress(chain)
    progress = text("steps_done", lang, done=str(done), total=str(total))
    when = words.long(occurrence.start, item.all_day)
    facts = [
        (text("due", lang), words.long_day(step.due_on)),
        (text("chain", lang), f"{one_line(chain.name)} – {progress}"),
        (text("leads_up_to", lang), f"{one_line(occurrence.title)} ({when})"),
        *_item_facts(item, lang),
    ]
    return _Content(
        subject=f"{text('preparation_subject', lang)}: {title} – "
        f"{text('due_by', lang, date=words.day(step.due_on))}",
        intro=text("preparation_overdue" if overdue else "preparation_intro", lang),
        title=title,
        facts=facts,
        link=f"{settings.base_url}/items/{item.uid}",
    )


def _chain_cancelled(
    chain: PreparationChain, person: Person, settings: ReminderSettings, lang: Lang
) -> _Content | None:
    if chain.cancelled_at is None:
        return None  # on again since planning
    item = chain.item
    words = Words(lang, person.timezone)
    rid = datetime.fromisoformat(chain.occurrence) if chain.occurrence else item.starts_at
    title = one_line(item.title)
    open_steps = [t for t in chain.tasks if t.done_at is None]
    facts = [
        (text("chain", lang), one_line(chain.name)),
        (text("when", lang), words.long(rid, item.all_day)),
        *[(text("open_step", lang), one_line(t.title)) for t in open_steps],
    ]
    return _Content(
        subject=f"{text('chain_cancelled_subject', lang)}: {title} – "
        f"{words.moment(rid, item.all_day)}",
        intro=text("chain_cancelled_intro", lang),
        title=title,
        facts=facts,
        link=f"{settings.base_url}/items/{item.uid}",
    )


def _contact_gap(
    session: Session, target: DossierTarget, person: Person, settings: ReminderSettings,
    lang: Lang, now: datetime,
) -> _Content | None:  # fmt: skip
    dossier = target.dossier
    items = dossiers.items_of(session, dossier, person)
    contact = next(c for c in dossiers.contacts(dossier, items, now) if c.target.id == target.id)
    if not contact.overdue:
        return None  # planned or held since; the planner cancels the row
    words = Words(lang, person.timezone)
    name, title = one_line(target.stakeholder.name), one_line(dossier.title)
    last = text("never", lang)
    if contact.last is not None and contact.last_at is not None:
        when = words.long_day(contact.last_at.astimezone(words.zone).date())
        last = f"{when}: {one_line(contact.last.title)}"
    length = words.length(dossiers.every(target.contact_every))
    return _Content(
        subject=f"{text('contact_gap_subject', lang)}: {name} – {title}",
        intro=text("contact_gap_intro", lang),
        title=name,
        facts=[
            (text("dossier", lang), title),
            (text("contact_every", lang), text("every", lang, length=length)),
            (text("last_contact", lang), last),
        ],
        link=f"{settings.base_url}/dossiers/{dossier.slug}",
    )


def _overlaps_by_key(
    session: Session, settings: ReminderSettings, rows: Sequence[Delivery], now: datetime
) -> dict[str, overlaps.Overlap]:
    """The overlaps the rows are about, if they still hold (by delivery key)."""
    wanted = {r.key for r in rows if r.kind == NudgeKind.OVERLAP.value}
    if not wanted:
        return {}
    found = {}
    for overlap in overlaps.find(session, now, now + settings.horizon, settings.overlap):
        for owner in (overlap.first.item.owner, overlap.second.item.owner):
            key = f"{NudgeKind.OVERLAP}:{overlap.key}:{owner.email if owner else ''}"
            if key in wanted:
                found[key] = overlap
    return found


def _overlap(
    overlap: overlaps.Overlap, row: Delivery, person: Person, settings: ReminderSettings,
    lang: Lang,
) -> _Content:  # fmt: skip
    mine = overlap.first if overlap.first.item.id == row.item_id else overlap.second
    other = overlap.other(mine)
    words = Words(lang, person.timezone)

    def described(occurrence: Occurrence) -> str:
        when = words.long(occurrence.start, occurrence.item.all_day)
        return f"{one_line(occurrence.title)} ({when})"

    partners = ", ".join(one_line(s.name) for s in overlap.stakeholders)
    colleague = one_line(other.item.owner.name) if other.item.owner else "?"
    return _Content(
        subject=f"{text('overlap_subject', lang)}: {partners} – "
        f"{words.moment(mine.start, mine.item.all_day)}",
        intro=text("overlap_intro", lang),
        title=partners,
        facts=[
            (text("yours", lang), described(mine)),
            (text("also", lang), f"{described(other)} – {colleague}"),
        ],
        link=f"{settings.base_url}/items/{other.item.uid}",
    )
