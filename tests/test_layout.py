"""The house rules that a newcomer relies on: import direction, and the compose file."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from scheduler.config import Settings

PACKAGE = Path(__file__).resolve().parent.parent / "scheduler"
ROOT = PACKAGE.parent

# Lower layers never import higher ones (DESIGN.md §3): edges → services → store → basics.
LAYERS = {
    "errors": 0, "clock": 0, "oidc": 1, "vtimezone": 1,
    "config": 1, "offsets": 1, "logs": 1, "texts": 1,
    "models": 2, "db": 2,
    "occurrences": 3, "schemas": 3,
    "catalog": 4, "agenda": 4, "rendering": 4, "permissions": 3,
    "interchange": 5, "ics_reader": 4, "ics_series": 3, "ics_zones": 3, "open_agenda": 5, "demo": 5, "feeds": 5, "tokens": 5, "sessions": 5, "views": 5, "reminders": 5, "nudges": 5, "digests": 5, "digest_mail": 5, "mailer": 3, "liveness": 3,
    "sources": 5, "fetching": 3, "throttle": 3, "retention": 5,
    "outbox": 4, "delivery": 6, "chains": 5, "dossiers": 5, "overlaps": 5, "dossier_report": 5,
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


def test_the_compose_file_configures_the_app_only_with_settings_it_really_reads() -> None:
    app = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["app"]
    environment = app["environment"]
    known = {f"LOBBY_{name.upper()}" for name in Settings.model_fields}
    assert set(environment) <= known | {f"{name}_FILE" for name in known}
    assert environment["LOBBY_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert environment["LOBBY_HOST"] == "0.0.0.0"
    port = int(environment["LOBBY_PORT"])
    assert f"{port}:{port}" in app["ports"]
    assert f":{port}/readyz" in " ".join(app["healthcheck"]["test"])
    assert app["depends_on"]["db"]["condition"] == "service_healthy"


def test_the_image_runs_as_a_non_root_user_on_a_slim_python() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "\nUSER lobby" in dockerfile and "HEALTHCHECK" in dockerfile
