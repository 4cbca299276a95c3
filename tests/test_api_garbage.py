"""Garbage in every field of every JSON write endpoint, over real HTTP through the ASGI app:
each answer is a 2xx (the value happens to be acceptable) or a 4xx JSON error naming that
field; never a 500. (test_api_fuzz.py generates requests from the schema; this one tries the
values people actually type or scripts actually send, field by field.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from scheduler.schemas import ItemIn, PartnershipIn, PersonIn, StakeholderIn, ThemeIn
from scheduler.web.api.chains import NewChain, StepChange
from scheduler.web.api.items import OccurrenceChange
from scheduler.web.api.me import NewToken, OwnSettings
from tests.test_api import ADMIN, API, NEW_ITEM, OWNER, api

__all__ = ["api"]  # a fixture used by name below

GARBAGE: list[Any] = [
    "next tuesday", "", "x" * 5000, "2026-13-45", "<script>", None, ["a"], 42,
]  # fmt: skip
SERIES = NEW_ITEM | {"uid": "reeks", "rrule": "FREQ=WEEKLY;COUNT=3"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    model: type[BaseModel]
    body: dict[str, Any]  # a valid body, one field of which is replaced by garbage
    caller: str = OWNER
    etag_of: str | None = None  # the item whose ETag goes along as If-Match
    undo: str | None = None  # what to DELETE after a success, formatted with its answer


ENDPOINTS = {
    "create item": Endpoint("POST", "/api/v1/items", ItemIn, NEW_ITEM),
    "update item": Endpoint("PATCH", "/api/v1/items/intern", ItemIn, {}, etag_of="intern"),
    "move occurrence": Endpoint(
        "POST", "/api/v1/items/reeks/occurrences", OccurrenceChange,
        {"occurrence": "2026-12-17T14:00", "start": "2026-12-18T09:00"}, etag_of="reeks",
    ),
    "attach chain": Endpoint(
        "POST", "/api/v1/items/intern/chains", NewChain, {"template": "lobbyvenster"},
        undo="/api/v1/chains/{id}",  # so that the next attempt does not find it attached
    ),
    "change step": Endpoint("PATCH", "/api/v1/chain-steps/{step}", StepChange, {"done": True}),
    "theme": Endpoint("PUT", "/api/v1/themes/wonen", ThemeIn, {"slug": "wonen", "name": "W"}, ADMIN),
    "stakeholder": Endpoint(
        "PUT", "/api/v1/stakeholders/mra", StakeholderIn, {"slug": "mra", "name": "MRA"}, ADMIN
    ),
    "partnership": Endpoint(
        "PUT", "/api/v1/partnerships/mra", PartnershipIn,
        {"slug": "mra", "name": "MRA", "level": "regionaal", "kind": "strategisch"}, ADMIN,
    ),
    "person": Endpoint(
        "PUT", "/api/v1/people/nieuw@example.nl", PersonIn,
        {"email": "nieuw@example.nl", "name": "Nieuw"}, ADMIN,
    ),
    "my settings": Endpoint("PATCH", "/api/v1/me", OwnSettings, {}),
    "my token": Endpoint("POST", "/api/v1/me/tokens", NewToken, {"scope": "me"}),
}  # fmt: skip


def _prepare(api: API) -> dict[str, str]:
    """A series with a chain (for the occurrence and chain endpoints); the ids in paths."""
    client, _, headers = api
    assert client.post("/api/v1/items", json=SERIES, headers=headers[OWNER]).status_code == 201
    chain = client.post(
        "/api/v1/items/reeks/chains", json={"template": "lobbyvenster"}, headers=headers[OWNER]
    )
    assert chain.status_code == 201, chain.text
    return {"step": str(chain.json()["tasks"][0]["id"])}


def _request(api: API, endpoint: Endpoint, path: str, body: dict[str, Any]) -> Any:
    client, _, headers = api
    auth = headers[endpoint.caller]
    if endpoint.etag_of is not None:
        fresh = client.get(f"/api/v1/items/{endpoint.etag_of}", headers=auth)  # after a change
        auth = auth | {"if-match": fresh.headers["etag"]}
    return client.request(endpoint.method, path, json=body, headers=auth)


def _complaint(answer: Any, field: str) -> str | None:
    """What is wrong with an answer to garbage in `field`, or None."""
    if answer.status_code < 400:
        return None
    body = answer.json()
    named = body.get("field") if isinstance(body, dict) else None
    if answer.status_code >= 500 or not 400 <= answer.status_code < 500:
        return f"{answer.status_code}: {body}"
    if set(body) != {"error", "field"} or not body["error"]:
        return f"not our error shape: {body}"
    if answer.status_code == 403:
        return None  # an acceptable value that takes the caller's own right away (owner: "")
    if named != field and not str(named).startswith(f"{field}."):
        return f"{answer.status_code} names {named!r}: {body['error'][:120]}"
    return None


@pytest.mark.parametrize("name", ENDPOINTS)
def test_garbage_in_any_field_of_a_write_endpoint_is_a_4xx_naming_that_field(
    api: API, name: str
) -> None:
    endpoint = ENDPOINTS[name]
    path = endpoint.path.format(**_prepare(api))
    complaints: list[str] = []
    for field in endpoint.model.model_fields:
        for value in GARBAGE:
            try:
                answer = _request(api, endpoint, path, endpoint.body | {field: value})
            except Exception as exc:  # the server's own, raised through TestClient: a 500
                complaints.append(f"{field}={_shown(value)}: 500 {type(exc).__name__}: {exc}")
                continue
            if (complaint := _complaint(answer, field)) is not None:
                complaints.append(f"{field}={_shown(value)}: {complaint}")
            if endpoint.undo and answer.status_code < 300:
                client, _, headers = api
                client.delete(endpoint.undo.format(**answer.json()), headers=headers[OWNER])
    assert complaints == []


def _shown(value: Any) -> str:
    return repr(value)[:30]
