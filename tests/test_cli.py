"""The command line: every command documented with an example; user errors as one line."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup

from scheduler import logs
from scheduler.cli import app, main

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db_url: str):  # type: ignore[no-untyped-def]
    """Run `lobby-agenda ARGS` in-process against the test database."""
    monkeypatch.setenv("LOBBY_DATABASE_URL", db_url)

    def run(*args: str) -> Result:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        return Result(int(exited.value.code or 0), captured.out, captured.err)

    return run


def all_commands() -> list[str]:
    """Every leaf command as it is typed, e.g. 'items list'."""
    found = []

    def walk(command: Any, prefix: str) -> None:
        if isinstance(command, TyperGroup):
            if command.invoke_without_command and prefix:
                found.append(prefix)  # a group that is a command too (`export`, `outbox`)
            for name, sub in command.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            found.append(prefix)

    walk(typer.main.get_command(app), "")
    return sorted(found)


def test_the_cli_has_the_commands_the_foundation_promises() -> None:
    expected = {
        "items list", "items show", "items add", "items cancel", "themes list", "stakeholders list",
        "partnerships list", "partnerships matrix", "people add", "people list", "db upgrade",
        "demo", "import", "export", "serve",
    }  # fmt: skip
    assert expected <= set(all_commands())


@pytest.mark.parametrize("command", all_commands())
def test_every_command_has_help_with_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command.split(), "--help"])
    assert exited.value.code == 0
    assert "Example:" in capsys.readouterr().out


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    assert [c for c in all_commands() if f"lobby-agenda {c}" not in readme] == []


def test_the_demo_loads_and_items_list_prints_json_in_the_items_zone(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("demo").code == 0
    result = cli("items", "list", "--json", "--theme", "mobiliteit")
    rows = json.loads(result.out)
    assert rows and all("mobiliteit" in row["themes"] for row in rows)
    assert all(row["timezone"] == "Europe/Amsterdam" for row in rows)
    shown = cli("items", "show", "demo-spoorcorridor-bestuurlijk-overleg").out
    assert "  - [ ] Conceptbrief aan de minister van IenW" in shown and "{'text'" not in shown


def test_adding_showing_and_cancelling_an_occurrence_from_the_command_line(cli) -> None:  # type: ignore[no-untyped-def]
    added = cli("items", "add", "--uid", "w1", "--title", "Werkbezoek", "--kind", "meeting",
                "--start", "2026-12-10T14:00", "--rrule", "FREQ=WEEKLY;COUNT=3")  # fmt: skip
    assert (added.code, added.out.strip()) == (0, "created w1 (revision 1)")
    cancelled = cli("items", "cancel", "w1", "--occurrence", "2026-12-17T14:00")
    assert cancelled.out.strip() == "cancelled occurrence 2026-12-17T14:00 of w1 (revision 2)"
    shown = json.loads(cli("items", "show", "w1", "--json").out)
    assert shown["occurrences"] == [{"recurrence_id": "2026-12-17T14:00", "cancelled": True}]
    assert [change["field"] for change in shown["history"]] == ["created", "occurrences"]
    assert all(change["at"].endswith("+00:00") for change in shown["history"])  # JSON: UTC
    text = cli("items", "show", "w1").out
    assert "+00:00" not in text and re.search(r"│ 2 +│ \d{4}-\d\d-\d\d \d\d:\d\d │", text)
    listed = json.loads(
        cli("items", "list", "--from", "2026-12-01", "--to", "2026-12-31", "--json").out
    )
    assert [row["status"] for row in listed] == ["planned", "cancelled", "planned"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["items", "show", "nope"], "error: no agenda item with uid 'nope'"),
        (
            [
                "items",
                "add",
                "--title",
                "x",
                "--kind",
                "meeting",
                "--start",
                "2026-12-08T10:00",
                "--end",
                "2026-12-08T09:00",
            ],
            "error: end 2026-12-08T09:00 is before start 2026-12-08T10:00",
        ),
        (
            [
                "items",
                "add",
                "--title",
                "x",
                "--kind",
                "meeting",
                "--start",
                "2026-12-08T10:00",
                "--rrule",
                "FREQ=WEEKLY;BYDAY=ZZ",
            ],
            "error: RRULE part 'BYDAY=ZZ' does not parse",
        ),
        (
            [
                "items",
                "add",
                "--title",
                "x",
                "--kind",
                "meeting",
                "--start",
                "2026-12-08T10:00",
                "--timezone",
                "Mars/Olympus",
            ],
            "error: timezone: unknown time zone 'Mars/Olympus'",
        ),
        (
            [
                "items",
                "add",
                "--title",
                "x",
                "--kind",
                "meeting",
                "--start",
                "2026-12-08T10:00",
                "--theme",
                "ruimtevaart",
            ],
            "error: unknown theme 'ruimtevaart'",
        ),
        (
            [
                "items",
                "add",
                "--title",
                "x",
                "--kind",
                "meeting",
                "--start",
                "2026-12-08T10:00",
                "--reminder",
                "1 week",
            ],
            "error: reminders: '1 week' is not a reminder offset",
        ),
        (["items", "add", "--title", "x", "--kind", "meeting"], "error: start: required"),
        (
            ["people", "add", "geen-email", "--name", "X"],
            "error: email: 'geen-email' is not a valid email address",
        ),
        (["items", "list", "--from", "morgen"], "error: --from 'morgen' is not a date"),
        (
            ["items", "list", "--from", "2026-12-10", "--to", "2026-12-01"],
            "error: --to 2026-12-01 is before --from 2026-12-10",
        ),
        (["export", "--format", "xml"], "error: --format 'xml': use yaml or csv"),
        (["import", "missing.yaml"], "error: missing.yaml: no such file"),
    ],
)
def test_a_user_error_is_one_line_on_stderr_and_a_non_zero_exit(
    cli, args: list[str], message: str
) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.code != 0
    assert result.err.startswith(message)
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_an_import_with_errors_lists_each_with_its_line_and_changes_nothing(
    cli, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.yaml"
    path.write_text(
        "themes:\n  - {slug: wonen, name: Wonen}\nitems:\n  - {title: x, kind: feest, start: 2026-12-08}\n"
    )
    result = cli("import", str(path))
    assert result.code == 2
    assert f"{path}:4: items[0].kind: Input should be" in result.err
    assert json.loads(cli("themes", "list", "--json").out) == []


def test_a_dry_run_import_says_what_would_happen(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.yaml"
    path.write_text("themes:\n  - {slug: wonen, name: Wonen}\n")
    result = cli("import", str(path), "--dry-run")
    assert result.out.splitlines() == ["themes: 1 would be created", "dry run: nothing was changed"]


def test_export_writes_a_file_that_imports_back_unchanged(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("demo")
    for fmt in ("yaml", "csv"):
        target = tmp_path / f"export.{fmt}"
        assert cli("export", "--format", fmt, "--output", str(target)).code == 0
        result = cli("import", str(target))
        assert "created" not in result.out and "updated" not in result.out, result.out


def _subprocess_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LOBBY_") or k.startswith("LOBBY_TEST_")
    }
    return env | extra


@pytest.mark.slow
def test_the_installed_command_reports_an_unreachable_database_in_one_line_without_the_password() -> (
    None
):
    url = "postgresql+psycopg://lobby:supergeheim@127.0.0.1:9/lobby"  # port 9: nothing listens
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "themes", "list"],
        capture_output=True, text=True, timeout=60, env=_subprocess_env(LOBBY_DATABASE_URL=url),
    )  # fmt: skip
    assert result.returncode != 0
    assert re.match(
        r"error: cannot reach the database at postgresql\+psycopg://lobby:\*\*\*@127\.0\.0\.1:9/lobby: ",
        result.stderr,
    )
    assert "supergeheim" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_bad_database_url_stops_the_command_with_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOBBY_DATABASE_URL", "mysql://lobby:Sup3rSecret@db/lobby")
    with pytest.raises(SystemExit) as exited:
        main(["themes", "list"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("error: bad value for setting 'database_url' from environment variable")
    assert "mysql://lobby:***@db/lobby" in err and "Sup3rSecret" not in err
    assert "postgresql+psycopg://USER:PASSWORD@HOST/DB" in err  # the hint stays readable


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_log_line_never_shows_a_urls_password(
    capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    logs.configure("INFO", fmt)
    try:
        logging.getLogger("scheduler.test").warning(
            "cannot reach %s", "postgresql+psycopg://lobby:Sup3rSecret@db:5432/lobby"
        )
        try:
            raise OSError("connect to smtp://mail:Sup3rSecret@smtp.example failed")
        except OSError:
            logging.getLogger("scheduler.test").exception("sending failed")
    finally:
        logging.getLogger().handlers[:] = []
    err = capsys.readouterr().err
    assert "postgresql+psycopg://lobby:***@db:5432/lobby" in err and "smtp://mail:***@" in err
    assert "Sup3rSecret" not in err


@pytest.mark.slow
def test_a_bad_setting_stops_the_command_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "themes", "list"],
        capture_output=True, text=True, timeout=60, env=_subprocess_env(LOBBY_LOG_FORMAT="xml"),
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: bad value for setting 'log_format' from environment variable LOBBY_LOG_FORMAT"
    )


def test_items_list_defaults_to_today_and_four_weeks_in_the_home_zone(cli) -> None:  # type: ignore[no-untyped-def]
    import time_machine

    cli(
        "items",
        "add",
        "--uid",
        "late",
        "--title",
        "Laat",
        "--kind",
        "meeting",
        "--start",
        "2026-10-25T23:30",
    )
    cli(
        "items",
        "add",
        "--uid",
        "far",
        "--title",
        "Ver",
        "--kind",
        "meeting",
        "--start",
        "2026-11-22T10:00",
    )
    # 2026-10-24 23:30 UTC is already Sunday the 25th, 01:30, in Amsterdam (summer time).
    with time_machine.travel("2026-10-24T23:30:00Z", tick=False):
        listed = json.loads(cli("items", "list", "--json").out)
    assert [row["uid"] for row in listed] == ["late"]  # the window is 25 Oct – 21 Nov, local days


def test_the_typer_runner_sees_every_command_group() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for group in (
        "items",
        "themes",
        "stakeholders",
        "partnerships",
        "people",
        "db",
        "demo",
        "import",
        "export",
        "serve",
    ):
        assert group in result.output


@pytest.mark.slow
def test_logs_are_json_lines_on_stderr_when_asked(tmp_path: Path) -> None:
    env = _subprocess_env(
        LOBBY_LOG_FORMAT="json", LOBBY_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}"
    )
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "db", "upgrade"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert lines[0]["message"].startswith("database schema upgraded from empty to 0")
    assert (lines[0]["level"], lines[0]["logger"]) == ("INFO", "scheduler.db")


def test_a_feed_link_is_printed_once_listed_and_revoked(cli) -> None:  # type: ignore[no-untyped-def]
    cli("people", "add", "j.jansen@example.nl", "--name", "Joost Jansen")
    created = cli("token", "create", "j.jansen@example.nl", "--label", "Outlook werk", "--alarms")
    assert created.code == 0
    lines = created.out.splitlines()
    assert lines[0] == "token 1 for j.jansen@example.nl (scope all); shown only now:"
    https = lines[1].split()[-1]
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/feeds/[A-Za-z0-9_-]{32}/all\.ics", https)
    assert lines[2].split()[-1] == "webcal://" + https.removeprefix("http://")
    assert (
        lines[3]
        .split()[-1]
        .startswith("https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F")
    )
    listed = json.loads(cli("token", "list", "j.jansen@example.nl", "--json").out)
    assert [(t["id"], t["label"], t["scope"], t["alarms"], t["revoked"]) for t in listed] == [
        (1, "Outlook werk", "all", True, None)
    ]
    assert https.split("/")[-2] not in cli("token", "list").out  # the secret is never shown again
    assert cli("token", "revoke", "1").out.strip() == "revoked token 1 of j.jansen@example.nl"
    assert json.loads(cli("token", "list", "--json").out)[0]["revoked"] is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token", "create", "nobody@example.nl"], "error: unknown person 'nobody@example.nl'"),
        (
            ["token", "create", "j.jansen@example.nl", "--scope", "theme:ruimtevaart"],
            "error: unknown theme 'ruimtevaart'",
        ),
        (
            ["token", "create", "j.jansen@example.nl", "--scope", "everything"],
            "error: scope 'everything': use one of all, me, theme:SLUG, stakeholder:SLUG",
        ),
        (
            ["token", "create", "j.jansen@example.nl", "--expires", "2020-01-01"],
            "error: expiry 2020-01-01 is not in the future",
        ),
        (["token", "revoke", "99"], "error: no feed token with id 99"),
    ],
)
def test_a_bad_feed_link_request_is_one_line(cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    cli("people", "add", "j.jansen@example.nl", "--name", "Joost Jansen")
    result = cli(*args)
    assert result.code == 2 and result.err.startswith(message), result.err
    assert len(result.err.strip().splitlines()) == 1


def test_mail_preview_shows_the_reminder_without_sending_it(cli) -> None:  # type: ignore[no-untyped-def]
    import time_machine

    with time_machine.travel("2026-11-28T09:00:00Z", tick=False):
        cli("people", "add", "j.jansen@example.nl", "--name", "Joost Jansen")
        cli(
            "items",
            "add",
            "--uid",
            "m1",
            "--title",
            "Overleg MRA",
            "--kind",
            "meeting",
            "--start",
            "2026-12-08T10:00",
            "--owner",
            "j.jansen@example.nl",
        )
        shown = cli("mail", "preview", "m1")
        html = cli("mail", "preview", "m1", "--html")
        outsider = cli("mail", "preview", "m1", "--person", "x@example.nl")
    assert shown.out.splitlines()[:2] == [
        "Subject: Herinnering: Overleg MRA – di 8 dec 10:00",
        "To: Joost Jansen <j.jansen@example.nl>",
    ]
    assert "Wanneer: dinsdag 8 december 2026 om 10:00" in shown.out
    assert "<html" in html.out
    assert outsider.code == 2 and outsider.err.startswith(
        "error: x@example.nl gets no reminders for m1"
    )
    assert json.loads(cli("outbox", "--json").out) == []  # nothing was planned or sent


@pytest.mark.parametrize(
    ("host", "base"), [("127.0.0.1", "http://127.0.0.1:8311"), ("0.0.0.0", "http://localhost:8311")]
)
def test_token_create_and_mail_preview_link_to_the_configured_port_and_an_openable_host(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, host: str, base: str
) -> None:
    import time_machine

    monkeypatch.setenv("LOBBY_HOST", host)
    monkeypatch.setenv("LOBBY_PORT", "8311")
    with time_machine.travel("2026-11-28T09:00:00Z", tick=False):
        cli("people", "add", "j.jansen@example.nl", "--name", "Joost Jansen")
        cli("items", "add", "--uid", "m1", "--title", "Overleg MRA", "--kind", "meeting",
            "--start", "2026-12-08T10:00", "--owner", "j.jansen@example.nl")  # fmt: skip
        feed = cli("token", "create", "j.jansen@example.nl").out
        login = cli("token", "create", "j.jansen@example.nl", "--scope", "login").out
        text = cli("mail", "preview", "m1").out
        html = cli("mail", "preview", "m1", "--html").out
    assert re.search(rf"https: +{re.escape(base)}/feeds/[\w-]{{32}}/all\.ics$", feed, re.M)
    assert re.search(rf"sign in: {re.escape(base)}/login/[\w-]{{32}}$", login, re.M)
    assert f"{base}/items/m1" in text and f'href="{base}/items/m1"' in html
    assert ":8000" not in feed + login + text + html


def test_digest_preview_and_send_once_per_period(cli) -> None:  # type: ignore[no-untyped-def]
    import time_machine

    with time_machine.travel("2026-12-07T08:00:00Z", tick=False):
        cli("people", "add", "m@example.nl", "--name", "Mira Manager", "--role", "manager")
        cli("people", "add", "l@example.nl", "--name", "Lars", "--digest", "daily")
        cli("items", "add", "--uid", "m1", "--title", "Overleg MRA", "--kind", "meeting",
            "--start", "2026-12-08T10:00", "--owner", "l@example.nl")  # fmt: skip
        shown = cli("digest", "preview", "--person", "m@example.nl")
        html = cli("digest", "preview", "--person", "m@example.nl", "--html")
        dry = json.loads(cli("digest", "send", "--dry-run", "--json").out)
        sent = cli("digest", "send", "--person", "m@example.nl")
        again = cli("digest", "send", "--person", "m@example.nl")
        unknown = cli("digest", "send", "--person", "nobody@example.nl")
        cli("people", "add", "s@example.nl", "--name", "Sam Staff")  # no digest of their own
        asked = cli("digest", "send", "--person", "s@example.nl")
        bad_time = cli("people", "add", "l@example.nl", "--name", "Lars", "--digest-time", "2:15")
    assert shown.out.splitlines()[:2] == [
        "Subject: Lobbyagenda 7–21 dec 2026: 1 agendapunt, 1 aandachtspunt",
        "To: Mira Manager <m@example.nl>",
    ]
    assert "di 8 dec 10:00 – Overleg MRA [niet voorbereid]" in shown.out
    assert "<html" in html.out
    assert dry == {
        "digests": [
            {"person": "l@example.nl", "period": "2026-12-07", "action": "due now (2026-12-07)"},
            {"person": "m@example.nl", "period": "2026-W50", "action": "due now (2026-W50)"},
        ],
        "sent": 0,
    }
    assert sent.code == 0 and "sent 1 message" in sent.out  # the manager's; mail goes to .eml
    assert "already sent for 2026-W50" in again.out and "sent 0 messages" in again.out
    assert unknown.code == 2 and unknown.err.startswith("error: unknown person")
    assert "sent 1 message" in asked.out  # the weekly digest, asked for once
    assert bad_time.code == 2 and "between 02:00 and 03:00" in bad_time.err
    rows = json.loads(cli("outbox", "--json").out)
    mine = sorted((r["kind"], r["state"]) for r in rows if r["recipient"] == "m@example.nl")
    assert mine == [("digest", "pending"), ("digest", "sent")]  # this week's; next week's


def test_the_audit_trail_lists_every_change_with_before_and_after(cli) -> None:  # type: ignore[no-untyped-def]
    import time_machine

    with time_machine.travel("2026-11-28T09:00:00Z", tick=False):
        cli("people", "add", "j.jansen@example.nl", "--name", "Joost Jansen")
        cli("items", "add", "--uid", "m1", "--title", "Overleg", "--kind", "meeting",
            "--start", "2026-12-08T10:00")  # fmt: skip
    with time_machine.travel("2026-12-02T09:00:00Z", tick=False):
        cli("items", "add", "--uid", "m1", "--title", "Overleg MRA", "--kind", "meeting",
            "--start", "2026-12-08T10:00")  # fmt: skip
    everything = json.loads(cli("audit", "--json").out)
    assert [(r["item"], r["field"], r["via"]) for r in everything] == [
        ("m1", "created", "cli"), ("m1", "title", "cli")
    ]  # fmt: skip
    recent = json.loads(cli("audit", "--since", "2026-12-01", "--item", "m1", "--json").out)
    assert [(r["field"], r["before"], r["after"]) for r in recent] == [
        ("title", '"Overleg"', '"Overleg MRA"')
    ]
    assert "Overleg MRA" in cli("audit").out
    bad = cli("audit", "--since", "gisteren")
    assert bad.code == 2 and bad.err.startswith("error: --since 'gisteren' is not a date")


def test_import_an_outlook_calendar_with_theme_and_kind(cli) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    ics = str(Path(__file__).parent / "fixtures" / "ics" / "outlook.ics")
    cli("import", str(Path(__file__).parent.parent / "config" / "demo" / "catalog.yaml"))
    dry = cli("import", ics, "--theme", "mobiliteit", "--kind", "decision", "--dry-run")
    assert dry.code == 0 and "items: 2 would be created" in dry.out, dry.out
    assert json.loads(cli("items", "list", "--json").out) == []  # a dry run
    done = cli("import", ics, "--theme", "mobiliteit", "--kind", "decision")
    assert done.code == 0 and "items: 2 were created" in done.out, done.out
    unknown = cli("import", ics, "--theme", "nope")
    assert unknown.code == 2 and "unknown theme 'nope'" in unknown.err
    bad_kind = cli("import", ics, "--kind", "lunch")
    assert bad_kind.code == 2


def test_review_and_export_the_open_agenda(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import time_machine

    with time_machine.travel("2026-11-28T09:00:00Z", tick=False):
        cli("people", "add", "j.jansen@example.nl", "--name", "Joost Jansen")
        cli("items", "add", "--uid", "m1", "--title", "Overleg MRA", "--kind", "meeting",
            "--start", "2026-11-20T10:00", "--owner", "j.jansen@example.nl",
            "--confidentiality", "public")  # fmt: skip
        cli("items", "add", "--uid", "m2", "--title", "Intern", "--kind", "meeting",
            "--start", "2026-11-21T10:00")  # fmt: skip
        reviewed = cli("items", "review", "m1", "--redact", "participants=persoonsgegevens")
        internal = cli("items", "review", "m2")
        bad = cli("items", "review", "m1", "--redact", "participants")
        exported = cli("export", "open-agenda", "--from", "2026-11-01", "--to", "2026-11-30",
                       "--format", "json")  # fmt: skip
        wrong = cli("export", "open-agenda", "--from", "2026-11-30", "--to", "2026-11-01")
        withdrawn = cli("items", "review", "m1", "--withdraw")
        after = cli("export", "open-agenda", "--from", "2026-11-01", "--to", "2026-11-30")
    assert reviewed.code == 0 and "reviewed for the open agenda" in reviewed.out
    assert internal.code == 2 and "only public items" in internal.err
    assert bad.code == 2 and "FIELD=REASON" in bad.err
    assert json.loads(exported.out) == [{
        "date": "2026-11-20", "subject": "Overleg MRA", "organisations": "", "themes": "",
        "participants": "[weggelakt: persoonsgegevens]", "uid": "m1",
    }]  # fmt: skip
    assert wrong.code == 2 and "before --from" in wrong.err
    assert (
        withdrawn.code == 0
        and after.out
        == "date,subject,organisations,themes,participants,uid\n".replace("\n", "\r\n")
    )
