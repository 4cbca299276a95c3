"""The agenda's pages over real HTTP through the ASGI app: sign-in by link, the session
cookie, each page, its filters and bad input, and confidential items kept from outsiders."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from scheduler import tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.web import create_app
from tests.test_digests import DATA, LOBBYIST, MADE, MANAGER, OUTSIDER, item
from tests.test_reminders import Inbox, smtp

__all__ = ["smtp"]  # a fixture used by name below

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday 7 December, 10:00 Amsterdam
HTML = {"accept": "text/html"}


@pytest.fixture
def site(db: Database) -> Iterator[tuple[TestClient, Database]]:
    from scheduler.interchange import import_data
    from tests.test_reminders import ACTOR

    with time_machine.travel(MADE, tick=False):
        import_data(db, DATA, "pages data", ACTOR)
        item(db, "mob", title="Bestuurlijk overleg MRA", start="2026-12-08T10:00",
             end="2026-12-08T11:30", themes=["mobiliteit"], stakeholders=["mra"],
             goal="Fietsparkeren", message="Alkmaar draagt bij", confidentiality="public")  # fmt: skip
        item(db, "ps", title="PS besluit Wonen", kind="decision", start="2026-12-14T14:00",
             end="2026-12-14T17:00", themes=["wonen"], owner=None)  # fmt: skip
        item(db, "geheim", title="Vertrouwelijk vooroverleg woningbouw", start="2026-12-09T09:00",
             end="2026-12-09T10:00", themes=["wonen"], confidentiality="confidential",
             goal="Grondposities", message="Nog niet delen")  # fmt: skip
    settings = Settings(database_url=db.url, public_url="https://lobby.example")
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(
            create_app(settings, run_jobs=False), base_url="https://lobby.example"
        ) as client,
    ):
        yield client, db


def sign_in(client: TestClient, db: Database, email: str) -> None:
    with db.write() as session:
        _, secret = tokens.create(session, email, scope="login", today=NOW.date())
    answer = client.get(f"/login/{secret}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/agenda"


def test_a_sign_in_link_sets_an_httponly_session_cookie_and_opens_the_agenda(
    site: tuple[TestClient, Database],
) -> None:
    client, db = site
    with db.write() as session:
        _, secret = tokens.create(session, MANAGER, scope="login", today=NOW.date())
    answer = client.get(f"/login/{secret}", follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    assert answer.headers["referrer-policy"] == "no-referrer"  # the link must not leak
    page = client.get("/agenda", headers=HTML)
    assert page.status_code == 200 and "Bestuurlijk overleg MRA" in page.text
    assert "Ingelogd als Mira Manager" in page.text


def test_pages_without_a_session_ask_to_sign_in_and_the_public_page_does_not(
    site: tuple[TestClient, Database],
) -> None:
    client, _ = site
    for path in ("/agenda", "/items/mob", "/digest", "/partnerships"):
        answer = client.get(path, headers=HTML)
        assert answer.status_code == 401 and "persoonlijke inloglink" in answer.text, path
    assert client.get("/agenda").json()["error"].startswith("sign in")  # API clients: JSON
    public = client.get("/public", headers=HTML)
    assert public.status_code == 200 and "Bestuurlijk overleg MRA" in public.text
    for internal in ("PS besluit Wonen", "Vertrouwelijk", "Fietsparkeren", "Lars Lobbyist"):
        assert internal not in public.text  # public items only, and no goals or people


def main_menu(html: str) -> list[str]:
    menu = re.search(r'<nav aria-label="Hoofdmenu" class="main">(.*?)</nav>', html, re.S)
    assert menu, html
    return [" ".join(label.split()) for label in re.findall(r">([^<]+)</a>", menu.group(1))]


def test_visitors_who_are_not_signed_in_see_only_the_public_menu(
    site: tuple[TestClient, Database],
) -> None:
    client, db = site
    public_menu = ["Openbare agenda", "Abonnementen", "Inloggen"]
    for path in ("/public", "/feeds", "/login", "/agenda", "/dossiers"):
        answer = client.get(path, headers=HTML)
        assert main_menu(answer.text) == public_menu, path
        assert "Uitloggen" not in answer.text
    sign_in(client, db, MANAGER)
    full_menu = [
        "Agenda", "Overzicht", "Dossiers", "Catalogus", "Zoeken", "Abonnementen",
        "Mijn instellingen", "Openbare agenda",
    ]  # fmt: skip
    for path in ("/public", "/feeds", "/agenda"):
        assert main_menu(client.get(path, headers=HTML).text) == full_menu, path
    assert "Uitloggen" in client.get("/public", headers=HTML).text


def test_a_feed_link_does_not_sign_in_and_a_sign_in_link_opens_no_feed(
    site: tuple[TestClient, Database],
) -> None:
    client, db = site
    with db.write() as session:
        _, feed = tokens.create(session, MANAGER, today=NOW.date())
        _, login = tokens.create(session, MANAGER, scope="login", today=NOW.date())
    assert client.get(f"/login/{feed}", headers=HTML).status_code == 404
    assert client.get(f"/feeds/{login}", headers=HTML).status_code == 404
    assert client.get(f"/feeds/{login}/all.ics").status_code == 403
    assert client.get("/login/not-a-token", headers=HTML).status_code == 404


def test_a_confidential_item_is_hidden_from_outsiders_on_every_page(
    site: tuple[TestClient, Database],
) -> None:
    client, db = site
    sign_in(client, db, MANAGER)
    for path in ("/agenda", "/agenda?theme=wonen", "/digest", "/partnerships"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, path
        for secret in ("Vertrouwelijk vooroverleg", "Grondposities", "Nog niet delen"):
            assert secret not in page.text, (path, secret)
    assert client.get("/items/geheim", headers=HTML).status_code == 404  # as if unknown
    sign_in(client, db, LOBBYIST)
    assert "Grondposities" in client.get("/items/geheim", headers=HTML).text
    assert "Vertrouwelijk vooroverleg woningbouw" in client.get("/agenda", headers=HTML).text


def test_the_agenda_filters_by_theme_kind_owner_and_period(
    site: tuple[TestClient, Database],
) -> None:
    client, db = site
    sign_in(client, db, MANAGER)

    def titles(query: str) -> list[str]:
        page = client.get(f"/agenda?{query}", headers=HTML).text
        return [t for t in ("Bestuurlijk overleg MRA", "PS besluit Wonen") if t in page]

    assert titles("") == ["Bestuurlijk overleg MRA", "PS besluit Wonen"]
    assert titles("theme=wonen") == ["PS besluit Wonen"]
    assert titles("kind=decision") == ["PS besluit Wonen"]
    assert titles(f"owner={LOBBYIST}") == ["Bestuurlijk overleg MRA"]
    assert titles("from=2026-12-10&to=2026-12-31") == ["PS besluit Wonen"]
    assert titles("stakeholder=mra&kind=meeting") == ["Bestuurlijk overleg MRA"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("theme=onbekend", 404, "unknown theme"),
        ("from=morgen", 422, "is not a date"),
        ("from=2026-12-10&to=2026-12-01", 422, "lies before"),
        ("kind=lunch", 422, ""),
    ],
)
def test_a_bad_filter_gets_a_clear_answer_not_a_500(
    site: tuple[TestClient, Database], query: str, status: int, message: str
) -> None:
    client, db = site
    sign_in(client, db, MANAGER)
    answer = client.get(f"/agenda?{query}")
    assert answer.status_code == status and message in answer.json()["error"]


def test_an_item_page_shows_every_field_its_next_occurrences_and_history(
    site: tuple[TestClient, Database],
) -> None:
    client, db = site
    sign_in(client, db, MANAGER)
    page = client.get("/items/mob", headers=HTML).text
    for expected in ("dinsdag 8 december 2026 om 10:00–11:30", "Fietsparkeren", "Alkmaar draagt bij",
                     "Metropoolregio Amsterdam", "Lars Lobbyist", "Geschiedenis", "aangemaakt"):  # fmt: skip
        assert expected in page, expected


def test_an_item_page_tells_its_mail_and_history_in_words_and_local_time(
    site: tuple[TestClient, Database],
) -> None:
    from scheduler.agenda import find_item
    from scheduler.models import Delivery, DeliveryState

    client, db = site
    with db.write() as session:
        mob = find_item(session, "mob")
        for offset, state, due in (("P1D", DeliveryState.SENT, NOW), ("2WD", None, NOW),
                                   ("+P1D", None, NOW + timedelta(days=2))):  # fmt: skip
            session.add(Delivery(
                key=f"reminder:mob:{offset}", kind="reminder", item_id=mob.id, item_uid="mob",
                offset=offset, recipient="lars@example.nl", due_at=due, next_attempt_at=due,
                **({"state": state} if state else {}),
            ))  # fmt: skip
    sign_in(client, db, MANAGER)
    page = client.get("/items/mob", headers=HTML).text
    rows = [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", page)
    ]
    assert ["ma 7 dec 10:00", "Herinnering, 1 dag vooraf", "lars@example.nl", "verstuurd"] in rows
    assert ["ma 7 dec 10:00", "Herinnering, 2 werkdagen vooraf", "lars@example.nl", "wacht"] in rows
    assert ["wo 9 dec 10:00", "Herinnering, 1 dag na afloop", "lars@example.nl", "wacht"] in rows
    assert " UTC" not in page and "P1D" not in page and "2WD" not in page


def test_the_digest_and_partnership_pages(site: tuple[TestClient, Database]) -> None:
    client, db = site
    sign_in(client, db, MANAGER)
    digest = client.get("/digest", headers=HTML).text
    assert "Aandachtspunten" in digest and "PS besluit Wonen" in digest
    assert "data-print" in digest
    matrix = client.get("/partnerships", headers=HTML).text
    assert "MRA bestuurlijk overleg" in matrix and "bovenregionaal" in matrix


def test_signing_out_ends_the_session(site: tuple[TestClient, Database]) -> None:
    client, db = site
    sign_in(client, db, OUTSIDER)
    assert client.get("/agenda", headers=HTML).status_code == 200
    stolen = dict(client.cookies)
    forged = client.post("/logout", data={"csrf": "guess"}, follow_redirects=False)
    assert forged.status_code == 403  # a form from elsewhere does not sign anyone out
    answer = client.post(
        "/logout", data={"csrf": client.cookies["lobby_csrf"]}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/public"
    client.cookies.update({"lobby_session": stolen["lobby_session"]})  # kept: still no use
    assert client.get("/agenda", headers=HTML).status_code == 401


# ---------------------------------------------------------------- sign-in by email


@pytest.fixture
def mail_site(db: Database, smtp: tuple[Inbox, Controller]) -> Iterator[tuple[TestClient, Inbox]]:
    from scheduler.interchange import import_data
    from tests.test_reminders import ACTOR

    inbox, controller = smtp
    with time_machine.travel(MADE, tick=False):
        import_data(db, DATA, "pages data", ACTOR)
    settings = Settings(
        database_url=db.url, public_url="https://lobby.example", smtp_host="127.0.0.1",
        smtp_port=controller.port, smtp_security="none",
    )  # fmt: skip
    with TestClient(
        create_app(settings, run_jobs=False), base_url="https://lobby.example"
    ) as client:
        yield client, inbox


def ask_link(client: TestClient, email: str) -> Any:
    client.get("/login")
    return client.post("/login", data={"email": email, "csrf": client.cookies["lobby_csrf"]})


def link_in(message: Message) -> str:
    body = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    [link] = re.findall(r"https://lobby\.example(/login/\S+)", body)
    return str(link)


def test_a_sign_in_link_by_email_works_once_for_fifteen_minutes(
    mail_site: tuple[TestClient, Inbox],
) -> None:
    client, inbox = mail_site
    with time_machine.travel(NOW, tick=False):
        answer = ask_link(client, "L@Example.nl ")
        assert answer.status_code == 200 and "inloglink onderweg" in answer.text
        [message] = inbox.messages
        assert str(message["To"]) == "Lars Lobbyist <l@example.nl>"
        assert str(message["Subject"]) == "Je inloglink voor de lobbyagenda"
        link = link_in(message)
        opened = client.get(link, follow_redirects=False)
        assert opened.status_code == 303 and "lobby_session" in opened.headers["set-cookie"]
        again = client.get(link, headers=HTML)
        assert (again.status_code == 410 and "al gebruikt" in again.text) or "used" in again.text
        ask_link(client, LOBBYIST)
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        late = client.get(link_in(inbox.messages[1]))
        assert late.status_code == 410 and "expired" in late.json()["error"]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    mail_site: tuple[TestClient, Inbox],
) -> None:
    client, inbox = mail_site
    with time_machine.travel(NOW, tick=False):
        known = ask_link(client, LOBBYIST).text
        unknown = ask_link(client, "nobody@example.nl").text
    assert unknown == known and len(inbox.messages) == 1


def test_sign_in_requests_are_limited_per_address_and_per_client(
    mail_site: tuple[TestClient, Inbox],
) -> None:
    client, inbox = mail_site
    with time_machine.travel(NOW, tick=False):
        answers = [ask_link(client, LOBBYIST).status_code for _ in range(10)]
        assert answers == [200] * 10 and len(inbox.messages) == 3  # three links per 15 minutes
        assert ask_link(client, MANAGER).status_code == 429  # this client asked too often
        forged = client.post("/login", data={"email": LOBBYIST, "csrf": "x"})
        assert forged.status_code == 403 and len(inbox.messages) == 3


def test_guessing_sign_in_links_is_cut_off(mail_site: tuple[TestClient, Inbox]) -> None:
    client, _ = mail_site
    answers = [client.get(f"/login/guess{n}").status_code for n in range(31)]
    assert answers[:30] == [404] * 30 and answers[30] == 429


def test_guessing_feed_links_and_api_tokens_is_cut_off(site: tuple[TestClient, Database]) -> None:
    client, _ = site
    feeds = [client.get(f"/feeds/guess{n}/all.ics").status_code for n in range(30)]
    assert feeds == [404] * 30
    assert client.get("/feeds/guess-more/all.ics").status_code == 429
    api = client.get("/api/v1/items", headers={"authorization": "Bearer guess"})
    assert api.status_code == 429 and "too many" in api.json()["error"]
