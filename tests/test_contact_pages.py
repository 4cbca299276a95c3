"""The contact persons' pages: the list per stakeholder, a person's page (every contact, last
and next, the dossiers they matter for), the item page naming whom we met, and every role ×
every confidentiality of the item they were met at."""

from __future__ import annotations

import pytest

from tests.test_api import ADMIN, API, MANAGER, OTHER, OWNER, ROLES, STAFF, api
from tests.test_api_contacts import BY_CONFIDENTIALITY, contact_api, may_see
from tests.test_web_agenda import sign_in

__all__ = ["api", "contact_api"]  # fixtures, used by name below

HTML = {"accept": "text/html"}


@pytest.mark.parametrize("email", list(ROLES))
@pytest.mark.parametrize("confidentiality", list(BY_CONFIDENTIALITY))
def test_the_pages_tell_whom_an_item_was_with_only_to_who_may_see_the_item(
    contact_api: API, email: str, confidentiality: str
) -> None:
    client, db, _ = contact_api
    sign_in(client, db, email)
    uid = BY_CONFIDENTIALITY[confidentiality]
    seen = may_see(email, confidentiality)
    item = client.get(f"/items/{uid}", headers=HTML)
    person = client.get("/contacts/jan-de-vries", headers=HTML)
    assert person.status_code == 200
    if seen:
        assert item.status_code == 200
        assert 'href="/contacts/jan-de-vries">Jan de Vries</a> (gedeputeerde)' in item.text
    else:
        assert item.status_code == 404 and "Jan de Vries" not in item.text
    assert (f'href="/items/{uid}"' in person.text) == seen
    # What only the confidential item would tell: its title, its dossier, that a contact is next.
    insider = may_see(email, "confidential")
    assert ("Geheim overleg" in person.text) == insider
    assert ("Geheim dossier" in person.text) == insider


def test_a_persons_page_shows_details_last_and_next_contact_and_their_dossiers(
    contact_api: API,
) -> None:
    client, db, headers = contact_api
    client.patch(
        "/api/v1/items/intern", json={"start": "2026-11-24T10:00"},
        headers=headers[OWNER] | {"if-match": "*"},
    )  # fmt: skip
    client.patch(
        "/api/v1/contacts/jan-de-vries", json={"phone": "+31 23 514 3143", "owner": OWNER},
        headers=headers[OWNER],
    )  # fmt: skip
    sign_in(client, db, STAFF)
    html = client.get("/contacts/jan-de-vries", headers=HTML).text
    assert "<h1>Jan de Vries</h1>" in html
    for shown in ("gedeputeerde", "Provincie Noord-Holland", "j.devries@noord-holland.nl",
                  "+31 23 514 3143", "Owner"):  # fmt: skip
        assert shown in html
    last = html.split("Laatste contact</dt><dd>")[1].split("</dd>")[0]
    nxt = html.split("Volgend contact</dt><dd>")[1].split("</dd>")[0]
    assert ("Intern overleg" in last, "Openbaar overleg" in nxt) == (True, True)
    english = client.get("/contacts/jan-de-vries?lang=en", headers=HTML).text
    assert "Last contact" in english and "Matters for" in english


def test_the_list_of_contact_persons_per_stakeholder_and_those_who_left(
    contact_api: API,
) -> None:
    client, db, headers = contact_api
    els = {"slug": "els-bakker", "name": "Els Bakker", "stakeholder": "provincie-nh"}
    client.put("/api/v1/contacts/els-bakker", json=els, headers=headers[OTHER])
    client.post("/api/v1/contacts/els-bakker/leave", json={"on": "2026-11-30"},
                headers=headers[OTHER])  # fmt: skip
    sign_in(client, db, MANAGER)
    listed = client.get("/contacts?stakeholder=provincie-nh", headers=HTML)
    assert "Contactpersonen bij Provincie Noord-Holland" in listed.text
    assert "Jan de Vries" in listed.text and "Els Bakker" not in listed.text
    everyone = client.get("/contacts?stakeholder=provincie-nh&all=1", headers=HTML).text
    assert "Els Bakker" in everyone and "vertrokken op maandag 30 november 2026" in everyone
    unknown = client.get("/contacts?stakeholder=onbekend", headers=HTML)
    assert unknown.status_code == 404 and "onbekend" in unknown.text
    assert client.get("/contacts/niemand", headers=HTML).status_code == 404


def test_the_contact_pages_ask_to_sign_in(contact_api: API) -> None:
    client, _, _ = contact_api
    for path in ("/contacts", "/contacts/jan-de-vries"):
        answer = client.get(path, headers=HTML)
        assert answer.status_code == 401 and "Jan de Vries" not in answer.text


def test_an_admin_sees_an_erased_person_nowhere(contact_api: API) -> None:
    client, db, headers = contact_api
    client.delete("/api/v1/contacts/jan-de-vries", headers=headers[ADMIN])
    sign_in(client, db, OWNER)
    assert client.get("/contacts/jan-de-vries", headers=HTML).status_code == 404
    for uid in BY_CONFIDENTIALITY.values():
        assert "Jan de Vries" not in client.get(f"/items/{uid}", headers=HTML).text
    assert "Jan de Vries" not in client.get("/contacts", headers=HTML).text
