"""Themes, stakeholders, partnerships and people: save (upsert by stable key) and look up."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.errors import NotFound, ValidationError
from scheduler.models import (
    AgendaItem,
    Base,
    ContactPerson,
    DigestFrequency,
    Dossier,
    Level,
    Partnership,
    Person,
    PersonRole,
    Stakeholder,
    StakeholderKind,
    Theme,
)
from scheduler.schemas import WEEKDAYS, PartnershipIn, PersonIn, StakeholderIn, ThemeIn

Outcome = Literal["created", "updated", "unchanged"]
Keyed = TypeVar("Keyed", Theme, Stakeholder, Partnership, Dossier, ContactPerson)


def _by_slug(session: Session, model: type[Keyed], slug: str) -> Keyed | None:
    return session.scalar(select(model).where(model.slug == slug))


def _require(session: Session, model: type[Keyed], slugs: Sequence[str], field: str) -> list[Keyed]:
    found = {row.slug: row for row in session.scalars(select(model).where(model.slug.in_(slugs)))}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise NotFound(
            f"unknown {_noun(model)} {missing[0]!r}", field=field, key="unknown_name",
            params={"value": missing[0]},
        )  # fmt: skip
    return sorted(found.values(), key=lambda row: row.slug)  # the order relationships load in


def _noun(model: type[Base]) -> str:
    """ "contact person" for ContactPerson."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in model.__name__).strip()


def dossiers(session: Session, slugs: Sequence[str], field: str = "dossiers") -> list[Dossier]:
    return _require(session, Dossier, slugs, field)


def contact_persons(
    session: Session, slugs: Sequence[str], field: str = "contacts"
) -> list[ContactPerson]:
    return _require(session, ContactPerson, slugs, field)


def themes(session: Session, slugs: Sequence[str], field: str = "themes") -> list[Theme]:
    return _require(session, Theme, slugs, field)


def stakeholders(
    session: Session, slugs: Sequence[str], field: str = "stakeholders"
) -> list[Stakeholder]:
    return _require(session, Stakeholder, slugs, field)


def person(session: Session, email: str, field: str = "owner") -> Person:
    found = session.scalar(select(Person).where(Person.email == email.lower()))
    if found is None:
        raise NotFound(
            f"unknown person {email!r}; add them with 'people add'", field=field,
            key="unknown_person", params={"value": email},
        )  # fmt: skip
    return found


def people(session: Session, emails: Sequence[str], field: str = "participants") -> list[Person]:
    found = [person(session, email, field) for email in dict.fromkeys(emails)]
    return sorted(found, key=lambda row: row.email)  # the order relationships load in


def _apply(row: Base, values: dict[str, object]) -> bool:
    """Set changed attributes only; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _save(
    session: Session, row: Base | None, make: type[Base], values: dict[str, object]
) -> Outcome:
    if row is None:
        session.add(make(**values))
        session.flush()
        return "created"
    return "updated" if _apply(row, values) else "unchanged"


def save_theme(session: Session, spec: ThemeIn) -> Outcome:
    existing = _by_slug(session, Theme, spec.slug)
    values = _given(spec, existing)
    if "roles" in values:  # plain values, in the order of the levels: JSON compares as written
        values["roles"] = {lv.value: spec.roles[lv].value for lv in Level if lv in spec.roles}
    return _save(session, existing, Theme, values)


def save_stakeholder(session: Session, spec: StakeholderIn) -> Outcome:
    existing = _by_slug(session, Stakeholder, spec.slug)
    return _save(session, existing, Stakeholder, _given(spec, existing))


def _given(spec: ThemeIn | StakeholderIn, existing: Base | None) -> dict[str, object]:
    """An update changes the fields given; a new row takes the spec's defaults for the rest
    (a stakeholder made without `kind` is `overig`, not a NOT NULL violation)."""
    if existing is None:
        return spec.model_dump()
    return spec.model_dump(include=spec.model_fields_set | {"slug", "name"})


def save_person(session: Session, spec: PersonIn) -> Outcome:
    given = spec.model_fields_set | {"email", "name"}
    values: dict[str, object] = spec.model_dump(
        include=given - {"themes", "stakeholders", "roles", "reminders_off"}
    )
    if "reminders_off" in given:
        values["reminders_off"] = sorted({kind.value for kind in spec.reminders_off})
    existing = session.scalar(select(Person).where(Person.email == spec.email))
    if "roles" in given or existing is None:
        values["roles"] = sorted({role.value for role in spec.roles})
    if spec.digest is None:
        values.pop("digest", None)
        if existing is None:  # managers steer with the digest: weekly unless they say otherwise
            manager = PersonRole.MANAGER in spec.roles
            values["digest"] = DigestFrequency.WEEKLY if manager else DigestFrequency.NONE
    if "themes" in given:
        values["themes"] = themes(session, spec.themes)
    if "stakeholders" in given:
        values["stakeholders"] = stakeholders(session, spec.stakeholders)
    return _save(session, existing, Person, values)


def save_partnership(session: Session, spec: PartnershipIn) -> Outcome:
    given = spec.model_fields_set | {"slug", "name", "level", "kind"}
    values: dict[str, object] = spec.model_dump(include=given - {"themes", "members", "contact"})
    if "themes" in given:
        values["themes"] = themes(session, spec.themes)
    if "members" in given:
        values["members"] = stakeholders(session, spec.members, field="members")
    if "contact" in given:
        values["contact"] = person(session, spec.contact, "contact") if spec.contact else None
    if spec.started_on and spec.next_evaluation_on and spec.next_evaluation_on < spec.started_on:
        raise ValidationError(
            f"next evaluation {spec.next_evaluation_on} is before the start {spec.started_on}",
            field="next_evaluation_on",
        )
    return _save(session, _by_slug(session, Partnership, spec.slug), Partnership, values)


def all_themes(session: Session) -> list[Theme]:
    return list(session.scalars(select(Theme).order_by(Theme.name)))


def all_stakeholders(session: Session) -> list[Stakeholder]:
    return list(session.scalars(select(Stakeholder).order_by(Stakeholder.kind, Stakeholder.name)))


def all_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.name)))


def all_partnerships(session: Session) -> list[Partnership]:
    return list(session.scalars(select(Partnership).order_by(Partnership.level, Partnership.name)))


def is_empty(session: Session) -> bool:
    """True when no theme, stakeholder, person or item exists yet (a fresh database)."""
    models = (Theme, Stakeholder, Person, AgendaItem)
    return all(session.scalar(select(model.id).limit(1)) is None for model in models)


def by_slug(session: Session, model: type[Keyed], slug: str) -> Keyed:
    found = _by_slug(session, model, slug)
    if found is None:
        raise NotFound(f"unknown {_noun(model)} {slug!r}", field="slug")
    return found


def fingerprint(described: dict[str, Any]) -> str:
    """A row as described, in a few characters: a form made from it is stale when the row's
    fingerprint has changed since (catalog rows keep no time of change)."""
    canonical = json.dumps(described, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def describe_theme(theme: Theme) -> dict[str, Any]:
    return {
        "slug": theme.slug,
        "name": theme.name,
        "description": theme.description,
        "priority": theme.priority.value if theme.priority else None,
        "roles": {lv.value: theme.roles[lv.value] for lv in Level if lv.value in theme.roles},
        "strategic_choice": theme.strategic_choice,
        "portfolio_holder": theme.portfolio_holder,
    }


def describe_stakeholder(stakeholder: Stakeholder) -> dict[str, Any]:
    return {
        "slug": stakeholder.slug,
        "name": stakeholder.name,
        "kind": stakeholder.kind.value,
        "description": stakeholder.description,
        "website": stakeholder.website,
    }


def describe_person(person: Person) -> dict[str, Any]:
    return {
        "email": person.email,
        "name": person.name,
        "roles": list(person.roles),
        "language": person.language.value,
        "timezone": person.timezone,
        "themes": [theme.slug for theme in person.themes],
        "stakeholders": [stakeholder.slug for stakeholder in person.stakeholders],
        "active": person.active,
        "follow_reminders": person.follow_reminders,
        "reminders_off": list(person.reminders_off),
        "digest": person.digest.value,
        "digest_day": WEEKDAYS[person.digest_day],
        "digest_time": person.digest_time,
        "digest_scope": person.digest_scope.value,
    }


def describe_partnership(partnership: Partnership) -> dict[str, Any]:
    return {
        "slug": partnership.slug,
        "name": partnership.name,
        "level": partnership.level.value,
        "kind": partnership.kind.value,
        "role": partnership.role.value if partnership.role else None,
        "description": partnership.description,
        "themes": [theme.slug for theme in partnership.themes],
        "members": [member.slug for member in partnership.members],
        "contact": partnership.contact.email if partnership.contact else None,
        "started_on": partnership.started_on.isoformat() if partnership.started_on else None,
        "next_evaluation_on": (
            partnership.next_evaluation_on.isoformat() if partnership.next_evaluation_on else None
        ),
    }


# A stakeholder's level when no partnership it belongs to says otherwise.
_KIND_LEVEL = {
    StakeholderKind.GEMEENTE: Level.LOKAAL,
    StakeholderKind.REGIO: Level.REGIONAAL,
    StakeholderKind.PROVINCIE: Level.BOVENREGIONAAL,
    StakeholderKind.RIJK: Level.BOVENREGIONAAL,
    StakeholderKind.EU: Level.BOVENREGIONAAL,
}


class Levels:
    """At which levels (lokaal, regionaal, bovenregionaal) we meet each stakeholder: those
    of the partnerships it belongs to, else the one its kind implies (a municipality is
    local); read once per use."""

    def __init__(self, session: Session) -> None:
        self._of: dict[int, set[Level]] = {}
        query = select(Partnership).options(selectinload(Partnership.members))
        for partnership in session.scalars(query):
            for member in partnership.members:
                self._of.setdefault(member.id, set()).add(partnership.level)

    def of(self, stakeholder: Stakeholder) -> set[Level]:
        implied = _KIND_LEVEL.get(stakeholder.kind)
        return self._of.get(stakeholder.id) or ({implied} if implied else set())
