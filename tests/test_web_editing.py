"""Editing items in the browser's forms, over real HTTP through the ASGI app: create, change,
preview, errors next to their field, stale forms, one occurrence cancelled or moved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from scheduler import tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import AgendaItem, ItemChange
from scheduler.web import create_app
from tests.test_digests import DATA, LOBBYIST, MADE, MANAGER, OUTSIDER, item
from tests.test_web_agenda import HTML, NOW, sign_in

FORM = {
    "title": "Werkbezoek station", "kind": "meeting", "start": "2026-12-15T10:00", "end": "",
    "timezone": "Europe/Amsterdam", "repeat": "none", "until": "", "rrule": "",
    "location": "Station Alkmaar", "online_url": "", "themes": ["mobiliteit"],
    "stakeholders": ["mra"], "owner": LOBBYIST, "participants": [MANAGER], "goal": "Fietsen",
    "message": "", "role": "", "status": "planned", "confidentiality": "internal",
    "reminders": "P1D", "description": "", "outcome": "", "revision": "0",
}  # fmt: skip


@pytest.fixture
def editor(db: Database) -> Iterator[tuple[TestClient, Database]]:
    from scheduler.interchange import import_data
    from tests.test_reminders import ACTOR

    with time_machine.travel(MADE, tick=False):
        import_data(db, DATA, "pages data", ACTOR)
        item(db, "reeks", title="Wekelijks overleg", start="2026-12-08T09:00",
             end="2026-12-08T09:30", rrule="FREQ=WEEKLY;COUNT=4", themes=["wonen"])  # fmt: skip
    settings = Settings(database_url=db.url, public_url="https://lobby.example")
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(settings, run_jobs=False), base_url="https://lobby.example") as c,
    ):
        sign_in(c, db, LOBBYIST)
        yield c, db


def post(client: TestClient, path: str, form: dict[str, Any]) -> Any:
    client.get(
        path.replace("/edit", "/edit") if path.endswith("/edit") else "/items/new", headers=HTML
    )
    data = form | {"csrf": client.cookies["lobby_csrf"]}
    return client.post(path, data=data, headers=HTML, follow_redirects=False)


def titles(db: Database) -> set[str]:
    with db.read() as session:
        return set(session.scalars(select(AgendaItem.title)))


def test_a_lobbyist_creates_an_item_in_the_form(editor: tuple[TestClient, Database]) -> None:
    client, db = editor
    answer = post(client, "/items/new", FORM)
    assert answer.status_code == 303
    uid = answer.headers["location"].removeprefix("/items/")
    page = client.get(f"/items/{uid}", headers=HTML).text
    for expected in ("Werkbezoek station", "dinsdag 15 december 2026 om 10:00", "Station Alkmaar",
                     "Mira Manager", "Fietsen"):  # fmt: skip
        assert expected in page, expected
    with db.read() as session:
        [created] = session.scalars(select(ItemChange).where(ItemChange.item_uid == uid))
    assert (created.field, created.changed_by, created.channel) == ("created", LOBBYIST, "web")


def test_an_error_is_shown_next_to_its_field_and_nothing_is_saved(
    editor: tuple[TestClient, Database],
) -> None:
    client, db = editor
    answer = post(client, "/items/new", FORM | {"start": "morgen"})
    assert answer.status_code == 422
    assert 'id="start-error"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'value="Werkbezoek station"' in answer.text  # what was typed stays
    bad_rule = post(client, "/items/new", FORM | {"repeat": "custom", "rrule": "FREQ=HOURLY"})
    assert bad_rule.status_code == 422 and 'id="repeat-error"' in bad_rule.text
    assert "Werkbezoek station" not in titles(db)


def test_the_preview_shows_the_next_five_occurrences_without_saving(
    editor: tuple[TestClient, Database],
) -> None:
    client, db = editor
    monthly = FORM | {"start": "2026-12-08T10:00", "repeat": "monthly", "action": "preview"}
    answer = post(client, "/items/new", monthly)
    assert answer.status_code == 200
    for day in ("dinsdag 8 december 2026", "dinsdag 12 januari 2027", "dinsdag 9 februari 2027",
                "dinsdag 9 maart 2027", "dinsdag 13 april 2027 om 10:00"):  # fmt: skip
        assert day in answer.text, day
    assert "Werkbezoek station" not in titles(db)
    english = client.post("/items/new?lang=en", data=monthly | {"csrf": client.cookies["lobby_csrf"]},
                          headers=HTML)  # fmt: skip
    assert "Tuesday 12 January 2027 at 10:00" in english.text


def test_a_stale_form_is_refused_and_a_fresh_one_saves(editor: tuple[TestClient, Database]) -> None:
    client, db = editor
    form = client.get("/items/reeks/edit", headers=HTML)
    assert form.status_code == 200 and 'value="Wekelijks overleg"' in form.text
    # FREQ=WEEKLY;COUNT=4 is no friendly choice (those end by date): it shows as the rule itself
    assert '<option value="custom" selected>' in form.text
    assert 'value="FREQ=WEEKLY;COUNT=4"' in form.text
    values = FORM | {"title": "Wekelijks overleg MRA", "start": "2026-12-08T09:00",
                     "end": "2026-12-08T09:30", "repeat": "custom",
                     "rrule": "FREQ=WEEKLY;COUNT=4", "themes": ["wonen"]}  # fmt: skip
    stale = post(client, "/items/reeks/edit", values | {"revision": "0"})
    assert stale.status_code == 412 and "Iemand anders wijzigde dit agendapunt" in stale.text
    with db.read() as session:
        revision = session.scalar(select(AgendaItem.revision).where(AgendaItem.uid == "reeks"))
    fresh = post(client, "/items/reeks/edit", values | {"revision": str(revision)})
    assert fresh.status_code == 303 and "Wekelijks overleg MRA" in titles(db)


def test_people_who_may_not_edit_get_403(editor: tuple[TestClient, Database]) -> None:
    client, db = editor
    sign_in(client, db, OUTSIDER)  # staff
    assert client.get("/items/new", headers=HTML).status_code == 403
    assert client.get("/items/reeks/edit", headers=HTML).status_code == 403
    assert "Bewerken" not in client.get("/items/reeks", headers=HTML).text
    forged = client.post("/items/new", data=FORM, headers=HTML)
    assert forged.status_code == 403 and "Werkbezoek station" not in titles(db)


def test_one_occurrence_is_cancelled_or_moved_from_the_item_page(
    editor: tuple[TestClient, Database],
) -> None:
    client, _ = editor
    page = client.get("/items/reeks", headers=HTML).text
    assert 'name="occurrence" value="2026-12-15T09:00"' in page
    csrf = client.cookies["lobby_csrf"]
    cancel = {"csrf": csrf, "occurrence": "2026-12-15T09:00", "action": "cancel"}
    move = {"csrf": csrf, "occurrence": "2026-12-22T09:00", "action": "move",
            "start": "2026-12-23T14:00"}  # fmt: skip
    for form in (cancel, move):
        answer = client.post("/items/reeks/occurrence", data=form, headers=HTML,
                             follow_redirects=False)  # fmt: skip
        assert answer.status_code == 303
    page = client.get("/items/reeks", headers=HTML).text
    assert "dinsdag 15 december 2026 om 09:00–09:30 (geannuleerd)" in page
    assert "woensdag 23 december 2026 om 14:00–14:30" in page


@pytest.mark.parametrize("start", ["next tuesday", "2026-13-45", "x" * 5000, "<script>"])
def test_moving_an_occurrence_to_a_badly_typed_time_answers_422_naming_the_field(
    editor: tuple[TestClient, Database], start: str
) -> None:
    client, db = editor
    client.get("/items/reeks", headers=HTML)
    move = {"csrf": client.cookies["lobby_csrf"], "occurrence": "2026-12-22T09:00",
            "action": "move", "start": start}  # fmt: skip
    answer = client.post("/items/reeks/occurrence", data=move, headers=HTML)
    assert answer.status_code == 422 and "Begin: " in answer.text
    assert "<script>" not in answer.text  # shown escaped
    with db.read() as session:
        assert session.scalar(select(AgendaItem.revision).where(AgendaItem.uid == "reeks")) == 1


# ---------------------------------------------------------------- my own settings and links


def test_a_person_sets_their_reminders_and_digest_on_their_page(
    editor: tuple[TestClient, Database],
) -> None:
    client, db = editor
    page = client.get("/me", headers=HTML)
    assert page.status_code == 200 and "Lars Lobbyist" in page.text
    form = {"csrf": client.cookies["lobby_csrf"], "language": "en", "timezone": "Europe/London",
            "follow_reminders": "1", "reminders_off": ["networking", "outcome"],
            "digest": "weekly", "digest_day": "wednesday", "digest_time": "16:00",
            "digest_scope": "followed"}  # fmt: skip
    saved = client.post("/me", data=form, headers=HTML, follow_redirects=False)
    assert saved.status_code == 303
    with db.read() as session:
        from scheduler import catalog

        me = catalog.describe_person(catalog.person(session, LOBBYIST))
    assert (me["language"], me["timezone"], me["follow_reminders"]) == ("en", "Europe/London", True)
    assert me["reminders_off"] == ["networking", "outcome"]
    assert (me["digest"], me["digest_day"], me["digest_time"], me["digest_scope"]) == (
        "weekly", "wednesday", "16:00", "followed"
    )  # fmt: skip
    bad = client.post("/me", data=form | {"digest_time": "02:15"}, headers=HTML)
    assert bad.status_code == 422 and "between 02:00 and 03:00" in bad.text
    with db.read() as session:
        assert catalog.person(session, LOBBYIST).digest_time == "16:00"


def test_a_person_chooses_the_themes_and_stakeholders_they_follow(
    editor: tuple[TestClient, Database],
) -> None:
    client, db = editor
    page = client.get("/me", headers=HTML).text
    assert 'name="themes" type="checkbox" value="wonen"' in page and "Wat ik volg" in page
    form = {"csrf": client.cookies["lobby_csrf"], "language": "nl",
            "timezone": "Europe/Amsterdam", "digest": "none", "digest_day": "monday",
            "digest_time": "07:30", "digest_scope": "followed"}  # fmt: skip
    saved = client.post("/me", data=form | {"themes": ["wonen"], "stakeholders": ["mra"]},
                        headers=HTML, follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    with db.read() as session:
        from scheduler import catalog

        me = catalog.describe_person(catalog.person(session, LOBBYIST))
    assert (me["themes"], me["stakeholders"]) == (["wonen"], ["mra"])
    shown = client.get("/me", headers=HTML).text
    assert 'value="wonen" checked' in shown and 'value="mobiliteit">' in shown
    # a colleague's item on wonen is in their own feed while they follow wonen, and only then
    item(db, "collega", title="Woondeal-overleg", start="2026-12-09T14:00",
         end="2026-12-09T15:00", owner=MANAGER,
         themes=["wonen"])  # fmt: skip
    with db.write() as session:
        _, secret = tokens.create(session, LOBBYIST, scope="me", today=NOW.date())
    assert "Woondeal-overleg" in client.get(f"/feeds/{secret}/me.ics").text
    cleared = client.post("/me", data=form, headers=HTML, follow_redirects=False)
    assert cleared.status_code == 303
    assert "Woondeal-overleg" not in client.get(f"/feeds/{secret}/me.ics").text
    bad = client.post("/me", data=form | {"themes": ["bestaat-niet"]}, headers=HTML)
    assert bad.status_code == 404 and "bestaat-niet" in bad.text
    with db.read() as session:
        assert catalog.describe_person(catalog.person(session, LOBBYIST))["themes"] == []


def test_a_person_makes_and_revokes_their_own_links_and_tokens(
    editor: tuple[TestClient, Database],
) -> None:
    client, db = editor
    client.get("/me", headers=HTML)
    csrf = client.cookies["lobby_csrf"]
    made = client.post("/me/tokens", data={"csrf": csrf, "scope": "me", "label": "Outlook"},
                       headers=HTML)  # fmt: skip
    assert made.status_code == 200 and "maar één keer getoond" in made.text
    assert '<label for="secret">agenda-link: mijn agenda</label>' in made.text
    [feed] = re.findall(r'value="https://lobby\.example(/feeds/[^"]+/me\.ics)"', made.text)
    assert client.get(feed).status_code == 200
    with db.write() as session:
        tokens.create(session, LOBBYIST, scope="theme:wonen", label="Wonen", today=NOW.date())
    listed = client.get("/me", headers=HTML).text
    rows = [
        re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", listed, re.S)
    ]
    assert ["Outlook", "agenda-link: mijn agenda", "ma 7 dec 10:00"] in rows  # used just now
    assert ["Wonen", "agenda-link: thema wonen", "—"] in rows
    assert "UTC" not in listed and ">me<" not in listed
    api = client.post("/me/tokens", data={"csrf": csrf, "scope": "api-read"}, headers=HTML)
    [bearer] = re.findall(r'value="Bearer ([^"]+)"', api.text)
    me = client.get("/api/v1/me", headers={"authorization": f"Bearer {bearer}"})
    assert me.json()["email"] == LOBBYIST
    assert (
        client.post("/me/tokens", data={"csrf": csrf, "scope": "login"}, headers=HTML).status_code
        == 404
    )
    with db.write() as session:
        ids = {t.label: t.id for t in tokens.listing(session, LOBBYIST) if t.label}
        someone_else, _ = tokens.create(session, MANAGER, today=NOW.date())
        theirs = someone_else.id
    revoked = client.post(f"/me/tokens/{ids['Outlook']}/revoke", data={"csrf": csrf},
                          headers=HTML, follow_redirects=False)  # fmt: skip
    assert revoked.status_code == 303 and client.get(feed).status_code == 410
    other = client.post(f"/me/tokens/{theirs}/revoke", data={"csrf": csrf}, headers=HTML)
    assert other.status_code == 404  # someone else's link cannot be revoked from here


def test_follow_up_actions_are_added_and_ticked_off_in_the_form(
    editor: tuple[TestClient, Database],
) -> None:
    client, db = editor
    rows = {"fu_rows": "2", "fu_text_0": "Notitie sturen", "fu_owner_0": MANAGER,
            "fu_due_0": "2026-12-18", "fu_text_1": ""}  # fmt: skip
    made = post(client, "/items/new", FORM | rows)
    uid = made.headers["location"].removeprefix("/items/")
    form = client.get(f"/items/{uid}/edit", headers=HTML).text
    assert 'value="Notitie sturen"' in form and 'name="fu_text_2"' in form  # two blank rows
    with db.read() as session:
        revision = session.scalar(select(AgendaItem.revision).where(AgendaItem.uid == uid))
    ticked = rows | {"fu_done_0": "1", "revision": str(revision)}
    assert post(client, f"/items/{uid}/edit", FORM | ticked).status_code == 303
    page = client.get(f"/items/{uid}", headers=HTML).text
    assert "Notitie sturen – Mira Manager (vr 18 dec) ✓ klaar" in page
    bad = post(client, f"/items/{uid}/edit", FORM | rows | {"fu_due_0": "2026-13-45",
               "revision": str(revision + 1)})  # fmt: skip
    assert bad.status_code == 422 and 'id="follow_ups-error"' in bad.text


def test_a_public_item_is_reviewed_for_the_open_agenda_on_its_page(
    editor: tuple[TestClient, Database],
) -> None:
    client, db = editor
    with time_machine.travel(MADE, tick=False):
        item(db, "openbaar", title="Werkbezoek gedeputeerde", start="2026-12-03T10:00",
             end="2026-12-03T11:00", confidentiality="public", participants=[MANAGER])  # fmt: skip
    page = client.get("/items/openbaar", headers=HTML).text
    assert "Nog niet gecontroleerd" in page
    csrf = client.cookies["lobby_csrf"]
    form = {"csrf": csrf, "action": "review", "redact_participants": "persoonsgegevens"}
    done = client.post("/items/openbaar/review", data=form, headers=HTML, follow_redirects=False)
    assert done.status_code == 303
    page = client.get("/items/openbaar", headers=HTML).text
    assert f"Gecontroleerd voor publicatie door {LOBBYIST}; Deelnemers: [persoonsgegevens]" in page
    public = client.get("/public", headers=HTML).text.split("Gevoerde lobbycontacten")[1]
    assert "Werkbezoek gedeputeerde" in public and "[weggelakt: persoonsgegevens]" in public
    assert "Mira Manager" not in public
    internal = client.post("/items/reeks/review", data={"csrf": csrf}, headers=HTML)
    assert (
        internal.status_code == 422
        and "Vertrouwelijkheid: alleen openbare agendapunten" in internal.text
    )


def test_a_preparation_chain_is_attached_and_its_steps_ticked_off_on_the_item_page(
    editor: tuple[TestClient, Database],
) -> None:
    client, db = editor
    page = client.get("/items/reeks", headers=HTML).text
    assert 'id="chain-template"' in page and "Lobbyvenster (4)" in page
    answer = client.post(
        "/items/reeks/chains", data={"template": "lobbyvenster", "csrf": client.cookies["lobby_csrf"]},
        headers=HTML, follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/items/reeks#chains"
    page = client.get("/items/reeks", headers=HTML).text
    # The next occurrence, Tuesday 8 December 09:00: T−21d, T−10d and T−2d have passed.
    assert "Lobbyvenster – dinsdag 8 december 2026 om 09:00" in page
    assert "0 van 4 stappen gedaan" in page and page.count('class="overdue"') == 3
    step = re.search(r'action="/chain-steps/(\d+)"', page)
    assert step is not None
    ticked = client.post(
        f"/chain-steps/{step[1]}", data={"action": "done", "csrf": client.cookies["lobby_csrf"]},
        headers=HTML, follow_redirects=False,
    )  # fmt: skip
    assert ticked.status_code == 303
    page = client.get("/items/reeks", headers=HTML).text
    assert "1 van 4 stappen gedaan" in page and page.count('class="overdue"') == 2
    with db.read() as session:
        fields = {
            c.field
            for c in session.scalars(select(ItemChange).where(ItemChange.item_uid == "reeks"))
        }
    assert {"chain", "chain_step"} <= fields


def test_chain_forms_without_csrf_or_rights_or_with_a_bad_template_change_nothing(
    editor: tuple[TestClient, Database],
) -> None:
    client, db = editor
    client.get("/items/reeks", headers=HTML)
    csrf = client.cookies["lobby_csrf"]
    no_csrf = client.post("/items/reeks/chains", data={"template": "lobbyvenster"}, headers=HTML)
    assert no_csrf.status_code == 403
    bad = client.post("/items/reeks/chains", data={"template": "nope", "csrf": csrf}, headers=HTML)
    assert bad.status_code == 422 and "Voorbereiding: &#39;nope&#39; kennen we niet" in bad.text
    good = client.post("/items/reeks/chains", data={"template": "lobbyvenster", "csrf": csrf},
                       headers=HTML, follow_redirects=False)  # fmt: skip
    assert good.status_code == 303
    step = re.search(r'action="/chain-steps/(\d+)"', client.get("/items/reeks", headers=HTML).text)
    assert step is not None
    sign_in(client, db, OUTSIDER)
    client.get("/agenda", headers=HTML)
    refused = client.post(f"/chain-steps/{step[1]}",
                          data={"action": "done", "csrf": client.cookies["lobby_csrf"]}, headers=HTML)  # fmt: skip
    assert refused.status_code == 403
    with db.read() as session:
        from scheduler import chains

        [chain] = chains.chains_of(
            session, [session.scalars(select(AgendaItem).where(AgendaItem.uid == "reeks")).one()]
        )
        assert chains.progress(chain) == (0, 4)
