"""`lobby-agenda themes|stakeholders|partnerships|people …`."""

from __future__ import annotations

import typer

from scheduler import catalog
from scheduler.cli.common import JsonOption, database, example, print_json, print_table, validated
from scheduler.models import Level, PersonRole, StakeholderKind
from scheduler.schemas import PersonIn

themes_app = typer.Typer(help="Themes (mobiliteit, wonen, …).", no_args_is_help=True)
stakeholders_app = typer.Typer(
    help="Stakeholders: the organisations we lobby.", no_args_is_help=True
)
partnerships_app = typer.Typer(help="Partnerships (samenwerkingsverbanden).", no_args_is_help=True)
people_app = typer.Typer(help="People: lobbyists, staff, managers, admins.", no_args_is_help=True)


@themes_app.command("list", epilog=example("lobby-agenda themes list --json"))
def list_themes(as_json: bool = JsonOption) -> None:
    """List the themes, with each one's priority and portfolio holder (`--json`: its whole
    focus)."""
    with database().read() as session:
        rows = [catalog.describe_theme(t) for t in catalog.all_themes(session)]
    if as_json:
        print_json(rows)
    else:
        print_table(
            "themes",
            ["slug", "name", "priority", "portfolio holder"],
            [[r["slug"], r["name"], r["priority"] or "", r["portfolio_holder"]] for r in rows],
        )


@stakeholders_app.command("list", epilog=example("lobby-agenda stakeholders list --kind gemeente"))
def list_stakeholders(
    kind: StakeholderKind | None = typer.Option(None, help="Only this kind."),
    as_json: bool = JsonOption,
) -> None:
    """List the stakeholders, by kind."""
    with database().read() as session:
        rows = [
            catalog.describe_stakeholder(s)
            for s in catalog.all_stakeholders(session)
            if kind is None or s.kind == kind
        ]
    if as_json:
        print_json(rows)
    else:
        print_table(
            "stakeholders",
            ["slug", "name", "kind"],
            [[r["slug"], r["name"], r["kind"]] for r in rows],
        )


@partnerships_app.command(
    "list", epilog=example("lobby-agenda partnerships list --level regionaal --theme wonen")
)
def list_partnerships(
    level: Level | None = typer.Option(None, help="Only this level."),
    theme: str | None = typer.Option(None, help="Only partnerships on this theme (slug)."),
    as_json: bool = JsonOption,
) -> None:
    """List the partnerships with level, kind, our role and next evaluation."""
    with database().read() as session:
        rows = [
            catalog.describe_partnership(p)
            for p in catalog.all_partnerships(session)
            if (level is None or p.level == level)
            and (theme is None or theme in {t.slug for t in p.themes})
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        "partnerships",
        ["slug", "name", "level", "kind", "role", "themes", "next evaluation"],
        [
            [
                r["slug"],
                r["name"],
                r["level"],
                r["kind"],
                r["role"],
                ", ".join(r["themes"]),
                r["next_evaluation_on"],
            ]
            for r in rows
        ],
    )


@partnerships_app.command("matrix", epilog=example("lobby-agenda partnerships matrix"))
def matrix(as_json: bool = JsonOption) -> None:
    """Themes × levels: which partnerships work on what, where (the vision's overview)."""
    levels = [level.value for level in Level]
    with database().read() as session:
        grid: dict[str, dict[str, list[str]]] = {
            t.slug: {level: [] for level in levels} for t in catalog.all_themes(session)
        }
        names = {t.slug: t.name for t in catalog.all_themes(session)}
        for partnership in catalog.all_partnerships(session):
            for theme in partnership.themes:
                grid[theme.slug][partnership.level.value].append(partnership.name)
    if as_json:
        print_json(grid)
        return
    print_table(
        "partnerships per theme and level",
        ["theme", *levels],
        [
            [names[slug], *("\n".join(cell[level]) for level in levels)]
            for slug, cell in grid.items()
        ],
    )


@people_app.command("list", epilog=example("lobby-agenda people list --json"))
def list_people(as_json: bool = JsonOption) -> None:
    """List the people with their roles and language."""
    with database().read() as session:
        rows = [catalog.describe_person(p) for p in catalog.all_people(session)]
    if as_json:
        print_json(rows)
        return
    print_table(
        "people",
        ["email", "name", "roles", "language", "timezone"],
        [
            [r["email"], r["name"], ", ".join(r["roles"]), r["language"], r["timezone"]]
            for r in rows
        ],
    )


@people_app.command(
    "add",
    epilog=example(
        "lobby-agenda people add a.bakker@example.nl --name 'A. Bakker' --role lobbyist"
    ),
)
def add_person(
    email: str = typer.Argument(..., help="Email address (the person's key)."),
    name: str = typer.Option(..., help="Full name."),
    role: list[PersonRole] = typer.Option(
        [], "--role", metavar="ROLE", help="lobbyist, staff, manager, admin (repeatable)."
    ),
    language: str | None = typer.Option(None, help="nl or en."),
    timezone: str | None = typer.Option(None, help="IANA time zone."),
    theme: list[str] = typer.Option(
        [], "--theme", metavar="SLUG", help="Theme followed (repeatable)."
    ),
    stakeholder: list[str] = typer.Option(
        [], "--stakeholder", metavar="SLUG", help="Stakeholder followed (repeatable)."
    ),
    digest: str | None = typer.Option(
        None, help="none, daily or weekly (default: weekly for managers, none for others)."
    ),
    digest_day: str | None = typer.Option(None, help="Weekday of a weekly digest (monday)."),
    digest_time: str | None = typer.Option(
        None, help="Local time of the digest, HH:MM (07:30; not 02:00-03:00)."
    ),
    digest_scope: str | None = typer.Option(
        None, help="all, or followed: only the themes and stakeholders the person follows."
    ),
) -> None:
    """Add a person, or update the one with this email."""
    given = {
        "email": email, "name": name, "roles": role or None, "language": language,
        "timezone": timezone, "themes": theme or None, "stakeholders": stakeholder or None,
        "digest": digest, "digest_day": digest_day, "digest_time": digest_time,
        "digest_scope": digest_scope,
    }  # fmt: skip
    spec = validated(PersonIn, given)
    with database().write() as session:
        outcome = catalog.save_person(session, spec)
    typer.echo(f"{outcome} {spec.email}")
