"""`lobby-agenda dispatch|outbox …`: sending reminders, and what the outbox holds."""

from __future__ import annotations

import typer
from sqlalchemy import select

from scheduler import clock, delivery, liveness, outbox, reminders
from scheduler.cli.common import (
    JsonOption,
    database,
    example,
    print_json,
    print_message,
    print_table,
    settings,
)
from scheduler.errors import ValidationError
from scheduler.models import Delivery, DeliveryState

outbox_app = typer.Typer(help="The outbox of emails: list, retry.", invoke_without_command=True)


def dispatch_command(
    once: bool = typer.Option(False, "--once", help="Plan and send what is due now, then exit."),
) -> None:
    """Plan reminders into the outbox and send what is due (the service does this by itself)."""
    if not once:
        raise ValidationError(
            "use --once (the running service dispatches continuously)", field="--once"
        )
    sent = delivery.dispatch(
        database(), reminders.settings_from(settings()), liveness.instance_name()
    )
    typer.echo(f"sent {sent} message{'s' if sent != 1 else ''}")


@outbox_app.callback(
    epilog=example("lobby-agenda outbox --status dead", "lobby-agenda outbox retry 42")
)
def list_outbox(
    context: typer.Context,
    status: list[DeliveryState] = typer.Option(
        [],
        "--status",
        metavar="STATE",
        help="pending, sending, sent, failed, dead, expired or cancelled (repeatable).",
    ),
    limit: int = typer.Option(200, help="At most this many rows, newest due first."),
    as_json: bool = JsonOption,
) -> None:
    """List the outbox: what is planned, sent, failed, dead or expired."""
    if context.invoked_subcommand is not None:
        return  # `outbox retry …`
    query = select(Delivery).order_by(Delivery.due_at.desc()).limit(limit)
    if status:
        query = query.where(Delivery.state.in_(status))
    with database().read() as session:
        rows = [
            {
                "id": d.id, "kind": d.kind, "state": d.state.value,
                "due": d.due_at.isoformat(timespec="seconds"),
                "recipient": d.recipient, "item": d.item_uid, "offset": d.offset,
                "attempts": d.attempts,
                "sent": d.sent_at.isoformat(timespec="seconds") if d.sent_at else None,
                "error": d.last_error or None, "key": d.key,
            }
            for d in session.scalars(query)
        ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    columns = ["id", "kind", "state", "due", "recipient", "item", "offset", "attempts", "error"]
    print_table("outbox", columns, [[r[c] for c in columns] for r in rows])


@outbox_app.command("retry", epilog=example("lobby-agenda outbox retry 42"))
def retry(
    delivery_id: int = typer.Argument(..., metavar="ID", help="The delivery's id (see outbox)."),
) -> None:
    """Send a dead, failed or expired delivery again."""
    with database().write() as session:
        row = outbox.retry(session, delivery_id, clock.now_utc())
        typer.echo(f"delivery {row.id} to {row.recipient} will be sent again")


mail_app = typer.Typer(help="Email: see what reminders look like.", no_args_is_help=True)


@mail_app.command(
    "preview",
    epilog=example("lobby-agenda mail preview mra-mob-2026-12 --person j.jansen@example.nl --html"),
)
def preview(
    uid: str = typer.Argument(..., help="The item's uid."),
    person: str | None = typer.Option(
        None, metavar="EMAIL", help="Recipient (default: the owner)."
    ),
    html: bool = typer.Option(False, "--html", help="Print the HTML part instead of the text."),
) -> None:
    """Render the reminder of an item's next occurrence, without sending it."""
    with database().read() as session:
        message = reminders.preview(
            session, reminders.settings_from(settings()), uid, person, clock.now_utc()
        )
    print_message(message, html=html)
