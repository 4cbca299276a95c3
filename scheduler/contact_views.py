"""What the contact persons' pages show: the list (per stakeholder), and one person with every
contact, the last and the next, and the dossiers they matter for.

Only what the reader may see: a confidential meeting of others is neither listed nor counted,
and neither are the dossiers only it would tie the person to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from scheduler import catalog, contacts
from scheduler.models import ContactPerson, Person, Stakeholder
from scheduler.occurrences import Occurrence
from scheduler.texts import Lang, Words, label, text


@dataclass(frozen=True)
class ContactRow:
    slug: str
    name: str
    function: str
    organisation: str
    themes: str
    owner: str
    left: str  # "Vertrokken op 1 dec 2026", or "" while they are there


def _row(contact: ContactPerson, words: Words) -> ContactRow:
    left = contact.left_on
    return ContactRow(
        slug=contact.slug, name=contact.name, function=contact.function,
        organisation=contact.stakeholder.name,
        themes=", ".join(t.name for t in contact.themes),
        owner=contact.owner.name if contact.owner else "—",
        left=text("left_on", words.lang, day=words.long_day(left)) if left else "",
    )  # fmt: skip


@dataclass(frozen=True)
class ContactList:
    stakeholder: Stakeholder | None
    with_left: bool
    rows: list[ContactRow]


def contact_list(
    session: Session, reader: Person, stakeholder: str | None, with_left: bool, lang: Lang
) -> ContactList:
    """Contact persons by name; of one stakeholder if given."""
    words = Words(lang, reader.timezone)
    found = catalog.stakeholders(session, [stakeholder], "stakeholder")[0] if stakeholder else None
    rows = [_row(c, words) for c in contacts.listing(session, stakeholder, with_left=with_left)]
    return ContactList(found, with_left, rows)


@dataclass(frozen=True)
class Met:
    when: str
    title: str
    status: str
    link: str


@dataclass(frozen=True)
class ContactPage:
    contact: ContactPerson
    row: ContactRow
    last: str  # "vr 20 nov: Overleg GS", or "—"
    next: str
    items: list[Met]  # every contact, newest first
    dossiers: list[tuple[str, str]]  # (title, link)


def contact_page(
    session: Session, reader: Person, slug: str, lang: Lang, now: datetime
) -> ContactPage:
    contact = contacts.find(session, slug)
    words = Words(lang, reader.timezone)
    items = contacts.items_of(session, contact, reader)
    held = contacts.last_and_next(items, now)

    def shown(found: Occurrence | None) -> str:
        if found is None:
            return "—"
        return f"{words.moment(found.start, found.all_day)}: {found.title}"

    return ContactPage(
        contact=contact,
        row=_row(contact, words),
        last=shown(held.last),
        next=shown(held.next),
        items=[
            Met(words.moment(i.starts_at, i.all_day), i.title, label(i.status.value, lang),
                f"/items/{i.uid}")
            for i in reversed(items)
        ],
        dossiers=[
            (d.title, f"/dossiers/{d.slug}") for d in contacts.dossiers_for(session, contact, items)
        ],
    )  # fmt: skip
