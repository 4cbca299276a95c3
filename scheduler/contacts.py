"""Contact persons at stakeholders: who we speak to, the items we met them at, and the
dossiers they matter for.

A contact person is personal data of an outsider (AVG/GDPR): every change is recorded in
`ContactChange`, and `erase` removes the person and every trace of their data (the items'
history included), leaving one record that an erasure happened, by whom and when.
Confidentiality follows the items: a confidential meeting does not tell those who may not
see it that it was with this person (it is neither listed nor counted for them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from scheduler import agenda, catalog
from scheduler.agenda import Actor, Outcome, item_query
from scheduler.errors import Conflict, Forbidden, NotFound, ValidationError
from scheduler.models import (
    AgendaItem,
    ContactChange,
    ContactPerson,
    Dossier,
    DossierTarget,
    ItemChange,
    ItemStatus,
    Person,
    PersonRole,
    item_contacts,
)
from scheduler.occurrences import Occurrence, expand
from scheduler.permissions import check_plan, has_role, may_create, may_see
from scheduler.schemas import ContactPersonIn, parse

# What stands in the items' history where an erased person's key was.
ERASED = "(erased)"
# Items in these states count as contacts held or planned (as for dossiers).
HELD = (ItemStatus.PLANNED, ItemStatus.CONFIRMED, ItemStatus.DONE)
# How far back a last contact and ahead a next one are looked for (longer is "never").
_LOOK_BACK, _LOOK_AHEAD = timedelta(days=730), timedelta(days=400)


def contact_query() -> Select[ContactPerson]:
    return select(ContactPerson).options(
        selectinload(ContactPerson.stakeholder),
        selectinload(ContactPerson.owner),
        selectinload(ContactPerson.themes),
    )


def find(session: Session, slug: str) -> ContactPerson:
    found = session.scalar(contact_query().where(ContactPerson.slug == slug))
    if found is None:
        raise NotFound(
            f"no contact person {slug!r}; see `lobby-agenda contacts list`", field="contact"
        )
    return found


def listing(
    session: Session, stakeholder: str | None = None, *, with_left: bool = True
) -> list[ContactPerson]:
    """Contact persons by organisation and name; of one stakeholder (its slug) if given."""
    query = contact_query().order_by(ContactPerson.name, ContactPerson.slug)
    if stakeholder is not None:
        found = catalog.stakeholders(session, [stakeholder], field="stakeholder")[0]
        query = query.where(ContactPerson.stakeholder_id == found.id)
    if not with_left:
        query = query.where(ContactPerson.left_on.is_(None))
    return list(session.scalars(query))


# ---------------------------------------------------------------- who may


def may_manage(person: Person) -> bool:
    """Those who plan (lobbyists, managers, admins) keep the contact persons; everyone signed
    in reads them."""
    return may_create(person)


def check_manage(person: Person) -> None:
    check_plan(person, "add or change contact persons")


def check_erase(person: Person) -> None:
    if not has_role(person, PersonRole.ADMIN):
        raise Forbidden("only admins erase contact persons")


# ---------------------------------------------------------------- describing


def describe(contact: ContactPerson) -> dict[str, Any]:
    """The contact person in the import format."""
    return {
        "slug": contact.slug,
        "name": contact.name,
        "stakeholder": contact.stakeholder.slug,
        "function": contact.function,
        "themes": [t.slug for t in contact.themes],
        "email": contact.email or None,
        "phone": contact.phone,
        "owner": contact.owner.email if contact.owner else None,
        "notes": contact.notes,
        "left_on": contact.left_on.isoformat() if contact.left_on else None,
    }


# ---------------------------------------------------------------- changing


def save(session: Session, spec: ContactPersonIn, actor: Actor, now: datetime) -> Outcome:
    """Create or update a contact person from `spec` (fields left out keep their value);
    each changed field is recorded."""
    given = spec.model_fields_set | {"slug", "name", "stakeholder"}
    contact = session.scalar(contact_query().where(ContactPerson.slug == spec.slug))
    before = describe(contact) if contact is not None else None
    if contact is None:
        contact = ContactPerson(slug=spec.slug, created_at=now, updated_at=now)
    _apply(session, contact, spec, given)  # before it is added: its look-ups would flush it
    session.add(contact)
    session.flush()
    after = describe(contact)
    if before is None:
        _record(session, contact.id, [("created", None, after)], actor, now)
        return "created"
    changes = [(k, before[k], v) for k, v in after.items() if before[k] != v]
    if not changes:
        return "unchanged"
    contact.updated_at = now
    _record(session, contact.id, changes, actor, now)
    return "updated"


def _apply(
    session: Session, contact: ContactPerson, spec: ContactPersonIn, given: set[str]
) -> None:
    for name in ("name", "function", "phone", "notes", "left_on"):
        if name in given:
            setattr(contact, name, getattr(spec, name))
    if "email" in given:
        contact.email = spec.email or ""
    if "stakeholder" in given:
        contact.stakeholder = catalog.stakeholders(session, [spec.stakeholder], "stakeholder")[0]
    if "owner" in given:
        contact.owner = catalog.person(session, spec.owner, "owner") if spec.owner else None
    if "themes" in given:
        contact.themes = catalog.themes(session, spec.themes)


def edit(
    session: Session, slug: str, changes: dict[str, Any], actor: Actor, now: datetime
) -> Outcome:
    """Change the given fields (import format) of an existing contact person."""
    contact = find(session, slug)
    if changes.get("slug", slug) != slug:
        raise ValidationError("the slug of a contact person cannot change", field="slug")
    spec = parse(ContactPersonIn, describe(contact) | changes)
    return save(session, spec, actor, now)


def leave(session: Session, slug: str, on: date, actor: Actor, now: datetime) -> ContactPerson:
    """Mark a contact person as moved on: they keep their history, and the retention setting
    for people who left counts from `on`."""
    contact = find(session, slug)
    if contact.left_on is not None:
        raise Conflict(f"{slug} left on {contact.left_on.isoformat()} already", field="contact")
    edit(session, slug, {"left_on": on}, actor, now)
    return contact


def _record(
    session: Session, contact_id: int, changes: Sequence[tuple[str, Any, Any]], actor: Actor,
    now: datetime,
) -> None:  # fmt: skip
    for name, old, new in changes:
        session.add(
            ContactChange(
                contact_id=contact_id, changed_at=now, changed_by=actor.who,
                channel=actor.channel, field=name,
                old_value=None if old is None else json.dumps(old, ensure_ascii=False),
                new_value=None if new is None else json.dumps(new, ensure_ascii=False),
            )
        )  # fmt: skip


def history(session: Session, contact_id: int | None = None) -> list[ContactChange]:
    """The record of changes to contact persons, oldest first (of one, by id, if given)."""
    query = select(ContactChange).order_by(ContactChange.id)
    if contact_id is not None:
        query = query.where(ContactChange.contact_id == contact_id)
    return list(session.scalars(query))


# ---------------------------------------------------------------- met at items


def meet(
    session: Session, item: AgendaItem, slugs: Sequence[str], actor: Actor, *,
    remove: bool = False,
) -> AgendaItem:  # fmt: skip
    """Add (or with `remove` take off) contact persons met at `item`; recorded in the item's
    history as any change to it."""
    named = catalog.contact_persons(session, slugs)
    current = [c.slug for c in item.contacts]
    if remove:
        wanted = [s for s in current if s not in {c.slug for c in named}]
    else:
        wanted = sorted({*current, *(c.slug for c in named)})
    agenda.update(session, item, {"contacts": wanted}, actor)
    return item


def items_of(session: Session, contact: ContactPerson, reader: Person | None) -> list[AgendaItem]:
    """The items the contact person was met at, by start; with a `reader`, only those they may
    see (a confidential meeting of others tells nothing, not even that it took place)."""
    query = item_query().join(item_contacts).where(item_contacts.c.contact_person_id == contact.id)
    found = session.scalars(query.order_by(AgendaItem.starts_at, AgendaItem.uid))
    return [i for i in found if reader is None or may_see(i, reader)]


@dataclass(frozen=True)
class Contacts:
    """A contact person's last contact held and next one planned, among the items given."""

    last: Occurrence | None
    next: Occurrence | None


def last_and_next(items: Sequence[AgendaItem], now: datetime) -> Contacts:
    occurrences = [
        o for i in items if i.status in HELD
        for o in expand(i, now - _LOOK_BACK, now + _LOOK_AHEAD) if not o.cancelled
    ]  # fmt: skip
    past = [o for o in occurrences if o.end <= now]
    ahead = [o for o in occurrences if o.start > now]
    return Contacts(
        max(past, key=lambda o: o.end) if past else None,
        min(ahead, key=lambda o: o.start) if ahead else None,
    )


def dossiers_for(
    session: Session, contact: ContactPerson, items: Sequence[AgendaItem]
) -> list[Dossier]:
    """The dossiers a contact person matters for: those that target their organisation, and
    those of the `items` they were met at (pass only what the reader may see)."""
    targeting = select(DossierTarget.dossier_id).where(
        DossierTarget.stakeholder_id == contact.stakeholder_id
    )
    linked = {d.id for i in items for d in i.dossiers}
    query = (
        select(Dossier)
        .where(or_(Dossier.id.in_(targeting), Dossier.id.in_(linked)))
        .order_by(Dossier.slug)
    )
    return list(session.scalars(query))


# ---------------------------------------------------------------- erasing (AVG)


def erase(session: Session, slug: str, actor: Actor, now: datetime) -> int:
    """Erase a contact person (the right to erasure): their row and links go, their key is
    replaced in the items' history, the values of their own change record are emptied, and
    one row records the erasure (by whom, when; no name). Returns their former id.

    1. Items they were met at lose them: a change to the item (a new revision), recorded
       without their key.
    2. The items' history: their key becomes ERASED wherever a list of contacts named it.
    3. Their own change record keeps who changed what field when, without the values.
    4. The row goes; its links to items and themes go with it."""
    contact = find(session, slug)
    contact_id = contact.id
    for item in items_of(session, contact, None):
        _drop_from_item(session, item, contact, actor, now)
    _scrub_item_history(session, slug)
    for change in history(session, contact_id):
        change.old_value = change.new_value = None
    session.add(
        ContactChange(
            contact_id=contact_id, changed_at=now, changed_by=actor.who, channel=actor.channel,
            field="erased", old_value=None, new_value=None,
        )
    )  # fmt: skip
    session.delete(contact)
    session.flush()
    return contact_id


def _drop_from_item(
    session: Session, item: AgendaItem, contact: ContactPerson, actor: Actor, now: datetime
) -> None:
    before = [ERASED if c.id == contact.id else c.slug for c in item.contacts]
    item.contacts = [c for c in item.contacts if c.id != contact.id]
    item.revision += 1
    item.updated_at = now
    session.add(
        ItemChange(
            item_uid=item.uid, revision=item.revision, changed_at=now, changed_by=actor.who,
            channel=actor.channel, field="contacts", old_value=json.dumps(before),
            new_value=json.dumps([c.slug for c in item.contacts]),
        )
    )  # fmt: skip


def _scrub_item_history(session: Session, slug: str) -> None:
    quoted = f"%{json.dumps(slug)}%"
    query = select(ItemChange).where(
        or_(ItemChange.old_value.like(quoted), ItemChange.new_value.like(quoted))
    )
    for change in session.scalars(query):
        in_contacts = change.field == "contacts"
        change.old_value = _scrubbed(change.old_value, slug, in_contacts)
        change.new_value = _scrubbed(change.new_value, slug, in_contacts)


def _scrubbed(value: str | None, slug: str, in_contacts: bool) -> str | None:
    """A history value (JSON) with `slug` replaced in every list of contacts it holds (an
    item's contacts, or the whole item as created or deleted); other lists that happen to hold
    the same text (a stakeholder's slug) are left alone."""
    if value is None:
        return None

    def walk(node: Any, contacts: bool) -> Any:
        if isinstance(node, dict):
            return {key: walk(v, key == "contacts") for key, v in node.items()}
        if isinstance(node, list):
            return [ERASED if contacts and v == slug else walk(v, False) for v in node]
        return node

    return json.dumps(walk(json.loads(value), in_contacts), ensure_ascii=False)


def erase_left(
    session: Session, keep: timedelta, today: date, actor: Actor, now: datetime,
    limit: int | None = None,
) -> int:  # fmt: skip
    """Erase the contact persons who left more than `keep` ago (the retention setting), at
    most `limit`; returns how many."""
    cutoff = today - keep
    query = select(ContactPerson.slug).where(ContactPerson.left_on < cutoff)
    slugs = list(session.scalars(query.order_by(ContactPerson.id).limit(limit)))
    for slug in slugs:
        erase(session, slug, actor, now)
    return len(slugs)
