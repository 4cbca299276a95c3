"""`lobby-agenda sources …`: outside calendars whose events become read-only agenda items."""

from __future__ import annotations

import typer

from scheduler import liveness, sources
from scheduler.cli.common import (
    JsonOption,
    database,
    example,
    print_json,
    print_table,
    settings,
)
from scheduler.models import SourceOutcome

app = typer.Typer(
    help="Outside calendars (iCalendar URLs) whose events become read-only agenda items.",
    no_args_is_help=True,
)


@app.command(
    "add",
    epilog=example(
        "lobby-agenda sources add webcal://example.org/ps.ics --name 'Provinciale Staten' "
        "--theme mobiliteit --stakeholder provincie-nh --every PT1H"
    ),
)
def add(
    url: str = typer.Argument(..., help="http(s):// or webcal:// address of the calendar."),
    name: str = typer.Option(..., "--name", help="How people see the calendar named."),
    theme: str | None = typer.Option(None, "--theme", metavar="SLUG", help="Theme of its items."),
    stakeholder: str | None = typer.Option(
        None, "--stakeholder", metavar="SLUG", help="Stakeholder of its items."
    ),
    kind: str = typer.Option(
        "decision", "--kind", metavar="KIND", help="meeting, networking, decision or deadline."
    ),
    every: str = typer.Option(
        "PT1H", "--every", metavar="DURATION", help="How often to fetch it (ISO 8601, ≥ PT5M)."
    ),
) -> None:
    """Add an outside calendar; the service fetches it at once, then every --every. Its events
    become read-only items of --kind on --theme and --stakeholder."""
    with database().write() as session:
        source = sources.add(
            session, url=url, name=name, theme=theme, stakeholder=stakeholder, kind=kind,
            every=every,
        )  # fmt: skip
        typer.echo(f"added outside calendar {source.id}: {source.name} ({source.url})")


@app.command(
    "list", epilog=example("lobby-agenda sources list", "lobby-agenda sources list --json")
)
def list_sources(as_json: bool = JsonOption) -> None:
    """The outside calendars: when each was last fetched, its items, and whether it fails."""
    with database().read() as session:
        counts = sources.item_counts(session)
        rows = [sources.describe(s, counts.get(s.id, 0)) for s in sources.all_sources(session)]
    if as_json:
        print_json(rows)
        return
    print_table(
        f"{len(rows)} outside calendars",
        ["id", "name", "kind", "theme", "stakeholder", "every", "items", "last success", "state"],
        [
            [
                r["id"], r["name"], r["kind"], r["theme"] or "", r["stakeholder"] or "",
                r["every"], r["items"], r["last_success_at"] or "never",
                ("FAILING: " if r["failing"] else f"{r['failures']} failures: ")
                + r["last_error"] if r["failures"] else "ok",
            ]
            for r in rows
        ],
    )  # fmt: skip


@app.command("remove", epilog=example("lobby-agenda sources remove 3"))
def remove(source_id: int = typer.Argument(..., metavar="ID", help="The calendar's id.")) -> None:
    """Stop fetching an outside calendar. Its items stay, as ordinary items you can edit."""
    with database().write() as session:
        name, kept = sources.remove(session, source_id)
    typer.echo(f"removed outside calendar {source_id}: {name}; its {kept} items stay, now editable")


@app.command(
    "sync", epilog=example("lobby-agenda sources sync", "lobby-agenda sources sync 3 --json")
)
def sync(
    source_id: int | None = typer.Argument(None, metavar="[ID]", help="Only this calendar."),
    as_json: bool = JsonOption,
) -> None:
    """Fetch the outside calendars now (or one), whatever their schedule; exits 1 when one
    failed."""
    db = database()
    conf = sources.settings_from(settings())
    worker = liveness.instance_name()
    if source_id is None:
        with db.read() as session:
            ids = [s.id for s in sources.all_sources(session)]
    else:
        ids = [source_id]
    if not ids:
        typer.echo("no outside calendars; add one with 'lobby-agenda sources add'")
        return
    results = []
    busy = []
    for one in ids:
        result = sources.sync(db, one, conf, worker, force=True)
        if result is None:
            busy.append(one)  # another process is fetching it right now
        else:
            results.append(result)
    if as_json:
        print_json([r.describe() for r in results] + [{"id": i, "outcome": "busy"} for i in busy])
    else:
        for r in results:
            counts = ", ".join(f"{n} {kind}" for kind, n in r.counts.items() if n)
            detail = r.error if r.error else counts or "nothing new"
            typer.echo(f"{r.source_id} {r.name}: {r.outcome.value} ({detail})")
        for one in busy:
            typer.echo(f"{one}: busy (another process is fetching it)")
    if any(r.outcome == SourceOutcome.FAILED for r in results):
        raise typer.Exit(1)
