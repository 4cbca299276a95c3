"""The catalog as people read it: each theme with its focus in words, the stakeholders by kind,
the partnerships; and what the catalog's forms offer to choose from."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler import catalog
from scheduler.models import (
    ContactPerson,
    Level,
    PartnershipKind,
    Priority,
    Role,
    StakeholderKind,
    Theme,
)
from scheduler.texts import Lang, label, text

Choices = list[tuple[str, str]]


@dataclass(frozen=True)
class Focus:
    """A theme's focus for the period, in words ("" for what was not chosen)."""

    priority: str
    roles: list[tuple[str, str]]  # (level, our role there), in the order of the levels
    choice: str
    holder: str

    @property
    def empty(self) -> bool:
        return not (self.priority or self.roles or self.choice or self.holder)


def focus_of(theme: Theme, lang: Lang) -> Focus:
    return Focus(
        priority=label(theme.priority.value, lang) if theme.priority else "",
        roles=[
            (label(level.value, lang), label(theme.roles[level.value], lang))
            for level in Level
            if theme.roles.get(level.value)
        ],
        choice=theme.strategic_choice,
        holder=theme.portfolio_holder,
    )


def focus_line(theme: Theme, lang: Lang) -> str:
    """ "Mobiliteit: prioriteit hoog · regionaal: aanjager · wethouder De Vries – <keuze>"."""
    focus = focus_of(theme, lang)
    priority = focus.priority or text("not_chosen", lang)
    parts = [text("priority_is", lang, priority=priority)]
    parts += [f"{level}: {role}" for level, role in focus.roles]
    if focus.holder:
        parts.append(focus.holder)
    line = f"{theme.name}: {' · '.join(parts)}"
    return f"{line} – {focus.choice}" if focus.choice else line


@dataclass(frozen=True)
class ThemeRow:
    slug: str
    name: str
    description: str
    focus: Focus


def theme_rows(session: Session, lang: Lang) -> list[ThemeRow]:
    return [
        ThemeRow(t.slug, t.name, t.description, focus_of(t, lang))
        for t in catalog.all_themes(session)
    ]


@dataclass(frozen=True)
class StakeholderRow:
    slug: str
    name: str
    description: str
    website: str
    levels: str  # "regionaal, bovenregionaal"
    contacts: int  # contact persons still there

    @property
    def link(self) -> str:
        """The website as a link, only when it is one (never a `javascript:` address)."""
        return self.website if self.website.startswith(("https://", "http://")) else ""


def stakeholder_groups(session: Session, lang: Lang) -> list[tuple[str, list[StakeholderRow]]]:
    """The stakeholders by kind, the kinds in their own order and named in words."""
    levels = catalog.Levels(session)
    counted = (
        select(ContactPerson.stakeholder_id, func.count())
        .where(ContactPerson.left_on.is_(None))
        .group_by(ContactPerson.stakeholder_id)
    )
    contacts = {stakeholder_id: count for stakeholder_id, count in session.execute(counted)}
    groups: dict[StakeholderKind, list[StakeholderRow]] = {kind: [] for kind in StakeholderKind}
    for stakeholder in catalog.all_stakeholders(session):
        at = levels.of(stakeholder)
        groups[stakeholder.kind].append(
            StakeholderRow(
                stakeholder.slug, stakeholder.name, stakeholder.description, stakeholder.website,
                ", ".join(label(lv.value, lang) for lv in Level if lv in at),
                contacts.get(stakeholder.id, 0),
            )
        )  # fmt: skip
    return [(label(kind.value, lang), rows) for kind, rows in groups.items() if rows]


@dataclass(frozen=True)
class PartnershipRow:
    slug: str
    name: str
    level: str
    kind: str
    role: str
    themes: str
    members: str
    evaluation: str


def partnership_rows(session: Session, lang: Lang) -> list[PartnershipRow]:
    locale = "en_GB" if lang == "en" else "nl_NL"
    return [
        PartnershipRow(
            p.slug, p.name, label(p.level.value, lang), label(p.kind.value, lang),
            label(p.role.value, lang) if p.role else "",
            ", ".join(t.name for t in p.themes), ", ".join(s.name for s in p.members),
            format_date(p.next_evaluation_on, "d MMM y", locale=locale)
            if p.next_evaluation_on else "",
        )
        for p in catalog.all_partnerships(session)
    ]  # fmt: skip


def form_choices(session: Session, lang: Lang) -> dict[str, Sequence[tuple[str, str]]]:
    """What the catalog's forms offer: (value, words) pairs."""
    return {
        "priorities": _words(Priority, lang),
        "roles": _words(Role, lang),
        "levels": _words(Level, lang),
        "stakeholder_kinds": _words(StakeholderKind, lang),
        "partnership_kinds": _words(PartnershipKind, lang),
        "themes": [(t.slug, t.name) for t in catalog.all_themes(session)],
        "stakeholders": [(s.slug, s.name) for s in catalog.all_stakeholders(session)],
        "people": [(p.email, p.name) for p in catalog.all_people(session) if p.active],
    }


def _words(kind: type[enum.StrEnum], lang: Lang) -> Choices:
    return [(member.value, label(member.value, lang)) for member in kind]


@dataclass(frozen=True)
class Cell:
    slug: str
    name: str
    role: str
    evaluation: str


@dataclass(frozen=True)
class MatrixRow:
    theme: str
    focus: Focus | None  # None for the row of partnerships without a theme
    cells: dict[str, list[Cell]]  # by level value


def partnership_matrix(session: Session, lang: Lang) -> list[MatrixRow]:
    """Themes × levels: each theme's focus, and each partnership with our role and its next
    evaluation. Every theme has a row, also one without partnerships."""
    locale = "en_GB" if lang == "en" else "nl_NL"
    rows = {
        theme.name: MatrixRow(theme.name, focus_of(theme, lang), {lv.value: [] for lv in Level})
        for theme in catalog.all_themes(session)
    }
    for partnership in catalog.all_partnerships(session):
        evaluation = (
            format_date(partnership.next_evaluation_on, "d MMM y", locale=locale)
            if partnership.next_evaluation_on
            else ""
        )
        cell = Cell(
            partnership.slug, partnership.name,
            label(partnership.role.value, lang) if partnership.role else "", evaluation,
        )  # fmt: skip
        for name in [t.name for t in partnership.themes] or [text("no_theme", lang)]:
            row = rows.setdefault(name, MatrixRow(name, None, {lv.value: [] for lv in Level}))
            row.cells[partnership.level.value].append(cell)
    return [rows[name] for name in sorted(rows)]


def level_names(lang: Lang) -> list[tuple[str, str]]:
    return [(level.value, label(level.value, lang)) for level in Level]
