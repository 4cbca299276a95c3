"""`lobby-agenda token …`: private feed links."""

from __future__ import annotations

import typer

from scheduler import clock, tokens
from scheduler.cli.common import (
    JsonOption,
    database,
    example,
    parse_day,
    print_json,
    print_table,
    settings,
)

token_app = typer.Typer(help="Private calendar feed links (tokens).", no_args_is_help=True)


@token_app.command(
    "create",
    epilog=example(
        "lobby-agenda token create j.jansen@example.nl --label 'Outlook werk'",
        "lobby-agenda token create j.jansen@example.nl --scope theme:mobiliteit --alarms",
        "lobby-agenda token create j.jansen@example.nl --scope login",
        "lobby-agenda token create j.jansen@example.nl --scope api-write --expires 2027-06-30",
    ),
)
def create(
    email: str = typer.Argument(..., help="Whose feeds the link opens."),
    label: str = typer.Option("", help="What the link is for, e.g. 'Outlook werk'."),
    expires: str | None = typer.Option(
        None, metavar="DATE", help="Last day it works (YYYY-MM-DD)."
    ),
    scope: str = typer.Option(
        "all",
        help="all (every feed), me, theme:SLUG, stakeholder:SLUG or dossier:SLUG (that feed only); "
        "login (a sign-in link for the web pages); api-read or api-write (an API token).",
    ),
    alarms: bool = typer.Option(False, "--alarms", help="Add the items' reminders as alarms."),
) -> None:
    """Create a feed link (or a sign-in link) and print it once, ready for Outlook, Apple,
    Google and Thunderbird."""
    conf = settings()
    today = clock.today_in(clock.zone(conf.timezone))
    with database().write() as session:
        token, secret = tokens.create(
            session, email, label=label, scope=scope, expires_on=parse_day(expires, "--expires"),
            alarms=alarms, today=today,
        )  # fmt: skip
        token_id, token_scope = token.id, token.scope
    typer.echo(f"token {token_id} for {email} (scope {token_scope}); shown only now:")
    if token_scope == tokens.LOGIN:
        typer.echo(f"  sign in: {conf.base_url}/login/{secret}")
        return
    if token_scope in (tokens.API_READ, tokens.API_WRITE):
        typer.echo(f"  Authorization: Bearer {secret}")
        return
    links = tokens.links(conf.base_url, secret, token_scope)
    typer.echo(f"  https:  {links.https}")
    typer.echo(f"  webcal: {links.webcal}")
    typer.echo(f"  Google: {links.google}")


@token_app.command("list", epilog=example("lobby-agenda token list j.jansen@example.nl"))
def list_tokens(
    email: str | None = typer.Argument(None, help="Only this person's links."),
    as_json: bool = JsonOption,
) -> None:
    """List feed links: id, person, label, scope, created, expires, last used."""
    with database().read() as session:
        rows = [
            {
                "id": t.id,
                "person": t.person.email,
                "label": t.label,
                "scope": t.scope,
                "alarms": t.alarms,
                "created": t.created_at.isoformat(timespec="seconds"),
                "expires": t.expires_on.isoformat() if t.expires_on else None,
                "revoked": t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else None,
                "last_used": t.last_used_at.isoformat(timespec="seconds")
                if t.last_used_at
                else None,
                "last_user_agent": t.last_user_agent or None,
            }
            for t in tokens.listing(session, email)
        ]
    if as_json:
        print_json(rows)
        return
    columns = [
        "id",
        "person",
        "label",
        "scope",
        "created",
        "expires",
        "revoked",
        "last_used",
        "last_user_agent",
    ]
    print_table("feed links", columns, [[r[c] for c in columns] for r in rows])


@token_app.command("revoke", epilog=example("lobby-agenda token revoke 3"))
def revoke(
    token_id: int = typer.Argument(..., metavar="ID", help="The link's id (see token list)."),
) -> None:
    """Revoke a feed link: calendar clients then get 410 Gone and stop asking."""
    with database().write() as session:
        token = tokens.revoke(session, token_id, clock.now_utc())
        typer.echo(f"revoked token {token.id} of {token.person.email}")
