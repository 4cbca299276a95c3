"""The agenda's pages: sign-in by link, the agenda, an item, the digest, the partnerships,
and the open agenda (the only one without sign-in)."""

from __future__ import annotations

import logging
import secrets
from datetime import date, timedelta
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import (
    catalog,
    catalog_views,
    clock,
    digest_mail,
    oidc,
    open_agenda,
    overlaps,
    permissions,
    reminders,
    sessions,
    views,
)
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.digests import build as build_digest
from scheduler.errors import Forbidden, Gone, LobbyError, NotFound, SignInRequired, ValidationError
from scheduler.feeds import FeedBuilder
from scheduler.ics_writer import item_calendar
from scheduler.mailer import Mailer, SendError
from scheduler.models import ItemKind, ItemStatus, Person, PersonRole
from scheduler.rendering import render
from scheduler.texts import Lang, Words, say_error, say_rule, text
from scheduler.web import attached, limits
from scheduler.web.feeds import DATABASE_DOWN, unavailable
from scheduler.web.item_form import iso_wall
from scheduler.web.pages import COOKIE, PAGE_HEADERS, visitor

log = logging.getLogger(__name__)
router = APIRouter(tags=["pages"])
CSRF_COOKIE, OIDC_COOKIE = "lobby_csrf", "lobby_oidc"
PUBLIC_LOOKBACK = timedelta(days=90)  # the lobby contacts /public lists (the export: any period)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def database_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def signed_in(request: Request, session: Session) -> Person:
    """The person whose session cookie came with the request, or SignInRequired."""
    person = visitor(request, session)
    if person is None:
        raise SignInRequired()
    return person


def language(request: Request, person: Person | None) -> Lang:
    chosen = request.query_params.get("lang") or (
        person.language.value if person else settings_of(request).language
    )
    return "en" if chosen == "en" else "nl"


def page(request: Request, template: str, lang: Lang, **context: object) -> HTMLResponse:
    return page_with_status(request, template, lang, 200, context)


def page_with_status(
    request: Request, template: str, lang: Lang, status: int, context: dict[str, object]
) -> HTMLResponse:
    """A page; its forms carry the CSRF token that the cookie of the same name holds."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    error = context.get("error")
    error_text = say_error(error, lang) if isinstance(error, LobbyError) else ""
    html = render(
        template, lang, path=request.url.path, me=context.get("person"), csrf=token,
        error_text=error_text, **context,
    )  # fmt: skip
    response = HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", path="/",
            secure=settings_of(request).base_url.startswith("https://"),
        )  # fmt: skip
    return response


def check_csrf(request: Request, sent: str) -> None:
    """A form post must carry the token of the cookie set with the page (double submit)."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, sent):
        raise Forbidden(text("form_expired", "en"), field="csrf", key="form_expired")


# ---------------------------------------------------------------- signing in and out


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """Ask for a sign-in link by email."""
    return page(
        request,
        "pages/login.html",
        language(request, None),
        person=None,
        sent=False,
        sign_on=provider_of(request) is not None,
    )


@router.post("/login", response_class=HTMLResponse, responses={403: {}, 429: {}, 503: {}})
def send_login_link(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Mail a one-time sign-in link (15 minutes) to a known address; the answer is the same
    for an unknown one."""
    check_csrf(request, csrf)
    limits.take(request, limits.SIGN_IN_REQUESTS)
    settings = settings_of(request)
    lang = language(request, None)
    with database_of(request).write() as session:
        found = sessions.request_link(session, email, clock.now_utc())
        mail = reminders.settings_from(settings)
        message = (
            sessions.link_message(
                found[0], f"{settings.base_url}/login/{found[1]}", mail.letterhead
            )
            if found
            else None
        )  # fmt: skip
    if message is not None:
        try:
            with Mailer(mail.smtp) as mailer:
                mailer.send(message)
        except SendError as exc:
            log.warning("could not send a sign-in link: %s", exc)
            context: dict[str, object] = {
                "person": None,
                "sent": False,
                "failed": True,
                "sign_on": False,
            }
            return page_with_status(request, "pages/login.html", lang, 503, context)
    return page(request, "pages/login.html", lang, person=None, sent=True, sign_on=False)


def provider_of(request: Request) -> oidc.Provider | None:
    """The single sign-on provider, when one is configured."""
    settings = settings_of(request)
    if not settings.oidc_issuer:
        return None
    return oidc.Provider(
        issuer=settings.oidc_issuer, client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        redirect_uri=f"{settings.base_url}/login/oidc/callback", scopes=settings.oidc_scopes,
        email_claim=settings.oidc_email_claim,
    )  # fmt: skip


@router.get("/login/oidc", responses={302: {}, 404: {}})
def sign_on(request: Request) -> Response:
    """Off to the municipality's identity provider (OpenID Connect)."""
    provider = provider_of(request)
    if provider is None:
        raise NotFound(
            "no single sign-on is configured here; ask for a link by email", key="no_sign_on"
        )
    started = oidc.start(provider)
    response = RedirectResponse(started.url, status_code=302, headers=PAGE_HEADERS)
    response.set_cookie(
        OIDC_COOKIE, f"{started.state}.{started.nonce}.{started.verifier}", max_age=600,
        httponly=True, samesite="lax", path="/login/oidc",
        secure=settings_of(request).base_url.startswith("https://"),
    )  # fmt: skip
    return response


@router.get("/login/oidc/callback", responses={303: {}, 401: {}, 403: {}, 404: {}})
def signed_on(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    """Back from the provider: check state, exchange the code, verify the ID token, and sign
    in the active person with that email."""
    provider = provider_of(request)
    if provider is None:
        raise NotFound("no single sign-on is configured here", key="no_sign_on")
    if error:
        raise oidc.SignOnFailed(f"the sign-on provider answered: {error[:200]}")
    kept = request.cookies.get(OIDC_COOKIE, "").split(".")
    if len(kept) != 3 or not code or not secrets.compare_digest(kept[0], state):
        raise oidc.SignOnFailed("this sign-on did not start here, or took too long; try again")
    email = oidc.finish(provider, code, nonce=kept[1], verifier=kept[2])
    now = clock.now_utc()
    with database_of(request).write() as session:
        person = session.scalar(select(Person).where(Person.email == email))
        if person is None or not person.active:
            raise Forbidden(
                f"{email} has no access to the lobby agenda; ask an administrator",
                key="no_access", params={"email": email},
            )  # fmt: skip
        secret = sessions.open_session(session, person.id, now)
    response = RedirectResponse("/agenda", status_code=303, headers=PAGE_HEADERS)
    response.delete_cookie(OIDC_COOKIE, path="/login/oidc")
    _set_session_cookie(request, response, secret)
    return response


@router.get("/login/{token}", response_class=HTMLResponse, responses={404: {}, 410: {}, 429: {}})
def login(request: Request, token: str) -> Response:
    """Open a session from a sign-in link (emailed, or `token create EMAIL --scope login`)."""
    settings = settings_of(request)
    now = clock.now_utc()
    try:
        with database_of(request).write() as session:
            limits.check(session, request, limits.BAD_TOKENS)
            secret = sessions.sign_in(
                session, token, now, clock.today_in(clock.zone(settings.timezone))
            )
    except (NotFound, Gone):
        limits.count(request, limits.BAD_TOKENS)
        raise
    response = RedirectResponse("/agenda", status_code=303, headers=PAGE_HEADERS)
    _set_session_cookie(request, response, secret)
    return response


def _set_session_cookie(request: Request, response: Response, secret: str) -> None:
    response.set_cookie(
        COOKIE, secret, max_age=int(sessions.LIFETIME.total_seconds()), httponly=True,
        samesite="lax", secure=settings_of(request).base_url.startswith("https://"), path="/",
    )  # fmt: skip


@router.post("/logout", responses={403: {}})
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """End this browser's session."""
    check_csrf(request, csrf)
    secret = request.cookies.get(COOKIE)
    if secret:
        with database_of(request).write() as session:
            sessions.sign_out(session, secret, clock.now_utc())
    response = RedirectResponse("/public", status_code=303, headers=PAGE_HEADERS)
    response.delete_cookie(COOKIE, path="/")
    return response


# ---------------------------------------------------------------- the pages


def _dates(
    start: str | None, end: str | None, *, field: str = "from"
) -> tuple[date | None, date | None]:
    def parse(value: str | None, field: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(iso_wall(value))
        except ValueError:
            raise ValidationError(
                f"{value!r} is not a date (YYYY-MM-DD)", field=field, key="not_a_day",
                params={"value": value},
            ) from None  # fmt: skip

    first, last = parse(start, field), parse(end, "to")
    if first and last and last < first:
        raise ValidationError("'to' lies before 'from'", field="to", key="to_before_from")
    return first, last


def _chosen(values: list[str]) -> tuple[str, ...]:
    """The filter's values, without the empty ones an untouched select sends."""
    return tuple(v.strip() for v in values if v.strip())


_Choice = TypeVar("_Choice", ItemKind, ItemStatus)


def _members(kind: type[_Choice], values: list[str], field: str) -> tuple[_Choice, ...]:
    chosen = _chosen(values)
    for value in chosen:
        if value not in {member.value for member in kind}:
            allowed = ", ".join(member.value for member in kind)
            raise ValidationError(
                f"{field}: use one of {allowed}", field=field, key="not_a_choice",
                params={"value": value},
            )  # fmt: skip
    return tuple(kind(value) for value in chosen)


VIEW_COOKIE = "lobby_agenda_view"


@router.get("/agenda", response_class=HTMLResponse, responses={401: {}, 404: {}, 422: {}})
def agenda_page(
    request: Request,
    theme: Annotated[list[str], Query()] = [],  # noqa: B006  FastAPI reads the default
    stakeholder: Annotated[list[str], Query()] = [],  # noqa: B006
    kind: Annotated[list[str], Query()] = [],  # noqa: B006
    status: Annotated[list[str], Query()] = [],  # noqa: B006
    owner: str | None = None,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    view: str | None = None,
    around: Annotated[str | None, Query(alias="date")] = None,
) -> Response:
    """Occurrences as a list by week (filtered by theme, stakeholder, kind, owner, status,
    period), or as a week or month grid around `date`; the view chosen is remembered."""
    first, last = _dates(start, end)
    shown = _view(view or request.cookies.get(VIEW_COOKIE, "list"), explicit=view is not None)
    anchor, _ = _dates(around, None, field="date")
    query = views.AgendaQuery(
        _chosen(theme), _chosen(stakeholder), _members(ItemKind, kind, "kind"),
        _members(ItemStatus, status, "status"), (owner or "").strip().lower() or None,
        first, last,
    )  # fmt: skip
    try:
        with database_of(request).read() as session:
            person = signed_in(request, session)
            lang = language(request, person)
            catalog.themes(session, query.themes, field="theme")
            catalog.stakeholders(session, query.stakeholders, field="stakeholder")
            now = clock.now_utc()
            weeks, grid = [], None
            if shown == "list":
                weeks = views.agenda_weeks(session, person, query, lang, person.timezone, now)
            else:
                grid = views.agenda_calendar(
                    session, person, query, lang, person.timezone, now, shown, anchor
                )
            answer = page(
                request, "pages/agenda.html", lang, person=person, weeks=weeks, grid=grid,
                view=shown, links=_view_links(request, grid), query=query,
                choices=views.filter_choices(session), kinds=list(ItemKind),
                statuses=list(ItemStatus), may_create=permissions.may_create(person),
            )  # fmt: skip
    except DATABASE_DOWN as exc:
        return unavailable(exc)
    if view is not None:  # a choice made now is the one the next visit opens with
        secure = request.url.scheme == "https"
        answer.set_cookie(
            VIEW_COOKIE, shown, max_age=365 * 86400, path="/agenda", httponly=True,
            samesite="lax", secure=secure,
        )  # fmt: skip
    return answer


def _view(value: str, *, explicit: bool) -> str:
    if value in views.VIEWS:
        return value
    if not explicit:
        return "list"  # an old or odd cookie is no reason to refuse the page
    raise ValidationError(
        f"view: use one of {', '.join(views.VIEWS)}", field="view", key="not_a_choice",
        params={"value": value},
    )  # fmt: skip


def _view_links(request: Request, grid: views.Calendar | None) -> dict[str, str]:
    """The page's own address with another view, or the grid's previous, this and next
    week or month; the filters kept."""

    def to(**changes: str) -> str:
        url = request.url.remove_query_params("date").include_query_params(**changes)
        return f"{url.path}?{url.query}"

    links = {name: to(view=name) for name in views.VIEWS}
    if grid is not None:
        links |= {
            "previous": to(date=grid.previous.isoformat()), "next": to(date=grid.next.isoformat()),
            "today": to(),
        }  # fmt: skip
    return links


@router.get("/items/{uid}", response_class=HTMLResponse, responses={401: {}, 404: {}})
def item_page(request: Request, uid: str) -> Response:
    """Every field of an item, its next occurrences, its reminders and its history."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        lang = language(request, person)
        settings = settings_of(request)
        window = overlaps.parse_window(settings.overlap_window, settings.timezone)
        found = views.item_page(
            session, person, uid, lang, person.timezone, clock.now_utc(),
            settings.closed_days, window,
        )  # fmt: skip
        editable = permissions.may_edit(found.item, person)
        rule, start = found.item.rrule, found.item.starts_at
        recurrence = say_rule(rule, start, Words(lang, person.timezone)) if rule else ""
        extra = attached.item_context(session, found.item, person, lang, settings.max_upload_mb)
        return page(
            request, "pages/item.html", lang, person=person, page=found, editable=editable,
            templates=settings.chains, recurrence=recurrence, **extra,
        )  # fmt: skip


@router.get(
    "/items/{uid}/agenda.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 401: {}, 404: {}},
)
def item_download(request: Request, uid: str) -> Response:
    """The item as a calendar file ("zet in mijn agenda"): only for who may see it in full,
    as on its page; anyone else gets "not found", as for an unknown uid."""
    builder: FeedBuilder = request.app.state.feeds
    with database_of(request).read() as session:
        person = signed_in(request, session)
        item = views.visible_item(session, person, uid)
        body = item_calendar(item, builder.options, language(request, person))
    attachment = f'attachment; filename="{_filename(uid)}.ics"'
    return Response(
        body, media_type="text/calendar; charset=utf-8",
        headers={**PAGE_HEADERS, "Content-Disposition": attachment},
    )  # fmt: skip


def _filename(uid: str) -> str:
    """A uid as a file name: what a header and a file system take without quoting."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in uid)[:80] or "agenda"


@router.get("/digest", response_class=HTMLResponse, responses={401: {}})
def digest_page(request: Request) -> Response:
    """The signed-in person's digest as a page (print it for a meeting pack)."""
    settings = reminders.settings_from(settings_of(request))
    now = clock.now_utc()
    with database_of(request).read() as session:
        person = signed_in(request, session)
        lang = language(request, person)
        since = digest_mail.since_last(session, person, now)
        digest = build_digest(session, person, digest_mail.options_of(settings), now, since)
        context = digest_mail.context_of(digest)
        return page(request, "pages/digest.html", lang, person=person, **context)


@router.get("/partnerships", response_class=HTMLResponse, responses={401: {}})
def partnerships_page(request: Request) -> Response:
    """Themes × levels: each theme's focus; each partnership, our role and its next
    evaluation; and every partnership listed, with a form for admins."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        lang = language(request, person)
        return page(
            request, "pages/partnerships.html", lang, person=person,
            matrix=catalog_views.partnership_matrix(session, lang),
            levels=catalog_views.level_names(lang),
            partnerships=catalog_views.partnership_rows(session, lang),
            may_keep=permissions.has_role(person, PersonRole.ADMIN),
        )  # fmt: skip


@router.get("/dossiers", response_class=HTMLResponse, responses={401: {}})
def dossiers_page(request: Request) -> Response:
    """The lobby dossiers: status, lead, last and next contact per target, open follow-ups."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        lang = language(request, person)
        rows = views.dossier_rows(session, person, lang, clock.now_utc())
        return page(
            request, "pages/dossiers.html", lang, person=person, rows=rows,
            may_plan=permissions.may_create(person),
        )  # fmt: skip


@router.get("/dossiers/{slug}", response_class=HTMLResponse, responses={401: {}, 404: {}})
def dossier_page(request: Request, slug: str) -> Response:
    """One dossier: goal, ask, coalition, contacts per target, and its timeline."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        lang = language(request, person)
        found = views.dossier_page(session, person, slug, lang, clock.now_utc())
        extra = attached.dossier_context(
            session, found.dossier, person, lang, settings_of(request).max_upload_mb
        )
        return page(
            request, "pages/dossier.html", lang, person=person, page=found,
            may_plan=permissions.may_create(person), **views.dossier_choices(lang), **extra,
        )  # fmt: skip


@router.get("/public", response_class=HTMLResponse)
def public_page(request: Request) -> Response:
    """The open agenda: public items only, no people, no sign-in."""
    settings = settings_of(request)
    lang = language(request, None)
    try:
        with database_of(request).read() as session:
            now = clock.now_utc()
            weeks = views.agenda_weeks(
                session, None, views.AgendaQuery(), lang, settings.timezone, now, public=True
            )
            today = now.astimezone(clock.zone(settings.timezone)).date()
            held = open_agenda.contacts(
                session, today - PUBLIC_LOOKBACK, today, settings.timezone, now
            )
            return page(
                request, "pages/public.html", lang, person=visitor(request, session),
                weeks=weeks, held=held,
            )  # fmt: skip
    except DATABASE_DOWN as exc:
        return unavailable(exc)


def error_page(request: Request, error: LobbyError) -> HTMLResponse:
    """A domain error as a page, in the reader's language: the sign-in explanation for 401,
    else what went wrong in words."""
    person = _reader(request)
    lang = language(request, person)
    template = "pages/signin.html" if isinstance(error, SignInRequired) else "pages/error.html"
    html = render(
        template, lang, path=request.url.path, me=person, person=person, error=error, csrf="",
        error_text=say_error(error, lang),
    )  # fmt: skip
    return HTMLResponse(html, status_code=error.status, headers=PAGE_HEADERS)


def _reader(request: Request) -> Person | None:
    """Who reads an error page (for its language and menu); nobody when the database is down."""
    if COOKIE not in request.cookies or not hasattr(request.app.state, "db"):
        return None
    try:
        with database_of(request).read() as session:
            person = visitor(request, session)
            if person is not None:
                session.expunge(person)
            return person
    except DATABASE_DOWN:
        return None
