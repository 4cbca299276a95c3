"""Screenshots of every page, as each kind of reader sees it, at desktop and phone width: for a
reviewer to look at the product without setting it up (`make screenshots`).

The app runs on a throwaway SQLite file with the demo data, on a free port on loopback, and
Debian's Chromium (driven by Playwright, as in the tests) takes full-page PNGs. They go to
`var/screenshots/` (not committed): `<reader>-<page>-<width>.png`, with an index.html.
"""

from __future__ import annotations

import argparse
import html
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduler import clock, demo, tokens  # noqa: E402
from scheduler.config import Settings  # noqa: E402
from scheduler.db import Database  # noqa: E402
from scheduler.models import AgendaItem, Confidentiality, Dossier  # noqa: E402
from scheduler.web import create_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WIDTHS = (1280, 390)
READERS = {  # who, and the demo person who reads as them
    "lobbyist": "j.jansen@alkmaar.example",
    "english": "e.clarke@alkmaar.example",
    "manager": "i.mulder@alkmaar.example",
    "admin": "r.degroot@alkmaar.example",
}
VISITOR_PAGES = {"public": "/public", "feeds": "/feeds", "login": "/login", "not-found": "/nope"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(db: Database) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=db.url, port=port, public_url=base)
    app = create_app(settings, run_jobs=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the app did not start within 30 s")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _pages(db: Database) -> dict[str, str]:
    """What a signed-in reader visits: the agenda in its three views, an item of each kind of
    interest, the forms, dossiers, search, and their own settings."""
    with db.read() as session:
        items = session.scalars(select(AgendaItem).order_by(AgendaItem.starts_at)).all()
        internal = next(i.uid for i in items if i.confidentiality == Confidentiality.INTERNAL)
        series = next(i.uid for i in items if i.rrule)
        dossier = session.scalars(select(Dossier.slug).order_by(Dossier.slug)).first()
    return {
        "agenda-list": "/agenda?view=list", "agenda-week": "/agenda?view=week",
        "agenda-month": "/agenda?view=month", "item": f"/items/{internal}",
        "series": f"/items/{series}", "item-form": f"/items/{internal}/edit",
        "new-item": "/items/new", "dossiers": "/dossiers", "dossier": f"/dossiers/{dossier}",
        "dossier-form": f"/dossiers/{dossier}/edit", "partnerships": "/partnerships",
        "digest": "/digest", "me": "/me", "contacts": "/contacts", "search": "/zoeken?q=overleg",
        "catalog": "/catalog", "themes": "/themes", "stakeholders": "/stakeholders",
        "theme-form": "/themes/mobiliteit/edit", "partnership-form": "/partnerships/new",
    }  # fmt: skip


def _shoot(base: str, db: Database, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    taken: list[Path] = []
    pages = _pages(db)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )  # fmt: skip
        for width in WIDTHS:
            for reader, email in [("visitor", ""), *READERS.items()]:
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                if email:
                    with db.write() as session:
                        _, secret = tokens.create(
                            session, email, scope="login", today=clock.now_utc().date()
                        )
                    page.goto(f"{base}/login/{secret}")
                for name, path in (pages if email else VISITOR_PAGES).items():
                    page.goto(base + path)
                    target = out / f"{reader}-{name}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    taken.append(target)
                context.close()
        browser.close()
    return taken


def _index(out: Path, taken: list[Path]) -> Path:
    rows = "\n".join(
        f'<figure><figcaption>{html.escape(p.stem)}</figcaption><img src="{p.name}" '
        f'alt="{html.escape(p.stem)}" loading="lazy"></figure>'
        for p in taken
    )
    index = out / "index.html"
    index.write_text(
        "<!doctype html><meta charset=utf-8><title>lobby-agenda screenshots</title>"
        "<style>figure{display:inline-block;vertical-align:top;margin:1rem;max-width:640px}"
        "img{max-width:100%;border:1px solid #ccc}</style>\n" + rows + "\n"
    )
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "screenshots")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: install Debian's chromium (make test does)")
    args.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite:///{Path(scratch) / 'screenshots.sqlite3'}")
        db.upgrade()
        demo.load(db, Settings(database_url=db.url))
        with _serving(db) as base:
            taken = _shoot(base, db, args.output)
        db.dispose()
    print(f"{len(taken)} screenshots in {args.output}; open {_index(args.output, taken)}")


if __name__ == "__main__":
    main()
