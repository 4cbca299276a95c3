"""`lobby-agenda search "…"`: full-text search from the command line (see `scheduler.search`)."""

from __future__ import annotations

import typer

from scheduler import catalog, search
from scheduler.cli.common import (
    JsonOption,
    database,
    local_time,
    parse_day,
    print_json,
    print_table,
    settings,
)
from scheduler.errors import ValidationError
from scheduler.models import ItemKind

EXAMPLE = 'lobby-agenda search "spoor OR trein" --theme mobiliteit --as j.jansen@example.nl'


def search_command(
    words: str = typer.Argument(..., metavar="WORDS", help='Words; "a phrase", -word, OR, word*.'),
    theme: list[str] = typer.Option([], "--theme", metavar="SLUG", help="Theme slug (repeatable)."),
    kind: list[ItemKind] = typer.Option(
        [], "--kind", metavar="KIND", help="Items of this kind only (repeatable)."
    ),
    start: str | None = typer.Option(None, "--from", metavar="DATE", help="First day, YYYY-MM-DD."),
    end: str | None = typer.Option(None, "--to", metavar="DATE", help="Last day, YYYY-MM-DD."),
    dossier: str | None = typer.Option(None, "--dossier", metavar="SLUG", help="Within a dossier."),
    hit_type: list[str] = typer.Option(
        [],
        "--type",
        metavar="TYPE",
        help="item, dossier, note, stakeholder or contact (repeatable).",
    ),
    reader: str | None = typer.Option(
        None,
        "--as",
        metavar="EMAIL",
        help="Search as this person sees it (default: everything, confidential items included).",
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=search.MAX_LIMIT, help="Hits to show."),
    as_json: bool = JsonOption,
) -> None:
    """Search items, outcomes, dossiers, dossier notes, stakeholders and contact persons, best
    hit first (the words in a title first)."""
    types = tuple(_hit_type(value) for value in hit_type)
    filters = search.Filters(
        tuple(theme), tuple(kind), parse_day(start, "--from"), parse_day(end, "--to"),
        dossier, types,
    )  # fmt: skip
    with database().read() as session:
        who: search.Reader = (
            catalog.person(session, reader, "--as") if reader else search.EVERYTHING
        )
        found = search.search(
            session, words, who, filters, home_zone=settings().timezone, limit=limit
        )
    if as_json:
        print_json(found.as_json())
        return
    print_table(
        f"{found.total} hits for “{found.query}”"
        + (f", {len(found.hits)} shown" if found.hits else ""),
        ["type", "title", "when", "found in", "key"],
        [
            [hit.type, hit.title, local_time(hit.when) if hit.when else "", hit.snippet, hit.key]
            for hit in found.hits
        ],
    )


def _hit_type(value: str) -> search.HitType:
    for known in search.HIT_TYPES:
        if value == known:
            return known
    raise ValidationError(
        f"--type {value!r}: use one of {', '.join(search.HIT_TYPES)}", field="--type"
    )
