"""The catalog in the browser (issue 16) and each theme's focus (issue 17): admins keep themes,
stakeholders and partnerships in forms, everyone else reads them without buttons; bad input is
named by its field and changes nothing; a stale form is refused; the EU kind and a theme's
focus survive every way in and out (form, YAML, API)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
import yaml
from fastapi.testclient import TestClient

from scheduler import catalog, tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.interchange import export_yaml, import_data
from scheduler.models import Partnership, Stakeholder, Theme
from tests.test_dossiers import ACTOR, NOW
from tests.test_web_agenda import HTML, sign_in

ADMIN, LOBBYIST, MANAGER, STAFF = (f"{r}@example.nl" for r in ("a", "l", "m", "s"))
FOCUS = {"slug": "mobiliteit", "name": "Mobiliteit", "priority": "hoog",
         "roles": {"regionaal": "aanjager", "bovenregionaal": "belangenbehartiger"},
         "strategic_choice": "Wij trekken de spoorcorridor", "portfolio_holder": "wethouder Visser"}  # fmt: skip
DATA: dict[str, Any] = {
    "themes": [FOCUS, {"slug": "wonen", "name": "Wonen"}],
    "stakeholders": [
        {"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"},
        {"slug": "europees-parlement", "name": "Europees Parlement", "kind": "eu"},
    ],
    "people": [
        {"email": ADMIN, "name": "Ada Admin", "roles": ["admin"]},
        {"email": LOBBYIST, "name": "Lars Lobbyist", "roles": ["lobbyist"]},
        {"email": MANAGER, "name": "Mia Manager", "roles": ["manager"]},
        {"email": STAFF, "name": "Sam Staf", "roles": ["staff"]},
    ],
    "partnerships": [
        {"slug": "mra-bestuur", "name": "MRA bestuurlijk overleg", "level": "bovenregionaal",
         "kind": "strategisch", "role": "gesprekspartner", "themes": ["mobiliteit"],
         "members": ["mra"], "next_evaluation_on": "2027-03-01"},
    ],
}  # fmt: skip

Site = tuple[TestClient, Database, dict[str, str]]


@pytest.fixture
def site(db: Database) -> Iterator[Site]:
    from scheduler.web import create_app

    with time_machine.travel(NOW, tick=False):
        import_data(db, DATA, "catalog", ACTOR)
        with db.write() as session:
            _, secret = tokens.create(session, ADMIN, scope="api-write", today=NOW.date())
    settings = Settings(database_url=db.url, public_url="https://lobby.example")
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(settings, run_jobs=False), base_url="https://lobby.example") as c,
    ):
        yield c, db, {"authorization": f"Bearer {secret}"}


def catalog_now(db: Database) -> dict[str, Any]:
    """Every theme, stakeholder and partnership as described: what a failed form must not move."""
    with db.read() as session:
        return {
            "themes": [catalog.describe_theme(t) for t in catalog.all_themes(session)],
            "stakeholders": [catalog.describe_stakeholder(s)
                             for s in catalog.all_stakeholders(session)],
            "partnerships": [catalog.describe_partnership(p)
                             for p in catalog.all_partnerships(session)],
        }  # fmt: skip


def described(db: Database, model: type[Theme | Stakeholder | Partnership], slug: str) -> Any:
    with db.read() as session:
        row = catalog.by_slug(session, model, slug)  # type: ignore[type-var]
        describe = {Theme: catalog.describe_theme, Stakeholder: catalog.describe_stakeholder,
                    Partnership: catalog.describe_partnership}[model]  # fmt: skip
        return describe(row)  # type: ignore[operator]


def version_of(page: str) -> str:
    return page.split('name="version" value="')[1].split('"')[0]


def post(client: TestClient, path: str, form: dict[str, Any]) -> Any:
    client.get("/catalog", headers=HTML)  # sets the CSRF cookie, as a browser would
    data = form | {"csrf": client.cookies["lobby_csrf"]}
    return client.post(path, data=data, headers=HTML, follow_redirects=False)


THEME_FORM = {"slug": "economie", "name": "Economie", "description": "", "priority": "middel",
              "role_lokaal": "", "role_regionaal": "kennispartner", "role_bovenregionaal": "",
              "strategic_choice": "Samen met de MRA", "portfolio_holder": "wethouder Kramer"}  # fmt: skip
PARTNERSHIP_FORM = {
    "slug": "regio-deal", "name": "Regio Deal NHN", "level": "regionaal", "kind": "strategisch",
    "role": "aanjager", "description": "", "themes": ["mobiliteit", "wonen"], "members": ["mra"],
    "contact": LOBBYIST, "started_on": "2026-01-01", "next_evaluation_on": "2027-06-01",
}  # fmt: skip


# ---------------------------------------------------------------- admins keep the catalog


def test_an_admin_adds_a_theme_with_its_focus_and_sees_it_on_the_pages(site: Site) -> None:
    client, db, _ = site
    sign_in(client, db, ADMIN)
    assert 'href="/themes/new"' in client.get("/themes", headers=HTML).text
    made = post(client, "/themes/new", THEME_FORM)
    assert made.status_code == 303 and made.headers["location"] == "/themes"
    assert described(db, Theme, "economie") == {
        "slug": "economie", "name": "Economie", "description": "", "priority": "middel",
        "roles": {"regionaal": "kennispartner"}, "strategic_choice": "Samen met de MRA",
        "portfolio_holder": "wethouder Kramer",
    }  # fmt: skip
    themes = client.get("/themes", headers=HTML).text
    row = themes.split('id="theme-economie"')[1].split("</tr>")[0]
    assert "middel" in row and "regionaal: kennispartner" in row and "wethouder Kramer" in row
    form = client.get("/themes/economie/edit", headers=HTML).text  # the form round-trips
    assert '<option value="kennispartner" selected>' in form.split('name="role_regionaal"')[1]
    assert '<option value="middel" selected>middel</option>' in form


def test_an_admin_changes_a_theme_and_a_cleared_field_clears(site: Site) -> None:
    client, db, _ = site
    sign_in(client, db, ADMIN)
    version = version_of(client.get("/themes/mobiliteit/edit", headers=HTML).text)
    sent = THEME_FORM | {"name": "Mobiliteit en bereikbaarheid", "priority": "",
                         "role_regionaal": "", "role_bovenregionaal": "gesprekspartner",
                         "version": version}  # fmt: skip
    del sent["slug"]
    assert post(client, "/themes/mobiliteit/edit", sent).status_code == 303
    after = described(db, Theme, "mobiliteit")
    assert after["name"] == "Mobiliteit en bereikbaarheid" and after["priority"] is None
    assert after["roles"] == {"bovenregionaal": "gesprekspartner"}


def test_an_admin_adds_an_eu_stakeholder_and_changes_a_partnership(site: Site) -> None:
    client, db, _ = site
    sign_in(client, db, ADMIN)
    made = post(client, "/stakeholders/new", {"slug": "cvdr", "name": "Comité van de Regio's",
                                              "kind": "eu", "website": "https://cor.europa.eu"})  # fmt: skip
    assert made.status_code == 303
    assert described(db, Stakeholder, "cvdr")["kind"] == "eu"
    listed = client.get("/stakeholders", headers=HTML).text
    eu = next(part for part in listed.split("<h2") if "EU-instelling</h2>" in part)
    assert "Comité van de Regio" in eu and "Europees Parlement" in eu and "bovenregionaal" in eu
    made = post(client, "/partnerships/new", PARTNERSHIP_FORM)
    assert made.status_code == 303 and made.headers["location"] == "/partnerships#all"
    deal = described(db, Partnership, "regio-deal")
    assert (deal["themes"], deal["members"], deal["contact"]) == (
        ["mobiliteit", "wonen"], ["mra"], LOBBYIST
    )  # fmt: skip
    version = version_of(client.get("/partnerships/regio-deal/edit", headers=HTML).text)
    sent = PARTNERSHIP_FORM | {"themes": ["wonen"], "contact": "", "version": version}
    assert post(client, "/partnerships/regio-deal/edit", sent).status_code == 303
    deal = described(db, Partnership, "regio-deal")
    assert deal["themes"] == ["wonen"] and deal["contact"] is None


@pytest.mark.parametrize("who", [LOBBYIST, MANAGER, STAFF])
def test_others_read_the_catalog_without_buttons_and_may_not_change_it(
    site: Site, who: str
) -> None:
    client, db, _ = site
    sign_in(client, db, who)
    for path in ("/catalog", "/themes", "/stakeholders", "/partnerships"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, path
        assert "/new" not in page.text and "/edit" not in page.text, path
    before = catalog_now(db)
    for path in ("/themes/new", "/themes/wonen/edit", "/stakeholders/new",
                 "/stakeholders/mra/edit", "/partnerships/new",
                 "/partnerships/mra-bestuur/edit"):  # fmt: skip
        answer = client.get(path, headers=HTML)
        assert answer.status_code == 403 and "Alleen beheerders mogen dit" in answer.text, path
    for path, form in (("/themes/new", THEME_FORM), ("/themes/mobiliteit/edit", THEME_FORM),
                       ("/stakeholders/new", {"slug": "x", "name": "X", "kind": "eu"}),
                       ("/partnerships/new", PARTNERSHIP_FORM)):  # fmt: skip
        assert post(client, path, form).status_code == 403, path
    assert catalog_now(db) == before


def test_a_visitor_who_is_not_signed_in_gets_the_sign_in_page(site: Site) -> None:
    client, _, _ = site
    for path in ("/catalog", "/themes", "/stakeholders", "/themes/new"):
        assert client.get(path, headers=HTML).status_code == 401, path


# ---------------------------------------------------------------- bad input, stale forms

BAD_FORMS = [
    ("/themes/new", THEME_FORM | {"name": " "}, "name", 422, "Naam:"),
    ("/themes/new", THEME_FORM | {"slug": "Economie!"}, "slug", 422, "Korte naam:"),
    ("/themes/new", THEME_FORM | {"slug": "wonen"}, "slug", 409, "al in gebruik"),
    ("/themes/new", THEME_FORM | {"role_regionaal": "baas"}, "role_regionaal", 422,
     "Onze rol: regionaal:"),
    ("/themes/new", THEME_FORM | {"priority": "urgent"}, "priority", 422, "Prioriteit:"),
    ("/stakeholders/new", {"slug": "ep", "name": "EP", "kind": "supranationaal"}, "kind", 422,
     "Soort:"),
    ("/partnerships/new", PARTNERSHIP_FORM | {"next_evaluation_on": "2025-01-01"},
     "next_evaluation_on", 422, "Volgende evaluatie:"),
    ("/partnerships/new", PARTNERSHIP_FORM | {"started_on": "1 januari"}, "started_on", 422,
     "Gestart op:"),
    ("/partnerships/new", PARTNERSHIP_FORM | {"contact": "niemand@example.nl"}, "contact", 404,
     "Contactpersoon bij ons:"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "form", "field", "status", "said"), BAD_FORMS,
                         ids=[f"{p.split('/')[1]}-{f}-{s}" for p, _, f, s, _ in BAD_FORMS])  # fmt: skip
def test_bad_input_is_shown_again_at_its_field_in_dutch_and_changes_nothing(
    site: Site, path: str, form: dict[str, Any], field: str, status: int, said: str
) -> None:
    client, db, _ = site
    sign_in(client, db, ADMIN)
    before = catalog_now(db)
    answer = post(client, path, form)
    assert answer.status_code == status
    error = re.search(rf'<p class="field-error" id="{field}-error" role="alert">(.*?)</p>',
                      answer.text)  # fmt: skip
    assert error and said in error.group(1), answer.text
    assert f'id="f-{field}"' in answer.text and 'aria-invalid="true"' in answer.text
    assert form["name"] in answer.text  # what was typed is kept
    assert catalog_now(db) == before


def test_a_stale_form_is_refused_and_changes_nothing(site: Site) -> None:
    client, db, auth = site
    sign_in(client, db, ADMIN)
    for path, put, body, form in (
        ("/themes/mobiliteit", "/api/v1/themes/mobiliteit", {**FOCUS, "priority": "laag"},
         {"name": "Overschreven", "priority": "hoog"}),
        ("/stakeholders/mra", "/api/v1/stakeholders/mra",
         {"slug": "mra", "name": "MRA", "description": "tussendoor"},
         {"name": "Overschreven", "kind": "regio"}),
        ("/partnerships/mra-bestuur", "/api/v1/partnerships/mra-bestuur",
         {**DATA["partnerships"][0], "members": []}, PARTNERSHIP_FORM | {"name": "Overschreven"}),
    ):  # fmt: skip
        version = version_of(client.get(f"{path}/edit", headers=HTML).text)
        assert client.put(put, json=body, headers=auth).status_code == 200  # meanwhile
        before = catalog_now(db)
        answer = post(client, f"{path}/edit", form | {"version": version})
        assert answer.status_code == 412, path
        assert "Iemand anders wijzigde dit terwijl jij het bewerkte" in answer.text
        assert catalog_now(db) == before
        fresh = version_of(client.get(f"{path}/edit", headers=HTML).text)
        assert fresh != version  # reloaded, the form can be saved again
        again = post(client, f"{path}/edit", form | {"version": fresh})
        assert again.status_code == 303, path


# ---------------------------------------------------------------- round trips and the matrix


def test_the_eu_kind_and_a_themes_focus_survive_yaml_and_the_api(site: Site) -> None:
    client, db, auth = site
    with db.read() as session:
        exported = yaml.safe_load(export_yaml(session))
    assert {s["slug"]: s["kind"] for s in exported["stakeholders"]}["europees-parlement"] == "eu"
    mobiliteit = {t["slug"]: t for t in exported["themes"]}["mobiliteit"]
    assert mobiliteit == FOCUS | {"roles": FOCUS["roles"]}
    assert "roles" not in {t["slug"]: t for t in exported["themes"]}["wonen"]  # empty, left out
    # Into an empty database and out again: the same.
    with db.write() as session:
        for model in (Partnership, Theme, Stakeholder):
            session.query(model).delete()
    import_data(db, {"themes": exported["themes"], "stakeholders": exported["stakeholders"]},
                "again", ACTOR)  # fmt: skip
    with db.read() as session:
        again = yaml.safe_load(export_yaml(session))
    assert again["themes"] == exported["themes"]
    assert again["stakeholders"] == exported["stakeholders"]
    # The API: a new EU stakeholder, a focus given as text, a partial update that keeps it.
    eu = {"slug": "ep", "name": "Europees Parlement (TRAN)", "kind": "eu"}
    assert client.put("/api/v1/stakeholders/ep", json=eu, headers=auth).json()["kind"] == "eu"
    body = {"slug": "wonen", "name": "Wonen", "priority": "laag",
            "roles": "lokaal:aanjager, bovenregionaal:gesprekspartner"}  # fmt: skip
    put = client.put("/api/v1/themes/wonen", json=body, headers=auth).json()
    assert put["roles"] == {"lokaal": "aanjager", "bovenregionaal": "gesprekspartner"}
    renamed = client.put("/api/v1/themes/wonen", json={"slug": "wonen", "name": "Wonen!"},
                         headers=auth).json()  # fmt: skip
    assert (renamed["name"], renamed["priority"], renamed["roles"]) == (
        "Wonen!",
        "laag",
        put["roles"],
    )
    listed = {t["slug"]: t for t in client.get("/api/v1/themes", headers=auth).json()}
    assert listed["wonen"]["priority"] == "laag"
    for bad, field in (({"roles": {"regionaal": "baas"}}, "roles.regionaal"),
                       ({"roles": {"wereldwijd": "aanjager"}}, "roles.wereldwijd.[key]"),
                       ({"roles": "regionaal"}, "roles"), ({"priority": "urgent"}, "priority")):  # fmt: skip
        answer = client.put("/api/v1/themes/wonen", json=body | bad, headers=auth)
        assert (answer.status_code, answer.json()["field"]) == (422, field), bad
    bad_kind = client.put("/api/v1/stakeholders/ep", json=eu | {"kind": "europa"}, headers=auth)
    assert (bad_kind.status_code, bad_kind.json()["field"]) == (422, "kind")


def test_the_matrix_shows_each_themes_priority_holder_and_choice(site: Site) -> None:
    client, db, _ = site
    sign_in(client, db, LOBBYIST)
    page = client.get("/partnerships", headers=HTML).text
    row = page.split('<th scope="row">Mobiliteit')[1].split("</tr>")[0]
    assert "Prioriteit: hoog" in row and "wethouder Visser" in row
    assert "Wij trekken de spoorcorridor" in row and "MRA bestuurlijk overleg" in row
    wonen = page.split('<th scope="row">Wonen')[1].split("</tr>")[0]
    assert "Prioriteit: nog niet gekozen" in wonen
    english = client.get("/partnerships?lang=en", headers=HTML).text
    assert "Priority: high" in english and "Priority: not chosen yet" in english


def test_the_menu_leads_to_the_catalog_and_marks_where_one_is(site: Site) -> None:
    client, db, _ = site
    sign_in(client, db, STAFF)
    hub = client.get("/catalog", headers=HTML).text
    assert '<a href="/catalog" aria-current="page">Catalogus</a>' in hub
    for href in ("/themes", "/stakeholders", "/partnerships"):
        assert f'href="{href}"' in hub
    themes = client.get("/themes", headers=HTML).text
    assert '<a href="/catalog" aria-current="true">Catalogus</a>' in themes
    assert '<a href="/themes" aria-current="page">' in themes


def test_the_digest_page_shows_the_focus_of_the_themes_one_follows(site: Site) -> None:
    client, db, _ = site
    with time_machine.travel(NOW, tick=False):
        follows = {"email": LOBBYIST, "name": "Lars Lobbyist", "themes": ["mobiliteit", "wonen"]}
        import_data(db, {"people": [follows]}, "follows", ACTOR)
    sign_in(client, db, LOBBYIST)
    page = client.get("/digest", headers=HTML).text
    focus = page.split('<h2 id="focus">Focus per thema</h2>')[1].split("</section>")[0]
    assert (
        '<a href="https://lobby.example/themes#theme-mobiliteit">Mobiliteit: prioriteit hoog'
        in focus
    )
    assert "Wonen" not in focus  # no focus chosen for it: nothing to say
