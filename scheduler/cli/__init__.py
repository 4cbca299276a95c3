"""The command line: `lobby-agenda COMMAND`. Errors become one line on stderr, in `main` only."""

from __future__ import annotations

import logging
import sys

import typer
from sqlalchemy.exc import DBAPIError

from scheduler.cli import (
    admin,
    attachments,
    audit,
    catalog,
    chains,
    common,
    contacts,
    digest,
    dossiers,
    feeds,
    items,
    outbox,
    search,
    sources,
)
from scheduler.cli.common import app
from scheduler.errors import LobbyError
from scheduler.logs import mask_secrets

log = logging.getLogger("scheduler.cli")

app.add_typer(items.app, name="items")
app.add_typer(catalog.themes_app, name="themes")
app.add_typer(catalog.stakeholders_app, name="stakeholders")
app.add_typer(catalog.partnerships_app, name="partnerships")
app.add_typer(catalog.people_app, name="people")
app.add_typer(feeds.token_app, name="token")
app.add_typer(outbox.outbox_app, name="outbox")
app.add_typer(outbox.mail_app, name="mail")
app.add_typer(digest.digest_app, name="digest")
app.add_typer(chains.chains_app, name="chains")
app.add_typer(dossiers.dossiers_app, name="dossiers")
app.add_typer(contacts.contacts_app, name="contacts")
app.add_typer(attachments.notes_app, name="notes")
app.add_typer(attachments.documents_app, name="documents")
app.add_typer(dossiers.report_app, name="report")
app.add_typer(sources.app, name="sources")
app.command("dispatch", epilog=common.example("lobby-agenda dispatch --once"))(
    outbox.dispatch_command
)
app.add_typer(admin.db_app, name="db")
app.command("search", epilog=common.example(search.EXAMPLE))(search.search_command)
admin.register(app)
audit.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors print one line and exit non-zero, never a traceback.

    Usage errors, --help and Ctrl-C are handled by Typer itself (standalone mode, which
    exits); what reaches us here are our own errors and the database's.
    """
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="lobby-agenda", standalone_mode=True)
    except LobbyError as exc:
        _error(f"error: {exc.message}")
        sys.exit(2)
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        _error(f"error: database: {reason}")
        sys.exit(3)
    except Exception as exc:  # the last line of defence: a bug, not a user error
        log.debug("unexpected error", exc_info=True)
        _error(
            f"internal error: {type(exc).__name__}: {exc} "
            "(run with LOBBY_LOG_LEVEL=DEBUG for the traceback)"
        )
        sys.exit(70)


def _error(line: str) -> None:
    """The one place the CLI prints an error: whatever it quotes, a URL's password is hidden."""
    typer.echo(mask_secrets(line), err=True)
