"""`lobby-agenda dossiers …`: the lobby strategy's goals, with their contacts and progress."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, cast

import typer

from scheduler import clock, dossier_report, dossiers, theme_report
from scheduler.cli.common import (
    JsonOption,
    actor,
    database,
    example,
    local_time,
    out,
    parse_day,
    print_json,
    print_table,
    settings,
    validated,
    write_out,
)
from scheduler.errors import ValidationError
from scheduler.models import AgendaItem, Confidentiality, Dossier, DossierStatus
from scheduler.schemas import DossierIn
from scheduler.texts import Lang, Words

dossiers_app = typer.Typer(
    help="Lobby dossiers: goals pursued over months, linked to the agenda.",
    no_args_is_help=True,
)


@dossiers_app.command("list", epilog=example("lobby-agenda dossiers list --status actief"))
def list_dossiers(
    status: list[DossierStatus] = typer.Option(
        [], "--status", metavar="STATUS",
        help="verkenning, actief, besluit-genomen, gerealiseerd or gestopt (repeatable).",
    ),
    as_json: bool = JsonOption,
) -> None:  # fmt: skip
    """The dossiers: status, lead, priority, horizon, and targets whose contact is overdue."""
    now = clock.now_utc()
    with database().read() as session:
        rows = []
        for dossier in dossiers.all_dossiers(session):
            if status and dossier.status not in status:
                continue
            contacts = dossiers.contacts(dossier, dossiers.items_of(session, dossier), now)
            overdue = [c.stakeholder.slug for c in contacts if c.overdue]
            rows.append(dossiers.describe(dossier) | {"contact_overdue": overdue})
    if as_json:
        print_json(rows)
        return
    print_table(
        "dossiers",
        ["slug", "title", "status", "lead", "priority", "horizon", "contact overdue"],
        [
            [r["slug"], r["title"], r["status"], r["lead"] or "–", r["priority"],
             r["horizon"] or "–", ", ".join(r["contact_overdue"]) or "–"]
            for r in rows
        ],
    )  # fmt: skip


@dossiers_app.command("show", epilog=example("lobby-agenda dossiers show eu-spoortunnels --json"))
def show(
    slug: str = typer.Argument(..., help="The dossier's slug."), as_json: bool = JsonOption
) -> None:
    """A dossier: goal, ask, each target's last and next contact, its items and notes.
    Confidential items are counted, not described."""
    now = clock.now_utc()
    with database().read() as session:
        dossier = dossiers.find_dossier(session, slug)
        items = dossiers.items_of(session, dossier)
        contacts = dossiers.contacts(dossier, items, now)
        data = dossiers.describe(dossier) | {
            "contacts": [_contact(c) for c in contacts],
            "items": [_item(i) for i in items],
        }
        notes = [(n.written_at, n.written_by, n.text) for n in dossier.notes]
    if as_json:
        print_json(data)
        return
    for name in ("title", "status", "lead", "role", "priority", "horizon", "goal", "ask"):
        if data[name]:
            out.print(f"[bold]{name}[/bold]: {data[name]}")
    words = Words("en" if settings().language == "en" else "nl", settings().timezone)
    print_table(
        "contacts",
        ["stakeholder", "every", "last", "next", "overdue"],
        [[c.stakeholder.slug,
          words.length(dossiers.every(c.target.contact_every)) if c.target.contact_every else "–",
          local_time(c.last_at), local_time(c.next_at), "yes" if c.overdue else ""]
         for c in contacts],
    )  # fmt: skip
    print_table(
        "items", ["start", "title", "status"],
        [[local_time(item.starts_at, item.all_day), row["title"], row["status"]]
         for item, row in zip(items, data["items"], strict=True)],
    )  # fmt: skip
    print_table(
        "notes", ["at", "by", "note"], [[local_time(at), by, note] for at, by, note in notes]
    )


def _contact(contact: dossiers.Contact) -> dict[str, Any]:
    return {
        "stakeholder": contact.stakeholder.slug,
        "contact_every": contact.target.contact_every,
        "last": contact.last_at.isoformat() if contact.last_at else None,
        "next": contact.next_at.isoformat() if contact.next_at else None,
        "overdue": contact.overdue,
    }


def _item(item: AgendaItem) -> dict[str, Any]:
    secret = item.confidentiality == Confidentiality.CONFIDENTIAL
    return {
        "uid": None if secret else item.uid,
        "title": "(vertrouwelijk)" if secret else item.title,
        "start": item.starts_at.isoformat(),
        "status": item.status.value,
    }


@dossiers_app.command(
    "add",
    epilog=example(
        "lobby-agenda dossiers add eu-spoortunnels --title 'EU-subsidie spoortunnels' \\",
        "    --goal 'CEF-subsidie voor de spoortunnels' --target europese-commissie:P6W \\",
        "    --coalition dijk-en-waard --coalition zaanstad --lead j.jansen@example.nl",
    ),
)
def add(
    slug: str = typer.Argument(..., help="The dossier's slug (its key)."),
    title: str | None = typer.Option(None, help="Title (required for a new dossier)."),
    goal: str | None = typer.Option(None, help="What we want to achieve."),
    ask: str | None = typer.Option(None, help="What we ask of whom."),
    theme: list[str] = typer.Option([], "--theme", metavar="SLUG", help="Theme (repeatable)."),
    target: list[str] = typer.Option(
        [], "--target", metavar="SLUG[:EVERY]",
        help="A stakeholder to move, with how often to meet them, e.g. mra:P6W (repeatable).",
    ),
    coalition: list[str] = typer.Option(
        [], "--coalition", metavar="SLUG", help="A partner pulling the same way (repeatable)."
    ),
    lead: str | None = typer.Option(None, metavar="EMAIL", help="Who leads it."),
    role: str | None = typer.Option(None, help="Our role: aanjager, partner or volger."),
    status: str | None = typer.Option(
        None, help="verkenning, actief, besluit-genomen, gerealiseerd or gestopt."
    ),
    horizon: str | None = typer.Option(None, metavar="DATE", help="When it should be achieved."),
    priority: str | None = typer.Option(None, help="hoog, middel or laag."),
    as_json: bool = typer.Option(False, "--json", help="Print the dossier as JSON."),
) -> None:  # fmt: skip
    """Add a dossier, or update the one with this slug (only the options given change)."""
    with database().write() as session:
        existing = session.scalar(dossiers.dossier_query().where(Dossier.slug == slug))
        given = {
            "slug": slug, "title": title or (existing.title if existing else None), "goal": goal,
            "ask": ask, "themes": theme or None, "targets": target or None,
            "coalition": coalition or None, "lead": lead, "role": role, "status": status,
            "horizon": horizon, "priority": priority,
        }  # fmt: skip
        spec = validated(DossierIn, given)
        outcome = dossiers.save(session, spec, actor(), clock.now_utc())
        saved = dossiers.describe(dossiers.find_dossier(session, slug))
    if as_json:
        print_json(saved | {"outcome": outcome})
        return
    typer.echo(f"{outcome} {slug}")


@dossiers_app.command(
    "note",
    epilog=example(
        "lobby-agenda dossiers note eu-spoortunnels 'Brussel positief over de aanvraag'",
        "lobby-agenda dossiers note regiodeal 'Toekenning binnen' --status gerealiseerd",
    ),
)
def note(
    slug: str = typer.Argument(..., help="The dossier's slug."),
    text: str = typer.Argument(..., help="What happened."),
    status: DossierStatus | None = typer.Option(None, help="The dossier's new status."),
    as_json: bool = typer.Option(False, "--json", help="Print the note as JSON."),
) -> None:
    """Log progress on a dossier, optionally with a new status."""
    if not text.strip():
        raise typer.BadParameter("write what happened", param_hint="TEXT")
    with database().write() as session:
        note = dossiers.add_note(session, slug, text.strip(), actor(), clock.now_utc(), status)
        written = {
            "dossier": slug, "text": note.text, "at": note.written_at.isoformat(),
            "by": note.written_by, "status_from": note.status_from, "status_to": note.status_to,
        }  # fmt: skip
    if as_json:
        print_json(written)
        return
    typer.echo(f"noted on {slug}")


report_app = typer.Typer(help="Reports for the college.", no_args_is_help=True)


@report_app.command(
    "dossiers",
    epilog=example(
        "lobby-agenda report dossiers --from 2027-01-01 --to 2027-03-31 --format md",
        "lobby-agenda report dossiers --from 2027-01-01 --to 2027-03-31 --format html \\",
        "    --output kwartaal-1.html",
    ),
)
def report_dossiers(
    start: str = typer.Option(..., "--from", metavar="DATE", help="First day (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", metavar="DATE", help="Last day (YYYY-MM-DD)."),
    fmt: str = typer.Option("md", "--format", help="md, csv or html."),
    output: Path | None = typer.Option(
        None, "--output", help="Write to this file instead of stdout."
    ),
) -> None:
    """Per dossier the contacts held in the period (by stakeholder and level), the outcomes
    recorded and the status changes; confidential contacts counted, not described."""
    first, last, lang, zone = _report_options(start, end, fmt)
    with database().read() as session:
        report = dossier_report.build(session, first, last, zone, lang, clock.now_utc())
    text = dossier_report.render_report(report, cast("dossier_report.Format", fmt))
    write_out(text, output, f"{report.contacts} contacts")


@report_app.command(
    "themes",
    epilog=example(
        "lobby-agenda report themes --from 2027-01-01 --to 2027-06-30 --format md",
        "lobby-agenda report themes --from 2027-01-01 --to 2027-06-30 --format html \\",
        "    --output raadsinformatiebrief-themas.html",
    ),
)
def report_themes(
    start: str = typer.Option(..., "--from", metavar="DATE", help="First day (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", metavar="DATE", help="Last day (YYYY-MM-DD)."),
    fmt: str = typer.Option("md", "--format", help="md, csv or html."),
    output: Path | None = typer.Option(
        None, "--output", help="Write to this file instead of stdout."
    ),
) -> None:
    """Per theme its focus (priority, our role per level, strategic choice, portfolio holder),
    the contacts held against its priority, and its dossiers with their status; confidential
    contacts counted, not described."""
    first, last, lang, zone = _report_options(start, end, fmt)
    with database().read() as session:
        report = theme_report.build(session, first, last, zone, lang, clock.now_utc())
    text = theme_report.render_report(report, cast("theme_report.Format", fmt))
    write_out(text, output, f"{report.contacts} contacts over {len(report.themes)} themes")


def _report_options(start: str, end: str, fmt: str) -> tuple[date, date, Lang, str]:
    """A report's period, format, language and zone, checked."""
    if fmt not in ("md", "csv", "html"):
        raise ValidationError(f"--format {fmt!r}: use md, csv or html", field="--format")
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    assert first is not None and last is not None
    if last < first:
        raise ValidationError(f"--to {last} is before --from {first}", field="--to")
    conf = settings()
    return first, last, "en" if conf.language == "en" else "nl", conf.timezone
