"""The quarterly report to the college on the lobby dossiers: per dossier the contacts held
in a period (by stakeholder and level), the outcomes recorded and the status changes.

Contacts are the occurrences of meetings and networking moments in the period (planned,
confirmed or done; not ideas, not cancelled). Only those that ended before the report was made
count as held; later ones are listed apart as planned, never counted. Confidential ones are
counted but not described: not their subject, nor with whom.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from scheduler import catalog, clock, dossiers
from scheduler.models import AgendaItem, Confidentiality, Dossier, ItemKind, ItemStatus, Level
from scheduler.occurrences import expand
from scheduler.rendering import render
from scheduler.texts import Lang, Words, label, text

Format = Literal["md", "csv", "html"]
CONTACT_KINDS = (ItemKind.MEETING, ItemKind.NETWORKING)
CONTACT_STATUSES = (ItemStatus.PLANNED, ItemStatus.CONFIRMED, ItemStatus.DONE)


@dataclass(frozen=True)
class Contact:
    on: date
    day: str
    subject: str  # "" for a confidential one
    stakeholders: str
    levels: str
    outcome: str
    confidential: bool


@dataclass(frozen=True)
class DossierSection:
    slug: str
    title: str
    status: str
    lead: str
    contacts: list[Contact]  # held: ended before the report was made
    planned: list[Contact]  # in the period, not ended yet
    confidential: int  # of the held contacts
    by_stakeholder: list[tuple[str, int]]
    by_level: list[tuple[str, int]]
    outcomes: list[tuple[str, str, str]]  # (day, subject, outcome)
    status_changes: list[tuple[str, str, str]]  # (day, from, to)


@dataclass(frozen=True)
class Report:
    period: str
    lang: Lang
    dossiers: list[DossierSection]

    @property
    def contacts(self) -> int:
        return sum(len(d.contacts) for d in self.dossiers)


def build(
    session: Session, first: date, last: date, zone: str, lang: Lang, now: datetime
) -> Report:
    """The report over the days `first` to `last` (inclusive) in `zone`, made at `now`."""
    tz = clock.zone(zone)
    start, end = clock.local_midnight(first, tz), clock.local_midnight(last + timedelta(days=1), tz)
    words = Words(lang, tz)
    levels = catalog.Levels(session)
    sections = [
        _section(session, dossier, (start, end), now, words, levels)
        for dossier in dossiers.all_dossiers(session)
    ]
    return Report(words.span(first, last), lang, sections)


def _section(
    session: Session, dossier: Dossier, period: tuple[datetime, datetime], now: datetime,
    words: Words, levels: catalog.Levels,
) -> DossierSection:  # fmt: skip
    lang = words.lang
    start, end = period
    contacts: list[Contact] = []
    planned: list[Contact] = []
    by_stakeholder: Counter[str] = Counter()
    by_level: Counter[Level] = Counter()
    for item in dossiers.items_of(session, dossier):
        if item.kind not in CONTACT_KINDS or item.status not in CONTACT_STATUSES:
            continue
        for occurrence in expand(item, start, end):
            if occurrence.cancelled or not start <= occurrence.start < end:
                continue
            held = occurrence.end <= now
            contact, touched = contact_of(item, occurrence.title, occurrence.start, words, levels)
            (contacts if held else planned).append(contact)
            if held and not contact.confidential:
                by_stakeholder.update(s.name for s in item.stakeholders)
                by_level.update(touched)
    changes = [
        (words.day(n.written_at.astimezone(words.zone).date()), label(n.status_from, lang),
         label(n.status_to, lang))
        for n in dossier.notes
        if n.status_to and start <= n.written_at < end
    ]  # fmt: skip
    contacts.sort(key=lambda c: c.on)
    planned.sort(key=lambda c: c.on)
    return DossierSection(
        slug=dossier.slug, title=dossier.title, status=label(dossier.status.value, lang),
        lead=dossier.lead.name if dossier.lead else "—", contacts=contacts, planned=planned,
        confidential=sum(c.confidential for c in contacts),
        by_stakeholder=sorted(by_stakeholder.items(), key=lambda pair: (-pair[1], pair[0])),
        by_level=[(label(v.value, lang), by_level[v]) for v in Level if by_level[v]],
        outcomes=[(c.day, c.subject, c.outcome) for c in contacts if c.outcome],
        status_changes=changes,
    )  # fmt: skip


def contact_of(
    item: AgendaItem, title: str, begins: datetime, words: Words, levels: catalog.Levels
) -> tuple[Contact, set[Level]]:
    """One occurrence as a report lists it, with the levels it touched; a confidential one
    only as a date (and no levels: they would tell whom we met)."""
    on = begins.astimezone(words.zone).date()
    if item.confidentiality == Confidentiality.CONFIDENTIAL:
        return Contact(on, words.day(on), "", "", "", "", confidential=True), set()
    touched: set[Level] = set().union(*(levels.of(s) for s in item.stakeholders))
    contact = Contact(
        on, words.day(on), title, ", ".join(s.name for s in item.stakeholders),
        ", ".join(label(v.value, words.lang) for v in Level if v in touched), item.outcome,
        confidential=False,
    )  # fmt: skip
    return contact, touched


def render_report(report: Report, fmt: Format) -> str:
    if fmt == "csv":
        return _csv(report)
    template = "reports/dossiers.md" if fmt == "md" else "reports/dossiers.html"
    return render(template, report.lang, report=report)


def _csv(report: Report) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    lang = report.lang
    writer.writerow(
        [
            text(key, lang)
            for key in (
                "dossier", "date", "subject", "stakeholders", "level", "outcome", "report_state"
            )
        ]
    )  # fmt: skip
    for section in report.dossiers:
        for state, contacts in (("report_held", section.contacts),
                                ("report_planned", section.planned)):  # fmt: skip
            for contact in contacts:
                subject = (
                    text("confidential_contact", lang) if contact.confidential else contact.subject
                )
                writer.writerow(
                    [section.title, contact.on.isoformat(), subject, contact.stakeholders,
                     contact.levels, contact.outcome, text(state, lang)]
                )  # fmt: skip
    return buffer.getvalue()
