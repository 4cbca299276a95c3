"""The JSON API over real HTTP through the ASGI app: tokens, roles, confidentiality, ETag and
If-Match, bad input, and the audit trail of what the API changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from scheduler import agenda, tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.models import AgendaItem, ItemChange
from scheduler.schemas import ItemIn
from scheduler.web import create_app

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ADMIN, MANAGER, OWNER, OTHER, STAFF = (
    "admin@example.nl", "manager@example.nl", "owner@example.nl", "other@example.nl",
    "staff@example.nl",
)  # fmt: skip
ROLES = {ADMIN: "admin", MANAGER: "manager", OWNER: "lobbyist", OTHER: "lobbyist", STAFF: "staff"}
ITEMS = {
    "open": {"confidentiality": "public", "title": "Openbaar overleg"},
    "intern": {"confidentiality": "internal", "title": "Intern overleg"},
    "geheim": {"confidentiality": "confidential", "title": "Geheim overleg", "goal": "Grond"},
}


@pytest.fixture
def api(db: Database) -> Iterator[tuple[TestClient, Database, dict[str, dict[str, str]]]]:
    actor = agenda.Actor("test", "test")
    with time_machine.travel(NOW, tick=False):
        people = [
            {"email": e, "name": e.split("@")[0].title(), "roles": [r]} for e, r in ROLES.items()
        ]
        import_data(db, {"themes": [{"slug": "wonen", "name": "Wonen"}], "people": people}, "t", actor)  # fmt: skip
        with db.write() as session:
            for uid, fields in ITEMS.items():
                spec = {"uid": uid, "kind": "meeting", "start": "2026-12-08T10:00",
                        "owner": OWNER, "themes": ["wonen"]} | fields  # fmt: skip
                agenda.save_item(session, ItemIn.model_validate(spec), actor)
            headers = {}
            for email in ROLES:
                _, write = tokens.create(session, email, scope="api-write", today=NOW.date())
                _, read = tokens.create(session, email, scope="api-read", today=NOW.date())
                headers[email] = {"authorization": f"Bearer {write}"}
                headers[f"read:{email}"] = {"authorization": f"Bearer {read}"}
    settings = Settings(database_url=db.url)
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(settings, run_jobs=False)) as client,
    ):
        yield client, db, headers


API = tuple[TestClient, Database, dict[str, dict[str, str]]]
NEW_ITEM = {"title": "Werkbezoek", "kind": "meeting", "start": "2026-12-10T14:00", "owner": OWNER}


def error(answer: Any) -> tuple[int, str | None]:
    body = answer.json()
    assert set(body) == {"error", "field"} and body["error"], body
    return answer.status_code, body["field"]


# ---------------------------------------------------------------- tokens


def test_every_request_needs_a_live_api_token(api: API) -> None:
    client, db, headers = api
    assert error(client.get("/api/v1/items")) == (401, None)
    assert client.get("/api/v1/items").headers["www-authenticate"] == "Bearer"
    assert error(client.get("/api/v1/items", headers={"authorization": "Bearer nope"}))[0] == 401
    with db.write() as session:
        _, feed = tokens.create(session, OWNER, today=NOW.date())
        _, login = tokens.create(session, OWNER, scope="login", today=NOW.date())
    for secret in (feed, login):
        answer = client.get("/api/v1/items", headers={"authorization": f"Bearer {secret}"})
        assert answer.status_code == 401  # a feed or sign-in link is not an API token
    read_only = headers[f"read:{OWNER}"]
    assert client.get("/api/v1/items", headers=read_only).status_code == 200
    assert error(client.post("/api/v1/items", json=NEW_ITEM, headers=read_only))[0] == 403
    with db.write() as session:
        for token in tokens.listing(session, OWNER):
            tokens.revoke(session, token.id, NOW)
    assert client.get("/api/v1/items", headers=headers[OWNER]).status_code == 401


# ---------------------------------------------------------------- who sees and changes what


SEES = {  # person → {uid: "full" | "exists" | None}
    ADMIN: {"open": "full", "intern": "full", "geheim": "exists"},
    MANAGER: {"open": "full", "intern": "full", "geheim": None},
    OWNER: {"open": "full", "intern": "full", "geheim": "full"},
    OTHER: {"open": "full", "intern": "full", "geheim": None},
    STAFF: {"open": "full", "intern": "full", "geheim": None},
}
EDITS = {  # person → the items they may change
    ADMIN: {"open", "intern"},
    MANAGER: {"open", "intern"},
    OWNER: {"open", "intern", "geheim"},
    OTHER: set(),
    STAFF: set(),
}


@pytest.mark.parametrize("person", list(ROLES))
@pytest.mark.parametrize("uid", list(ITEMS))
def test_the_authorization_matrix(api: API, person: str, uid: str) -> None:
    """Role × endpoint × confidentiality: read one, list, change, delete."""
    client, _, headers = api
    auth = headers[person]
    seen = SEES[person][uid]
    one = client.get(f"/api/v1/items/{uid}", headers=auth)
    listed = {i["uid"]: i for i in client.get("/api/v1/items", headers=auth).json()["items"]}
    if seen is None:
        assert error(one) == (404, "uid") and uid not in listed
    else:
        assert one.status_code == 200 and listed[uid] == one.json()
        shown = one.json()
        assert (shown["title"] is None) == (seen == "exists")
        if seen == "exists":
            assert "Grond" not in one.text and "goal" not in shown
    etag = one.headers.get("etag", '"rev-1"')
    changed = client.patch(
        f"/api/v1/items/{uid}", json={"location": "Stadhuis"}, headers=auth | {"if-match": etag}
    )
    if uid in EDITS[person]:
        assert changed.status_code == 200 and changed.json()["location"] == "Stadhuis"
    else:
        assert error(changed)[0] == (404 if seen is None else 403)
    deleted = client.delete(f"/api/v1/items/{uid}", headers=auth | {"if-match": '"rev-0"'})
    expected = 412 if uid in EDITS[person] else (404 if seen is None else 403)
    assert error(deleted)[0] == expected  # a stale ETag: nothing deleted


def test_staff_create_nothing_and_lobbyists_and_managers_only_what_they_can_edit(api: API) -> None:
    client, db, headers = api
    assert error(client.post("/api/v1/items", json=NEW_ITEM, headers=headers[STAFF]))[0] == 403
    not_theirs = NEW_ITEM | {"owner": ADMIN}
    assert error(client.post("/api/v1/items", json=not_theirs, headers=headers[OTHER]))[0] == 403
    secret = not_theirs | {"confidentiality": "confidential"}
    assert error(client.post("/api/v1/items", json=secret, headers=headers[MANAGER]))[0] == 403
    planned = client.post(
        "/api/v1/items", json=not_theirs | {"uid": "plan"}, headers=headers[MANAGER]
    )
    assert planned.status_code == 201 and planned.json()["owner"] == ADMIN
    made = client.post("/api/v1/items", json=NEW_ITEM | {"uid": "nieuw"}, headers=headers[OWNER])
    assert made.status_code == 201 and made.headers["location"] == "/api/v1/items/nieuw"
    assert made.headers["etag"] == '"rev-1"'
    with db.read() as session:
        titles = set(session.scalars(select(AgendaItem.title)))
    assert titles == {"Openbaar overleg", "Intern overleg", "Geheim overleg", "Werkbezoek"}
    again = client.post("/api/v1/items", json=NEW_ITEM | {"uid": "nieuw"}, headers=headers[OWNER])
    assert error(again) == (409, "uid")


# ---------------------------------------------------------------- ETag and If-Match


def test_two_editors_with_the_same_etag_the_second_gets_412_and_changes_nothing(
    api: API,
) -> None:
    client, db, headers = api
    etag = client.get("/api/v1/items/intern", headers=headers[OWNER]).headers["etag"]
    first = client.patch("/api/v1/items/intern", json={"start": "2026-12-09T10:00"},
                         headers=headers[OWNER] | {"if-match": etag})  # fmt: skip
    second = client.patch("/api/v1/items/intern", json={"location": "Elders"},
                          headers=headers[ADMIN] | {"if-match": etag})  # fmt: skip
    assert first.status_code == 200 and first.headers["etag"] == '"rev-2"'
    assert error(second) == (412, "If-Match")
    now = client.get("/api/v1/items/intern", headers=headers[OWNER]).json()
    assert (now["start"], now["location"], now["revision"]) == ("2026-12-09T10:00", "", 2)
    assert error(client.patch("/api/v1/items/intern", json={}, headers=headers[OWNER])) == (
        428, "If-Match"
    )  # fmt: skip
    with db.read() as session:
        history = list(session.scalars(select(ItemChange).where(ItemChange.item_uid == "intern")))
    latest = {(c.field, c.changed_by, c.channel) for c in history if c.revision == 2}
    assert latest == {("start", OWNER, "api"), ("end", OWNER, "api")}  # the end moved along


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": "morgen"}, "start"),
        ({"kind": "lunch"}, "kind"),
        ({"themes": ["onbekend"]}, "themes"),
        ({"follow_ups": [{"text": "Bellen", "due": "gisteren"}]}, "follow_ups.0.due"),
        ({"uid": "ander"}, "uid"),
        ({"colour": "rood"}, "colour"),
        ({"reminders": ["P1M"]}, "reminders"),
    ],
)
def test_a_bad_update_names_its_field_and_changes_nothing(
    api: API, changes: dict[str, Any], field: str
) -> None:
    client, _, headers = api
    before = client.get("/api/v1/items/intern", headers=headers[OWNER])
    answer = client.patch("/api/v1/items/intern", json=changes,
                          headers=headers[OWNER] | {"if-match": before.headers["etag"]})  # fmt: skip
    status, named = error(answer)
    assert status in (404, 422) and named == field
    assert client.get("/api/v1/items/intern", headers=headers[OWNER]).json() == before.json()


def test_a_bad_new_item_names_its_field(api: API) -> None:
    client, _, headers = api
    answer = client.post("/api/v1/items", json={"title": "X", "kind": "meeting"},
                         headers=headers[OWNER])  # fmt: skip
    assert error(answer) == (422, "start")
    answer = client.post("/api/v1/items", content=b"{not json", headers=headers[OWNER] | {
        "content-type": "application/json"})  # fmt: skip
    assert error(answer)[0] == 422


def test_deleting_keeps_the_history_and_moving_one_occurrence_works(api: API) -> None:
    client, db, headers = api
    auth = headers[OWNER]
    etag = client.get("/api/v1/items/open", headers=auth).headers["etag"]
    assert client.delete("/api/v1/items/open", headers=auth | {"if-match": etag}).status_code == 204
    assert error(client.get("/api/v1/items/open", headers=auth)) == (404, "uid")
    with db.read() as session:
        last = session.scalars(
            select(ItemChange).where(ItemChange.item_uid == "open").order_by(ItemChange.id)
        ).all()[-1]
    assert last.field == "deleted" and "Openbaar overleg" in (last.old_value or "")
    series = NEW_ITEM | {"uid": "reeks", "rrule": "FREQ=WEEKLY;COUNT=3"}
    made = client.post("/api/v1/items", json=series, headers=auth)
    moved = client.post(
        "/api/v1/items/reeks/occurrences",
        json={"occurrence": "2026-12-17T14:00", "start": "2026-12-18T09:00"},
        headers=auth | {"if-match": made.headers["etag"]},
    )
    assert moved.status_code == 200
    assert moved.json()["occurrences"][0]["start"] == "2026-12-18T09:00"
    cancelled = client.post(
        "/api/v1/items/reeks/occurrences",
        json={"occurrence": "2026-12-24T14:00", "cancel": True},
        headers=auth | {"if-match": moved.headers["etag"]},
    )
    assert [o["cancelled"] for o in cancelled.json()["occurrences"]] == [False, True]
    neither = client.post("/api/v1/items/reeks/occurrences", json={"occurrence": "2026-12-24T14:00"},
                          headers=auth | {"if-match": cancelled.headers["etag"]})  # fmt: skip
    assert error(neither) == (422, "start")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "next tuesday"}, "start"),
        ({"start": "2026-13-45T10:00"}, "start"),
        ({"start": "x" * 5000}, "start"),
        ({"start": "2026-12-18T09:00", "end": "next tuesday"}, "end"),
        ({"occurrence": "next tuesday", "start": "2026-12-18T09:00"}, "occurrence"),
    ],
)
def test_moving_an_occurrence_to_a_badly_typed_time_answers_422_naming_the_field(
    api: API, change: dict[str, str], field: str
) -> None:
    client, _, headers = api
    made = client.post("/api/v1/items", headers=headers[OWNER],
                       json=NEW_ITEM | {"uid": "reeks", "rrule": "FREQ=WEEKLY;COUNT=3"})  # fmt: skip
    answer = client.post(
        "/api/v1/items/reeks/occurrences",
        json={"occurrence": "2026-12-17T14:00"} | change,
        headers=headers[OWNER] | {"if-match": made.headers["etag"]},
    )
    assert error(answer) == (422, field) and answer.json()["error"].startswith(f"{field}: ")
    assert client.get("/api/v1/items/reeks", headers=headers[OWNER]).json()["occurrences"] == []


def test_lists_are_paginated(api: API) -> None:
    client, _, headers = api
    page = client.get("/api/v1/items?limit=2&offset=1", headers=headers[OWNER]).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (3, 2, 1, 2)
    assert error(client.get("/api/v1/items?limit=0", headers=headers[OWNER])) == (422, "limit")
    assert error(client.get("/api/v1/items?theme=x", headers=headers[OWNER])) == (404, "theme")


# ---------------------------------------------------------------- one's own settings, people, outbox


def test_a_person_changes_their_own_digest_and_reminders_but_not_their_roles(api: API) -> None:
    client, _, headers = api
    auth = headers[STAFF]
    changed = client.patch("/api/v1/me", json={"digest": "daily", "digest_time": "08:15",
                           "reminders_off": ["networking"]}, headers=auth)  # fmt: skip
    assert changed.status_code == 200
    me = client.get("/api/v1/me", headers=auth).json()
    assert (me["digest"], me["digest_time"], me["reminders_off"]) == (
        "daily",
        "08:15",
        ["networking"],
    )
    assert error(client.patch("/api/v1/me", json={"digest_time": "02:30"}, headers=auth)) == (
        422, "digest_time"
    )  # fmt: skip
    assert error(client.patch("/api/v1/me", json={"roles": ["admin"]}, headers=auth))[1] == "roles"
    assert client.get("/api/v1/me", headers=auth).json()["roles"] == ["staff"]
    follows = client.patch("/api/v1/me", json={"themes": ["wonen"]}, headers=auth)
    assert follows.status_code == 200 and follows.json()["themes"] == ["wonen"]
    assert error(client.patch("/api/v1/me", json={"themes": ["x"]}, headers=auth)) == (
        404,
        "themes",
    )
    assert client.get("/api/v1/me", headers=auth).json()["themes"] == ["wonen"]


def test_people_and_the_outbox_are_for_admins(api: API) -> None:
    client, _, headers = api
    colleague = client.get("/api/v1/people", headers=headers[STAFF]).json()[0]
    assert set(colleague) == {"email", "name", "roles", "active"}
    assert "digest" in client.get("/api/v1/people", headers=headers[ADMIN]).json()[0]
    new = {"email": "new@example.nl", "name": "Nieuw", "roles": ["staff"]}
    assert (
        error(client.put("/api/v1/people/new@example.nl", json=new, headers=headers[MANAGER]))[0]
        == 403
    )
    assert (
        client.put("/api/v1/people/new@example.nl", json=new, headers=headers[ADMIN]).status_code
        == 200
    )
    assert error(client.get("/api/v1/outbox", headers=headers[MANAGER]))[0] == 403
    assert client.get("/api/v1/outbox", headers=headers[ADMIN]).json() == []


def test_a_person_makes_lists_and_revokes_their_own_tokens(api: API) -> None:
    client, _, headers = api
    auth = headers[STAFF]
    made = client.post("/api/v1/me/tokens", json={"scope": "me", "label": "Outlook"}, headers=auth)
    assert made.status_code == 201
    body = made.json()
    assert body["links"]["https"].endswith(f"/feeds/{body['secret']}/me.ics")
    assert client.get(f"/feeds/{body['secret']}/me.ics").status_code == 200
    listed = client.get("/api/v1/me/tokens", headers=auth).json()
    assert "Outlook" in [t["label"] for t in listed] and all("secret" not in t for t in listed)
    login = client.post("/api/v1/me/tokens", json={"scope": "login"}, headers=auth)
    assert error(login) == (422, "scope")
    bad = client.post("/api/v1/me/tokens", json={"scope": "theme:nope"}, headers=auth)
    assert error(bad)[1] == "scope"
    others = client.get("/api/v1/me/tokens", headers=headers[OWNER]).json()
    assert error(client.delete(f"/api/v1/me/tokens/{others[0]['id']}", headers=auth))[0] == 404
    assert client.delete(f"/api/v1/me/tokens/{body['id']}", headers=auth).status_code == 204
    assert client.get(f"/feeds/{body['secret']}/me.ics").status_code == 410


def test_a_new_stakeholder_without_a_kind_is_overig_and_an_update_keeps_its_kind(api: API) -> None:
    client, _, headers = api
    made = client.put("/api/v1/stakeholders/mra", json={"slug": "mra", "name": "MRA"},
                      headers=headers[ADMIN])  # fmt: skip
    assert made.status_code == 200 and made.json()["kind"] == "overig"
    body = {"slug": "mra", "name": "MRA", "kind": "provincie"}
    assert (
        client.put("/api/v1/stakeholders/mra", json=body, headers=headers[ADMIN]).status_code == 200
    )
    renamed = client.put("/api/v1/stakeholders/mra", json={"slug": "mra", "name": "Metropoolregio"},
                         headers=headers[ADMIN])  # fmt: skip
    assert renamed.json()["kind"] == "provincie" and renamed.json()["name"] == "Metropoolregio"


def test_admins_manage_the_catalog(api: API) -> None:
    client, _, headers = api
    theme = {"slug": "cultuur", "name": "Cultuur"}
    assert error(client.put("/api/v1/themes/cultuur", json=theme, headers=headers[OWNER]))[0] == 403
    assert client.put("/api/v1/themes/cultuur", json=theme, headers=headers[ADMIN]).json() == (
        theme | {"description": "", "priority": None, "roles": {}, "strategic_choice": "",
                 "portfolio_holder": ""}
    )  # fmt: skip
    mra = {"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"}
    assert (
        client.put("/api/v1/stakeholders/mra", json=mra, headers=headers[ADMIN]).status_code == 200
    )
    deal = {"slug": "deal", "name": "Regio Deal", "level": "regionaal", "kind": "strategisch",
            "members": ["mra"], "themes": ["cultuur"], "next_evaluation_on": "2027-03-01"}  # fmt: skip
    made = client.put("/api/v1/partnerships/deal", json=deal, headers=headers[ADMIN])
    assert made.status_code == 200 and made.json()["members"] == ["mra"]
    unknown = deal | {"members": ["nope"]}
    assert error(client.put("/api/v1/partnerships/deal", json=unknown, headers=headers[ADMIN])) == (
        404, "members"
    )  # fmt: skip
    assert error(client.put("/api/v1/themes/other", json=theme, headers=headers[ADMIN])) == (
        422, "slug"
    )  # fmt: skip
    names = [t["slug"] for t in client.get("/api/v1/themes", headers=headers[STAFF]).json()]
    assert names == ["cultuur", "wonen"]


# ---------------------------------------------------------------- preparation chains


def test_a_chain_is_attached_read_ticked_off_and_detached_through_the_api(api: API) -> None:
    client, _, headers = api
    templates = client.get("/api/v1/chain-templates", headers=headers[STAFF]).json()
    assert templates["lobbyvenster"]["steps"][0] == {
        "when": "P21D", "task": "Positiepaper gereed", "owner": "owner", "ticked_by": "document"
    }  # fmt: skip
    made = client.post(
        "/api/v1/items/intern/chains", json={"template": "lobbyvenster"}, headers=headers[OWNER]
    )
    assert made.status_code == 201, made.text
    chain = made.json()
    assert (chain["item"], chain["owner"], chain["total"]) == ("intern", OWNER, 4)
    assert chain["tasks"][1]["due_on"] == "2026-11-28"  # T−10d
    step = chain["tasks"][0]["id"]
    ticked = client.patch(
        f"/api/v1/chain-steps/{step}", json={"done": True}, headers=headers[OWNER]
    )
    assert ticked.status_code == 200 and ticked.json()["done"] == 1
    [listed] = client.get("/api/v1/items/intern/chains", headers=headers[MANAGER]).json()
    assert listed["tasks"][0]["done"] and listed["tasks"][0]["done_by"] == OWNER
    assert error(client.delete(f"/api/v1/chains/{chain['id']}", headers=headers[OTHER]))[0] == 403
    assert client.delete(f"/api/v1/chains/{chain['id']}", headers=headers[OWNER]).status_code == 204
    assert client.get("/api/v1/items/intern/chains", headers=headers[OWNER]).json() == []


def test_chain_requests_that_may_not_or_cannot_be_done_are_refused_with_the_field(
    api: API,
) -> None:
    client, _, headers = api
    url = "/api/v1/items/intern/chains"
    assert error(client.post(url, json={"template": "lobbyvenster"}, headers=headers[OTHER])) == (
        403, "uid"
    )  # fmt: skip
    assert error(client.post(url, json={"template": "nope"}, headers=headers[OWNER])) == (
        422, "template"
    )  # fmt: skip
    assert error(client.post(url, json={"template": "lobbyvenster", "x": 1}, headers=headers[OWNER]))[0] == 422  # fmt: skip
    chain = client.post(url, json={"template": "lobbyvenster"}, headers=headers[OWNER]).json()
    step = chain["tasks"][0]["id"]
    change = f"/api/v1/chain-steps/{step}"
    assert error(client.patch(change, json={"done": True}, headers=headers[STAFF]))[0] == 403
    assert error(client.patch(change, json={"owner": "x@y.nl"}, headers=headers[OWNER])) == (
        404, "owner"
    )  # fmt: skip
    assert error(client.patch("/api/v1/chain-steps/999", json={}, headers=headers[OWNER]))[0] == 404
    for huge in (2**31, 2**63):  # more than a database id holds: 422, never an overflow
        for answer in (
            client.patch(f"/api/v1/chain-steps/{huge}", json={}, headers=headers[OWNER]),
            client.delete(f"/api/v1/chains/{huge}", headers=headers[OWNER]),
            client.delete(f"/api/v1/me/tokens/{huge}", headers=headers[OWNER]),
        ):
            assert error(answer)[0] == 422 and error(answer)[1] in (
                "step_id",
                "chain_id",
                "token_id",
            )
    [listed] = client.get(url, headers=headers[OWNER]).json()
    assert listed["done"] == 0 and listed["tasks"][0]["owner"] == OWNER  # nothing changed


def test_a_confidential_items_chains_are_for_its_owner_and_participants_only(api: API) -> None:
    client, _, headers = api
    made = client.post(
        "/api/v1/items/geheim/chains", json={"template": "lobbyvenster"}, headers=headers[OWNER]
    )
    assert made.status_code == 201
    step = made.json()["tasks"][0]["id"]
    for outsider in (ADMIN, MANAGER, OTHER):
        answer = client.get("/api/v1/items/geheim/chains", headers=headers[outsider])
        assert error(answer) == (404, "uid")
        assert error(client.patch(f"/api/v1/chain-steps/{step}", json={"done": True},
                                  headers=headers[outsider]))[0] == 404  # fmt: skip
        assert "Positiepaper" not in answer.text
