"""`lobby-agenda contacts …`: contact persons at stakeholders, the items we met them at, and
their erasure (AVG)."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from sqlalchemy import select

from scheduler import agenda, clock, contacts
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
)
from scheduler.errors import Conflict, ValidationError
from scheduler.models import AgendaItem, Confidentiality, ContactPerson
from scheduler.schemas import ContactPersonIn

contacts_app = typer.Typer(
    help="Contact persons at stakeholders: who we speak to, and when we met them.",
    no_args_is_help=True,
)


def _fields(
    name: str | None, stakeholder: str | None, function: str | None, theme: list[str],
    email: str | None, phone: str | None, owner: str | None, notes: str | None,
) -> dict[str, Any]:  # fmt: skip
    given = {
        "name": name, "stakeholder": stakeholder, "function": function, "themes": theme or None,
        "email": email, "phone": phone, "owner": owner, "notes": notes,
    }  # fmt: skip
    return {k: v for k, v in given.items() if v is not None}


_NAME = typer.Option(None, help="Full name.")
_STAKEHOLDER = typer.Option(None, metavar="SLUG", help="The organisation (a stakeholder's slug).")
_FUNCTION = typer.Option(None, help="Function, e.g. 'gedeputeerde mobiliteit'.")
_THEME = typer.Option([], "--theme", metavar="SLUG", help="Portfolio theme (repeatable).")
_EMAIL = typer.Option(None, help="Email address (optional).")
_PHONE = typer.Option(None, help="Telephone number (optional).")
_OWNER = typer.Option(None, metavar="EMAIL", help="The colleague who owns the relationship.")
_NOTES = typer.Option(None, help="Notes.")


@contacts_app.command(
    "add",
    epilog=example(
        "lobby-agenda contacts add jan-de-vries --name 'Jan de Vries' \\",
        "    --stakeholder provincie-nh --function 'gedeputeerde mobiliteit' \\",
        "    --theme mobiliteit --owner j.jansen@example.nl",
    ),
)
def add(
    slug: str = typer.Argument(..., help="The contact person's slug (their key)."),
    name: str | None = _NAME, stakeholder: str | None = _STAKEHOLDER,
    function: str | None = _FUNCTION, theme: list[str] = _THEME, email: str | None = _EMAIL,
    phone: str | None = _PHONE, owner: str | None = _OWNER, notes: str | None = _NOTES,
    as_json: bool = typer.Option(False, "--json", help="Print the contact person as JSON."),
) -> None:  # fmt: skip
    """Add a contact person at a stakeholder (name and stakeholder are required)."""
    given = _fields(name, stakeholder, function, theme, email, phone, owner, notes)
    with database().write() as session:
        if session.scalar(select(ContactPerson.id).where(ContactPerson.slug == slug)):
            raise Conflict(
                f"contact person {slug!r} exists; change it with `contacts edit`", field="slug"
            )
        spec = validated(ContactPersonIn, {"slug": slug} | given)
        contacts.save(session, spec, actor(), clock.now_utc())
        saved = contacts.describe(contacts.find(session, slug))
    if as_json:
        print_json(saved | {"outcome": "created"})
        return
    typer.echo(f"created {slug}")


@contacts_app.command(
    "edit",
    epilog=example("lobby-agenda contacts edit jan-de-vries --function 'gedeputeerde wonen'"),
)
def edit(
    slug: str = typer.Argument(..., help="The contact person's slug."),
    name: str | None = _NAME, stakeholder: str | None = _STAKEHOLDER,
    function: str | None = _FUNCTION, theme: list[str] = _THEME, email: str | None = _EMAIL,
    phone: str | None = _PHONE, owner: str | None = _OWNER, notes: str | None = _NOTES,
    as_json: bool = typer.Option(False, "--json", help="Print the contact person as JSON."),
) -> None:  # fmt: skip
    """Change the given fields of a contact person (the others stay); an empty value clears
    an optional one (--email '')."""
    given = _fields(name, stakeholder, function, theme, email, phone, owner, notes)
    with database().write() as session:
        outcome = contacts.edit(session, slug, given, actor(), clock.now_utc())
        saved = contacts.describe(contacts.find(session, slug))
    if as_json:
        print_json(saved | {"outcome": outcome})
        return
    typer.echo(f"{outcome} {slug}")


@contacts_app.command(
    "list",
    epilog=example(
        "lobby-agenda contacts list --stakeholder provincie-nh",
        "lobby-agenda contacts list --all --json",
    ),
)
def list_contacts(
    stakeholder: str | None = typer.Option(
        None, metavar="SLUG", help="Only those at this stakeholder."
    ),
    everyone: bool = typer.Option(False, "--all", help="Also those who left."),
    as_json: bool = JsonOption,
) -> None:
    """Contact persons: organisation, function, portfolio, relationship owner."""
    with database().read() as session:
        rows = [
            contacts.describe(c) | {"active": c.active}
            for c in contacts.listing(session, stakeholder, with_left=everyone)
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        "contact persons",
        ["slug", "name", "stakeholder", "function", "themes", "owner", "left"],
        [
            [r["slug"], r["name"], r["stakeholder"], r["function"] or "–",
             ", ".join(r["themes"]) or "–", r["owner"] or "–", r["left_on"] or ""]
            for r in rows
        ],
    )  # fmt: skip


@contacts_app.command("show", epilog=example("lobby-agenda contacts show jan-de-vries --json"))
def show(
    slug: str = typer.Argument(..., help="The contact person's slug."), as_json: bool = JsonOption
) -> None:
    """A contact person: their details, last and next contact, the items we met them at and
    the dossiers they matter for. Confidential meetings are counted, not described."""
    now = clock.now_utc()
    with database().read() as session:
        contact = contacts.find(session, slug)
        items = contacts.items_of(session, contact, None)
        shown = [i for i in items if i.confidentiality != Confidentiality.CONFIDENTIAL]
        held = contacts.last_and_next(shown, now)
        data = contacts.describe(contact) | {
            "active": contact.active,
            "last": _occurrence(held.last),
            "next": _occurrence(held.next),
            "items": [_item(i) for i in shown],
            "confidential_items": len(items) - len(shown),
            "dossiers": [d.slug for d in contacts.dossiers_for(session, contact, shown)],
        }
        starts = [(i.starts_at, i.all_day) for i in shown]
    if as_json:
        print_json(data)
        return
    for name in ("name", "stakeholder", "function", "email", "phone", "owner", "left_on", "notes"):
        if data[name]:
            out.print(f"[bold]{name}[/bold]: {escape(str(data[name]))}")
    for name in ("themes", "dossiers"):
        if data[name]:
            out.print(f"[bold]{name}[/bold]: {escape(', '.join(data[name]))}")
    for name in ("last", "next"):
        moment = held.last if name == "last" else held.next
        when = local_time(moment.start, moment.all_day) if moment else "–"
        title = f" {escape(moment.title)}" if moment else ""
        out.print(f"[bold]{name} contact[/bold]: {when}{title}")
    print_table(
        "items", ["start", "title", "status", "uid"],
        [[local_time(at, all_day), row["title"], row["status"], row["uid"]]
         for (at, all_day), row in zip(starts, data["items"], strict=True)],
    )  # fmt: skip
    if data["confidential_items"]:
        out.print(f"and {data['confidential_items']} confidential item(s), not shown")


def _occurrence(found: Any) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"uid": found.item.uid, "start": found.start.isoformat(), "title": found.title}


def _item(item: AgendaItem) -> dict[str, Any]:
    return {
        "uid": item.uid, "title": item.title, "start": item.starts_at.isoformat(),
        "status": item.status.value,
    }  # fmt: skip


@contacts_app.command(
    "leave",
    epilog=example("lobby-agenda contacts leave jan-de-vries --on 2027-03-31"),
)
def leave(
    slug: str = typer.Argument(..., help="The contact person's slug."),
    on: str | None = typer.Option(None, "--on", metavar="DATE", help="Default: today."),
) -> None:
    """Mark a contact person as moved on (they keep their history; the setting
    contact_person_retention_days counts from this day)."""
    day = parse_day(on, "--on") or clock.today_in(clock.zone(settings().timezone))
    with database().write() as session:
        contacts.leave(session, slug, day, actor(), clock.now_utc())
    typer.echo(f"{slug} left on {day.isoformat()}")


@contacts_app.command(
    "met",
    epilog=example(
        "lobby-agenda contacts met gs-overleg-n9 jan-de-vries els-bakker",
        "lobby-agenda contacts met gs-overleg-n9 els-bakker --remove",
    ),
)
def met(
    uid: str = typer.Argument(..., help="The item's uid."),
    slugs: list[str] = typer.Argument(..., metavar="SLUG...", help="Contact persons."),
    remove: bool = typer.Option(False, "--remove", help="Take them off the item instead."),
) -> None:
    """Record the contact persons met at an item (or take them off): a change to the item,
    in its history."""
    with database().write() as session:
        item = agenda.find_item(session, uid)
        contacts.meet(session, item, slugs, actor(), remove=remove)
        now_met = [c.slug for c in item.contacts]
    typer.echo(f"{uid}: {', '.join(now_met) or 'no contact persons'} (revision {item.revision})")


@contacts_app.command("erase", epilog=example("lobby-agenda contacts erase jan-de-vries --yes"))
def erase(
    slug: str = typer.Argument(..., help="The contact person's slug."),
    yes: bool = typer.Option(False, "--yes", help="Yes: erase, this cannot be undone."),
) -> None:
    """Erase a contact person (AVG/GDPR): their data goes everywhere, also from the items'
    history; the audit trail records the erasure, by whom and when, without the data."""
    if not yes:
        raise ValidationError(f"erasing {slug} cannot be undone: add --yes", field="--yes")
    with database().write() as session:
        former = contacts.erase(session, slug, actor(), clock.now_utc())
    typer.echo(f"erased contact person #{former}")


@contacts_app.command(
    "history", epilog=example("lobby-agenda contacts history", "lobby-agenda contacts history 7")
)
def history(
    contact_id: int | None = typer.Argument(None, metavar="[ID]", help="Only this person's."),
    as_json: bool = JsonOption,
) -> None:
    """The audit trail of contact persons: who changed which field when (values emptied
    for an erased person)."""
    with database().read() as session:
        changes = contacts.history(session, contact_id)
    if as_json:
        print_json([
            {
                "contact": c.contact_id, "at": c.changed_at.isoformat(), "by": c.changed_by,
                "via": c.channel, "field": c.field, "before": c.old_value, "after": c.new_value,
            }
            for c in changes
        ])  # fmt: skip
        return
    print_table(
        "contact persons' audit trail",
        ["at", "contact", "by", "via", "field", "before", "after"],
        [[local_time(c.changed_at), c.contact_id, c.changed_by, c.channel, c.field,
          _short(c.old_value), _short(c.new_value)] for c in changes],
    )  # fmt: skip


def _short(value: str | None) -> str:
    if value is None:
        return ""
    return value if len(value) <= 60 else value[:57] + "…"
