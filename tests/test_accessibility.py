"""Every page checked by axe-core (Deque's accessibility engine, from the npm registry) in
Chromium, at desktop and phone width: no serious or critical violations.

The agenda is the demo's, so the pages carry real content: recurring items, confidential ones,
dossiers, a reviewed public contact, a form shown again with an error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scheduler import demo
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import AgendaItem, Confidentiality, Dossier
from tests.test_pages import link, serving

AXE = Path(__file__).resolve().parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)
SERIOUS = ("serious", "critical")
LOBBYIST, ADMIN = "j.jansen@alkmaar.example", "r.degroot@alkmaar.example"


@pytest.fixture
def site(sqlite_db: Database) -> Iterator[tuple[str, Database]]:
    demo.load(sqlite_db, Settings(database_url=sqlite_db.url))
    with serving(sqlite_db) as base:
        yield base, sqlite_db


def violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return [
        f"{page.url} [{v['impact']}] {v['id']}: {v['help']} at {v['nodes']}"
        for v in found
        if v["impact"] in SERIOUS
    ]


def check_pages(browser: Any, base: str, paths: list[str], sign_in: str | None = None) -> list[str]:
    problems: list[str] = []
    for width in WIDTHS:
        # axe is injected as a script, which the pages' Content-Security-Policy rightly forbids
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        page = context.new_page()
        if sign_in:
            page.goto(f"{base}/login/{sign_in}")
        for path in paths:
            answer = page.goto(base + path)
            assert answer is not None and answer.status < 500, (path, answer and answer.status)
            problems += [f"{width}px {line}" for line in violations(page)]
        context.close()
    return problems


def uids(db: Database) -> tuple[str, str, str]:
    """An internal item, a recurring one and a dossier of the demo."""
    with db.read() as session:
        items = session.scalars(select(AgendaItem).order_by(AgendaItem.id)).all()
        internal = next(i for i in items if i.confidentiality == Confidentiality.INTERNAL)
        recurring = next(i for i in items if i.rrule)
        dossier = session.scalars(select(Dossier.slug).order_by(Dossier.id)).first()
    assert dossier is not None
    return internal.uid, recurring.uid, dossier


def test_the_pages_of_a_signed_in_lobbyist_have_no_serious_violations(
    site: tuple[str, Database], browser: Any
) -> None:
    base, db = site
    internal, recurring, dossier = uids(db)
    feeds = link(db, LOBBYIST)
    paths = [
        "/agenda", "/agenda?view=week", "/agenda?view=month", f"/items/{internal}",
        f"/items/{recurring}", f"/items/{internal}/edit",
        "/items/new", "/dossiers", f"/dossiers/{dossier}", f"/dossiers/{dossier}/edit",
        "/dossiers/new", "/partnerships", "/digest", "/me", "/zoeken?q=overleg", "/contacts",
        "/catalog", "/themes", "/stakeholders",
        f"/feeds/{feeds}", "/items/no-such-item",
    ]  # fmt: skip
    problems = check_pages(browser, base, paths, sign_in=link(db, LOBBYIST, scope="login"))
    assert problems == []


def test_a_form_shown_again_with_an_error_has_no_serious_violations(
    site: tuple[str, Database], browser: Any
) -> None:
    base, db = site
    internal, _, _ = uids(db)
    page = browser.new_page(bypass_csp=True)
    page.goto(f"{base}/login/{link(db, LOBBYIST, scope='login')}")
    page.goto(f"{base}/items/{internal}/edit")
    page.locator("[name=start]").fill("volgende week")
    page.locator("button[value=save]").click()
    page.wait_for_load_state()
    assert page.locator("[aria-invalid=true]").count() >= 1
    assert violations(page) == []
    page.close()


def test_a_catalog_form_shown_again_with_an_error_has_no_serious_violations(
    site: tuple[str, Database], browser: Any
) -> None:
    base, db = site
    page = browser.new_page(bypass_csp=True)
    page.goto(f"{base}/login/{link(db, ADMIN, scope='login')}")
    page.goto(f"{base}/themes/new")
    page.locator("[name=name]").fill("Energie")
    page.locator("[name=slug]").fill("mobiliteit")  # taken
    page.locator("form.item-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#f-slug[aria-invalid=true]").count() == 1
    assert violations(page) == []
    page.close()


def test_the_pages_of_an_admin_have_no_serious_violations(
    site: tuple[str, Database], browser: Any
) -> None:
    base, db = site
    internal, _, _ = uids(db)
    paths = ["/agenda", f"/items/{internal}", f"/items/{internal}/edit", "/catalog", "/themes",
             "/stakeholders", "/partnerships", "/themes/new", "/themes/mobiliteit/edit",
             "/stakeholders/new", "/stakeholders/europese-commissie/edit", "/partnerships/new",
             "/partnerships/verbinding-mra-nhn/edit"]  # fmt: skip
    assert check_pages(browser, base, paths, sign_in=link(db, ADMIN, scope="login")) == []


def test_the_pages_for_visitors_have_no_serious_violations(
    site: tuple[str, Database], browser: Any
) -> None:
    base, _ = site
    paths = ["/public", "/login", "/feeds", "/agenda", "/feeds/not-a-token"]
    assert check_pages(browser, base, paths) == []


def test_axe_finds_what_it_should_on_a_page_made_wrong(
    site: tuple[str, Database], browser: Any
) -> None:
    """The check itself works: an image without alt text and an unlabelled field are found."""
    base, _ = site
    page = browser.new_page(bypass_csp=True)
    page.goto(f"{base}/public")
    page.evaluate(
        """() => { document.body.insertAdjacentHTML('beforeend',
            '<img src="/static/x.png"><input type="text" name="q">'); }"""
    )
    found = "\n".join(violations(page))
    assert "image-alt" in found and "label" in found
    page.close()
