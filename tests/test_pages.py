"""Pages in a real browser: Debian's Chromium driven by Playwright, against a real HTTP server."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from scheduler import agenda, tokens
from scheduler.clock import now_utc
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.web import create_app
from tests.conftest import free_port

CATALOG: dict[str, list[dict[str, Any]]] = {
    "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}, {"slug": "wonen", "name": "Wonen"}],
    "stakeholders": [{"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"}],
    "people": [
        {"email": "j.jansen@example.nl", "name": "Joost Jansen", "roles": ["lobbyist"]},
        {
            "email": "e.clarke@example.nl",
            "name": "Emily Clarke",
            "roles": ["lobbyist"],
            "language": "en",
        },
    ],
}


@pytest.fixture
def server(sqlite_db: Database) -> Iterator[tuple[str, Database]]:
    """The app on a real port, in a thread of this process."""
    import_data(sqlite_db, CATALOG, "pages test", agenda.Actor("test", "test"))
    with serving(sqlite_db) as base:
        yield base, sqlite_db


@contextlib.contextmanager
def serving(db: Database, **settings: Any) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(
            Settings(database_url=db.url, port=port, public_url=f"http://127.0.0.1:{port}", **settings),
            run_jobs=False,
        ),
        host="127.0.0.1", port=port, log_config=None,
    )  # fmt: skip
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline:
            raise AssertionError("the test server did not start")
        time.sleep(0.05)  # a real server starting, not the test clock
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)


def link(db: Database, email: str, **options: Any) -> str:
    with db.write() as session:
        _, secret = tokens.create(session, email, today=now_utc().date(), **options)
    return secret


def test_the_subscriptions_page_offers_every_feed_a_link_opens(
    server: tuple[str, Database], browser: Any
) -> None:
    base, db = server
    secret = link(db, "j.jansen@example.nl")
    page = browser.new_page()
    page.goto(f"{base}/feeds/{secret}")
    assert page.locator("h1").inner_text() == "Agenda-abonnementen"
    assert page.locator("html").get_attribute("lang") == "nl"
    # me, all, two themes, one stakeholder
    assert page.locator("li.feed").count() == 5
    values = [page.locator("li.feed input").nth(i).input_value() for i in range(5)]
    assert values[:2] == [f"{base}/feeds/{secret}/me.ics", f"{base}/feeds/{secret}/all.ics"]
    assert f"{base}/feeds/{secret}/themes/wonen.ics" in values
    webcal = page.locator("a", has_text="Open in agenda-app").first.get_attribute("href")
    assert webcal == f"webcal://127.0.0.1:{base.rsplit(':', 1)[1]}/feeds/{secret}/me.ics"
    google = page.locator("a", has_text="Toevoegen aan Google Agenda").first.get_attribute("href")
    assert google.startswith("https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F")
    # every field has a label a screen reader announces
    assert page.evaluate("[...document.querySelectorAll('input')].every(i => i.labels.length > 0)")
    page.close()


def test_the_copy_button_copies_the_link_and_says_so(
    server: tuple[str, Database], browser: Any
) -> None:
    base, db = server
    secret = link(db, "j.jansen@example.nl")
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    page.goto(f"{base}/feeds/{secret}")
    page.locator("li.feed button").nth(1).click()
    assert page.evaluate("navigator.clipboard.readText()") == f"{base}/feeds/{secret}/all.ics"
    assert page.locator("[role=status]").inner_text() == "Link gekopieerd"
    context.close()


def test_the_page_works_with_the_keyboard_alone(server: tuple[str, Database], browser: Any) -> None:
    base, db = server
    secret = link(db, "j.jansen@example.nl")
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    page.goto(f"{base}/feeds/{secret}")
    page.locator("#link-1").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.copy") == "link-1"
    page.keyboard.press("Enter")
    assert page.evaluate("navigator.clipboard.readText()") == f"{base}/feeds/{secret}/me.ics"
    context.close()


def test_a_person_who_chose_english_gets_the_page_in_english_and_anyone_can_switch(
    server: tuple[str, Database], browser: Any
) -> None:
    base, db = server
    secret = link(db, "e.clarke@example.nl")
    page = browser.new_page()
    page.goto(f"{base}/feeds/{secret}")
    assert page.locator("h1").inner_text() == "Calendar subscriptions"
    page.get_by_role("link", name="Nederlands").click()
    assert page.locator("h1").inner_text() == "Agenda-abonnementen"
    page.close()


def test_a_link_for_one_theme_offers_only_that_feed(
    server: tuple[str, Database], browser: Any
) -> None:
    base, db = server
    secret = link(db, "j.jansen@example.nl", scope="theme:wonen")
    page = browser.new_page()
    page.goto(f"{base}/feeds/{secret}")
    assert page.locator("li.feed").count() == 1
    assert page.locator("li.feed h3").inner_text() == "Wonen"
    page.close()


def test_the_page_fits_a_phone_screen(server: tuple[str, Database], browser: Any) -> None:
    base, db = server
    secret = link(db, "j.jansen@example.nl")
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{base}/feeds/{secret}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.close()


def test_the_public_page_offers_the_public_feed(server: tuple[str, Database], browser: Any) -> None:
    base, _ = server
    page = browser.new_page()
    page.goto(f"{base}/feeds?lang=en")
    assert page.locator("li.feed input").input_value() == f"{base}/feeds/public.ics"
    page.close()


def test_a_page_for_a_revoked_or_unknown_link_is_refused_and_never_leaks_a_referer(
    server: tuple[str, Database],
) -> None:
    base, db = server
    secret = link(db, "j.jansen@example.nl")
    answer = httpx.get(f"{base}/feeds/{secret}")
    assert (
        answer.headers["referrer-policy"] == "no-referrer"
        and "no-store" in answer.headers["cache-control"]
    )
    with db.write() as session:
        tokens.revoke(session, tokens.listing(session)[0].id, now_utc())
    assert httpx.get(f"{base}/feeds/{secret}").status_code == 410
    assert httpx.get(f"{base}/feeds/unknown-link").status_code == 404


ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


def agenda_items(db: Database) -> None:
    """Three items in the coming days: one per theme, and a confidential one."""
    from datetime import timedelta

    from scheduler.schemas import ItemIn

    day = (now_utc() + timedelta(days=2)).date().isoformat()
    specs = [
        {"uid": "mob", "title": "Bestuurlijk overleg MRA", "themes": ["mobiliteit"],
         "stakeholders": ["mra"], "goal": "Fietsparkeren", "message": "Alkmaar draagt bij"},
        {"uid": "won", "title": "Woondeal Noord-Holland Noord", "themes": ["wonen"]},
        {"uid": "geheim", "title": "Vertrouwelijk vooroverleg", "themes": ["mobiliteit"],
         "confidentiality": "confidential", "goal": "Grondposities",
         "owner": "e.clarke@example.nl"},
    ]  # fmt: skip
    with db.write() as session:
        for n, spec in enumerate(specs):
            values = {"kind": "meeting", "start": f"{day}T{10 + n}:00",
                      "owner": "j.jansen@example.nl"} | spec  # fmt: skip
            agenda.save_item(session, ItemIn.model_validate(values), agenda.Actor("test", "test"))


def test_sign_in_filter_the_agenda_open_an_item_and_see_nothing_confidential(
    server: tuple[str, Database], browser: Any
) -> None:
    base, db = server
    agenda_items(db)
    secret = link(db, "j.jansen@example.nl", scope="login")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    page.goto(f"{base}/login/{secret}")
    assert page.url == f"{base}/agenda"
    assert page.locator("h1").inner_text() == "Agenda"
    page.screenshot(path=str(ARTIFACTS / "agenda.png"), full_page=True)
    page.get_by_label("Thema").select_option("wonen")
    page.get_by_role("button", name="Toon").click()
    assert "theme=wonen" in page.url
    titles = page.locator("li.occurrence .what a").all_inner_texts()
    assert titles == ["Woondeal Noord-Holland Noord"]
    page.get_by_role("link", name="Alle filters weg").click()
    page.get_by_role("link", name="Bestuurlijk overleg MRA").click()
    assert page.url == f"{base}/items/mob"
    assert page.locator("dl.fields").inner_text().count("Fietsparkeren") == 1
    page.screenshot(path=str(ARTIFACTS / "item.png"), full_page=True)
    for path in ("/agenda", "/digest", "/partnerships", "/items/mob"):
        page.goto(f"{base}{path}")
        text = page.locator("body").inner_text()
        assert "Vertrouwelijk vooroverleg" not in text and "Grondposities" not in text, path
    assert page.goto(f"{base}/items/geheim").status == 404
    page.goto(f"{base}/digest")
    page.emulate_media(media="print")
    assert page.locator("header.site").is_hidden()  # print: the digest without the menu
    page.screenshot(path=str(ARTIFACTS / "digest-print.png"), full_page=True)
    page.close()


def test_the_agenda_fits_a_phone_and_works_with_the_keyboard(
    server: tuple[str, Database], browser: Any
) -> None:
    base, db = server
    agenda_items(db)
    secret = link(db, "j.jansen@example.nl", scope="login")
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{base}/login/{secret}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "agenda-phone.png"), full_page=True)
    # every form field has a label; the first Tab reaches the skip link
    assert page.evaluate(
        "[...document.querySelectorAll('select, input:not([type=hidden])')].every(e => e.labels.length > 0)"
    )
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.close()


def test_the_public_agenda_needs_no_sign_in_and_shows_public_items_only(
    server: tuple[str, Database], browser: Any
) -> None:
    base, db = server
    agenda_items(db)
    page = browser.new_page()
    assert page.goto(f"{base}/agenda").status == 401
    assert "inloglink" in page.locator("main").inner_text()
    page.goto(f"{base}/public")
    assert page.locator("li.occurrence").count() == 0  # none of the three is public
    page.close()


def test_sign_in_by_a_link_read_from_the_mail(sqlite_db: Database, browser: Any) -> None:
    import re

    from aiosmtpd.controller import Controller

    from tests.test_reminders import Inbox

    import_data(sqlite_db, CATALOG, "pages test", agenda.Actor("test", "test"))
    agenda_items(sqlite_db)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with serving(sqlite_db, smtp_host="127.0.0.1", smtp_port=controller.port,
                     smtp_security="none") as base:  # fmt: skip
            page = browser.new_page()
            page.goto(f"{base}/agenda")
            page.get_by_role("link", name="Stuur inloglink").click()
            page.get_by_label("E-mailadres").fill("j.jansen@example.nl")
            page.get_by_role("button", name="Stuur inloglink").click()
            assert "inloglink onderweg" in page.locator("[role=status]").inner_text()
            [message] = inbox.messages
            body = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
            [link] = re.findall(r"http://127\.0\.0\.1:\d+/login/\S+", body)
            page.goto(link)
            assert page.url == f"{base}/agenda"
            assert "Ingelogd als Joost Jansen" in page.locator("header").inner_text()
            feed = link_to_feed(sqlite_db, base)
            before = httpx.get(feed).text
            assert "SEQUENCE:1" in _event(before, "mob")
            # edit the item's time in the form, then see it on the page, in the history, in the feed
            page.get_by_role("link", name="Bestuurlijk overleg MRA").click()
            page.get_by_role("link", name="Bewerken").click()
            start = page.get_by_label("Begin")  # the end moves along
            day = start.input_value().split(" ")[0]  # as the form shows it: 5-12-2026 10:00
            new_start = f"{day} 16:30"
            ical_day = "".join(reversed([f"{int(p):02d}" for p in day.split("-")]))
            start.fill(new_start)
            page.get_by_role("button", name="Opslaan").click()
            assert page.url == f"{base}/items/mob"
            assert "om 16:30" in page.locator("dl.fields").inner_text()
            history = page.locator("section", has_text="Geschiedenis").inner_text()
            assert "j.jansen@example.nl (web)" in history and "Begin" in history
            page.screenshot(path=str(ARTIFACTS / "item-edited.png"), full_page=True)
            after = _event(httpx.get(feed).text, "mob")
            assert (
                "SEQUENCE:2" in after
                and f"DTSTART;TZID=Europe/Amsterdam:{ical_day}T163000" in after
            )
            page.get_by_role("button", name="Uitloggen").click()
            assert page.url == f"{base}/public"
            assert page.goto(f"{base}/agenda").status == 401
            page.close()
    finally:
        controller.stop()


def link_to_feed(db: Database, base: str) -> str:
    return f"{base}/feeds/{link(db, 'j.jansen@example.nl')}/all.ics"


def _event(calendar: str, uid: str) -> str:
    """The VEVENT of `uid` in a feed, unfolded."""
    unfolded = calendar.replace("\r\n ", "")
    for block in unfolded.split("BEGIN:VEVENT")[1:]:
        if f"UID:{uid}" in block:
            return block.split("END:VEVENT")[0]
    raise AssertionError(f"no event {uid} in the feed")


def test_a_preparation_chain_is_added_and_a_step_ticked_off_with_the_keyboard_on_a_phone(
    server: tuple[str, Database], browser: Any
) -> None:
    base, db = server
    agenda_items(db)
    secret = link(db, "j.jansen@example.nl", scope="login")
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{base}/login/{secret}")
    page.goto(f"{base}/items/mob")
    page.get_by_label("Voorbereiding toevoegen").select_option("lobbyvenster")
    page.get_by_role("button", name="Toevoegen").click()
    assert page.url == f"{base}/items/mob#chains"
    steps = page.locator("table.steps tbody tr")
    assert steps.count() == 4
    assert "0 van 4 stappen gedaan" in page.locator("#chains-section").inner_text()
    page.get_by_role("button", name="Gedaan: Positiepaper gereed").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "1 van 4 stappen gedaan" in page.locator("#chains-section").inner_text()
    assert "klaar" in steps.first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "item-chain-phone.png"), full_page=True)
    page.close()


def test_the_dossier_pages_fit_a_phone_and_link_to_their_items(
    server: tuple[str, Database], browser: Any
) -> None:
    base, db = server
    agenda_items(db)
    dossier = {"slug": "fietsparkeren", "title": "Fietsparkeren station Alkmaar",
               "goal": "Rijksgeld voor een fietsenstalling", "lead": "j.jansen@example.nl",
               "targets": ["mra:P4W"], "status": "actief"}  # fmt: skip
    import_data(db, {"dossiers": [dossier]}, "pages test", agenda.Actor("test", "test"))
    with db.write() as session:
        item = agenda.find_item(session, "mob")
        agenda.update(session, item, {"dossiers": ["fietsparkeren"]}, agenda.Actor("test", "test"))
    secret = link(db, "j.jansen@example.nl", scope="login")
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{base}/login/{secret}")
    page.get_by_role("link", name="Dossiers").first.click()
    assert page.url == f"{base}/dossiers"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="Fietsparkeren station Alkmaar").click()
    assert page.locator("h1").inner_text() == "Fietsparkeren station Alkmaar"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "dossier-phone.png"), full_page=True)
    page.get_by_role("link", name="Bestuurlijk overleg MRA (gepland)").click()
    assert page.url == f"{base}/items/mob"
    page.close()


def test_the_api_docs_render_with_every_request_off_this_server_blocked(
    server: tuple[str, Database], browser: Any
) -> None:
    base, _ = server
    page = browser.new_page()
    elsewhere: list[str] = []

    def only_here(route: Any) -> None:
        if route.request.url.startswith(f"{base}/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    refused: list[str] = []  # what the page's Content-Security-Policy stopped

    def note(message: Any) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", note)
    page.goto(f"{base}/docs")
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/items").first
    operation.wait_for(state="visible", timeout=30_000)
    assert page.locator(".info .title").inner_text().startswith("lobby-agenda")
    # "Try it out" runs against this server: the page may fetch from its own origin.
    operation.click()
    page.locator("button.try-out__btn").first.click()
    page.locator("button.execute").first.click()
    answered = page.locator(".live-responses-table tbody .response-col_status").first
    answered.wait_for(timeout=30_000)
    assert answered.inner_text().startswith("401")  # it reached us: the API wants a token
    assert (elsewhere, refused) == ([], [])
    page.close()


def test_a_form_error_shows_in_dutch_next_to_its_field_and_the_file_download_is_offered(
    server: tuple[str, Database], browser: Any
) -> None:
    base, db = server
    secret = link(db, "j.jansen@example.nl", scope="login")
    page = browser.new_page()
    page.goto(f"{base}/login/{secret}")
    page.goto(f"{base}/items/new")
    page.get_by_label("Titel").fill("Werkbezoek station")
    page.get_by_label("Begin (9-12-2026 10:00, of alleen een datum)").fill("9 december 2026 10:00")
    page.get_by_role("button", name="Opslaan").click()
    start = page.get_by_label("Begin (9-12-2026 10:00, of alleen een datum)")
    assert start.get_attribute("aria-invalid") == "true"
    error = page.locator(f"#{start.get_attribute('aria-describedby')}")
    assert error.inner_text() == (
        "Begin: '9 december 2026 10:00' is geen datum; schrijf bijvoorbeeld 9-12-2026 10:00"
    )
    # next to its field: in the same field block, right below the input
    assert error.evaluate("e => e.previousElementSibling.id") == "f-start"
    start.fill("9-12-2026 10:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Opslaan").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Zet in mijn agenda (.ics)").click()
    assert b"SUMMARY:Werkbezoek station" in Path(download.value.path()).read_bytes()
    page.close()


def test_a_multi_select_becomes_chips_a_search_field_and_checkboxes(
    server: tuple[str, Database], browser: Any
) -> None:
    base, db = server
    page = browser.new_page()
    page.goto(f"{base}/login/{link(db, 'j.jansen@example.nl', scope='login')}")
    page.goto(f"{base}/items/new")
    themes = page.get_by_label("Thema's")  # the label now names the search field
    assert themes.get_attribute("type") == "search"
    assert page.locator("select#f-themes").is_hidden()
    themes.fill("won")
    assert page.locator("#f-themes ~ .choice-box li:visible").all_inner_texts() == ["Wonen"]
    page.get_by_label("Wonen", exact=True).check()
    assert page.evaluate(
        "[...document.querySelector('#f-themes').selectedOptions].map(o => o.value)"
    ) == ["wonen"]
    chip = page.get_by_role("button", name="Haal weg: Wonen")
    assert chip.is_visible()
    chip.click()
    assert page.evaluate("document.querySelector('#f-themes').selectedOptions.length") == 0
    assert not page.get_by_label("Wonen", exact=True).is_checked()
    themes.fill("")
    page.get_by_label("Mobiliteit", exact=True).check()
    page.get_by_label("Titel").fill("Fietsoverleg")
    page.get_by_label("Begin (9-12-2026 10:00, of alleen een datum)").fill("9-12-2026 10:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Opslaan").click()
    assert "Mobiliteit" in page.locator("dl").inner_text()
    page.close()
