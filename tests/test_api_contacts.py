"""Contact persons in the JSON API: who may read, keep and erase them, bad input named by
field, and confidentiality: every role × every confidentiality of the item they were met at."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler import agenda, contacts
from scheduler.interchange import import_data
from tests.test_api import ADMIN, API, MANAGER, OTHER, OWNER, ROLES, STAFF, api, error

__all__ = ["api"]  # a fixture, used by name below

JAN = {
    "slug": "jan-de-vries", "name": "Jan de Vries", "stakeholder": "provincie-nh",
    "function": "gedeputeerde", "email": "j.devries@noord-holland.nl",
}  # fmt: skip
# The items of tests.test_api, by confidentiality: all owned by OWNER, without participants.
BY_CONFIDENTIALITY = {"public": "open", "internal": "intern", "confidential": "geheim"}


@pytest.fixture
def contact_api(api: API) -> API:
    """The API of tests.test_api, with Jan de Vries met at each of its three items."""
    _, db, _ = api
    actor = agenda.Actor("test", "test")
    data = {
        "stakeholders": [{"slug": "provincie-nh", "name": "Provincie Noord-Holland"}],
        "dossiers": [{"slug": "geheim-dossier", "title": "Geheim dossier"}],
        "contacts": [JAN],
    }
    import_data(db, data, "t", actor)
    with db.write() as session:
        for uid in BY_CONFIDENTIALITY.values():
            item = agenda.find_item(session, uid)
            contacts.meet(session, item, ["jan-de-vries"], actor)
        agenda.update(
            session, agenda.find_item(session, "geheim"), {"dossiers": ["geheim-dossier"]}, actor
        )
    return api


def may_see(role_email: str, confidentiality: str) -> bool:
    return confidentiality != "confidential" or role_email == OWNER


@pytest.mark.parametrize("email", list(ROLES))
@pytest.mark.parametrize("confidentiality", list(BY_CONFIDENTIALITY))
def test_whom_an_item_was_with_is_told_only_to_who_may_see_the_item(
    contact_api: API, email: str, confidentiality: str
) -> None:
    client, _, headers = contact_api
    uid = BY_CONFIDENTIALITY[confidentiality]
    seen = may_see(email, confidentiality)
    item = client.get(f"/api/v1/items/{uid}", headers=headers[email])
    listed = client.get("/api/v1/items", headers=headers[email]).json()["items"]
    person = client.get("/api/v1/contacts/jan-de-vries", headers=headers[email])
    assert person.status_code == 200
    in_list = [i for i in listed if i["uid"] == uid]
    if seen:
        assert item.json()["contacts"] == ["jan-de-vries"]
        assert in_list[0]["contacts"] == ["jan-de-vries"]
    else:
        # Not found, or (an admin) a stub that says when, never with whom.
        assert item.status_code == 404 or "contacts" not in item.json()
        assert all("contacts" not in i for i in in_list)
        assert "jan-de-vries" not in item.text
    assert (uid in [i["uid"] for i in person.json()["items"]]) == seen
    # The confidential item's dossier shows that it was with him: only to who may see it.
    assert ("geheim-dossier" in person.json()["dossiers"]) == may_see(email, "confidential")
    nxt = person.json()["next"]
    assert nxt is not None  # all three are on 2026-12-08
    assert "Geheim" not in person.text or may_see(email, "confidential")


def test_those_who_plan_keep_contact_persons_and_staff_read_them(contact_api: API) -> None:
    client, _, headers = contact_api
    els = {"slug": "els-bakker", "name": "Els Bakker", "stakeholder": "provincie-nh"}
    refused = client.put("/api/v1/contacts/els-bakker", json=els, headers=headers[STAFF])
    assert error(refused)[0] == 403
    piet = {"slug": "piet-jong", "name": "Piet de Jong", "stakeholder": "provincie-nh"}
    by_manager = client.put("/api/v1/contacts/piet-jong", json=piet, headers=headers[MANAGER])
    assert by_manager.status_code == 201
    read_only = headers[f"read:{OWNER}"]
    assert error(client.put("/api/v1/contacts/els-bakker", json=els, headers=read_only))[0] == 403
    made = client.put("/api/v1/contacts/els-bakker", json=els, headers=headers[OTHER])
    assert (made.status_code, made.json()["active"], made.json()["items"]) == (201, True, [])
    again = client.put("/api/v1/contacts/els-bakker", json=els, headers=headers[OTHER])
    assert again.status_code == 200
    changed = client.patch(
        "/api/v1/contacts/els-bakker", json={"function": "secretaris"}, headers=headers[ADMIN]
    )
    assert changed.json()["function"] == "secretaris"
    listed = client.get("/api/v1/contacts?stakeholder=provincie-nh", headers=headers[STAFF])
    assert [c["slug"] for c in listed.json()] == ["els-bakker", "jan-de-vries", "piet-jong"]
    left = client.post("/api/v1/contacts/els-bakker/leave", json={"on": "2026-11-30"},
                       headers=headers[OWNER])  # fmt: skip
    assert (left.json()["left_on"], left.json()["active"]) == ("2026-11-30", False)
    again_left = client.post("/api/v1/contacts/els-bakker/leave", json={}, headers=headers[OWNER])
    assert error(again_left) == (409, "contact")
    active = client.get("/api/v1/contacts", headers=headers[STAFF]).json()
    everyone = client.get("/api/v1/contacts?all=true", headers=headers[STAFF]).json()
    assert ([c["slug"] for c in active], len(everyone)) == (["jan-de-vries", "piet-jong"], 3)


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("put", "/api/v1/contacts/els", {"slug": "els", "name": "Els"}, (422, "stakeholder")),
        ("put", "/api/v1/contacts/els", JAN | {"slug": "els", "phone": "bel"}, (422, "phone")),
        ("put", "/api/v1/contacts/els", JAN | {"slug": "els", "email": "els@"}, (422, "email")),
        ("put", "/api/v1/contacts/els", JAN, (422, "slug")),
        (
            "put",
            "/api/v1/contacts/els",
            JAN | {"slug": "els", "stakeholder": "x"},
            (404, "stakeholder"),
        ),
        (
            "put",
            "/api/v1/contacts/els",
            JAN | {"slug": "els", "owner": "x@example.nl"},
            (404, "owner"),
        ),
        ("put", "/api/v1/contacts/els", JAN | {"slug": "els", "extra": 1}, (422, "extra")),
        ("patch", "/api/v1/contacts/jan-de-vries", {"phone": "?"}, (422, "phone")),
        ("patch", "/api/v1/contacts/jan-de-vries", {"slug": "jan"}, (422, "slug")),
        ("patch", "/api/v1/contacts/jan-de-vries", {"left_on": "ooit"}, (422, "left_on")),
        ("patch", "/api/v1/contacts/jan-de-vries", {"themes": ["x"]}, (404, "themes")),
        ("patch", "/api/v1/contacts/niemand", {"name": "N"}, (404, "contact")),
        ("patch", "/api/v1/contacts/jan-de-vries", [1], (422, None)),
        ("post", "/api/v1/contacts/jan-de-vries/leave", {"on": "gisteren"}, (422, "on")),
        ("get", "/api/v1/contacts?stakeholder=onbekend", None, (404, "stakeholder")),
        ("get", "/api/v1/contacts/niemand", None, (404, "contact")),
        ("delete", "/api/v1/contacts/niemand", None, (404, "contact")),
        ("patch", "/api/v1/items/open", {"contacts": ["niemand"]}, (404, "contacts")),
        ("patch", "/api/v1/items/open", {"contacts": ["Niet Goed"]}, (422, "contacts.0")),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    contact_api: API, method: str, path: str, body: Any, expected: tuple[int, str | None]
) -> None:
    client, _, headers = contact_api
    extra = {"if-match": "*"} if "/items/" in path else {}
    answer = client.request(method, path, json=body, headers=headers[ADMIN] | extra)
    assert error(answer) == expected
    assert (
        client.get("/api/v1/contacts/jan-de-vries", headers=headers[ADMIN]).json()["name"]
        == "Jan de Vries"
    )


def test_an_item_records_the_contact_persons_met_through_the_api(contact_api: API) -> None:
    client, _, headers = contact_api
    answer = client.patch(
        "/api/v1/items/intern", json={"contacts": []}, headers=headers[OWNER] | {"if-match": "*"}
    )
    assert answer.json()["contacts"] == []
    person = client.get("/api/v1/contacts/jan-de-vries", headers=headers[OWNER]).json()
    assert [i["uid"] for i in person["items"]] == ["geheim", "open"]


def test_only_admins_erase_a_contact_person_and_the_items_forget_them(contact_api: API) -> None:
    client, _, headers = contact_api
    for email in (OWNER, MANAGER, STAFF):
        assert error(client.delete("/api/v1/contacts/jan-de-vries", headers=headers[email])) == (
            403, None
        )  # fmt: skip
    assert client.delete("/api/v1/contacts/jan-de-vries", headers=headers[ADMIN]).status_code == 204
    assert error(client.get("/api/v1/contacts/jan-de-vries", headers=headers[ADMIN]))[0] == 404
    for uid in BY_CONFIDENTIALITY.values():
        answer = client.get(f"/api/v1/items/{uid}", headers=headers[OWNER])
        assert answer.json()["contacts"] == [] and "jan-de-vries" not in answer.text


def test_what_was_met_where_is_recorded_by_api_callers(contact_api: Any) -> None:
    client, db, headers = contact_api
    client.patch("/api/v1/contacts/jan-de-vries", json={"notes": "n"}, headers=headers[OTHER])
    with db.read() as session:
        changes = contacts.history(session, contacts.find(session, "jan-de-vries").id)
    assert [(c.field, c.changed_by, c.channel) for c in changes][-1] == ("notes", OTHER, "api")
