"""The house rules that a newcomer relies on: import direction, and the compose file."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import make_url

from scheduler.config import load_settings

PACKAGE = Path(__file__).resolve().parent.parent / "scheduler"
ROOT = PACKAGE.parent

# Lower layers never import higher ones (DESIGN.md §3): edges → services → store → basics.
LAYERS = {
    "errors": 0, "clock": 0, "oidc": 1, "vtimezone": 1,
    "config": 1, "offsets": 1, "logs": 1, "texts": 1,
    "models": 2, "db": 2,
    "occurrences": 3, "schemas": 3,
    "catalog": 4, "agenda": 4, "rendering": 4, "permissions": 3,
    "interchange": 5, "ics_reader": 4, "ics_writer": 4, "ics_series": 3, "ics_zones": 3, "open_agenda": 5, "demo": 5, "feeds": 5, "tokens": 5, "sessions": 5, "views": 5, "reminders": 5, "nudges": 5, "digests": 5, "digest_mail": 5, "mailer": 3, "composer": 4, "liveness": 3,
    "sources": 5, "fetching": 3, "throttle": 3, "retention": 5,
    "outbox": 4, "delivery": 6, "chains": 5, "dossiers": 5, "contacts": 5, "contact_views": 5, "notes": 5, "documents": 5, "overlaps": 5, "dossier_report": 5,
    "search": 5,
    "catalog_views": 5, "theme_report": 5,
    "jobs": 6, "web": 6,
    "cli": 7, "__main__": 8, "__init__": 0, "migrations": 2,
}  # fmt: skip
# Each framework stays at its edge.
ONLY_IN = {
    "apscheduler": {"jobs"},
    "fastapi": {"web"},
    "typer": {"cli"},
    "uvicorn": {"cli"},
    "prometheus_client": {"web"},
    "smtplib": {"mailer"},  # nothing but the mailer talks SMTP
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def top_module(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "scheduler":  # `from scheduler import agenda`: modules only
                names |= {f"scheduler.{a.name}" for a in node.names if a.name in LAYERS}
    return names


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_from_its_own_layer_or_below(path: Path) -> None:
    here = top_module(path)
    assert here in LAYERS, f"{here} has no layer: add it to LAYERS"
    for name in imported(path):
        if name.startswith("scheduler."):
            target = name.split(".")[1]
            assert LAYERS[target] <= LAYERS[here], f"{here} (layer {LAYERS[here]}) imports {target}"
        root = name.split(".")[0]
        if root in ONLY_IN:
            assert here in ONLY_IN[root], f"{here} imports {root}, which belongs in {ONLY_IN[root]}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_calendar_writer_builds_events(path: Path) -> None:
    """One writer for feeds, mail attachments and downloads, so that they cannot drift apart."""
    if top_module(path) == "ics_writer":
        return
    builders = {"Event", "Alarm"}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("icalendar"):
            taken = {alias.name for alias in node.names} & builders
            assert not taken, f"{path.name} imports {taken} from icalendar: use ics_writer"
        if isinstance(node, ast.Attribute) and node.attr in builders:
            owner = getattr(node.value, "id", "")
            assert owner != "icalendar", f"{path.name} builds a VEVENT: use ics_writer"


def test_the_compose_file_runs_the_service_with_postgresql_and_a_mail_catcher() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"app", "db", "mail"}
    assert services["db"]["image"].startswith("postgres:16")
    assert "mailpit" in services["mail"]["image"]
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"
    named = set(compose["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in named, f"{volume} is not a named volume"


def compose_file() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def interpolated(value: object) -> str:
    """A compose value as the container sees it when no variable is set: `${X:-default}`
    gives the default, `${X}` nothing (Compose's interpolation, for the forms we use)."""
    return re.sub(r"\$\{\w+(?::?-([^}]*))?\}", lambda m: m.group(1) or "", str(value))


def test_the_compose_file_configures_the_app_only_with_settings_it_really_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = compose_file()["services"]["app"]
    environment = {name: interpolated(value) for name, value in app["environment"].items()}
    # Names and values as the app itself reads them: an unknown LOBBY_ name (a typo) or a bad
    # value fails here the way it would fail the container at start-up.
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.host == "0.0.0.0"
    assert f"{settings.port}:{settings.port}" in app["ports"]
    assert f":{settings.port}/readyz" in " ".join(app["healthcheck"]["test"])


def test_the_compose_file_wires_the_app_to_its_database_and_mail_services() -> None:
    services = compose_file()["services"]
    app = services["app"]
    settings = {
        name.removeprefix("LOBBY_").lower(): interpolated(value)
        for name, value in app["environment"].items()
    }
    # The database: the db service, on PostgreSQL's port, as the user and database it creates.
    url = make_url(settings["database_url"])
    db = {name: interpolated(value) for name, value in services["db"]["environment"].items()}
    assert (url.host, url.port or 5432) == ("db", int(db.get("PGPORT", 5432)))
    assert (url.username, url.password, url.database) == (
        db["POSTGRES_USER"], db["POSTGRES_PASSWORD"], db["POSTGRES_DB"]
    )  # fmt: skip
    assert "smtp_host" in settings, "mail would go to files in the container: set LOBBY_SMTP_HOST"
    # Mail: Mailpit's SMTP port (1025 unless MP_SMTP_BIND_ADDR moves it), plain: it has no TLS.
    mail = services[settings["smtp_host"]]
    assert "mailpit" in mail["image"]
    smtp_bind = mail.get("environment", {}).get("MP_SMTP_BIND_ADDR", "0.0.0.0:1025")
    assert int(settings["smtp_port"]) == int(smtp_bind.rsplit(":", 1)[1])
    assert settings["smtp_security"] == "none"
    # The app starts once both answer their health checks.
    needed = {url.host, settings["smtp_host"]}
    conditions = {name: app["depends_on"][name]["condition"] for name in needed}
    assert conditions == dict.fromkeys(needed, "service_healthy")


def compose_command() -> list[str] | None:
    """Docker Compose v2 (the docker plugin), else v1 (Debian's docker-compose), else None."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    v1 = shutil.which("docker-compose")
    return [v1] if v1 else None


def test_docker_compose_renders_the_compose_file_as_these_tests_read_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("no docker compose here: the tests above check the compose file as data")
    for variable in ("POSTGRES_PASSWORD", "LOBBY_PUBLIC_URL"):
        monkeypatch.delenv(variable, raising=False)  # the defaults, as `interpolated` gives
    rendered = subprocess.run(
        [*command, "--file", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    environment = yaml.safe_load(rendered.stdout)["services"]["app"]["environment"]
    ours = compose_file()["services"]["app"]["environment"]
    assert environment == {name: interpolated(value) for name, value in ours.items()}


def test_the_image_runs_as_a_non_root_user_on_a_slim_python() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "\nUSER lobby" in dockerfile and "HEALTHCHECK" in dockerfile
