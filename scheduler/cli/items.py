"""`lobby-agenda items …`: list occurrences, show, add and cancel agenda items."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import typer
import yaml

from scheduler import agenda, clock, open_agenda
from scheduler.cli.common import (
    JsonOption,
    actor,
    database,
    defaults,
    example,
    local_time,
    out,
    print_json,
    print_table,
    validated,
    window,
)
from scheduler.errors import ImportFileError, ValidationError
from scheduler.models import ItemKind, ItemStatus
from scheduler.occurrences import Occurrence, expand
from scheduler.schemas import ItemIn

app = typer.Typer(help="Agenda items: list, show, add, cancel.", no_args_is_help=True)


def _occurrence_row(occ: Occurrence) -> dict[str, Any]:
    tz = occ.zone
    start, end = occ.start.astimezone(tz), occ.end.astimezone(tz)
    when = (
        start.date().isoformat()
        if occ.all_day
        else f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        + ("" if start.date() == end.date() else f" ({end:%Y-%m-%d})")
    )
    if occ.all_day and (occ.end - occ.start) > timedelta(days=1):
        when += f" – {(end - timedelta(days=1)).date().isoformat()}"
    return {
        "uid": occ.item.uid,
        "recurrence_id": occ.recurrence_id.isoformat() if occ.recurrence_id else None,
        "start": occ.start.isoformat(),
        "end": occ.end.isoformat(),
        "when": when,
        "timezone": occ.item.timezone,
        "all_day": occ.all_day,
        "title": occ.title,
        "kind": occ.item.kind.value,
        "status": "cancelled" if occ.cancelled else occ.item.status.value,
        "moved": occ.moved,
        "location": occ.location,
        "themes": [t.slug for t in occ.item.themes],
        "stakeholders": [s.slug for s in occ.item.stakeholders],
        "owner": occ.item.owner.email if occ.item.owner else None,
        "confidentiality": occ.item.confidentiality.value,
    }


@app.command(
    "list",
    epilog=example("lobby-agenda items list --theme mobiliteit --from 2026-12-01 --to 2026-12-31"),
)
def list_items(
    theme: list[str] = typer.Option([], "--theme", metavar="SLUG", help="Theme slug (repeatable)."),
    stakeholder: list[str] = typer.Option(
        [], "--stakeholder", metavar="SLUG", help="Stakeholder slug (repeatable)."
    ),
    kind: list[ItemKind] = typer.Option(
        [], "--kind", metavar="KIND", help="meeting, networking, decision or deadline (repeatable)."
    ),
    status: list[ItemStatus] = typer.Option(
        [],
        "--status",
        metavar="STATUS",
        help="idea, planned, confirmed, done or cancelled (repeatable).",
    ),
    start: str | None = typer.Option(
        None, "--from", metavar="DATE", help="First day, YYYY-MM-DD (default: today)."
    ),
    end: str | None = typer.Option(
        None, "--to", metavar="DATE", help="Last day, YYYY-MM-DD (default: four weeks on)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """List the occurrences in a period, recurring items expanded, in their own time zone."""
    first, last = window(start, end)
    where = agenda.ItemFilter(theme, stakeholder, kind, status)
    with database().read() as session:
        rows = [_occurrence_row(o) for o in agenda.occurrences(session, first, last, where)]
    if as_json:
        print_json(rows)
        return
    marks = {"cancelled": " [geannuleerd]", "idea": " [idee]"}
    print_table(
        f"{len(rows)} occurrences",
        ["when", "title", "kind", "status", "themes", "uid"],
        [
            [
                r["when"],
                r["title"] + marks.get(r["status"], "") + (" [verplaatst]" if r["moved"] else ""),
                r["kind"],
                r["status"],
                ", ".join(r["themes"]),
                r["uid"],
            ]
            for r in rows
        ],
    )


@app.command("show", epilog=example("lobby-agenda items show mra-mob-2026-12 --json"))
def show(
    uid: str = typer.Argument(..., help="The item's uid."), as_json: bool = JsonOption
) -> None:
    """Every field of an item, its next occurrences and its change history."""
    with database().read() as session:
        item = agenda.find_item(session, uid)
        description = agenda.describe_item(item) | {"revision": item.revision}
        now = clock.now_utc()
        upcoming = [_occurrence_row(o) for o in expand(item, now, now + timedelta(days=366))[:5]]
        history = agenda.history(session, uid)
    if as_json:
        changes = [
            {"revision": c.revision, "at": c.changed_at.isoformat(), "by": c.changed_by,
             "via": c.channel, "field": c.field}
            for c in history
        ]  # fmt: skip
        print_json(description | {"next_occurrences": upcoming, "history": changes})
        return
    follow_ups = description.pop("follow_ups", [])
    for name, value in description.items():
        if value in (None, "", []):
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        out.print(f"[bold]{name}[/bold]: {shown}")
    if follow_ups:
        out.print("[bold]follow_ups[/bold]:")
        for follow_up in follow_ups:
            out.print(f"  - {_follow_up_line(follow_up)}", markup=False)
    print_table(
        "next occurrences", ["when", "status"], [[o["when"], o["status"]] for o in upcoming]
    )
    print_table(
        "history",
        ["revision", "at", "by", "via", "field"],
        [[c.revision, local_time(c.changed_at), c.changed_by, c.channel, c.field]
         for c in history],
    )  # fmt: skip


def _follow_up_line(follow_up: dict[str, Any]) -> str:
    """ "[x] Brief opstellen (j.jansen@example.nl, due 2026-12-07)"."""
    due = f"due {follow_up['due']}" if follow_up.get("due") else ""
    details = ", ".join(part for part in (follow_up.get("owner"), due) if part)
    done = "[x]" if follow_up.get("done") else "[ ]"
    return f"{done} {follow_up['text']}" + (f" ({details})" if details else "")


def _spec_from_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ImportFileError(f"{path}: cannot read one item from it: {exc}") from exc
    if not isinstance(data, dict):
        raise ImportFileError(f"{path}: expected the fields of one item (title: …, kind: …)")
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


@app.command(
    "add",
    epilog=example(
        "lobby-agenda items add --title 'Werkbezoek ProRail' --kind meeting \\",
        "    --start 2026-12-10T14:00 --end 2026-12-10T15:30 --theme mobiliteit \\",
        "    --owner j.jansen@example.nl",
        "lobby-agenda items add --from-file item.yaml",
    ),
)
def add(
    title: str | None = typer.Option(None, help="Title."),
    kind: ItemKind | None = typer.Option(None, help="meeting, networking, decision or deadline."),
    start: str | None = typer.Option(
        None, help="Wall time 2026-12-08T10:00, or a date for all day."
    ),
    end: str | None = typer.Option(
        None, help="Wall time or last day (default: start + default duration)."
    ),
    timezone: str | None = typer.Option(
        None, help="IANA time zone (default: the setting 'timezone')."
    ),
    rrule: str | None = typer.Option(None, help="RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYDAY=2TU."),
    theme: list[str] = typer.Option([], "--theme", metavar="SLUG", help="Theme slug (repeatable)."),
    stakeholder: list[str] = typer.Option(
        [], "--stakeholder", metavar="SLUG", help="Stakeholder slug (repeatable)."
    ),
    owner: str | None = typer.Option(None, help="Owner's email."),
    participant: list[str] = typer.Option(
        [], "--participant", metavar="EMAIL", help="Participant's email (repeatable)."
    ),
    location: str | None = typer.Option(None, help="Location."),
    online_url: str | None = typer.Option(None, "--online-url", help="Link to join online."),
    description: str | None = typer.Option(None, help="Description."),
    goal: str | None = typer.Option(None, help="What we want to achieve."),
    message: str | None = typer.Option(None, help="Our key message."),
    role: str | None = typer.Option(
        None, help="gesprekspartner, belangenbehartiger, kennispartner or aanjager."
    ),
    status: str | None = typer.Option(None, help="idea, planned, confirmed, done or cancelled."),
    confidentiality: str | None = typer.Option(None, help="public, internal or confidential."),
    reminder: list[str] = typer.Option(
        [], "--reminder", metavar="OFFSET", help="Offset such as P7D, PT2H, +P1D, 5WD (repeatable)."
    ),
    uid: str | None = typer.Option(
        None, help="Stable id (generated when absent; an existing uid updates)."
    ),
    from_file: Path | None = typer.Option(
        None, "--from-file", help="YAML file with the fields of one item."
    ),
) -> None:
    """Add an agenda item from options or from a YAML file (an existing uid is updated)."""
    given = {
        "title": title, "kind": kind, "start": start, "end": end, "timezone": timezone,
        "rrule": rrule, "themes": theme or None, "stakeholders": stakeholder or None,
        "owner": owner, "participants": participant or None, "location": location,
        "online_url": online_url, "description": description, "goal": goal, "message": message,
        "role": role, "status": status, "confidentiality": confidentiality,
        "reminders": reminder or None, "uid": uid,
    }  # fmt: skip
    fields = {k: v for k, v in given.items() if v is not None}
    if from_file is not None:
        fields = _spec_from_file(from_file) | fields
    spec = validated(ItemIn, fields)
    with database().write() as session:
        outcome, item = agenda.save_item(session, spec, actor(), defaults())
        typer.echo(f"{outcome} {item.uid} (revision {item.revision})")


@app.command(
    "cancel",
    epilog=example(
        "lobby-agenda items cancel mra-mob-2026-12",
        "lobby-agenda items cancel mra-mob-2026-12 --occurrence 2027-01-12T10:00",
    ),
)
def cancel(
    uid: str = typer.Argument(..., help="The item's uid."),
    occurrence: str | None = typer.Option(
        None, help="Cancel only this occurrence: its original start as wall time (or date)."
    ),
) -> None:
    """Cancel an item, or one occurrence of a recurring item (it stays visible as cancelled)."""
    with database().write() as session:
        item = agenda.cancel(session, uid, actor(), occurrence)
        what = f"occurrence {occurrence} of {uid}" if occurrence else uid
        typer.echo(f"cancelled {what} (revision {item.revision})")


@app.command(
    "review",
    epilog=example(
        "lobby-agenda items review mra-mob-2026-12",
        "lobby-agenda items review mra-mob-2026-12 --redact 'participants=persoonsgegevens'",
        "lobby-agenda items review mra-mob-2026-12 --withdraw",
    ),
)
def review(
    uid: str = typer.Argument(..., help="The item's uid."),
    redact: list[str] = typer.Option(
        [],
        "--redact",
        metavar="FIELD=REASON",
        help="Publish this field as redacted, with the reason: subject, organisations, themes "
        "or participants (repeatable).",
    ),
    withdraw: bool = typer.Option(False, "--withdraw", help="Take the review back."),
) -> None:
    """Mark a public item reviewed for the open agenda (again after any change to it)."""
    redactions: dict[str, str] = {}
    for entry in redact:
        name, sep, reason = entry.partition("=")
        if not sep:
            raise ValidationError(f"--redact {entry!r}: write FIELD=REASON", field="--redact")
        redactions[name.strip()] = reason
    with database().write() as session:
        if withdraw:
            open_agenda.withdraw(session, uid, actor(), clock.now_utc())
            typer.echo(f"{uid} is no longer on the open agenda")
            return
        item = open_agenda.review(session, uid, actor(), redactions, clock.now_utc())
        typer.echo(f"{uid} reviewed for the open agenda (revision {item.revision})")
