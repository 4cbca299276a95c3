"""Keeping dossiers through the API and the pages: create, change, notes with a status, who may,
and bad input that names its field and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient

from scheduler import dossiers, tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.interchange import import_data
from tests.test_dossiers import ACTOR, CATALOG, DOSSIER, LEAD, NOW, add_item
from tests.test_web_agenda import HTML, sign_in

STAFF = "p.smit@example.nl"
PEOPLE = CATALOG["people"] + [{"email": STAFF, "name": "Pien Smit", "roles": ["staff"]}]


@pytest.fixture
def site(db: Database) -> Iterator[tuple[TestClient, Database, dict[str, dict[str, str]]]]:
    from scheduler.web import create_app

    with time_machine.travel(NOW, tick=False):
        import_data(db, CATALOG | {"people": PEOPLE, "dossiers": [DOSSIER]}, "t", ACTOR)
        auth = {}
        with db.write() as session:
            for email in (LEAD, STAFF):
                _, secret = tokens.create(session, email, scope="api-write", today=NOW.date())
                auth[email] = {"authorization": f"Bearer {secret}"}
    settings = Settings(database_url=db.url, public_url="https://lobby.example")
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(settings, run_jobs=False), base_url="https://lobby.example") as c,
    ):
        yield c, db, auth


Site = tuple[TestClient, Database, dict[str, dict[str, str]]]
NEW = {"slug": "a9-afslag", "title": "Afslag A9 Heiloo", "goal": "Een afslag", "themes": ["mobiliteit"],
       "targets": [{"stakeholder": "ministerie-ienw", "contact_every": "P13W"}], "lead": LEAD}  # fmt: skip


def stored(db: Database, slug: str = "eu-spoortunnels") -> dict[str, Any]:
    with db.read() as session:
        return dossiers.describe(dossiers.find_dossier(session, slug))


def error(answer: Any) -> tuple[int, str | None]:
    body = answer.json()
    return answer.status_code, body.get("field")


# ---------------------------------------------------------------- the API


def test_a_lobbyist_creates_and_changes_a_dossier_and_a_status_change_is_logged(
    site: Site,
) -> None:
    client, db, auth = site
    made = client.put("/api/v1/dossiers/a9-afslag", json=NEW, headers=auth[LEAD])
    assert made.status_code == 201, made.text
    assert made.json()["targets"] == [{"stakeholder": "ministerie-ienw", "contact_every": "P13W"}]
    changed = client.put(
        "/api/v1/dossiers/a9-afslag", json={"slug": "a9-afslag", "title": "Afslag A9",
                                            "status": "actief"}, headers=auth[LEAD],
    )  # fmt: skip
    assert changed.status_code == 200
    after = stored(db, "a9-afslag")
    assert after["title"] == "Afslag A9" and after["goal"] == "Een afslag"  # the rest is kept
    assert [(n["status_from"], n["status_to"]) for n in after["notes"]] == [
        ("verkenning", "actief")
    ]
    assert client.get("/api/v1/dossiers", headers=auth[STAFF]).status_code == 200


def test_notes_are_added_with_their_author_and_an_optional_status(site: Site) -> None:
    client, db, auth = site
    added = client.post(
        "/api/v1/dossiers/eu-spoortunnels/notes", json={"text": "Brussel positief",
        "status": "besluit-genomen"}, headers=auth[LEAD],
    )  # fmt: skip
    assert added.status_code == 201
    assert added.json() | {"at": None} == {
        "text": "Brussel positief", "at": None, "by": LEAD,
        "status_from": "actief", "status_to": "besluit-genomen",
    }  # fmt: skip
    assert stored(db)["status"] == "besluit-genomen"


BAD_PUTS = [
    ({**DOSSIER, "slug": "anders"}, "slug"),
    ({**DOSSIER, "notes": [{"text": "x"}]}, "notes"),
    ({**DOSSIER, "themes": ["bestaat-niet"]}, "themes"),  # 404, as for items: no such theme
    ({**DOSSIER, "targets": [{"stakeholder": "zaanstad", "contact_every": "elke week"}]},
     "targets.0.contact_every"),
    ({**DOSSIER, "status": "klaar"}, "status"),
    ({**DOSSIER, "lead": "niemand@example.nl"}, "lead"),
    ({**DOSSIER, "horizon": "30-06-2027"}, "horizon"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "field"), BAD_PUTS, ids=[f for _, f in BAD_PUTS])
def test_a_bad_change_names_its_field_and_changes_nothing(
    site: Site, body: dict[str, Any], field: str
) -> None:
    client, db, auth = site
    before = stored(db)
    answer = client.put("/api/v1/dossiers/eu-spoortunnels", json=body, headers=auth[LEAD])
    assert error(answer) == (404 if field in ("themes", "lead") else 422, field)
    assert answer.json()["error"]
    assert stored(db) == before


def test_staff_read_dossiers_but_do_not_keep_them(site: Site) -> None:
    client, db, auth = site
    before = stored(db)
    assert client.put("/api/v1/dossiers/eu-spoortunnels", json=DOSSIER, headers=auth[STAFF]).status_code == 403  # fmt: skip
    note = client.post("/api/v1/dossiers/eu-spoortunnels/notes", json={"text": "x"}, headers=auth[STAFF])  # fmt: skip
    assert note.status_code == 403
    assert stored(db) == before
    assert error(client.get("/api/v1/dossiers/nope", headers=auth[STAFF])) == (404, "dossier")
    empty = client.post("/api/v1/dossiers/eu-spoortunnels/notes", json={"text": ""}, headers=auth[LEAD])  # fmt: skip
    assert error(empty) == (422, "text")


def test_a_confidential_item_of_others_is_counted_not_named(site: Site) -> None:
    client, db, auth = site
    add_item(db, "geheim", "2026-12-10T10:00", ["ministerie-ienw"], confidentiality="confidential",
             title="Geheim overleg IenW")  # fmt: skip
    add_item(db, "open", "2026-12-11T10:00", ["europese-commissie"])
    lead = client.get("/api/v1/dossiers/eu-spoortunnels", headers=auth[LEAD]).json()
    staff = client.get("/api/v1/dossiers/eu-spoortunnels", headers=auth[STAFF])
    assert lead["items"] == ["geheim", "open"] and lead["hidden_items"] == 0
    assert staff.json()["items"] == ["open"] and staff.json()["hidden_items"] == 1
    assert "geheim" not in staff.text and "Geheim" not in staff.text
    ienw = {c["stakeholder"]: c for c in staff.json()["contacts"]}["ministerie-ienw"]
    assert ienw["next"] is None and ienw["next_item"] is None  # nor when we meet IenW


# ---------------------------------------------------------------- the pages


def form_post(client: TestClient, path: str, form: dict[str, Any], page: str) -> Any:
    client.get(page, headers=HTML)  # sets the CSRF cookie, as a browser would
    data = form | {"csrf": client.cookies["lobby_csrf"]}
    return client.post(path, data=data, headers=HTML, follow_redirects=False)


NEW_FORM = {
    "title": "Afslag A9 Heiloo", "slug": "a9-afslag", "goal": "Een afslag", "ask": "",
    "themes": ["mobiliteit"], "target_stakeholder": ["ministerie-ienw", ""],
    "target_every": ["P13W", ""], "coalition": [], "lead": LEAD, "role": "", "status": "verkenning",
    "priority": "hoog", "horizon": "2027-03-31",
}  # fmt: skip


def test_a_lobbyist_creates_a_dossier_in_the_form(site: Site) -> None:
    client, db, _ = site
    sign_in(client, db, LEAD)
    page = client.get("/dossiers", headers=HTML)
    assert 'href="/dossiers/new"' in page.text
    made = form_post(client, "/dossiers/new", NEW_FORM, "/dossiers/new")
    assert made.status_code == 303 and made.headers["location"] == "/dossiers/a9-afslag"
    saved = stored(db, "a9-afslag")
    assert saved["targets"] == [{"stakeholder": "ministerie-ienw", "contact_every": "P13W"}]
    assert (saved["priority"], saved["horizon"], saved["role"]) == ("hoog", "2027-03-31", None)
    shown = client.get("/dossiers/a9-afslag", headers=HTML).text
    assert "elke 3 maanden" in shown and "Afslag A9 Heiloo" in shown


def test_the_edit_form_shows_frequencies_in_words_and_saves_a_cleared_field(site: Site) -> None:
    client, db, _ = site
    sign_in(client, db, LEAD)
    form = client.get("/dossiers/eu-spoortunnels/edit", headers=HTML)
    assert form.status_code == 200
    assert '<option value="P6W" selected>elke 6 weken</option>' in form.text
    assert "P6W</option>" not in form.text  # never the code itself
    version = form.text.split('name="version" value="')[1].split('"')[0]
    sent = NEW_FORM | {"title": "EU-subsidie spoortunnels", "goal": "", "version": version,
                       "target_stakeholder": ["europese-commissie", "", ""],
                       "target_every": ["P8W", "", ""], "status": "actief"}  # fmt: skip
    del sent["slug"]
    saved = form_post(client, "/dossiers/eu-spoortunnels/edit", sent, "/dossiers")
    assert saved.status_code == 303
    after = stored(db)
    assert after["goal"] == "" and after["targets"] == [
        {"stakeholder": "europese-commissie", "contact_every": "P8W"}
    ]


def test_a_stale_form_is_refused_and_changes_nothing(site: Site) -> None:
    client, db, auth = site
    sign_in(client, db, LEAD)
    form = client.get("/dossiers/eu-spoortunnels/edit", headers=HTML)
    version = form.text.split('name="version" value="')[1].split('"')[0]
    with time_machine.travel(NOW.replace(hour=10), tick=False):
        client.post("/api/v1/dossiers/eu-spoortunnels/notes", json={"text": "tussendoor"},
                    headers=auth[LEAD])  # fmt: skip
    before = stored(db)
    sent = NEW_FORM | {"title": "Overschreven", "version": version}
    answer = form_post(client, "/dossiers/eu-spoortunnels/edit", sent, "/dossiers")
    assert answer.status_code == 412 and 'role="alert"' in answer.text
    assert stored(db) == before


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [({"slug": "A9 afslag!"}, "slug", 422), ({"slug": "eu-spoortunnels"}, "slug", 409),
     ({"title": ""}, "title", 422), ({"horizon": "morgen"}, "horizon", 422)],
    ids=["bad-slug", "taken-slug", "no-title", "bad-horizon"],
)  # fmt: skip
def test_a_bad_new_dossier_is_shown_again_with_the_error_at_its_field(
    site: Site, change: dict[str, str], field: str, status: int
) -> None:
    client, db, _ = site
    sign_in(client, db, LEAD)
    answer = form_post(client, "/dossiers/new", NEW_FORM | change, "/dossiers/new")
    assert answer.status_code == status
    assert f'id="{field}-error"' in answer.text and 'aria-invalid="true"' in answer.text
    assert "Een afslag" in answer.text  # what was typed is kept
    with db.read() as session:
        assert [d.slug for d in dossiers.all_dossiers(session)] == ["eu-spoortunnels"]


def test_a_note_with_a_new_status_from_the_dossier_page(site: Site) -> None:
    client, db, _ = site
    sign_in(client, db, LEAD)
    page = client.get("/dossiers/eu-spoortunnels", headers=HTML).text
    assert 'action="/dossiers/eu-spoortunnels/notes"' in page and "blijft actief" in page
    added = form_post(client, "/dossiers/eu-spoortunnels/notes",
                      {"text": "Commissie positief", "status": "besluit-genomen"},
                      "/dossiers/eu-spoortunnels")  # fmt: skip
    assert added.status_code == 303
    assert stored(db)["status"] == "besluit-genomen"
    assert "Commissie positief" in client.get("/dossiers/eu-spoortunnels", headers=HTML).text
    empty = form_post(client, "/dossiers/eu-spoortunnels/notes", {"text": " "},
                      "/dossiers/eu-spoortunnels")  # fmt: skip
    assert empty.status_code == 422 and 'id="text-error"' in empty.text


def test_staff_get_no_forms_and_no_buttons(site: Site) -> None:
    client, db, _ = site
    sign_in(client, db, STAFF)
    assert "/dossiers/new" not in client.get("/dossiers", headers=HTML).text
    page = client.get("/dossiers/eu-spoortunnels", headers=HTML).text
    assert "/edit" not in page and "/notes" not in page
    assert client.get("/dossiers/new", headers=HTML).status_code == 403
    assert client.get("/dossiers/eu-spoortunnels/edit", headers=HTML).status_code == 403
    before = stored(db)
    answer = form_post(client, "/dossiers/new", NEW_FORM, "/dossiers")
    assert answer.status_code == 403
    assert form_post(client, "/dossiers/eu-spoortunnels/notes", {"text": "x"}, "/dossiers").status_code == 403  # fmt: skip
    assert stored(db) == before


def test_the_item_page_names_its_dossiers_and_the_item_form_links_them(site: Site) -> None:
    client, db, _ = site
    add_item(db, "bxl", "2026-12-10T10:00", ["europese-commissie"])
    sign_in(client, db, LEAD)
    page = client.get("/items/bxl", headers=HTML).text
    assert '<a href="/dossiers/eu-spoortunnels">EU-subsidie spoortunnels</a>' in page
    form = client.get("/items/bxl/edit", headers=HTML).text
    assert '<option value="eu-spoortunnels" selected>EU-subsidie spoortunnels</option>' in form
    client.put("/api/v1/dossiers/a9-afslag", json=NEW, headers=site[2][LEAD])
    assert (
        '<option value="a9-afslag">Afslag A9 Heiloo</option>'
        in client.get("/items/bxl/edit", headers=HTML).text
    )
