"""Who may see and change what, by role and confidentiality.

- admin: people and settings; every non-confidential item; of a confidential one only that it
  exists (when, kind), never its content.
- manager: reads every non-confidential item.
- lobbyist: creates items; edits those they own or take part in.
- staff: reads; manages their own reminders and digest.
A confidential item's content is for its owner and participants alone, whatever their role.
"""

from __future__ import annotations

from scheduler.errors import Forbidden
from scheduler.models import AgendaItem, Confidentiality, Person, PersonRole


def has_role(person: Person, role: PersonRole) -> bool:
    return role.value in person.roles


def involved(item: AgendaItem, person: Person) -> bool:
    """Owner or participant."""
    return item.owner_id == person.id or person in item.participants


def may_see(item: AgendaItem, person: Person | None) -> bool:
    """Whether `person` may see the item's content (None: the public)."""
    if item.confidentiality == Confidentiality.PUBLIC:
        return True
    if person is None:
        return False
    return item.confidentiality == Confidentiality.INTERNAL or involved(item, person)


def may_know_of(item: AgendaItem, person: Person) -> bool:
    """Whether `person` may know the item exists (admins do, also of confidential ones)."""
    return may_see(item, person) or has_role(person, PersonRole.ADMIN)


def may_edit(item: AgendaItem, person: Person) -> bool:
    if item.confidentiality == Confidentiality.CONFIDENTIAL:
        return involved(item, person)
    if has_role(person, PersonRole.ADMIN):
        return True
    return has_role(person, PersonRole.LOBBYIST) and involved(item, person)


def may_create(person: Person) -> bool:
    return has_role(person, PersonRole.LOBBYIST) or has_role(person, PersonRole.ADMIN)


def check_create(person: Person) -> None:
    if not may_create(person):
        raise Forbidden("only lobbyists and admins create agenda items", key="may_not_create")


def check_edit(item: AgendaItem, person: Person) -> None:
    if not may_edit(item, person):
        raise Forbidden(
            f"you may not change {item.uid}: lobbyists change the items they own or take part "
            "in, admins the non-confidential ones",
            field="uid", key="may_not_edit",
        )  # fmt: skip


def check_admin(person: Person, what: str) -> None:
    if not has_role(person, PersonRole.ADMIN):
        raise Forbidden(f"only admins {what}", key="admins_only")
