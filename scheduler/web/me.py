"""The signed-in person's own page: reminder and digest settings, and their links and tokens
(feed links, API tokens): make one (shown once), see when each was last used, revoke it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from scheduler import catalog, clock, tokens, views
from scheduler.errors import LobbyError, NotFound
from scheduler.models import DigestFrequency, DigestScope, OptOut, Person
from scheduler.schemas import WEEKDAYS, PersonIn, parse
from scheduler.texts import Lang, Words, text
from scheduler.web.agenda import (
    check_csrf,
    database_of,
    language,
    page_with_status,
    settings_of,
    signed_in,
)
from scheduler.web.pages import PAGE_HEADERS
from scheduler.web.params import RowId

router = APIRouter(tags=["pages"])
# What a person may make for themself here (login links come by email).
OWN_SCOPES = ("all", "me", tokens.API_READ, tokens.API_WRITE)


@dataclass(frozen=True)
class TokenRow:
    id: int
    label: str
    kind: str  # "agenda-link: hele agenda"
    last_used: str  # in the reader's zone, or "—"


def scope_words(scope: str, lang: Lang) -> str:
    """What a link or token opens, in words: "agenda-link: thema mobiliteit", "inloglink"."""
    kind, _, slug = scope.partition(":")
    if slug:
        return text(f"scope_token_{kind}", lang, slug=slug)
    return text(f"scope_token_{scope.replace('-', '_')}", lang)


def _token_rows(session: Session, person: Person, lang: Lang, zone: str) -> list[TokenRow]:
    words = Words(lang, zone)
    return [
        TokenRow(
            t.id, t.label or "—", scope_words(t.scope, lang),
            words.moment(t.last_used_at, False) if t.last_used_at else "—",
        )
        for t in tokens.listing(session, person.email)
        if t.revoked_at is None
    ]  # fmt: skip


def _me_page(
    request: Request, session: Session, person: Person, *, status: int = 200,
    error: LobbyError | None = None, new_secret: str = "", new_scope: str = "",
) -> HTMLResponse:  # fmt: skip
    settings = settings_of(request)
    lang = language(request, person)
    links = tokens.links(settings.base_url, new_secret, new_scope) if new_secret else None
    context: dict[str, object] = {
        "person": person, "described": catalog.describe_person(person),
        "tokens": _token_rows(session, person, lang, person.timezone or settings.timezone),
        "new_kind": scope_words(new_scope, lang) if new_scope else "",
        "own_kinds": [(scope, scope_words(scope, lang)) for scope in OWN_SCOPES],
        "opt_outs": list(OptOut), "frequencies": list(DigestFrequency),
        "scopes": list(DigestScope), "weekdays": WEEKDAYS,
        "error": error, "new_secret": new_secret, "new_scope": new_scope, "links": links,
        "api_scopes": (tokens.API_READ, tokens.API_WRITE),
        "choices": views.filter_choices(session),
    }  # fmt: skip
    return page_with_status(request, "pages/me.html", lang, status, context)


@router.get("/me", response_class=HTMLResponse, responses={401: {}})
def my_page(request: Request) -> Response:
    """My reminders, my digest, my links and tokens."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        return _me_page(request, session, person)


@router.post("/me", response_class=HTMLResponse, responses={401: {}, 403: {}, 422: {}})
async def save_my_settings(request: Request) -> Response:
    form = await request.form()
    values = {key: form.get(key) for key in form} | {
        name: form.getlist(name) for name in ("reminders_off", "themes", "stakeholders")
    }
    return await run_in_threadpool(_save_settings, request, values)


def _save_settings(request: Request, form: dict[str, Any]) -> Response:
    check_csrf(request, str(form.get("csrf", "")))
    db = database_of(request)
    try:
        with db.write() as session:
            person = signed_in(request, session)
            spec = parse(PersonIn, {
                "email": person.email, "name": person.name,
                "language": form.get("language"), "timezone": form.get("timezone"),
                "follow_reminders": bool(form.get("follow_reminders")),
                "reminders_off": form.get("reminders_off") or [],
                "digest": form.get("digest"), "digest_day": form.get("digest_day"),
                "digest_time": form.get("digest_time"), "digest_scope": form.get("digest_scope"),
                "themes": form.get("themes") or [], "stakeholders": form.get("stakeholders") or [],
            })  # fmt: skip
            catalog.save_person(session, spec)
    except LobbyError as error:
        with db.read() as session:
            person = signed_in(request, session)
            return _me_page(request, session, person, status=error.status, error=error)
    return RedirectResponse("/me", status_code=303, headers=PAGE_HEADERS)


@router.post("/me/tokens", response_class=HTMLResponse, responses={401: {}, 403: {}, 422: {}})
async def make_token(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_make_token, request, {k: form.get(k) for k in form})


def _make_token(request: Request, form: dict[str, Any]) -> Response:
    """A new feed link or API token, shown once on the page that answers."""
    check_csrf(request, str(form.get("csrf", "")))
    scope = str(form.get("scope", "all"))
    db = database_of(request)
    settings = settings_of(request)
    try:
        if scope not in OWN_SCOPES:
            raise NotFound(
                f"unknown kind of link {scope!r}", field="scope", key="not_a_choice",
                params={"value": scope},
            )  # fmt: skip
        with db.write() as session:
            person = signed_in(request, session)
            _, secret = tokens.create(
                session, person.email, label=str(form.get("label", ""))[:200], scope=scope,
                today=clock.today_in(clock.zone(settings.timezone)),
            )  # fmt: skip
    except LobbyError as error:
        with db.read() as session:
            person = signed_in(request, session)
            return _me_page(request, session, person, status=error.status, error=error)
    with db.read() as session:
        person = signed_in(request, session)
        return _me_page(request, session, person, new_secret=secret, new_scope=scope)


@router.post("/me/tokens/{token_id}/revoke", responses={401: {}, 403: {}, 404: {}})
async def revoke_token(request: Request, token_id: RowId) -> Response:
    form = await request.form()
    return await run_in_threadpool(_revoke, request, token_id, str(form.get("csrf", "")))


def _revoke(request: Request, token_id: int, csrf: str) -> Response:
    check_csrf(request, csrf)
    with database_of(request).write() as session:
        person = signed_in(request, session)
        mine = {t.id for t in tokens.listing(session, person.email)}
        if token_id not in mine:
            raise NotFound(f"you have no link or token {token_id}", field="id", key="no_token")
        tokens.revoke(session, token_id, clock.now_utc())
    return RedirectResponse("/me", status_code=303, headers=PAGE_HEADERS)
