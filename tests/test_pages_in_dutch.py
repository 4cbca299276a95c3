"""Every page, read in Dutch by each kind of reader (lobbyist, manager, admin, a visitor who is
not signed in), error pages and a form shown again with its error included: no English phrase
from the list below, and no machine language (UTC, an RRULE, an ISO 8601 duration) in what a
person sees. Over real HTTP through the ASGI app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient

from scheduler import tokens
from scheduler.agenda import find_item
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import Delivery, DeliveryState
from scheduler.web import create_app
from tests.test_digests import DATA, LOBBYIST, MADE, MANAGER, item
from tests.test_web_agenda import HTML, NOW, sign_in
from tests.test_web_editing import FORM

ADMIN = "a@example.nl"
# English a Dutch reader met on these pages before (issue 16), and machine language.
ENGLISH = ("is not a date", "not found", "forbidden", "stale", "required", "must be", "invalid",
           "reminder", "pending", "no such", "someone changed", "unknown", "use one of",
           "too many", "created", "only lobbyists")  # fmt: skip
MACHINE = re.compile(r"\bUTC\b|FREQ=|\bP\d+[DWYM]\b|\bPT\d+[HMS]\b|\b\d+WD\b|\b\d{4}-\d{2}-\d{2}\b")


class _Visible(HTMLParser):
    """What a person sees of a page: its text, the titles and labels a screen reader speaks,
    and the values of fields they read (not of hidden fields, not addresses of links)."""

    SPOKEN = ("title", "aria-label", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        self.parts += [values[a] or "" for a in self.SPOKEN if values.get(a)]
        # The custom rule's field holds an RRULE by design (an expert's input, its own label);
        # a date field's value is ISO by HTML's rule, and the browser shows it the reader's way.
        shown = (
            values.get("type") not in ("hidden", "checkbox", "radio", "date")
            and values.get("name") != "rrule"
        )
        if tag == "input" and shown:
            self.parts.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    reader = _Visible()
    reader.feed(html)
    return " ".join(" ".join(reader.parts).split())


def problems(html: str) -> list[str]:
    text = visible(html)
    found = [phrase for phrase in ENGLISH if phrase in text.lower()]
    return found + [m.group() for m in MACHINE.finditer(text)]


@pytest.fixture
def site(db: Database) -> Iterator[tuple[TestClient, Database]]:
    from scheduler.interchange import import_data
    from tests.test_reminders import ACTOR

    data: dict[str, Any] = DATA | {
        "people": [*DATA["people"], {"email": ADMIN, "name": "Ada Admin", "roles": ["admin"]}],
        "dossiers": [{"slug": "tunnels", "title": "Spoortunnels", "goal": "EU-subsidie",
                      "lead": LOBBYIST, "targets": ["mra:P6W"], "horizon": "2027-06-30"}],
    }  # fmt: skip
    with time_machine.travel(MADE, tick=False):
        import_data(db, data, "pages data", ACTOR)
        item(db, "mob", title="Bestuurlijk overleg MRA", start="2026-12-08T10:00",
             end="2026-12-08T11:30", themes=["mobiliteit"], stakeholders=["mra"],
             participants=[MANAGER], reminders=["P7D", "P1D", "5WD", "+P1D"],
             confidentiality="public", dossiers=["tunnels"])  # fmt: skip
        item(db, "reeks", title="Wekelijks overleg", start="2026-12-09T09:00",
             end="2026-12-09T09:30", rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;UNTIL=20270630",
             themes=["wonen"], reminders=["PT2H"])  # fmt: skip
        item(db, "telkens", title="Vier keer", start="2026-12-10T09:00",
             end="2026-12-10T09:30", rrule="FREQ=WEEKLY;COUNT=4")  # fmt: skip
    with db.write() as session:
        mob = find_item(session, "mob")
        mob.title = "Bestuurlijk overleg MRA"
        for offset, state in (("P1D", DeliveryState.PENDING), ("5WD", DeliveryState.SENT)):
            session.add(Delivery(
                key=f"reminder:mob:{offset}", kind="reminder", item_id=mob.id, item_uid="mob",
                offset=offset, recipient=LOBBYIST, due_at=NOW + timedelta(hours=2),
                next_attempt_at=NOW, state=state,
            ))  # fmt: skip
    settings = Settings(database_url=db.url, public_url="https://lobby.example")
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(settings, run_jobs=False), base_url="https://lobby.example") as c,
    ):
        yield c, db


PAGES = ("/agenda", "/agenda?kind=meeting&from=2026-12-01", "/agenda?view=week",
         "/agenda?view=month", "/items/mob", "/items/reeks",
         "/items/telkens", "/digest", "/partnerships", "/dossiers", "/dossiers/tunnels", "/feeds",
         "/me", "/public", "/login", "/catalog", "/themes", "/stakeholders")  # fmt: skip
# The catalog's forms: for admins the forms, for the others the 403 page.
CATALOG_FORMS = ("/themes/new", "/themes/wonen/edit", "/stakeholders/new", "/stakeholders/mra/edit",
                 "/partnerships/new", "/partnerships/mra-bestuur/edit")  # fmt: skip
ERRORS = ("/items/nope", "/items/nope/agenda.ics", "/agenda?kind=bogus", "/agenda?status=x",
          "/agenda?from=9+december", "/agenda?from=2026-12-10&to=2026-12-01",
          "/agenda?theme=geen", "/dossiers/geen", "/no/such/page", "/feeds/not-a-token",
          "/chain-steps/abc", "/login/not-a-link", "/agenda?view=year",
          "/agenda?view=week&date=tomorrow")  # fmt: skip


def read(client: TestClient, path: str) -> str:
    answer = client.get(path, headers=HTML)
    assert answer.headers["content-type"].startswith("text/html"), (path, answer.text[:200])
    return answer.text


@pytest.mark.parametrize("who", [LOBBYIST, MANAGER, ADMIN, None])
def test_every_page_and_error_page_reads_in_dutch_without_machine_language(
    site: tuple[TestClient, Database], who: str | None
) -> None:
    client, db = site
    if who is not None:
        sign_in(client, db, who)
    paths = [*PAGES, *ERRORS]
    if who == LOBBYIST:
        paths += ["/items/new", "/items/mob/edit", "/items/reeks/edit", "/items/telkens/edit"]
    if who == MANAGER:
        paths += ["/items/new", "/items/reeks/edit"]  # 403 pages
    if who is not None:
        paths += CATALOG_FORMS
    found = {path: problems(read(client, path)) for path in paths}
    assert {path: words for path, words in found.items() if words} == {}


def test_a_subscriptions_page_and_a_form_shown_again_with_its_error_read_in_dutch(
    site: tuple[TestClient, Database],
) -> None:
    client, db = site
    with db.write() as session:
        _, secret = tokens.create(session, LOBBYIST, today=NOW.date())
    assert problems(read(client, f"/feeds/{secret}")) == []
    sign_in(client, db, LOBBYIST)
    client.get("/items/new", headers=HTML)
    csrf = client.cookies["lobby_csrf"]
    for bad in ({"start": "9 december 2026 10:00"}, {"start": ""}, {"title": ""},
                {"reminders": "een week"}, {"timezone": "Mars/Olympus"},
                {"repeat": "custom", "rrule": "FREQ=HOURLY"}, {"end": "1-12-2026"},
                {"online_url": "www.example.nl"}, {"participants": ["nobody@example.nl"]}):  # fmt: skip
        data = FORM | {"reminders": "1 dag vooraf"} | bad | {"csrf": csrf}
        answer = client.post("/items/new", data=data, headers=HTML)
        assert answer.status_code in (404, 422), bad
        assert 'class="field-error"' in answer.text or "warning" in answer.text
        text = visible(answer.text)
        assert problems(answer.text) == [], (bad, text)
    stale = client.post("/items/mob/edit", data=data | {"csrf": csrf, "revision": "0"},
                        headers=HTML)  # fmt: skip
    assert stale.status_code == 412 and problems(stale.text) == []
    expired = client.post("/items/new", data=FORM | {"csrf": "old"}, headers=HTML)
    assert expired.status_code == 403 and problems(expired.text) == []


def test_the_catalogs_forms_shown_again_with_their_errors_read_in_dutch(
    site: tuple[TestClient, Database],
) -> None:
    client, db = site
    sign_in(client, db, ADMIN)
    client.get("/themes/new", headers=HTML)  # sets the CSRF cookie, as a browser would
    csrf = client.cookies["lobby_csrf"]
    theme = {"name": "Wonen", "priority": "hoog", "role_regionaal": "aanjager", "csrf": csrf}
    for path, data, status in (
        ("/themes/new", theme | {"slug": "wonen"}, 409),
        ("/themes/new", theme | {"slug": "Wonen!"}, 422),
        ("/themes/new", theme | {"slug": "x", "role_regionaal": "baas"}, 422),
        ("/themes/wonen/edit", theme | {"version": "oud"}, 412),
        ("/stakeholders/new", {"slug": "x", "name": "", "kind": "eu", "csrf": csrf}, 422),
        ("/partnerships/new", {"slug": "x", "name": "X", "level": "regionaal", "kind": "uitvoerend",
                               "next_evaluation_on": "morgen", "csrf": csrf}, 422),
    ):  # fmt: skip
        answer = client.post(path, data=data, headers=HTML)
        assert answer.status_code == status, (path, data)
        assert problems(answer.text) == [], (data, visible(answer.text))


def test_too_many_guesses_are_turned_away_in_dutch(site: tuple[TestClient, Database]) -> None:
    client, _ = site
    for _ in range(40):
        answer = client.get("/login/not-a-link", headers=HTML)
    assert answer.status_code == 429
    assert "te veel onbekende links vanaf dit adres" in visible(answer.text).lower()
    assert problems(answer.text) == []


def test_a_form_error_names_its_field_in_dutch_words(site: tuple[TestClient, Database]) -> None:
    client, db = site
    sign_in(client, db, LOBBYIST)
    client.get("/items/new", headers=HTML)
    data = FORM | {"start": "9 december 2026 10:00", "csrf": client.cookies["lobby_csrf"]}
    answer = client.post("/items/new", data=data, headers=HTML)
    assert answer.status_code == 422
    assert (
        "Begin: &#39;9 december 2026 10:00&#39; is geen datum; schrijf bijvoorbeeld "
        "9-12-2026 10:00" in answer.text
    )
    data |= {"start": "9-12-2026 10:00", "reminders": "7 dagen vooraf, 2 werkdagen vooraf"}
    saved = client.post("/items/new", data=data, headers=HTML, follow_redirects=False)
    assert saved.status_code == 303
    uid = saved.headers["location"].removeprefix("/items/")
    form = client.get(f"/items/{uid}/edit", headers=HTML).text
    assert 'value="9-12-2026 10:00"' in form
    assert 'value="1 week vooraf, 2 werkdagen vooraf"' in form
