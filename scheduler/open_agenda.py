"""The open agenda for publication under the open-government act (Woo): past public lobby
contacts, each only once someone reviewed it (and again after any change to it), with the
fields they redacted shown as redacted, with the reason, instead of the text.

Internal and confidential items never appear, reviewed or not.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.agenda import Actor, find_item, item_query
from scheduler.errors import ValidationError
from scheduler.ics_writer import all_day_calendar
from scheduler.models import AgendaItem, Confidentiality, ItemChange, ItemStatus
from scheduler.occurrences import expand

REDACTABLE = ("subject", "organisations", "themes", "participants")
FORMATS = ("csv", "json", "ics")


@dataclass(frozen=True)
class Contact:
    """One lobby contact as published."""

    date: str
    subject: str
    organisations: str
    themes: str
    participants: str
    uid: str


def review(
    session: Session, uid: str, actor: Actor, redactions: Mapping[str, str], now: datetime
) -> AgendaItem:
    """Mark the item's current revision reviewed for publication, with what to redact."""
    item = find_item(session, uid)
    if item.confidentiality != Confidentiality.PUBLIC:
        raise ValidationError(
            f"{uid} is {item.confidentiality.value}: only public items go on the open agenda",
            field="confidentiality", key="only_public_reviewed",
        )  # fmt: skip
    for name, reason in redactions.items():
        if name not in REDACTABLE:
            raise ValidationError(
                f"cannot redact {name!r}: choose from {', '.join(REDACTABLE)}", field="redact",
                key="invalid", params={"value": name},
            )  # fmt: skip
        if not reason.strip():
            raise ValidationError(
                f"give the reason for redacting {name}", field="redact", key="redact_reason"
            )
    item.reviewed_revision, item.reviewed_by = item.revision, actor.who
    item.redactions = {name: reason.strip() for name, reason in redactions.items()}
    _note(session, item, actor, now, {"revision": item.revision, "redactions": item.redactions})
    return item


def withdraw(session: Session, uid: str, actor: Actor, now: datetime) -> AgendaItem:
    """Take the review back: the item leaves the open agenda until reviewed again."""
    item = find_item(session, uid)
    item.reviewed_revision, item.reviewed_by, item.redactions = None, "", {}
    _note(session, item, actor, now, None)
    return item


def _note(session: Session, item: AgendaItem, actor: Actor, now: datetime, new: object) -> None:
    """The review goes into the audit trail; it does not raise the item's revision (it
    changes nothing a calendar shows)."""
    session.add(
        ItemChange(
            item_uid=item.uid, revision=item.revision, changed_at=now, changed_by=actor.who,
            channel=actor.channel, field="reviewed",
            new_value=None if new is None else json.dumps(new, ensure_ascii=False),
        )
    )  # fmt: skip


def is_published(item: AgendaItem) -> bool:
    return (
        item.confidentiality == Confidentiality.PUBLIC
        and item.status not in (ItemStatus.IDEA, ItemStatus.CANCELLED)
        and item.reviewed_revision == item.revision
    )


def contacts(
    session: Session, first: date, last: date, zone_name: str, now: datetime
) -> list[Contact]:
    """The reviewed public contacts that took place from `first` to `last` (days in the zone),
    by date."""
    zone = clock.zone(zone_name)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = min(datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone), now)
    query = item_query().where(AgendaItem.confidentiality == Confidentiality.PUBLIC)
    found = []
    for item in session.scalars(query):
        if not is_published(item):
            continue
        for occurrence in expand(item, start, end):
            if not occurrence.cancelled and occurrence.end <= now:
                day = occurrence.start.astimezone(zone).date()
                found.append(_contact(item, day, occurrence.title))
    return sorted(found, key=lambda c: (c.date, c.subject))


def _contact(item: AgendaItem, day: date, title: str) -> Contact:
    people = ([item.owner] if item.owner else []) + list(item.participants)
    values = {
        "subject": " ".join(title.split()),
        "organisations": ", ".join(s.name for s in item.stakeholders),
        "themes": ", ".join(t.name for t in item.themes),
        "participants": ", ".join(p.name for p in people),
    }
    for name, reason in item.redactions.items():
        values[name] = f"[weggelakt: {reason}]"
    return Contact(date=day.isoformat(), uid=item.uid, **values)


def render(found: Sequence[Contact], fmt: str, domain: str) -> str:
    """The contacts as CSV, JSON or iCalendar (all-day events)."""
    if fmt not in FORMATS:
        raise ValidationError(f"--format {fmt!r}: use csv, json or ics", field="--format")
    if fmt == "json":
        return json.dumps([asdict(c) for c in found], ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(Contact.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(asdict(c) for c in found)
        return out.getvalue()
    return all_day_calendar(
        (
            (f"{c.uid}-{c.date}@{domain}", date.fromisoformat(c.date), c.subject,
             f"Organisaties: {c.organisations}\nThema's: {c.themes}\nDeelnemers: {c.participants}")
            for c in found
        ),
        "open agenda",
    )  # fmt: skip
