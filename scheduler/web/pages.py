"""Server-rendered pages (Jinja2): the calendar subscriptions page."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from scheduler import catalog, clock, dossiers, sessions, sources, tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import NotFound
from scheduler.models import FeedToken, Person
from scheduler.rendering import render
from scheduler.texts import Lang, Words, text
from scheduler.web.feeds import DATABASE_DOWN, unavailable

log = logging.getLogger(__name__)
router = APIRouter(tags=["pages"])

# Pages carry feed secrets in their URL: never send it on as a Referer, never cache or frame it.
PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}
COOKIE = "lobby_session"


def visitor(request: Request, session: Session) -> Person | None:
    """The signed-in person, if any (public pages show them their menu)."""
    secret = request.cookies.get(COOKIE)
    return sessions.person_of(session, secret, clock.now_utc()) if secret else None


def _visitor_if_any(request: Request) -> Person | None:
    """The signed-in visitor for the menu; this page works without the database."""
    if COOKIE not in request.cookies:
        return None
    db: Database = request.app.state.db
    try:
        with db.read() as session:
            return visitor(request, session)
    except DATABASE_DOWN:
        return None


@dataclass(frozen=True)
class _Feed:
    name: str
    https: str
    webcal: str
    google: str


@dataclass(frozen=True)
class _Group:
    title: str
    feeds: list[_Feed]


@dataclass(frozen=True)
class _Failing:
    """An outside calendar that keeps failing: its items may be out of date."""

    name: str
    error: str
    last_success: str


def _failing(session: Session, settings: Settings, lang: Lang) -> list[_Failing]:
    words = Words(lang, settings.timezone)
    return [
        _Failing(
            source.name,
            source.last_error,
            words.long(source.last_success_at, False)
            if source.last_success_at
            else text("never_succeeded", lang),
        )
        for source in sources.failing(session)
    ]


def _feed(settings: Settings, secret: str | None, name: str, path: str) -> _Feed:
    links = tokens.links(settings.base_url, secret, path)
    return _Feed(name, links.https, links.webcal, links.google)


def _language(chosen: str | None, fallback: str) -> Lang:
    return "en" if (chosen or fallback) == "en" else "nl"


@router.get("/feeds", response_class=HTMLResponse)
def public_subscriptions(request: Request, lang: str | None = Query(None)) -> HTMLResponse:
    """The public feed, with how to subscribe to it. (Failing outside calendars are shown on
    the personal pages only: their names and errors are internal.)"""
    settings: Settings = request.app.state.settings
    language = _language(lang, settings.language)
    groups = [
        _Group(
            text("feed_public", language),
            [_feed(settings, None, text("feed_public", language), "public.ics")],
        )
    ]
    html = render(
        "pages/feeds.html", language, me=_visitor_if_any(request), person=None, groups=groups,
        failing=[],
    )  # fmt: skip
    return HTMLResponse(html, headers=PAGE_HEADERS)


@router.get("/feeds/{token}", response_class=HTMLResponse, responses={404: {}, 410: {}, 503: {}})
def subscriptions(request: Request, token: str, lang: str | None = Query(None)) -> Response:
    """The feeds a personal link opens, each with https, webcal and Google links."""
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    today = clock.today_in(clock.zone(settings.timezone))
    try:
        with db.read() as session:
            found = tokens.resolve(session, token, today)
            if found.scope in tokens.NOT_FEEDS:
                raise NotFound("no such feed", key="no_feed")  # sign-in, API tokens: no feeds
            language = _language(lang, found.person.language.value)
            groups = _groups(session, settings, found, token, language)
            failing = _failing(session, settings, language)
            html = render(
                "pages/feeds.html", language, person=found.person, groups=groups, failing=failing
            )
    except DATABASE_DOWN as exc:
        return unavailable(exc)
    return HTMLResponse(html, headers=PAGE_HEADERS)


def _groups(
    session: Session, settings: Settings, token: FeedToken, secret: str, lang: Lang
) -> list[_Group]:
    kind, _, slug = token.scope.partition(":")
    if kind == "me":
        return [
            _Group(
                text("my_calendar", lang),
                [_feed(settings, secret, text("feed_me", lang), "me.ics")],
            )
        ]
    if kind == "theme":
        (theme,) = catalog.themes(session, [slug])
        return [
            _Group(
                text("feeds_per_theme", lang), [_feed(settings, secret, theme.name, token.scope)]
            )
        ]
    if kind == "dossier":
        (dossier,) = catalog.dossiers(session, [slug])
        return [
            _Group(
                text("feeds_per_dossier", lang),
                [_feed(settings, secret, dossier.title, token.scope)],
            )
        ]
    if kind == "stakeholder":
        (stakeholder,) = catalog.stakeholders(session, [slug])
        return [
            _Group(
                text("feeds_per_stakeholder", lang),
                [_feed(settings, secret, stakeholder.name, token.scope)],
            )
        ]
    per_dossier = [
        _feed(settings, secret, d.title, f"dossier:{d.slug}")
        for d in sorted(dossiers.all_dossiers(session), key=lambda d: d.title)
    ]
    return [
        _Group(
            text("calendar", lang),
            [
                _feed(settings, secret, text("feed_me", lang), "me.ics"),
                _feed(settings, secret, text("feed_all", lang), "all.ics"),
            ],
        ),
        *([_Group(text("feeds_per_dossier", lang), per_dossier)] if per_dossier else []),
        _Group(
            text("feeds_per_theme", lang),
            [
                _feed(settings, secret, t.name, f"theme:{t.slug}")
                for t in catalog.all_themes(session)
            ],
        ),
        _Group(
            text("feeds_per_stakeholder", lang),
            [
                _feed(settings, secret, s.name, f"stakeholder:{s.slug}")
                for s in catalog.all_stakeholders(session)
            ],
        ),
    ]
