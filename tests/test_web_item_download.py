"""An item's own calendar file ("zet in mijn agenda"), over real HTTP through the ASGI app: the
whole series as the feeds write it (read back by ical.js), and only for who may see the item."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
from fastapi.testclient import TestClient
from sqlalchemy import select

from scheduler.db import Database
from scheduler.models import AgendaItem
from scheduler.occurrences import expand
from tests.readers import icaljs, ours
from tests.test_digests import LOBBYIST, MANAGER, OUTSIDER, item
from tests.test_web_agenda import HTML, sign_in
from tests.test_web_editing import editor

__all__ = ["editor"]  # a fixture used by name below

WINDOW = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))


def change(client: TestClient, occurrence: str, **form: str) -> None:
    client.get("/items/reeks", headers=HTML)
    data = {"csrf": client.cookies["lobby_csrf"], "occurrence": occurrence} | form
    answer = client.post("/items/reeks/occurrence", data=data, headers=HTML, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def test_the_item_page_offers_its_series_as_a_file_that_icaljs_reads_as_we_do(
    editor: tuple[TestClient, Database],
) -> None:
    client, db = editor
    change(client, "2026-12-15T09:00", action="cancel")
    change(client, "2026-12-22T09:00", action="move", start="23-12-2026 14:00")
    page = client.get("/items/reeks", headers=HTML).text
    assert 'href="/items/reeks/agenda.ics"' in page and "Zet in mijn agenda" in page
    answer = client.get("/items/reeks/agenda.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    assert answer.headers["content-disposition"] == 'attachment; filename="reeks.ics"'
    body = answer.content
    calendar = icalendar.Calendar.from_ical(body)
    [zone] = [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")]
    assert zone == "Europe/Amsterdam"
    events = calendar.walk("VEVENT")
    assert [str(e["RRULE"].to_ical(), "ascii") for e in events if "RRULE" in e] == [
        "FREQ=WEEKLY;COUNT=4"
    ]
    domain = client.app.state.settings.calendar_domain  # type: ignore[attr-defined]
    assert {str(e["UID"]) for e in events} == {f"reeks@{domain}"}  # the feeds' UID
    with db.read() as session:
        stored = session.scalars(select(AgendaItem).where(AgendaItem.uid == "reeks")).one()
        expected = ours(expand(stored, *WINDOW))
    assert icaljs(body, *WINDOW) == expected
    starts = sorted(seen.start for seen in expected if seen.status != "CANCELLED")
    assert starts == ["2026-12-08T08:00:00Z", "2026-12-23T13:00:00Z", "2026-12-29T08:00:00Z"]


def test_a_confidential_item_is_a_file_for_its_people_and_a_dutch_not_found_for_others(
    editor: tuple[TestClient, Database],
) -> None:
    client, db = editor
    item(db, "geheim", title="Vertrouwelijk vooroverleg", start="2026-12-09T09:00",
         end="2026-12-09T10:00", confidentiality="confidential", goal="Grondposities")  # fmt: skip
    mine = client.get("/items/geheim/agenda.ics")
    assert mine.status_code == 200 and b"Grondposities" in mine.content
    for outsider in (MANAGER, OUTSIDER):
        sign_in(client, db, outsider)
        refused = client.get("/items/geheim/agenda.ics", headers=HTML)
        assert refused.status_code == 404
        assert refused.headers["content-type"].startswith("text/html")
        assert "Dit agendapunt bestaat niet, of je mag het niet zien" in refused.text
        assert "Vertrouwelijk" not in refused.text and "Grondposities" not in refused.text
    client.cookies.clear()
    anonymous = client.get("/items/geheim/agenda.ics", headers=HTML)
    assert anonymous.status_code == 401 and "Inloggen" in anonymous.text
    assert "Vertrouwelijk" not in anonymous.text
    sign_in(client, db, LOBBYIST)
    assert client.get("/items/geheim/agenda.ics").status_code == 200
