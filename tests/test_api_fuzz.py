"""Schemathesis against the app's own OpenAPI: generated requests to every operation (with a
valid write token) get no 5xx, and every 4xx is a JSON error; a 422 names its field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.web import create_app
from tests.test_api import NOW, OWNER, ROLES

pytestmark = pytest.mark.slow
AUTH: dict[str, str] = {}


@pytest.fixture
def api_schema(sqlite_db: Database) -> Iterator[Any]:
    import time_machine

    from scheduler import agenda, tokens
    from scheduler.interchange import import_data
    from scheduler.schemas import ItemIn

    actor = agenda.Actor("fuzz", "test")
    with time_machine.travel(NOW, tick=False):
        people = [{"email": e, "name": e.split("@")[0], "roles": [r]} for e, r in ROLES.items()]
        import_data(sqlite_db, {"themes": [{"slug": "wonen", "name": "Wonen"}], "people": people}, "t", actor)  # fmt: skip
        with sqlite_db.write() as session:
            spec = {"uid": "reeks", "title": "Reeks", "kind": "meeting", "start": "2026-12-08T10:00",
                    "rrule": "FREQ=WEEKLY;COUNT=4", "owner": OWNER, "themes": ["wonen"]}  # fmt: skip
            agenda.save_item(session, ItemIn.model_validate(spec), actor)
            _, secret = tokens.create(session, OWNER, scope="api-write", today=NOW.date())
    AUTH["authorization"] = f"Bearer {secret}"
    app = create_app(Settings(database_url=sqlite_db.url), run_jobs=False)
    app.state.db = sqlite_db  # what the lifespan would set; schemathesis calls the app directly
    yield schemathesis.openapi.from_asgi("/openapi.json", app)


def test_generated_requests_get_no_server_error_and_json_errors(api_schema: Any) -> None:
    """Each operation in turn (schemathesis' own pytest plugin does not run on pytest 9)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14
    calls = [_fuzz(operation) for operation in operations]
    print(f"\n{sum(calls)} generated requests over {len(operations)} operations")
    assert sum(calls) >= 50 * len(operations)  # it really ran


def _fuzz(operation: Any) -> int:
    """Run the generated cases of one operation; returns how many requests were made."""
    made = 0

    @given(case=operation.as_strategy())
    @settings(
        max_examples=100,  # x 60-odd operations: 6,000 requests; 300 took three minutes
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        nonlocal made
        made += 1
        response = case.call(headers=AUTH)
        where = f"{case.method} {case.formatted_path}"
        assert response.status_code < 500, (where, response.text)
        if 400 <= response.status_code < 500 and response.status_code != 405:
            body = response.json()
            assert set(body) == {"error", "field"} and body["error"], (where, body)
            if response.status_code == 422:
                assert body["field"], (where, body)

    run()
    return made
