"""The theme report for a period, beside the dossier report and ready for a
raadsinformatiebrief: per theme its focus (priority, our role per level, the strategic choice,
the portfolio holder), the contacts held against that priority, and its dossiers with their
status.

Contacts are counted as in the dossier report (`dossier_report`): meetings and networking
moments in the period, planned, confirmed or done, held once they ended before the report was
made; confidential ones counted, never described. A contact on two themes counts for both.
Effort against priority: a theme of high priority with fewer contacts than the themes'
average, or one of low priority with more, is named; the rest is in line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from scheduler import catalog, catalog_views, clock, dossiers
from scheduler.agenda import item_query
from scheduler.dossier_report import CONTACT_KINDS, CONTACT_STATUSES, Contact, contact_of
from scheduler.models import AgendaItem, Dossier, Level, Priority, Theme
from scheduler.occurrences import expand
from scheduler.rendering import render
from scheduler.texts import Lang, Words, label, text

Format = Literal["md", "csv", "html"]


@dataclass(frozen=True)
class ThemeSection:
    slug: str
    name: str
    focus: catalog_views.Focus
    contacts: list[Contact]  # held: ended before the report was made
    planned: int  # in the period, not ended yet
    confidential: int  # of the held contacts
    share: int  # per cent of all contacts held over the themes
    effort: str  # effort against priority, in words
    by_level: list[tuple[str, int]]
    dossiers: list[tuple[str, str, str]]  # (title, status, lead)


@dataclass(frozen=True)
class Report:
    period: str
    lang: Lang
    themes: list[ThemeSection]
    without_theme: int  # contacts held that have no theme

    @property
    def contacts(self) -> int:
        return sum(len(t.contacts) for t in self.themes)


def build(
    session: Session, first: date, last: date, zone: str, lang: Lang, now: datetime
) -> Report:
    """The report over the days `first` to `last` (inclusive) in `zone`, made at `now`."""
    tz = clock.zone(zone)
    start, end = clock.local_midnight(first, tz), clock.local_midnight(last + timedelta(days=1), tz)
    words = Words(lang, tz)
    levels = catalog.Levels(session)
    themes = catalog.all_themes(session)
    held: dict[int, list[tuple[Contact, set[Level]]]] = {t.id: [] for t in themes}
    planned: dict[int, int] = dict.fromkeys(held, 0)
    without_theme = 0
    query = item_query().where(
        AgendaItem.kind.in_(CONTACT_KINDS), AgendaItem.status.in_(CONTACT_STATUSES),
        AgendaItem.starts_at < end,
    )  # fmt: skip
    for item in session.scalars(query):
        for occurrence in expand(item, start, end):
            if occurrence.cancelled or not start <= occurrence.start < end:
                continue
            done = occurrence.end <= now
            if not item.themes:
                without_theme += done
                continue
            contact, touched = contact_of(item, occurrence.title, occurrence.start, words, levels)
            for theme in item.themes:
                if done:
                    held[theme.id].append((contact, touched))
                else:
                    planned[theme.id] += 1
    every_dossier = dossiers.all_dossiers(session)
    total = sum(len(found) for found in held.values())
    average = total / len(themes) if themes else 0.0
    sections = [
        _section(theme, held[theme.id], planned[theme.id], total, average, words, every_dossier)
        for theme in themes
    ]
    return Report(words.span(first, last), lang, sections, without_theme)


def _section(
    theme: Theme, held: list[tuple[Contact, set[Level]]], planned: int, total: int,
    average: float, words: Words, every_dossier: list[Dossier],
) -> ThemeSection:  # fmt: skip
    lang = words.lang
    contacts = sorted((contact for contact, _ in held), key=lambda c: c.on)
    by_level = [
        (label(level.value, lang), count)
        for level in Level
        if (count := sum(level in touched for _, touched in held))
    ]
    ours = [d for d in every_dossier if theme in d.themes]
    return ThemeSection(
        slug=theme.slug, name=theme.name, focus=catalog_views.focus_of(theme, lang),
        contacts=contacts, planned=planned, confidential=sum(c.confidential for c in contacts),
        share=round(100 * len(contacts) / total) if total else 0,
        effort=text(_effort(theme.priority, len(contacts), average), lang), by_level=by_level,
        dossiers=[(d.title, label(d.status.value, lang), d.lead.name if d.lead else "—")
                  for d in ours],
    )  # fmt: skip


def _effort(priority: Priority | None, held: int, average: float) -> str:
    """The key of the words for a theme's effort against its priority."""
    if priority is None:
        return "effort_unset"
    if priority == Priority.HOOG and held < average:
        return "effort_low"
    if priority == Priority.LAAG and held > average:
        return "effort_high"
    return "effort_fits"


def render_report(report: Report, fmt: Format) -> str:
    if fmt == "csv":
        return _csv(report)
    template = "reports/themes.md" if fmt == "md" else "reports/themes.html"
    return render(template, report.lang, report=report)


def _csv(report: Report) -> str:
    """One row per theme: its focus, the contacts held and planned, the effort and dossiers."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    lang = report.lang
    keys = ("theme", "priority", "roles_per_level", "strategic_choice", "portfolio_holder",
            "report_contacts")  # fmt: skip
    writer.writerow(
        [text(key, lang) for key in keys] + [label("confidential", lang)]
        + [text(key, lang) for key in ("report_planned", "report_share", "report_effort",
                                       "nav_dossiers")]
    )  # fmt: skip
    for section in report.themes:
        focus = section.focus
        writer.writerow(
            [section.name, focus.priority, "; ".join(f"{lv}: {role}" for lv, role in focus.roles),
             focus.choice, focus.holder, len(section.contacts), section.confidential,
             section.planned, section.share, section.effort,
             "; ".join(f"{title} ({status})" for title, status, _ in section.dossiers)]
        )  # fmt: skip
    return buffer.getvalue()
