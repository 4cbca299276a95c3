"""The README is where a user learns every endpoint: each path the app answers is in it."""

from __future__ import annotations

import re
from pathlib import Path

from scheduler.config import Settings
from scheduler.web import create_app

README = Path(__file__).resolve().parent.parent / "README.md"


def _shape(path: str) -> str:
    """`/chain-steps/{step_id}` and `/chain-steps/{id}` name the same endpoint."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_every_endpoint_is_in_the_readme(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}"), run_jobs=False)
    paths = set(app.openapi()["paths"]) | {"/docs", "/openapi.json"}
    readme = _shape(README.read_text())
    # The API table may list siblings as "`GET /api/v1/themes`, `/stakeholders`".
    missing = sorted(
        path for path in paths
        if _shape(path) not in readme and _shape(path.removeprefix("/api/v1")) not in readme
    )  # fmt: skip
    assert missing == []
    assert len(paths) > 50  # the app's whole surface was read, not an empty schema
