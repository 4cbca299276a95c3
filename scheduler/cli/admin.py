"""`lobby-agenda db|demo|import|export|prune|serve`: running and feeding the service."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from scheduler import catalog, clock, demo, ics_reader, interchange, open_agenda, retention
from scheduler.cli.common import (
    actor,
    database,
    defaults,
    example,
    out,
    parse_day,
    settings,
    write_out,
)
from scheduler.db import Database, safe_url
from scheduler.errors import ValidationError
from scheduler.models import ItemKind

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)


@db_app.command(
    "upgrade",
    epilog=example(
        "LOBBY_DATABASE_URL=postgresql+psycopg://lobby@db/lobby lobby-agenda db upgrade"
    ),
)
def upgrade() -> None:
    """Create or migrate the database schema to the current version (safe to repeat)."""
    conf = settings()
    db = Database(conf.database_url, busy_timeout_ms=conf.database_busy_timeout_ms)
    before, after = db.upgrade()
    where = safe_url(conf.database_url)
    if before == after:
        typer.echo(f"{where}: schema already current ({after})")
    else:
        typer.echo(f"{where}: schema upgraded from {before or 'empty'} to {after}")


def _print_report(report: interchange.ImportReport) -> None:
    verb = "would be" if report.dry_run else "were"
    for section, counts in report.counts.items():
        parts = ", ".join(f"{n} {verb} {outcome}" for outcome, n in counts.items() if n)
        typer.echo(f"{section}: {parts}")
    if not report.counts:
        typer.echo("nothing to import")
    for note in report.notes:
        typer.echo(f"note: {note}")
    if report.dry_run:
        typer.echo("dry run: nothing was changed")


def demo_command(
    if_empty: bool = typer.Option(
        False, "--if-empty", help="Only when the database holds no data yet."
    ),
) -> None:
    """Load the demo data: the Alkmaar vision's themes and partners, people, ~40 items."""
    db = database()
    if if_empty:
        with db.read() as session:
            if not catalog.is_empty(session):
                typer.echo("database already holds data; demo data not loaded")
                return
    _print_report(demo.load(db, settings()))


def import_command(
    path: Path = typer.Argument(..., help="A .yaml/.yml, .csv or .ics file."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; change nothing."),
    theme: list[str] = typer.Option(
        [], "--theme", metavar="SLUG", help="(.ics) Put every event on this theme (repeatable)."
    ),
    stakeholder: list[str] = typer.Option(
        [], "--stakeholder", metavar="SLUG", help="(.ics) With this stakeholder (repeatable)."
    ),
    kind: ItemKind = typer.Option(
        ItemKind.MEETING,
        "--kind",
        help="(.ics) What the events are: meeting, networking, decision or deadline.",
    ),
) -> None:
    """Import themes, stakeholders, partnerships, people and items, all or nothing; or the
    events of an iCalendar file (Outlook, Google, Apple) as items, updated by their UID."""
    if not path.is_file():
        raise ValidationError(f"{path}: no such file", field="PATH")
    conf = settings()
    db = database()
    ics = ics_reader.Options(kind.value, tuple(theme), tuple(stakeholder), conf.timezone)
    entries = interchange.read_entries(path, conf.import_max_mb * 1_000_000, ics)
    with Progress(console=out, transient=True, disable=len(entries) < 500) as bar:
        task = bar.add_task(f"importing {path.name}", total=len(entries))
        report = interchange.import_entries(
            db, entries, str(path), actor(), defaults=defaults(), dry_run=dry_run,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip
    _print_report(report)


def export_command(
    context: typer.Context,
    fmt: str = typer.Option("yaml", "--format", help="yaml (everything) or csv (agenda items)."),
    output: Path | None = typer.Option(
        None, "--output", help="Write to this file instead of stdout."
    ),
) -> None:
    """Export in the import format: YAML with everything, or CSV with the agenda items."""
    if context.invoked_subcommand is not None:
        return  # `export open-agenda`
    if fmt not in ("yaml", "csv"):
        raise ValidationError(f"--format {fmt!r}: use yaml or csv", field="--format")
    with database().read() as session:
        text = (
            interchange.export_yaml(session) if fmt == "yaml" else interchange.export_csv(session)
        )
    write_out(text, output)


def open_agenda_command(
    start: str = typer.Option(..., "--from", metavar="DATE", help="First day (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", metavar="DATE", help="Last day (YYYY-MM-DD)."),
    fmt: str = typer.Option("csv", "--format", help="csv, json or ics."),
    output: Path | None = typer.Option(
        None, "--output", help="Write to this file instead of stdout."
    ),
) -> None:
    """Past public lobby contacts for publication under the Woo: date, subject,
    organisations, themes, who took part. Only reviewed items (`items review`); redacted
    fields show as redacted, with the reason; internal and confidential items never."""
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    assert first is not None and last is not None
    if last < first:
        raise ValidationError(f"--to {last} is before --from {first}", field="--to")
    conf = settings()
    with database().read() as session:
        found = open_agenda.contacts(session, first, last, conf.timezone, clock.now_utc())
    text = open_agenda.render(found, fmt, conf.calendar_domain)
    write_out(text, output, f"{len(found)} contacts")


def prune_command(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Count what would be deleted; change nothing."
    ),
) -> None:
    """Delete rows past their retention now, as the service does every night at 03:30:
    old fetches of outside calendars, sign-in links and sessions long expired, heartbeats of
    stopped processes; sent and unsent mail and the audit trail only when their retention is
    set (the *_retention_days settings). In small batches: safe beside a running service."""
    result = retention.prune(
        database(), retention.settings_from(settings()), clock.now_utc(), dry_run=dry_run,
        ran_by=actor().who,
    )  # fmt: skip
    verb = "would be deleted" if dry_run else "deleted"
    for rule in result.rules:
        if rule.cutoff is None:
            typer.echo(f"{rule.name}: kept ({rule.setting} is 0)")
            continue
        before = rule.cutoff.strftime("%Y-%m-%d %H:%M UTC")
        typer.echo(f"{rule.name} ({rule.table}) from before {before}: {rule.rows} {verb}")
    if dry_run:
        typer.echo("dry run: nothing was changed")


def serve_command(
    host: str | None = typer.Option(
        None, help="Address to listen on (default: the setting 'host')."
    ),
    port: int | None = typer.Option(None, help="Port (default: the setting 'port')."),
) -> None:
    """Run the web service and the background scheduler until SIGTERM or Ctrl-C."""
    import uvicorn

    from scheduler.web import create_app

    conf = settings()
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    if overrides:
        conf = conf.model_copy(update=overrides)
    database()  # reachable and migrated before we listen
    typer.echo(f"lobby-agenda serving at {conf.base_url}  (stop with Ctrl-C)")
    typer.echo(f"  subscribe: {conf.base_url}/feeds   health: {conf.base_url}/healthz")
    uvicorn.run(
        create_app(conf),
        host=conf.host,
        port=conf.port,
        log_config=None,
        timeout_graceful_shutdown=10,
        # The client of a request is its peer, or the client a trusted proxy names (never
        # uvicorn's own default, which trusts loopback and reads FORWARDED_ALLOW_IPS).
        proxy_headers=True,
        forwarded_allow_ips=list(conf.trusted_proxies),
    )


def register(app: typer.Typer) -> None:
    app.command("demo", epilog=example("lobby-agenda demo", "lobby-agenda demo --if-empty"))(
        demo_command
    )
    app.command(
        "import",
        epilog=example(
            "lobby-agenda import agenda.yaml --dry-run",
            "lobby-agenda import items.csv",
            "lobby-agenda import outlook.ics --theme mobiliteit --kind meeting --dry-run",
        ),
    )(import_command)
    export_app = typer.Typer(
        help="Export in the import format, or the open agenda for publication.",
        invoke_without_command=True,
    )
    export_app.callback(epilog=example("lobby-agenda export --format csv --output items.csv"))(
        export_command
    )
    export_app.command(
        "open-agenda",
        epilog=example(
            "lobby-agenda export open-agenda --from 2026-01-01 --to 2026-12-31 --format csv"
        ),
    )(open_agenda_command)
    app.add_typer(export_app, name="export")
    app.command("prune", epilog=example("lobby-agenda prune --dry-run", "lobby-agenda prune"))(
        prune_command
    )
    app.command("serve", epilog=example("lobby-agenda serve --host 0.0.0.0 --port 8000"))(
        serve_command
    )
