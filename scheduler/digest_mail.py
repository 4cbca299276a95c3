"""Digests through the outbox: one per person per period (a day, or an ISO week), planned
ahead for the person's day and time in their zone, composed when it goes out.

The delivery key is (period, person): planning twice, two replicas or a restart never make
a second digest for the same period. A digest missed while the service was down still goes
out while its period lasts (`expires_at`); an empty one is skipped (a setting).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from scheduler import clock, digests, outbox
from scheduler.catalog import person as find_person
from scheduler.composer import compose, message_id
from scheduler.errors import ValidationError
from scheduler.mailer import Flattened
from scheduler.models import Delivery, DeliveryState, DigestFrequency, Person
from scheduler.outbox import LATE_AFTER, OPEN, Skipped
from scheduler.reminders import PLANNING_SLACK, ReminderSettings

DIGEST = "digest"


@dataclass(frozen=True)
class Slot:
    """One period's digest for one person: when it is due, and until when it may go out."""

    key: str
    period: str  # "2026-12-07" (daily) or "2026-W50" (weekly)
    due: datetime
    expires: datetime


# ---------------------------------------------------------------- when


def _frequency(person: Person) -> DigestFrequency:
    """Someone without a digest asking for one (`digest send --person`) gets the weekly one."""
    return (
        DigestFrequency.DAILY if person.digest == DigestFrequency.DAILY else DigestFrequency.WEEKLY
    )


def _first_day(person: Person, day: date) -> date:
    """The first day of the period `day` lies in."""
    if _frequency(person) == DigestFrequency.DAILY:
        return day
    return day - timedelta(days=day.weekday())


def _slot(person: Person, first_day: date) -> Slot:
    """The digest of the period starting on `first_day` (a Monday for weekly ones)."""
    zone = clock.zone(person.timezone)
    hour, minute = (int(part) for part in person.digest_time.split(":"))
    weekly = _frequency(person) == DigestFrequency.WEEKLY
    day = first_day + timedelta(days=person.digest_day) if weekly else first_day
    length = timedelta(days=7 if weekly else 1)
    due = datetime.combine(day, time(hour, minute), tzinfo=zone)
    # Wall-clock arithmetic: the next digest comes at the same local time, across DST.
    expires = datetime.combine(day + length, time(hour, minute), tzinfo=zone)
    year, week, _ = first_day.isocalendar()
    period = f"{year}-W{week:02d}" if weekly else first_day.isoformat()
    key = f"{DIGEST}:{_frequency(person).value}:{period}:{person.email}"
    return Slot(key, period, due.astimezone(UTC), expires.astimezone(UTC))


def current_slot(person: Person, now: datetime) -> Slot:
    """The digest of the period `now` lies in."""
    today = now.astimezone(clock.zone(person.timezone)).date()
    return _slot(person, _first_day(person, today))


def next_slot(person: Person, now: datetime) -> Slot:
    """The first digest due at or after `now` (less a little slack)."""
    today = now.astimezone(clock.zone(person.timezone)).date()
    first = _first_day(person, today)
    slot = _slot(person, first)
    if slot.due >= now - PLANNING_SLACK:
        return slot
    weekly = _frequency(person) == DigestFrequency.WEEKLY
    return _slot(person, first + timedelta(days=7 if weekly else 1))


# ---------------------------------------------------------------- planning


def planned(session: Session, now: datetime) -> outbox.Plan:
    """Each subscriber's next digest, and the planned ones to move or cancel because their
    person changed their day, time or frequency; reads only (see `outbox.Plan`). Idempotent."""
    open_rows = select(Delivery).where(Delivery.kind == DIGEST, Delivery.state.in_(OPEN))
    rows = list(session.scalars(open_rows.order_by(Delivery.id)))
    people = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.active, Person.digest != DigestFrequency.NONE)
        )
    }
    new = [_new_row(person, next_slot(person, now)) for person in people.values()]
    plan = outbox.Plan(new=outbox.not_there(session, new))
    for row in rows:
        person = people.get(row.person_id) if row.person_id is not None else None
        unwanted = person is None or not row.key.startswith(f"{DIGEST}:{person.digest.value}:")
        if unwanted and row.due_at > now:  # one due already was asked for (`digest send`)
            plan.cancel(row, "the person no longer subscribes to this digest", now)
        elif person is not None and not unwanted:
            _follow_schedule(plan, row, person, now)
    return plan


def _follow_schedule(plan: outbox.Plan, row: Delivery, person: Person, now: datetime) -> None:
    """A pending digest follows a new day or time within its period."""
    if row.state != DeliveryState.PENDING:
        return
    slot = current_slot(person, row.due_at)
    if slot.key != row.key or slot.due == row.due_at:
        return
    due = max(slot.due, now)
    plan.change(row, {
        "due_at": due, "next_attempt_at": due, "expires_at": slot.expires, "updated_at": now,
    })  # fmt: skip


def _new_row(person: Person, slot: Slot, due: datetime | None = None) -> outbox.Row:
    at = due or slot.due
    return {
        "key": slot.key, "kind": DIGEST, "person_id": person.id, "recipient": person.email,
        "due_at": at, "next_attempt_at": at, "expires_at": slot.expires,
        "state": DeliveryState.PENDING,
    }  # fmt: skip


# ---------------------------------------------------------------- sending now


@dataclass(frozen=True)
class Planned:
    person: Person
    slot: Slot
    note: str  # what `digest send` does with it


def send_now(
    session: Session, emails: Sequence[str], now: datetime, *, dry_run: bool = False
) -> list[Planned]:
    """Make this period's digest of each person (every subscriber without `emails`) due now;
    one already sent this period is not sent again."""
    if emails:
        people = [find_person(session, email, "person") for email in emails]
    else:
        people = list(
            session.scalars(
                select(Person)
                .where(Person.active, Person.digest != DigestFrequency.NONE)
                .order_by(Person.email)
            )
        )
    return [_send_now(session, person, now, dry_run) for person in people]


def _send_now(session: Session, person: Person, now: datetime, dry_run: bool) -> Planned:
    slot = current_slot(person, now)
    row = session.scalar(select(Delivery).where(Delivery.key == slot.key))
    if row is not None and row.state not in OPEN:
        return Planned(person, slot, f"already {row.state.value} for {slot.period}")
    if not dry_run:
        if row is None:
            outbox.add_missing(session, [_new_row(person, slot, due=now)])
        else:
            row.due_at = row.next_attempt_at = min(row.due_at, now)
            row.updated_at = now
    return Planned(person, slot, f"due now ({slot.period})")


# ---------------------------------------------------------------- the message


def options_of(settings: ReminderSettings) -> digests.DigestOptions:
    return digests.DigestOptions(
        days=settings.digest_days,
        lobby_window=settings.lobby_window,
        base_url=settings.base_url,
        closed_days=settings.closed_days,
        overlap=settings.overlap,
    )


def since_last(session: Session, person: Person, now: datetime) -> datetime | None:
    """When this person's last digest went out; None before their first."""
    return session.scalar(
        select(func.max(Delivery.sent_at)).where(
            Delivery.kind == DIGEST,
            Delivery.person_id == person.id,
            Delivery.state == DeliveryState.SENT,
            Delivery.sent_at < now,
        )
    )


def messages(
    session: Session, settings: ReminderSettings, rows: Sequence[Delivery], now: datetime
) -> dict[int, Flattened | Skipped]:
    """Each digest as it stands now; an empty one is skipped (unless configured otherwise)."""
    people = {
        p.id: p
        for p in session.scalars(
            select(Person)
            .where(Person.id.in_({r.person_id for r in rows}))
            .options(selectinload(Person.themes), selectinload(Person.stakeholders))
        )
    }
    composed: dict[int, Flattened | Skipped] = {}
    for row in rows:
        person = people.get(row.person_id) if row.person_id is not None else None
        if person is None:
            continue
        digest = digests.build(
            session, person, options_of(settings), now, since_last(session, person, now)
        )
        if digest.empty and settings.digest_skip_empty:
            composed[row.id] = Skipped("nothing to report for this period")
            continue
        late = now - row.due_at > LATE_AFTER
        composed[row.id] = Flattened.of(message(digest, row.key, settings, late=late))
    return composed


def message(
    digest: digests.Digest, key: str, settings: ReminderSettings, *, late: bool
) -> EmailMessage:
    context = context_of(digest, late=late, online=f"{settings.base_url}/digest")
    return compose(
        "digest",
        digest.person,
        context,
        letterhead=settings.letterhead,
        message_id=message_id(key, settings.domain),
        lang=digest.lang,
        key=key,
    )


def context_of(
    digest: digests.Digest, *, late: bool = False, online: str = ""
) -> dict[str, object]:
    """What the digest templates (email and page) need; `online`: the page's address."""
    return {
        "name": digest.person.name, "late": late, "period": digest.period, "online": online,
        "weeks": digest.weeks, "highlights": digest.highlights, "changes": digest.changes,
        "by_theme": digest.by_theme, "by_level": digest.by_level, "entries": digest.entries,
        "attention": sum(len(s.lines) for s in digest.highlights), "dossiers": digest.dossiers,
        "first": digest.first, "focus": digest.focus,
    }  # fmt: skip


def preview(
    session: Session, settings: ReminderSettings, email: str, now: datetime
) -> EmailMessage:
    """The digest `email` would get now (sent or not, empty or not)."""
    person = find_person(session, email, "person")
    if not person.active:
        raise ValidationError(f"{email} is not active", field="person")
    digest = digests.build(
        session, person, options_of(settings), now, since_last(session, person, now)
    )
    return message(digest, current_slot(person, now).key, settings, late=False)
