"""`lobby-agenda audit`: who changed what, when and how (the Woo wants it complete)."""

from __future__ import annotations

from datetime import datetime, time

import typer

from scheduler import agenda, clock
from scheduler.cli.common import (
    JsonOption,
    database,
    example,
    parse_day,
    print_json,
    print_table,
    settings,
)


def audit_command(
    item: str | None = typer.Option(None, "--item", metavar="UID", help="Only this item."),
    since: str | None = typer.Option(
        None, "--since", metavar="DATE", help="Only changes from this day on (YYYY-MM-DD)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """The audit trail: every change to items from API, web, CLI and imports, with each
    field's value before and after."""
    day = parse_day(since, "--since")
    start = datetime.combine(day, time(), tzinfo=clock.zone(settings().timezone)) if day else None
    with database().read() as session:
        rows = [
            {
                "item": c.item_uid, "revision": c.revision, "at": c.changed_at.isoformat(),
                "by": c.changed_by, "via": c.channel, "field": c.field,
                "before": c.old_value, "after": c.new_value,
            }
            for c in agenda.history(session, item, start)
        ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    columns = ["at", "item", "revision", "by", "via", "field", "before", "after"]
    print_table(
        "audit trail",
        columns,
        [[_short(r[c]) for c in columns] for r in rows],
    )


def _short(value: object) -> object:
    """Long values (a whole item when created or deleted) are cut in the table, not in JSON."""
    if isinstance(value, str) and len(value) > 60:
        return value[:57] + "…"
    return value


def register(app: typer.Typer) -> None:
    app.command(
        "audit",
        epilog=example(
            "lobby-agenda audit --item mra-mob-2026-12",
            "lobby-agenda audit --since 2026-12-01 --json",
        ),
    )(audit_command)
