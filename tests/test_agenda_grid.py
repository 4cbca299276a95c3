"""The agenda as a week and a month grid: days in the reader's zone (also across the clock
change), moved and cancelled occurrences where they now are, all-day items on every day they
cover, confidential items kept from outsiders, the chosen view remembered, and the keyboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient

from scheduler import agenda
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.web import create_app
from tests.test_digests import DATA, LOBBYIST, MADE, OUTSIDER, item
from tests.test_reminders import ACTOR
from tests.test_web_agenda import HTML, NOW, sign_in


@pytest.fixture
def site(db: Database) -> Iterator[tuple[TestClient, Database]]:
    from scheduler.interchange import import_data

    with time_machine.travel(MADE, tick=False):
        import_data(db, DATA, "grid data", ACTOR)
        item(db, "mob", title="Bestuurlijk overleg MRA", start="2026-12-08T10:00",
             end="2026-12-08T11:30", themes=["mobiliteit"])  # fmt: skip
        item(db, "vroeg", title="Ontbijtsessie", start="2026-12-08T08:00", end="2026-12-08T09:00")
        item(db, "geheim", title="Vertrouwelijk vooroverleg", start="2026-12-09T09:00",
             end="2026-12-09T10:00", confidentiality="confidential")  # fmt: skip
        item(
            db, "congres", title="Congres VNG", start="2026-12-10", end="2026-12-11"
        )  # through the 11th
        item(db, "reeks", title="Weekstart", start="2026-12-07T09:00", end="2026-12-07T09:30",
             rrule="FREQ=WEEKLY;COUNT=20")  # fmt: skip
        with db.write() as session:  # the 14th moves to Wednesday the 16th, the 21st is off
            agenda.move(session, "reeks", ACTOR, "2026-12-14T09:00", "2026-12-16T15:00",
                        "2026-12-16T15:30")  # fmt: skip
            agenda.cancel(session, "reeks", ACTOR, "2026-12-21T09:00")
    settings = Settings(database_url=db.url, public_url="https://lobby.example")
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(settings, run_jobs=False), base_url="https://lobby.example") as c,
    ):
        sign_in(c, db, LOBBYIST)
        yield c, db


Site = tuple[TestClient, Database]


def days(html: str) -> dict[str, list[str]]:
    """Each day cell of a grid (by its date) and the entries in it, as text."""
    found: dict[str, list[str]] = {}
    for day, body in re.findall(r'data-day="([\d-]{10})"[^>]*>(.*?)</(?:td|section)>', html, re.S):
        entries = re.findall(r'<li class="entry[^"]*">(.*?)</li>', body, re.S)
        found[day] = [" ".join(re.sub(r"<[^>]+>", "", e).split()) for e in entries]
    return found


def test_the_week_grid_shows_each_day_in_time_order_with_today_marked(site: Site) -> None:
    client, _ = site
    page = client.get("/agenda?view=week", headers=HTML)
    assert page.status_code == 200
    week = days(page.text)
    assert list(week) == [f"2026-12-{d:02d}" for d in range(7, 14)]
    assert week["2026-12-07"] == ["09:00 Weekstart"]
    assert week["2026-12-08"] == ["08:00 Ontbijtsessie", "10:00 Bestuurlijk overleg MRA"]
    assert week["2026-12-10"] == week["2026-12-11"] == ["Hele dag Congres VNG"]
    assert week["2026-12-12"] == []
    assert re.search(r'class="day today"[^>]*aria-current="date"', page.text)
    assert "Week 50" in page.text


def test_a_moved_occurrence_is_on_its_new_day_and_a_cancelled_one_says_so(site: Site) -> None:
    client, _ = site
    week = days(client.get("/agenda?view=week&date=2026-12-14", headers=HTML).text)
    assert "09:00 Weekstart" not in week["2026-12-14"]
    assert week["2026-12-16"] == ["15:00 Weekstart"]
    after = days(client.get("/agenda?view=week&date=2026-12-21", headers=HTML).text)
    assert after["2026-12-21"] == ["09:00 Weekstart geannuleerd"]


def test_the_month_grid_has_whole_weeks_and_marks_days_of_other_months(site: Site) -> None:
    client, _ = site
    page = client.get("/agenda?view=month", headers=HTML).text
    month = days(page)
    assert next(iter(month)) == "2026-11-30" and list(month)[-1] == "2027-01-03"  # Mon … Sun
    assert len(month) == 35
    assert 'class=" outside" data-day="2026-11-30"' in page
    assert re.search(r'class="today" data-day="2026-12-07" tabindex="0" aria-current="date"', page)
    assert page.count('tabindex="0"') == 1  # one way in for the keyboard
    assert "december 2026" in page and '<th scope="col">ma</th>' in page
    assert month["2026-12-16"] == ["15:00 Weekstart"]


def test_times_are_the_readers_wall_clock_across_the_change_to_summer_time(site: Site) -> None:
    client, db = site
    with time_machine.travel(MADE, tick=False):
        item(db, "dst", title="Na de klokwissel", start="2027-03-29T10:00", end="2027-03-29T11:00")
        item(
            db, "voor", title="Voor de klokwissel", start="2027-03-26T10:00", end="2027-03-26T11:00"
        )
    month = days(client.get("/agenda?view=month&date=2027-03-15", headers=HTML).text)
    assert month["2027-03-26"] == ["10:00 Voor de klokwissel"]
    assert month["2027-03-29"] == ["09:00 Weekstart", "10:00 Na de klokwissel"]
    assert month["2027-03-22"] == ["09:00 Weekstart"]  # the series keeps its wall time


def test_a_confidential_item_is_in_the_grid_only_for_those_involved(site: Site) -> None:
    client, db = site
    assert "Vertrouwelijk vooroverleg" in client.get("/agenda?view=week", headers=HTML).text
    sign_in(client, db, OUTSIDER)
    page = client.get("/agenda?view=week", headers=HTML).text
    assert "Vertrouwelijk" not in page and "geheim" not in page
    assert "Bestuurlijk overleg MRA" in page


def test_filters_apply_and_the_navigation_keeps_them(site: Site) -> None:
    client, _ = site
    page = client.get("/agenda?view=week&theme=mobiliteit", headers=HTML).text
    week = days(page)
    assert week["2026-12-08"] == ["10:00 Bestuurlijk overleg MRA"] and week["2026-12-07"] == []
    assert 'href="/agenda?view=week&amp;theme=mobiliteit&amp;date=2026-12-14" rel="next"' in page
    assert 'href="/agenda?view=week&amp;theme=mobiliteit&amp;date=2026-11-30" rel="prev"' in page
    assert '<details class="filters-box" open>' in page  # a filter is on: shown, not folded


def test_the_chosen_view_is_remembered_and_a_bad_one_named(site: Site) -> None:
    client, _ = site
    chosen = client.get("/agenda?view=month", headers=HTML)
    cookie = chosen.headers["set-cookie"]
    assert "lobby_agenda_view=month" in cookie and "HttpOnly" in cookie and "Path=/agenda" in cookie
    assert "month-grid" in client.get("/agenda", headers=HTML).text
    client.get("/agenda?view=list", headers=HTML)
    assert "month-grid" not in client.get("/agenda", headers=HTML).text
    bad = client.get("/agenda?view=jaar", headers=HTML)
    assert bad.status_code == 422 and "jaar" in bad.text
    client.cookies.set("lobby_agenda_view", "jaar", path="/agenda")
    assert client.get("/agenda", headers=HTML).status_code == 200  # an odd cookie: the list
    wrong_day = client.get("/agenda?view=week&date=morgen", headers=HTML)
    assert wrong_day.status_code == 422 and "morgen" in wrong_day.text


def open_month(browser: Any, base: str, db: Database, width: int) -> Any:
    from tests.test_pages import link

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login/{link(db, LOBBYIST, scope='login')}")
    page.goto(f"{base}/agenda?view=month")
    return page


def test_the_month_grid_by_keyboard_and_the_filters_fold_on_a_phone(
    db: Database, browser: Any
) -> None:
    from scheduler.interchange import import_data
    from tests.test_pages import serving

    import_data(db, DATA, "grid data", ACTOR)
    with serving(db) as base:
        phone = open_month(browser, base, db, 390)
        assert phone.evaluate("document.querySelector('details.filters-box').open") is False
        assert (
            phone.evaluate("getComputedStyle(document.querySelector('td.today')).display")
            == "block"
        )
        phone.context.close()
        desk = open_month(browser, base, db, 1280)
        assert desk.evaluate("document.querySelector('details.filters-box').open") is True
        cells = desk.locator("td[data-day]")
        cells.nth(8).focus()
        for key, index in (("ArrowRight", 9), ("ArrowUp", 2), ("ArrowDown", 9),
                           ("ArrowDown", 16), ("Home", 14), ("End", 20), ("ArrowLeft", 19)):  # fmt: skip
            desk.keyboard.press(key)
            focused = desk.evaluate("document.activeElement.dataset.day")
            assert focused == cells.nth(index).get_attribute("data-day"), key
        assert desk.evaluate("document.querySelectorAll('td[tabindex=\"0\"]').length") == 1
        desk.context.close()
