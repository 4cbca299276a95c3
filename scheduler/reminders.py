"""Email reminders: which the agenda implies (planned into the outbox ahead), and their text.

A reminder's delivery key is (item, occurrence, offset, recipient): planning twice creates
nothing twice, and a moved occurrence keeps its reminders (moved with it). Sending is the
outbox's job (`scheduler.outbox`).
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from scheduler import clock, outbox, overlaps
from scheduler.agenda import item_query
from scheduler.config import Settings
from scheduler.errors import NotFound, ValidationError
from scheduler.ics_writer import FeedOptions, occurrence_calendar, options_from
from scheduler.mailer import Attachment, Outgoing, SmtpSettings, compose
from scheduler.models import (
    AgendaItem,
    Confidentiality,
    Delivery,
    DeliveryState,
    ItemKind,
    ItemStatus,
    Person,
)
from scheduler.occurrences import Occurrence, expand
from scheduler.offsets import (
    MAX_WORKDAYS,
    ReminderOffset,
    falls_at,
    falls_on,
    parse_offset,
    reach,
)
from scheduler.outbox import LATE_AFTER, OPEN, OutboxSettings, Skipped
from scheduler.rendering import render
from scheduler.texts import Lang, Words, label, text

log = logging.getLogger(__name__)

# Rows this far past due when planned are not created: a new rule never mails about the past.
PLANNING_SLACK = timedelta(minutes=5)
# The offset that reaches furthest of those accepted (250WD reaches further than P52W2D).
LONGEST_ACCEPTED = parse_offset(f"{MAX_WORKDAYS}WD")


@dataclass(frozen=True)
class ReminderSettings:
    defaults: dict[ItemKind, tuple[str, ...]]
    horizon: timedelta = timedelta(days=35)
    grace: timedelta = timedelta(hours=12)
    max_attempts: int = 8
    heartbeat: timedelta = timedelta(minutes=1)
    mail_from: str = "Lobbyagenda <lobby-agenda@localhost>"
    base_url: str = "http://127.0.0.1:8000"
    domain: str = "lobby-agenda.local"
    smtp: SmtpSettings = field(default_factory=lambda: SmtpSettings(host=""))
    feed: FeedOptions | None = None  # with it, each reminder carries an .ics of its occurrence
    follow_up: tuple[str, ...] = ("1WD",)  # before a follow-up action's due date
    evaluation: tuple[str, ...] = ("P14D",)  # before a partnership's evaluation date
    preparation: tuple[str, ...] = ("2WD",)  # before a preparation step's due date
    overlap_window: str = "week"  # when two colleagues' visits to one partner overlap
    home_zone: str = "Europe/Amsterdam"
    outcome_after: timedelta | None = timedelta(days=3)  # an item without outcome; None: off
    digest_days: int = 14  # the upcoming period a digest covers
    digest_skip_empty: bool = True
    lobby_window: timedelta = timedelta(days=14)  # decision moments this close: highlighted
    closed_days: frozenset[date] = frozenset()  # recess: no working days for offsets like 5WD

    @property
    def overlap(self) -> overlaps.Window:
        """When two colleagues' visits to one partner overlap (see `overlaps`)."""
        return overlaps.parse_window(self.overlap_window, self.home_zone)

    @property
    def outbox(self) -> OutboxSettings:
        return OutboxSettings(
            grace=self.grace, max_attempts=self.max_attempts, heartbeat=self.heartbeat,
            smtp=self.smtp,
        )  # fmt: skip


# ---------------------------------------------------------------- when


def due_at(
    offset: ReminderOffset, occurrence: Occurrence, zone: ZoneInfo,
    closed: frozenset[date] = frozenset(),
) -> datetime:  # fmt: skip
    """When a reminder for `occurrence` falls for a recipient in `zone`, in wall-clock terms
    in that zone, as people read their own clock (`closed`: closing and recess days, which
    working-day offsets skip):

    - hours and minutes count exactly: PT2H is two hours before the start, wherever one is;
    - days and weeks keep the time of day the start has in `zone`: P1D before a meeting at
      10:00 Amsterdam reaches someone in New York at 04:00 (or 05:00, in the weeks the two
      zones change clocks on different dates) the day before, their time of the meeting;
    - working days land at 09:00 in `zone`, counted from the start's date there;
    - an all-day item has no time of day: days, weeks and working days land at 09:00 in
      `zone` on the day they count to (never at midnight); see `offsets.falls_on`.
    """
    if occurrence.all_day:
        first, last = _days_of(occurrence)
        return falls_on(offset, first, last, zone, closed)
    return falls_at(offset, occurrence.start, occurrence.end, zone, closed)


def _days_of(occurrence: Occurrence) -> tuple[date, date]:
    """An all-day occurrence's first and last day (its end is the midnight after the last)."""
    first = occurrence.start.astimezone(occurrence.zone).date()
    after_last = occurrence.end.astimezone(occurrence.zone).date()
    return first, max(first, after_last - timedelta(days=1))


REMINDER, CANCELLATION = "reminder", "cancellation"


def _key(item: AgendaItem, occurrence: Occurrence, offset: str, email: str) -> str:
    return f"{REMINDER}:{item.uid}:{_moment(occurrence)}:{offset}:{email}"


# A reminder sent again after its occurrence moved later has the key of the first with
# ":again" and how many had been sent: each stays a key of its own, so each goes once.
_AGAIN = ":again"


def _base(key: str) -> str:
    """The key of the first reminder of this occurrence, offset and person."""
    return key.split(_AGAIN, 1)[0]


def _moment(occurrence: Occurrence) -> str:
    if occurrence.recurrence_id is None:
        return "single"
    return occurrence.recurrence_id.strftime("%Y%m%dT%H%M%SZ")


class Followers:
    """People who follow a theme or stakeholder and asked for its items' reminders."""

    def __init__(self, session: Session) -> None:
        self.by_theme: dict[int, list[Person]] = defaultdict(list)
        self.by_stakeholder: dict[int, list[Person]] = defaultdict(list)
        query = (
            select(Person)
            .where(Person.follow_reminders, Person.active)
            .options(selectinload(Person.themes), selectinload(Person.stakeholders))
        )
        for person in session.scalars(query):
            for theme in person.themes:
                self.by_theme[theme.id].append(person)
            for stakeholder in person.stakeholders:
                self.by_stakeholder[stakeholder.id].append(person)

    def of(self, item: AgendaItem) -> list[Person]:
        found = [p for theme in item.themes for p in self.by_theme.get(theme.id, ())]
        return found + [p for s in item.stakeholders for p in self.by_stakeholder.get(s.id, ())]


def involved(item: AgendaItem) -> list[Person]:
    return ([item.owner] if item.owner else []) + list(item.participants)


def _recipients(item: AgendaItem, followers: Followers) -> list[Person]:
    """Owner, participants and followers (these only when the item is not confidential:
    its details are for owner and participants alone), less whoever opted out of its kind."""
    people = involved(item)
    if item.confidentiality != Confidentiality.CONFIDENTIAL:
        people += followers.of(item)
    kind = item.kind.value
    unique = {p.email: p for p in people if p.active and kind not in p.reminders_off}
    return [unique[email] for email in sorted(unique)]


# ---------------------------------------------------------------- planning


def plan(session: Session, settings: ReminderSettings, now: datetime) -> int:
    """Plan the whole agenda's reminders in this session's transaction (see `plan_part`);
    returns how many rows were created or changed. The service plans a part at a time
    instead, each written in short transactions of its own (`delivery.plan`)."""
    return outbox.write(session, plan_part(session, settings, now)[0])


def plan_part(
    session: Session, settings: ReminderSettings, now: datetime, after: int = 0,
    size: int | None = None,
) -> tuple[outbox.Plan, int | None]:  # fmt: skip
    """What to create, move or cancel in the outbox for the reminders of the next `size` items
    after item id `after` (all the rest when None) that fall due within the horizon; reads
    only (see `outbox.Plan`). Idempotent.

    1. every reminder these items imply around now (a month back, the horizon ahead);
    2. their open rows follow their occurrence: moved with it, cancelled with it;
    3. new rows only for reminders not yet due: a new rule never mails about the past.

    A part holds the items with ids in (`after`, end] and the rows of those ids; the last
    part also the rows whose item was deleted. What becomes of a row depends only on its item
    and on the people, both read here: a part is whole in itself, and parts may be planned
    and written one after another.

    Returns the plan, and the item id the next part starts after (None: this was the last).
    """
    end = None if size is None else _part_end(session, now, after, size)
    if end is None:  # the last part: with the rows whose item was deleted
        in_part = (Delivery.item_id > after) | Delivery.item_id.is_(None)
    else:
        in_part = (Delivery.item_id > after) & (Delivery.item_id <= end)
    open_rows = select(Delivery).where(
        Delivery.kind == REMINDER, Delivery.state.in_((*OPEN, DeliveryState.SENDING)), in_part
    )
    existing = {row.key: row for row in session.scalars(open_rows.order_by(Delivery.id))}
    generated, items = _generated(session, settings, now, after, end)
    again = _sent_too_early(session, generated, items, now)
    plan = outbox.Plan()
    for key, row in existing.items():
        if row.state == DeliveryState.SENDING:
            continue  # being sent right now: its worker records the outcome
        found = generated.get(_base(key))
        if found is None:
            if row.occurrence_start is not None and row.occurrence_start >= now - timedelta(
                days=31
            ):
                plan.cancel(row, _why_not(row, items), now)
            continue
        item, occurrence, _, _, due = found
        if not _live(item, occurrence):
            plan.cancel(row, CALLED_OFF, now)
        elif row.occurrence_start != occurrence.start:
            # The occurrence moved: the reminder moves with it, never sent at the old time.
            plan.change(row, {
                "due_at": due, "next_attempt_at": due, "occurrence_start": occurrence.start,
                "updated_at": now,
            })  # fmt: skip
        elif row.due_at != due and row.state == DeliveryState.PENDING and row.attempts == 0:
            # When it falls changed, not the occurrence: the recipient's zone, the closing
            # days, or how this version counts (after an upgrade). Never tried yet, it goes
            # at the new time; its key is the same, so it still goes once.
            plan.change(row, {"due_at": due, "next_attempt_at": due, "updated_at": now})
    new = [
        _new_row(again.get(key, key), item, occurrence, offset_text, person, due)
        for key, (item, occurrence, offset_text, person, due) in generated.items()
        if again.get(key, key) not in existing
        and _live(item, occurrence)
        # not already past when planned, and within the horizon
        and now - PLANNING_SLACK <= due <= now + settings.horizon
    ]
    plan.new = outbox.not_there(session, [*new, *_cancellation_notices(session, generated, now)])
    return plan, end


# A move later by less than this (or half the reminder's lead, if longer) keeps the reminder
# already sent: a meeting put back ten minutes is no reason to remind anyone again.
_SMALL_MOVE = timedelta(minutes=30)


def _sent_too_early(
    session: Session, generated: dict[str, _Planned], items: dict[int, AgendaItem],
    now: datetime,
) -> dict[str, str]:  # fmt: skip
    """The reminders to send again, by the key of the first: those whose last one went out
    before their occurrence moved later, so much later that it came too early ("in 7 days"
    twelve days before). Their new key is planned like any reminder: at the new time, once.

    Only items changed within the look-back are asked about (a move changes the item); the
    again-row, once created, follows its occurrence as any open row does."""
    changed = [item.id for item in items.values() if item.updated_at >= now - _LOOK_BACK]
    if not changed:
        return {}
    query = select(Delivery.key, Delivery.sent_at, Delivery.occurrence_start).where(
        Delivery.kind == REMINDER, Delivery.state == DeliveryState.SENT
    )
    found = [
        row
        for chunk in range(0, len(changed), 1000)  # SQLite limits the parameters of a query
        for row in session.execute(query.where(Delivery.item_id.in_(changed[chunk : chunk + 1000])))
    ]
    sent: dict[str, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for key, sent_at, occurrence_start in found:
        if _base(key) in generated and sent_at is not None:
            sent[_base(key)].append((sent_at, occurrence_start))
    again = {}
    for base, sendings in sent.items():
        _, occurrence, _, _, due = generated[base]
        last_sent, started_then = max(sendings, key=lambda sending: sending[0])
        lead = abs(occurrence.start - due)
        if started_then != occurrence.start and due - last_sent > max(lead / 2, _SMALL_MOVE):
            again[base] = f"{base}{_AGAIN}{len(sendings)}"
    return again


def _part_end(session: Session, now: datetime, after: int, size: int) -> int | None:
    """The last item id of the part of `size` items planned after `after` (None: all the rest)."""
    query = select(AgendaItem.id).where(_looked_at(now), AgendaItem.id > after)
    ids = list(session.scalars(query.order_by(AgendaItem.id).limit(size)))
    return ids[-1] if len(ids) == size else None


def _looked_at(now: datetime) -> ColumnElement[bool]:
    """The items whose occurrences may still have reminders: those ending a month ago or later."""
    return or_(AgendaItem.last_ends_at.is_(None), AgendaItem.last_ends_at >= now - _LOOK_BACK)


_LOOK_BACK = timedelta(days=31)


def _cancellation_notices(
    session: Session, generated: dict[str, _Planned], now: datetime
) -> list[outbox.Row]:
    """One notice to each person already reminded of an occurrence that was then cancelled
    (only while it still lies ahead: a cancelled past meeting is no news)."""
    cancelled = {
        (item.id, occurrence.recurrence_id or occurrence.start): (item, occurrence)
        for item, occurrence, *_ in generated.values()
        if not _live(item, occurrence)
    }
    if not cancelled:
        return []
    # A one-off item has one occurrence, wherever it moved since the reminder went out.
    single = {item.id: (item, occurrence) for item, occurrence in cancelled.values()
              if occurrence.recurrence_id is None}  # fmt: skip
    reminded = session.scalars(
        select(Delivery).where(
            Delivery.kind == REMINDER,
            Delivery.state == DeliveryState.SENT,
            Delivery.occurrence_start > now - _LOOK_BACK,
            Delivery.item_id.in_({item_id for item_id, _ in cancelled}),
        )
    )
    notices: list[outbox.Row] = []
    for row in reminded:
        found = cancelled.get((row.item_id, row.occurrence_id)) or single.get(row.item_id)  # type: ignore[arg-type]
        if found is None or row.person_id is None or found[1].start <= now:
            continue
        item, occurrence = found
        notices.append({
            "key": f"{CANCELLATION}:{item.uid}:{_moment(occurrence)}:{row.recipient}",
            "kind": CANCELLATION, "item_id": item.id, "item_uid": item.uid,
            "occurrence_id": row.occurrence_id, "occurrence_start": occurrence.start,
            "person_id": row.person_id, "recipient": row.recipient, "due_at": now,
            "state": DeliveryState.PENDING, "next_attempt_at": now,
        })  # fmt: skip
    return notices


def _why_not(row: Delivery, items: dict[int, AgendaItem]) -> str:
    item = items.get(row.item_id) if row.item_id is not None else None
    if (
        item is not None
        and item.confidentiality == Confidentiality.CONFIDENTIAL
        and row.recipient not in {p.email for p in involved(item)}
    ):
        return "the item became confidential: only its owner and participants are reminded"
    return "no longer planned (rule, people or date changed)"


_Planned = tuple[AgendaItem, Occurrence, str, Person, datetime]


def _generated(
    session: Session, settings: ReminderSettings, now: datetime, after: int, last: int | None
) -> tuple[dict[str, _Planned], dict[int, AgendaItem]]:
    """Every reminder the items with ids in (`after`, `last`] imply for occurrences around now,
    by delivery key; and the items looked at, by id.

    Each item's occurrences are looked for as far beyond the horizon as its furthest offset
    reaches (at least 31 days), so that a reminder ten weeks before is planned as soon as it
    falls within the horizon, while an item with short offsets is expanded no further."""
    start = now - _LOOK_BACK
    closed_ahead = sum(day >= start.date() for day in settings.closed_days)
    query = item_query().where(_looked_at(now), AgendaItem.id > after)
    if last is not None:
        query = query.where(AgendaItem.id <= last)
    generated: dict[str, _Planned] = {}
    items: dict[int, AgendaItem] = {}
    followers = Followers(session)
    for item in session.scalars(query):
        items[item.id] = item
        offsets = item.reminders or list(settings.defaults.get(item.kind, ()))
        recipients = _recipients(item, followers)
        end = now + settings.horizon + furthest(offsets, closed_ahead)
        parsed = [(text, parse_offset(text)) for text in offsets]
        for occurrence in expand(item, start, end):
            for offset_text, offset in parsed:
                dues = _dues(offset, occurrence, recipients, settings.closed_days)
                for person in recipients:
                    key = _key(item, occurrence, offset_text, person.email)
                    generated[key] = (item, occurrence, offset_text, person, dues[person.timezone])
    return generated, items


def _dues(
    offset: ReminderOffset, occurrence: Occurrence, recipients: list[Person],
    closed: frozenset[date],
) -> dict[str, datetime]:  # fmt: skip
    """When the reminder falls in each recipient's zone, by zone name (once per zone)."""
    zones = {person.timezone for person in recipients}
    return {name: due_at(offset, occurrence, clock.zone(name), closed) for name in zones}


# An item in one of these has no reminders.
_SET_ASIDE = (ItemStatus.CANCELLED, ItemStatus.IDEA, ItemStatus.DONE)


def _live(item: AgendaItem, occurrence: Occurrence) -> bool:
    """Whether reminders for this occurrence should still go out."""
    return not occurrence.cancelled and item.status not in _SET_ASIDE


def furthest(offsets: Sequence[str], closed: int) -> timedelta:
    """How far beyond the horizon to look for occurrences with these offsets: as far as the
    furthest reaches, at least 31 days (to see occurrences moved a little way off), and at
    most the longest offset accepted (offsets stored before that limit existed would make
    an endless series expand for years)."""
    longest = max((reach(parse_offset(o), closed) for o in offsets), default=timedelta())
    return min(max(longest, timedelta(days=31)), reach(LONGEST_ACCEPTED, closed))


def _reach(offset_text: str) -> timedelta:
    return reach(parse_offset(offset_text))


def _new_row(
    key: str, item: AgendaItem, occurrence: Occurrence, offset: str, person: Person, due: datetime
) -> outbox.Row:
    return {
        "key": key, "kind": REMINDER, "item_id": item.id, "item_uid": item.uid,
        "occurrence_id": occurrence.recurrence_id or occurrence.start,
        "occurrence_start": occurrence.start,
        "offset": offset, "person_id": person.id, "recipient": person.email, "due_at": due,
        "state": DeliveryState.PENDING, "next_attempt_at": due,
    }  # fmt: skip


# ---------------------------------------------------------------- the message


def preview(
    session: Session, settings: ReminderSettings, uid: str, email: str | None, now: datetime
) -> Outgoing:
    """The reminder the item's next occurrence would send (to `email`, default its owner)."""
    item = session.scalar(item_query().where(AgendaItem.uid == uid))
    if item is None:
        raise NotFound(f"no agenda item with uid {uid!r}", field="uid")
    recipients = {p.email: p for p in _recipients(item, Followers(session))}
    address = (email or (item.owner.email if item.owner else "")).lower()
    person = recipients.get(address)
    if person is None:
        known = ", ".join(recipients) or "nobody: the item has no owner or participants"
        raise ValidationError(
            f"{address or 'nobody'} gets no reminders for {uid}; those who do: {known}",
            field="person",
        )
    upcoming = [o for o in expand(item, now, now + timedelta(days=800)) if not o.cancelled]
    if not upcoming:
        raise ValidationError(f"{uid} has no occurrence ahead to remind of", field="uid")
    occurrence = upcoming[0]
    offsets = item.reminders or list(settings.defaults.get(item.kind, ())) or ["P1D"]
    row = Delivery(
        key=_key(item, occurrence, offsets[0], person.email), kind=REMINDER, item_uid=item.uid,
        occurrence_start=occurrence.start, offset=offsets[0], recipient=person.email,
        due_at=due_at(
            parse_offset(offsets[0]), occurrence, clock.zone(person.timezone), settings.closed_days
        ),
    )  # fmt: skip
    return build_message(item, row, person, settings, late=False)


def message_id(key: str, domain: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


@dataclass
class SharedParts:
    """What the recipients of an occurrence have in common, worked out once for a batch: the
    .ics (finding the occurrence means expanding the item) and the text about the
    occurrence (dates in a zone and language, people, preparation)."""

    calendars: dict[tuple[int, int, datetime, Lang], Attachment | None] = field(
        default_factory=dict
    )
    contexts: dict[tuple[int, int, datetime, str, Lang], dict[str, object]] = field(
        default_factory=dict
    )


@dataclass(frozen=True)
class _Draft:
    """What one reminder says, before its text is rendered and its MIME form built."""

    row: Delivery
    person: Person
    lang: Lang
    context: dict[str, object]
    attachments: tuple[Attachment, ...]


def messages(
    session: Session, settings: ReminderSettings, rows: Sequence[Delivery], now: datetime
) -> dict[int, Outgoing | Skipped]:
    """The message of each reminder row whose item and person still exist, with the items
    and people of the whole batch loaded in a few queries; none for a reminder whose item or
    occurrence was called off since it was planned (the next planning run would cancel it, but
    it may fall due first).

    Composed a stage at a time over the batch (what each says, its texts, its MIME form)
    rather than message by message: each stage's code then stays warm in the CPU caches,
    which measured some 10 % less work for a burst of reminders.
    """
    item_ids = {r.item_id for r in rows if r.item_id is not None}
    person_ids = {r.person_id for r in rows if r.person_id is not None}
    items = {i.id: i for i in session.scalars(item_query().where(AgendaItem.id.in_(item_ids)))}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    shared = SharedParts()
    drafts = []
    composed: dict[int, Outgoing | Skipped] = {}
    for row in rows:
        item = items.get(row.item_id) if row.item_id is not None else None
        person = people.get(row.person_id) if row.person_id is not None else None
        if item is not None and row.kind == REMINDER and _called_off(item, row):
            composed[row.id] = Skipped(CALLED_OFF)
        elif item is not None and person is not None:
            late = now - row.due_at > LATE_AFTER
            drafts.append(_draft(item, row, person, settings, late, shared))
    texts = [_texts(draft) for draft in drafts]
    for draft, written in zip(drafts, texts, strict=True):
        composed[draft.row.id] = _compose(draft, written, settings)
    return composed


CALLED_OFF = "its occurrence was cancelled"


def _called_off(item: AgendaItem, row: Delivery) -> bool:
    """Whether the item or the reminder's occurrence was called off (see `_live`)."""
    if item.status in _SET_ASIDE:
        return True
    return any(o.cancelled and o.recurrence_id == row.occurrence_id for o in item.overrides)


def build_message(
    item: AgendaItem,
    row: Delivery,
    person: Person,
    settings: ReminderSettings,
    *,
    late: bool,
    shared: SharedParts | None = None,
) -> Outgoing:
    """The reminder email; `shared` carries what other recipients of the occurrence in the
    same batch have in common with this one."""
    draft = _draft(item, row, person, settings, late, SharedParts() if shared is None else shared)
    return _compose(draft, _texts(draft), settings)


def _draft(
    item: AgendaItem, row: Delivery, person: Person, settings: ReminderSettings, late: bool,
    shared: SharedParts,
) -> _Draft:  # fmt: skip
    lang: Lang = "en" if person.language.value == "en" else "nl"
    start = (row.occurrence_start or item.starts_at).astimezone(clock.zone(person.timezone))
    # With the zone's name: datetimes of one instant in two zones are equal as keys.
    key = (item.id, item.revision, start, person.timezone, lang)
    if key not in shared.contexts:
        shared.contexts[key] = occurrence_context(item, settings, lang, start)
    context = shared.contexts[key] | recipient_context(row, person, lang, late)
    calendar = None if settings.feed is None else _calendar(item, row, settings.feed, lang, shared)
    return _Draft(row, person, lang, context, () if calendar is None else (calendar,))


def _texts(draft: _Draft) -> tuple[str, str, str]:
    """Subject, plain text and HTML."""
    lang, context = draft.lang, draft.context
    return (
        one_line(render("email/reminder.subject.txt", lang, **context)),
        render("email/reminder.txt", lang, **context),
        render("email/reminder.html", lang, **context),
    )


def _compose(draft: _Draft, texts: tuple[str, str, str], settings: ReminderSettings) -> Outgoing:
    subject, text, html = texts
    return compose(
        sender=settings.mail_from,
        to=(one_line(draft.person.name), draft.person.email),
        subject=subject,
        message_id=message_id(draft.row.key, settings.domain),
        text=text,
        html=html,
        headers={"Auto-Submitted": "auto-generated", "X-Lobby-Agenda-Delivery": draft.row.key},
        attachments=draft.attachments,
    )


def _calendar(
    item: AgendaItem, row: Delivery, feed: FeedOptions, lang: Lang, shared: SharedParts
) -> Attachment | None:
    """The occurrence as an .ics attachment (none if it no longer exists)."""
    key = (item.id, item.revision, _anchor(item, row), lang)
    if key not in shared.calendars:
        occurrence = _occurrence_of(item, row)
        shared.calendars[key] = (
            None
            if occurrence is None
            else Attachment(
                occurrence_calendar(item, occurrence, feed, lang).decode(), "calendar",
                f"{_file_name(item.uid)}.ics", params=(("method", "PUBLISH"),),
            )
        )  # fmt: skip
    return shared.calendars[key]


def _anchor(item: AgendaItem, row: Delivery) -> datetime:
    """The original start (RECURRENCE-ID) of the occurrence a delivery is about."""
    return row.occurrence_id or row.occurrence_start or item.starts_at


def _occurrence_of(item: AgendaItem, row: Delivery) -> Occurrence | None:
    """The occurrence a delivery is about, as it stands now (moved or not)."""
    anchor = _anchor(item, row)
    for occurrence in expand(item, anchor - timedelta(days=400), anchor + timedelta(days=400)):
        if (occurrence.recurrence_id or occurrence.start) == anchor:
            return occurrence
    return None


def _file_name(uid: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in uid)[:80] or "agenda"


def recipient_context(row: Delivery, person: Person, lang: Lang, late: bool) -> dict[str, object]:
    """The part of the template context that is this recipient's own."""
    return {
        "name": person.name,
        "late": late,
        "cancelled": row.kind == CANCELLATION,
        "moved": _AGAIN in row.key,  # reminded before, at the occurrence's earlier time
        "offset_text": describe_offset(row.offset, lang) if row.offset else "",
    }


def occurrence_context(
    item: AgendaItem, settings: ReminderSettings, lang: Lang, start: datetime
) -> dict[str, object]:
    """The part of the template context that all recipients of the occurrence share who have
    the same language and zone (`start` is in that zone)."""
    assert isinstance(start.tzinfo, ZoneInfo)
    words = Words(lang, start.tzinfo)
    missing = [
        label(f"field_{name}", lang) for name in ("goal", "message") if not getattr(item, name)
    ]
    return {
        "title": one_line(item.title),
        "when_long": words.long(start, item.all_day),
        "when_short": words.moment(start, item.all_day),
        "location": item.location,
        "online_url": item.online_url,
        "kind": label(item.kind.value, lang),
        "goal": item.goal,
        "message": item.message,
        "role": label(item.role.value, lang) if item.role else "",
        "stakeholders": ", ".join(s.name for s in item.stakeholders),
        "owner": item.owner.name if item.owner else "",
        "participants": ", ".join(p.name for p in item.participants),
        "preparation": text("prepared", lang)
        if not missing
        else text("unprepared", lang, missing=f" {text('and', lang)} ".join(missing)),
        "link": f"{settings.base_url}/items/{item.uid}",
    }


@lru_cache(maxsize=256)
def describe_offset(offset_text: str, lang: Lang) -> str:
    offset = parse_offset(offset_text)
    if offset.workdays is not None:
        amount = text("workdays", lang, n=str(offset.workdays))
    else:
        assert offset.duration is not None
        amount = format_timedelta(offset.duration, locale="en_GB" if lang == "en" else "nl_NL")
    return text("offset_after" if offset.after else "offset_before", lang, amount=amount)


def one_line(value: str) -> str:
    """Header-safe: CR, LF and other line breaks never reach a header."""
    return " ".join(value.split())


def settings_from(conf: Settings) -> ReminderSettings:
    return ReminderSettings(
        defaults={
            ItemKind.MEETING: tuple(conf.reminders_meeting),
            ItemKind.NETWORKING: tuple(conf.reminders_networking),
            ItemKind.DECISION: tuple(conf.reminders_decision),
            ItemKind.DEADLINE: tuple(conf.reminders_deadline),
        },
        horizon=timedelta(days=conf.reminder_horizon_days),
        grace=timedelta(hours=conf.reminder_grace_hours),
        max_attempts=conf.reminder_max_attempts,
        heartbeat=timedelta(seconds=conf.heartbeat_seconds),
        mail_from=conf.mail_from,
        base_url=conf.base_url,
        domain=conf.calendar_domain,
        feed=options_from(conf),
        follow_up=tuple(conf.reminders_follow_up),
        evaluation=tuple(conf.reminders_evaluation),
        preparation=tuple(conf.reminders_preparation),
        overlap_window=conf.overlap_window,
        home_zone=conf.timezone,
        outcome_after=timedelta(days=conf.outcome_reminder_days)
        if conf.outcome_reminder_days
        else None,
        digest_days=conf.digest_days,
        closed_days=conf.closed_days,
        digest_skip_empty=conf.digest_skip_empty,
        lobby_window=max((_reach(o) for o in conf.reminders_decision), default=timedelta(days=14)),
        smtp=SmtpSettings(
            host=conf.smtp_host,
            port=conf.smtp_port,
            security=conf.smtp_security,
            username=conf.smtp_username,
            password=conf.smtp_password,
            timeout=conf.smtp_timeout_seconds,
            connections=conf.smtp_connections,
            mail_dir=conf.mail_dir,
        ),
    )
