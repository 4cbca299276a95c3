"""The command line: `lobby-agenda COMMAND`. Errors become one line on stderr, in `main` only."""

from __future__ import annotations

import logging
import sys

import click
import typer
from sqlalchemy.exc import DBAPIError

from scheduler.cli import admin, catalog, items
from scheduler.cli.common import app
from scheduler.errors import LobbyError

log = logging.getLogger("scheduler.cli")

app.add_typer(items.app, name="items")
app.add_typer(catalog.themes_app, name="themes")
app.add_typer(catalog.stakeholders_app, name="stakeholders")
app.add_typer(catalog.partnerships_app, name="partnerships")
app.add_typer(catalog.people_app, name="people")
app.add_typer(admin.db_app, name="db")
admin.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors print one line and exit non-zero, never a traceback."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="lobby-agenda", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Abort:
        typer.echo("aborted", err=True)
        code = 130
    except LobbyError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        code = 2
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        typer.echo(f"error: database: {reason}", err=True)
        code = 3
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # the last line of defence: a bug, not a user error
        log.debug("unexpected error", exc_info=True)
        typer.echo(
            f"internal error: {type(exc).__name__}: {exc} "
            "(run with LOBBY_LOG_LEVEL=DEBUG for the traceback)",
            err=True,
        )
        code = 70
    sys.exit(code if isinstance(code, int) else 0)
