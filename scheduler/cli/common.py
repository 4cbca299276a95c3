"""What every command shares: the Typer app, settings and database, output as table or JSON."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from scheduler import agenda, clock, logs
from scheduler.config import Settings, get_settings
from scheduler.db import Database
from scheduler.errors import ValidationError
from scheduler.schemas import RecordT, parse

app = typer.Typer(
    name="lobby-agenda",
    help="The lobby agenda of a municipality: items, partners, feeds, reminders and digests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# Piped output is not cut to 80 columns: it usually goes to a file or another program.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)


@cache
def settings() -> Settings:
    loaded = get_settings()
    logs.configure(loaded.log_level, loaded.log_format)
    return loaded


@cache
def database() -> Database:
    """The configured database, reachable and migrated (commands need a current schema)."""
    conf = settings()
    db = Database(conf.database_url, busy_timeout_ms=conf.database_busy_timeout_ms)
    db.upgrade()
    return db


def actor() -> agenda.Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        user = "unknown"
    return agenda.Actor(f"cli:{user}", "cli")


def defaults() -> agenda.Defaults:
    conf = settings()
    return agenda.Defaults(conf.timezone, timedelta(minutes=conf.default_duration_minutes))


def local_time(moment: datetime | None, all_day: bool = False) -> str:
    """A moment in the configured zone as a table shows it, "2026-11-30 09:30" (a day for an
    all-day item); `--json` keeps UTC."""
    if moment is None:
        return "–"
    local = moment.astimezone(clock.zone(settings().timezone))
    return local.date().isoformat() if all_day else f"{local:%Y-%m-%d %H:%M}"


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(
            f"{option} {value!r} is not a date such as 2026-12-08", field=option
        ) from exc


def window(
    start: str | None, end: str | None, *, default_days: int = 28
) -> tuple[datetime, datetime]:
    """[start 00:00, end 24:00) in the home zone; defaults to today and the next four weeks."""
    tz = clock.zone(settings().timezone)
    first = parse_day(start, "--from") or clock.today_in(tz)
    last = parse_day(end, "--to") or first + timedelta(days=default_days - 1)
    if last < first:
        raise ValidationError(f"--to {last} is before --from {first}", field="--to")
    return clock.local_midnight(first, tz), clock.local_midnight(last + timedelta(days=1), tz)


def print_message(message: EmailMessage, *, html: bool) -> None:
    """An email as a reader sees it: subject, recipient, then its text (or HTML) part."""
    typer.echo(f"Subject: {message['Subject']}")
    typer.echo(f"To: {message['To']}")
    typer.echo("")
    part = message.get_body(("html",) if html else ("plain",))
    typer.echo(part.get_content() if part is not None else "")


def write_out(text: str, output: Path | None, what: str = "") -> None:
    """`text` to stdout, or to the file `output` with a line on stderr saying what was written."""
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {what + ' to ' if what else ''}{output}", err=True)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        out.print(f"{title}: none")
        return
    table = Table(title=title, title_justify="left", show_lines=False)
    for index, column in enumerate(columns):
        table.add_column(column, overflow="fold", no_wrap=index == 0)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    out.print(table)


def example(*lines: str) -> str:
    """An 'Example' block for a command's --help (\\b keeps click from rewrapping it)."""
    return "\b\nExample:\n" + "\n".join(f"  {line}" for line in lines)


JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")


def validated(model: type[RecordT], data: dict[str, Any]) -> RecordT:
    """Check options against an input record; the first problem names its field."""
    return parse(model, {k: v for k, v in data.items() if v is not None})
