"""Who may see and change what, by role and confidentiality.

- admin: people, the catalog and settings; changes every non-confidential item; of a
  confidential one knows only that it exists (when, kind), never its content.
- manager: plans like a lobbyist and more: creates items and changes every non-confidential one
  (a manager steers the team's agenda); gets the team digest.
- lobbyist: creates items; changes those they own or take part in; keeps dossiers.
- staff: reads, also the items they take part in; manages their own reminders and digest.
A confidential item's content is for its owner and participants alone, whatever their role.
Notes and documents on an item are its content: who may see the item reads them; who may
change it, and its participants, add them (`may_contribute`).
The README's role table is this module in words; tests/test_roles.py checks them against each other.
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


_PLANNERS = (PersonRole.LOBBYIST, PersonRole.MANAGER, PersonRole.ADMIN)
_STEERING = (PersonRole.MANAGER, PersonRole.ADMIN)


def may_edit(item: AgendaItem, person: Person) -> bool:
    if involved(item, person):
        return may_create(person)  # staff who take part read along, as with any other item
    if item.confidentiality == Confidentiality.CONFIDENTIAL:
        return False
    return any(has_role(person, role) for role in _STEERING)


def may_contribute(item: AgendaItem, person: Person) -> bool:
    """Whether `person` may add notes and documents to the item: who may change it, and its
    participants of any role (staff who were at a meeting write down what was said)."""
    return may_see(item, person) and (may_edit(item, person) or involved(item, person))


def may_create(person: Person) -> bool:
    return any(has_role(person, role) for role in _PLANNERS)


def check_create(person: Person) -> None:
    if not may_create(person):
        raise Forbidden(
            "only lobbyists, managers and admins create agenda items", key="may_not_create"
        )


def check_plan(person: Person, what: str) -> None:
    """Dossiers are planned by those who plan items: lobbyists, managers and admins."""
    if not may_create(person):
        raise Forbidden(f"only lobbyists, managers and admins {what}", key="planners_only")


def check_edit(item: AgendaItem, person: Person) -> None:
    if not may_edit(item, person):
        raise Forbidden(
            f"you may not change {item.uid}: lobbyists change the items they own or take part "
            "in, managers and admins the non-confidential ones",
            field="uid", key="may_not_edit",
        )  # fmt: skip


def check_admin(person: Person, what: str) -> None:
    if not has_role(person, PersonRole.ADMIN):
        raise Forbidden(f"only admins {what}", key="admins_only")
