"""`lobby-agenda digest send|preview`: the managers' digest of the upcoming agenda."""

from __future__ import annotations

import typer

from scheduler import clock, delivery, digest_mail, liveness, reminders
from scheduler.cli.common import (
    JsonOption,
    database,
    example,
    print_json,
    print_message,
    print_table,
    settings,
)

digest_app = typer.Typer(
    help="Digests of the upcoming agenda: send now, preview.", no_args_is_help=True
)


@digest_app.command(
    "send",
    epilog=example(
        "lobby-agenda digest send --dry-run", "lobby-agenda digest send --person m@example.nl"
    ),
)
def send(
    person: list[str] = typer.Option(
        [],
        "--person",
        metavar="EMAIL",
        help="Only this person (repeatable; default: everyone "
        "with a digest). Someone without one gets the weekly digest.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be sent; send nothing."),
    as_json: bool = JsonOption,
) -> None:
    """Send this period's digest now (once per period: one already sent is not sent again)."""
    conf = reminders.settings_from(settings())
    now = clock.now_utc()
    db = database()
    with db.write() as session:
        planned = digest_mail.send_now(session, person, now, dry_run=dry_run)
        found = [
            {"person": p.person.email, "period": p.slot.period, "action": p.note} for p in planned
        ]
    sent = 0 if dry_run else delivery.dispatch(db, conf, liveness.instance_name())
    if as_json:
        print_json({"digests": found, "sent": sent})
        return
    print_table("digests", ["person", "period", "action"], [list(f.values()) for f in found])
    if not dry_run:
        typer.echo(f"sent {sent} message{'s' if sent != 1 else ''}")


@digest_app.command(
    "preview", epilog=example("lobby-agenda digest preview --person m@example.nl --html")
)
def preview(
    person: str = typer.Option(..., "--person", metavar="EMAIL", help="Whose digest."),
    html: bool = typer.Option(False, "--html", help="Print the HTML part instead of the text."),
) -> None:
    """Render a person's digest as it would be now, without sending it."""
    with database().read() as session:
        message = digest_mail.preview(
            session, reminders.settings_from(settings()), person, clock.now_utc()
        )
    print_message(message, html=html)
