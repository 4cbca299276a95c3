"""`lobby-agenda chains …`: preparation chains on items (templates from the settings)."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer

from scheduler import agenda, chains, clock
from scheduler.cli.common import (
    JsonOption,
    actor,
    database,
    example,
    out,
    print_json,
    print_table,
    settings,
)

chains_app = typer.Typer(
    help="Preparation chains: the steps before (and after) a decision moment or deadline.",
    no_args_is_help=True,
)


@chains_app.command("templates", epilog=example("lobby-agenda chains templates --json"))
def templates(as_json: bool = JsonOption) -> None:
    """The chain templates of the settings ([chains.NAME] in the config file)."""
    configured = settings().chains
    if as_json:
        print_json({slug: t.model_dump() for slug, t in configured.items()})
        return
    rows = [
        [slug, t.name, step.when, step.task, step.owner]
        for slug, t in configured.items()
        for step in t.steps
    ]
    print_table("chain templates", ["template", "name", "when", "step", "owner"], rows)


@chains_app.command(
    "attach",
    epilog=example(
        "lobby-agenda chains attach mra-besluit-2027-01 lobbyvenster",
        "lobby-agenda chains attach ps-begroting lobbyvenster --owner j.jansen@example.nl \\",
        "    --occurrence 2027-02-04T10:00",
    ),
)
def attach(
    uid: str = typer.Argument(..., help="The item's uid."),
    template: str = typer.Argument(..., help="A template name (see `chains templates`)."),
    owner: str | None = typer.Option(
        None, metavar="EMAIL", help="Owns the chain instead of the item's owner."
    ),
    occurrence: str | None = typer.Option(
        None,
        metavar="DATETIME",
        help="Of a recurring item: the occurrence, by its original start (default: the next).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Attach a chain template to an item: a task per step, with owner and due date."""
    with database().write() as session:
        item = agenda.find_item(session, uid)
        chain = chains.attach(
            session, item, template, settings().chains, actor=actor(), now=clock.now_utc(),
            owner=owner, occurrence=occurrence,
        )  # fmt: skip
        described = chains.describe(chain, _closed())
    _show([described], as_json)


@chains_app.command("list", epilog=example("lobby-agenda chains list --item mra-besluit-2027-01"))
def list_chains(
    item: str | None = typer.Option(None, "--item", metavar="UID", help="Only this item's."),
    as_json: bool = JsonOption,
) -> None:
    """Chains with their steps: due date, owner, done or not (default: those still ahead)."""
    now = clock.now_utc()
    with database().read() as session:
        found = (
            chains.chains_of(session, [agenda.find_item(session, item)])
            if item
            else chains.upcoming(session, now)
        )
        described = [chains.describe(chain, _closed()) for chain in found]
    _show(described, as_json)


@chains_app.command(
    "done", epilog=example("lobby-agenda chains done 12", "lobby-agenda chains done 12 --undo")
)
def done(
    task: int = typer.Argument(..., help="The step's id (see `chains list`)."),
    undo: bool = typer.Option(False, "--undo", help="Open the step again."),
) -> None:
    """Tick a step off (its pending reminder is cancelled)."""
    with database().write() as session:
        found = chains.find_task(session, task)
        chains.set_task(session, found, actor=actor(), now=clock.now_utc(), done=not undo)
        title = found.title
    out.print(f"{'open again' if undo else 'done'}: {task} {title}")


@chains_app.command("assign", epilog=example("lobby-agenda chains assign 12 p.pieters@example.nl"))
def assign(
    task: int = typer.Argument(..., help="The step's id (see `chains list`)."),
    email: str = typer.Argument(..., help="The person who takes the step over."),
) -> None:
    """Give a step another owner."""
    with database().write() as session:
        found = chains.find_task(session, task)
        chains.set_task(session, found, actor=actor(), now=clock.now_utc(), owner=email)
        title = found.title
    out.print(f"assigned: {task} {title} → {email}")


@chains_app.command("detach", epilog=example("lobby-agenda chains detach 3"))
def detach(chain: int = typer.Argument(..., help="The chain's id (see `chains list`).")) -> None:
    """Remove a chain and its steps from its item (without telling anyone)."""
    with database().write() as session:
        found = chains.find_chain(session, chain)
        uid = found.item.uid
        chains.detach(session, found, actor(), clock.now_utc())
    out.print(f"detached: chain {chain} from {uid}")


def _closed() -> frozenset[date]:
    return settings().closed_days


def _show(described: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json(described)
        return
    if not described:
        out.print("chains: none")
    for chain in described:
        state = "cancelled" if chain["cancelled"] else f"{chain['done']} of {chain['total']} done"
        rows = [
            [
                t["id"],
                t["due_on"] or "–",
                t["title"],
                t["owner"] or "–",
                "done" if t["done"] else "",
            ]
            for t in chain["tasks"]
        ]
        print_table(
            f"chain {chain['id']} {chain['name']} for {chain['item']} ({state})",
            ["step", "due", "what", "owner", "done"],
            rows,
        )
