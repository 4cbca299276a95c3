"""The README's role table, cell by cell, against real HTTP answers of the API and the pages.

The table is the promise; this test reads it from README.md and tries every cell as a person
with that one role, so that the words and the code cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient

from scheduler import agenda, tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.schemas import ItemIn
from scheduler.web import create_app
from tests.test_web_agenda import HTML, sign_in

README = Path(__file__).resolve().parent.parent / "README.md"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ROLES = ("staff", "lobbyist", "manager", "admin")
OTHER = "collega@example.nl"  # a lobbyist who owns the items that are not the tester's


def email(role: str) -> str:
    return f"{role}@example.nl"


def items_for(role: str) -> dict[str, dict[str, object]]:
    """Per tester: one item they own, one they take part in, and others' items."""
    me = email(role)
    return {
        f"eigen-{role}": {"owner": me, "confidentiality": "internal"},
        f"mee-{role}": {"owner": OTHER, "participants": [me], "confidentiality": "internal"},
    }


OTHERS = {
    "open": {"owner": OTHER, "confidentiality": "public"},
    "intern": {"owner": OTHER, "confidentiality": "internal"},
    "geheim": {"owner": OTHER, "confidentiality": "confidential", "goal": "Grondposities"},
    "geheim-met-staf": {
        "owner": OTHER,
        "participants": [email("staff")],
        "confidentiality": "confidential",
    },
}


def readme_table() -> dict[str, dict[str, str]]:
    """The rows of the table under "## Roles": what → {role: cell}."""
    section = README.read_text().split("\n## Roles\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert header == ["what", *ROLES], header
    table = {}
    for line in rows[2:]:
        what, *cells = (cell.strip() for cell in line.strip("|").split("|"))
        table[what] = dict(zip(ROLES, cells, strict=True))
    return table


@dataclass
class Site:
    client: TestClient
    db: Database
    auth: dict[str, dict[str, str]]

    def api(self, role: str, method: str, path: str, json: object = None, etag: str = "") -> int:
        headers = self.auth[role] | ({"if-match": etag} if etag else {})
        answer = self.client.request(method, path, headers=headers, json=json)
        assert answer.status_code < 500, answer.text
        return answer.status_code

    def change(self, role: str, uid: str) -> str:
        got = self.client.get(f"/api/v1/items/{uid}", headers=self.auth[role])
        etag = got.headers.get("etag", '"rev-1"')
        status = self.api(
            role, "PATCH", f"/api/v1/items/{uid}",
            json={"location": f"Stadhuis ({role})"}, etag=etag,
        )  # fmt: skip
        page = self.page(role, f"/items/{uid}/edit")
        return _agreed(status == 200, page == 200, f"{role} changing {uid}")

    def page(self, role: str, path: str) -> int:
        sign_in(self.client, self.db, email(role))
        answer = self.client.get(path, headers=HTML)
        assert answer.status_code < 500, answer.text
        return answer.status_code


def _agreed(by_api: bool, by_page: bool, what: str) -> str:
    assert by_api == by_page, f"the API and the pages disagree on {what}"
    return "yes" if by_api else "no"


@pytest.fixture
def site(db: Database) -> Iterator[Site]:
    actor = agenda.Actor("test", "test")
    people = [{"email": email(r), "name": r.title(), "roles": [r]} for r in ROLES]
    people.append({"email": OTHER, "name": "Collega", "roles": ["lobbyist"]})
    with time_machine.travel(NOW, tick=False):
        catalog = {"themes": [{"slug": "wonen", "name": "Wonen"}], "people": people,
                   "stakeholders": [{"slug": "provincie-nh", "name": "Provincie Noord-Holland"}],
                   "contacts": [{"slug": "jan-de-vries", "name": "Jan de Vries",
                                 "stakeholder": "provincie-nh"}]}  # fmt: skip
        import_data(db, catalog, "t", actor)
        with db.write() as session:
            specs = OTHERS | {uid: s for r in ROLES for uid, s in items_for(r).items()}
            for uid, fields in specs.items():
                spec = {"uid": uid, "kind": "meeting", "title": f"Overleg {uid}",
                        "start": "2026-12-08T10:00", "themes": ["wonen"]} | fields  # fmt: skip
                agenda.save_item(session, ItemIn.model_validate(spec), actor)
            auth = {}
            for role in ROLES:
                _, secret = tokens.create(session, email(role), scope="api-write", today=NOW.date())
                auth[role] = {"authorization": f"Bearer {secret}"}
    settings = Settings(database_url=db.url, public_url="https://lobby.example")
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(settings, run_jobs=False), base_url="https://lobby.example") as c,
    ):
        yield Site(c, db, auth)


def sees_others_items(site: Site, role: str) -> str:
    shown = [
        site.client.get(f"/api/v1/items/{uid}", headers=site.auth[role])
        for uid in ("open", "intern")
    ]
    by_api = all(a.status_code == 200 and a.json()["title"] for a in shown)
    by_page = all(site.page(role, f"/items/{uid}") == 200 for uid in ("open", "intern"))
    return _agreed(by_api, by_page, f"{role} seeing items")


def creates(site: Site, role: str) -> str:
    new = {"uid": f"nieuw-{role}", "title": "Werkbezoek", "kind": "meeting",
           "start": "2026-12-10T14:00", "owner": email(role)}  # fmt: skip
    by_api = site.api(role, "POST", "/api/v1/items", json=new) == 201
    return _agreed(by_api, site.page(role, "/items/new") == 200, f"{role} creating")


def changes_own(site: Site, role: str) -> str:
    answers = {site.change(role, uid) for uid in items_for(role)}
    assert len(answers) == 1, f"{role} may change one of their items but not the other"
    return answers.pop()


def changes_others(site: Site, role: str) -> str:
    answers = {site.change(role, uid) for uid in ("open", "intern")}
    assert len(answers) == 1, f"{role} may change a public item but not an internal one, or back"
    return answers.pop()


def sees_confidential(site: Site, role: str) -> str:
    answer = site.client.get("/api/v1/items/geheim", headers=site.auth[role])
    listed = site.client.get("/api/v1/items", headers=site.auth[role]).json()["items"]
    assert ("Grondposities" in answer.text) == (
        answer.status_code == 200 and answer.json()["title"] is not None
    )
    if answer.status_code == 404:
        assert "geheim" not in {i["uid"] for i in listed}
        return "no"
    assert answer.status_code == 200, answer.text
    return "yes" if answer.json()["title"] else "only that it exists"


def changes_confidential(site: Site, role: str) -> str:
    return site.change(role, "geheim")


def keeps_dossiers(site: Site, role: str) -> str:
    new = {"slug": f"dossier-{role}", "title": "Afslag A9"}
    by_api = site.api(role, "PUT", f"/api/v1/dossiers/dossier-{role}", json=new) == 201
    note = site.api(role, "POST", f"/api/v1/dossiers/dossier-{role}/notes", json={"text": "x"})
    assert by_api == (note == 201), f"{role} may create a dossier but not log a note, or back"
    return _agreed(by_api, site.page(role, "/dossiers/new") == 200, f"{role} keeping dossiers")


def keeps_contact_persons(site: Site, role: str) -> str:
    person = {"slug": f"els-{role}", "name": "Els Bakker", "stakeholder": "provincie-nh"}
    return (
        "yes" if site.api(role, "PUT", f"/api/v1/contacts/els-{role}", json=person) == 201 else "no"
    )


def erases_contact_persons(site: Site, role: str) -> str:
    return "yes" if site.api(role, "DELETE", "/api/v1/contacts/jan-de-vries") == 204 else "no"


def adds_to(site: Site, role: str, uids: tuple[str, ...]) -> str:
    """A note and a document on each of the items: all allowed, or none."""
    answers = set()
    for uid in uids:
        note = site.api(role, "POST", f"/api/v1/items/{uid}/notes", json={"text": "*Goed* gesprek"})
        upload = site.client.post(
            f"/api/v1/items/{uid}/documents", headers=site.auth[role],
            files={"file": ("verslag.txt", b"Verslag van het overleg\n", "text/plain")},
        )  # fmt: skip
        assert upload.status_code < 500, upload.text
        answers |= {note == 201, upload.status_code == 201}
    assert len(answers) == 1, f"{role} may add some notes or documents of {uids} but not all"
    return "yes" if answers.pop() else "no"


def adds_to_own(site: Site, role: str) -> str:
    return adds_to(site, role, (f"mee-{role}",))


def adds_to_others(site: Site, role: str) -> str:
    return adds_to(site, role, ("open", "intern"))


def keeps_the_house(site: Site, role: str) -> str:
    theme = {"slug": "zorg", "name": "Zorg"}
    answers = {
        site.api(role, "GET", "/api/v1/outbox") == 200,
        site.api(role, "PUT", "/api/v1/themes/zorg", json=theme) == 200,
        site.api(role, "PUT", f"/api/v1/people/{OTHER}", json={"email": OTHER, "name": "Collega", "roles": ["lobbyist"]}) == 200,
    }  # fmt: skip
    assert len(answers) == 1, f"{role} may do some of the admin's work but not all"
    return "yes" if answers.pop() else "no"


def keeps_the_catalog_in_the_browser(site: Site, role: str) -> str:
    forms = {site.page(role, path) == 200 for path in (
        "/themes/new", "/themes/wonen/edit", "/stakeholders/new",
        "/stakeholders/provincie-nh/edit", "/partnerships/new",
    )}  # fmt: skip
    assert len(forms) == 1, f"{role} may open some of the catalog's forms but not all"
    site.client.get("/themes", headers=HTML)  # the CSRF cookie, as a browser gets it
    sent = {"slug": f"eu-{role}", "name": "Europees Parlement", "kind": "eu",
            "csrf": site.client.cookies["lobby_csrf"]}  # fmt: skip
    made = site.client.post("/stakeholders/new", data=sent, headers=HTML, follow_redirects=False)
    assert made.status_code < 500, made.text
    buttons = 'href="/themes/new"' in site.client.get("/themes", headers=HTML).text
    assert forms == {made.status_code == 303} == {buttons}, f"{role}: forms, saving, buttons"
    return "yes" if forms.pop() else "no"


def keeps_own_settings(site: Site, role: str) -> str:
    changed = site.api(role, "PATCH", "/api/v1/me", json={"digest": "daily"}) == 200
    token = site.api(role, "POST", "/api/v1/me/tokens", json={"scope": "me"}) == 201
    assert changed == token
    return _agreed(changed, site.page(role, "/me") == 200, f"{role}'s own settings")


CHECKS: dict[str, Callable[[Site, str], str]] = {
    "see public and internal items": sees_others_items,
    "create items": creates,
    "change items they own or take part in": changes_own,
    "change others' public and internal items": changes_others,
    "see a confidential item they are not part of": sees_confidential,
    "change a confidential item they are not part of": changes_confidential,
    "create and change dossiers, and log progress notes on them": keeps_dossiers,
    "add and change contact persons": keeps_contact_persons,
    "erase a contact person (AVG)": erases_contact_persons,
    "add notes and documents to items they take part in": adds_to_own,
    "add notes and documents to others' public and internal items": adds_to_others,
    "see the outbox, manage people, themes, stakeholders and partnerships": keeps_the_house,
    "keep themes, stakeholders and partnerships in the browser": keeps_the_catalog_in_the_browser,
    "their own settings, reminders, digest, feed links and API tokens": keeps_own_settings,
}


def test_every_row_of_the_readme_table_has_a_check() -> None:
    assert set(readme_table()) == set(CHECKS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_does_what_the_readme_table_says(site: Site, role: str) -> None:
    found = {what: check(site, role) for what, check in CHECKS.items()}
    promised = {what: cells[role] for what, cells in readme_table().items()}
    assert found == promised


def test_a_staff_participant_reads_along_but_does_not_change_the_item(site: Site) -> None:
    for uid in ("mee-staff", "geheim-met-staf"):
        assert site.change("staff", uid) == "no"
        assert site.api("staff", "GET", f"/api/v1/items/{uid}") == 200
