"""Calendar feeds over HTTP: tokens, scopes, conditional requests, gzip, HEAD, 503 never empty."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from scheduler import catalog, clock, tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import BadParameter, DatabaseUnavailable, NotFound
from scheduler.feeds import FeedBuilder, FeedKind, FeedSpec, RenderedFeed
from scheduler.ics_writer import Viewer
from scheduler.models import ItemKind, ItemStatus
from scheduler.web import limits

log = logging.getLogger(__name__)
router = APIRouter(tags=["feeds"])

CALENDAR = "text/calendar; charset=utf-8"
DATABASE_DOWN = (DBAPIError, DatabaseUnavailable, PoolTimeout)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
RETRY_AFTER_SECONDS = 120
KIND_HELP = "Only these kinds, comma-separated: " + ", ".join(k.value for k in ItemKind)
STATUS_HELP = "Only these statuses, comma-separated: " + ", ".join(s.value for s in ItemStatus)
FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {}}, "description": "the iCalendar feed"},
    304: {"description": "not modified since the ETag or date the client sent"},
    400: {"description": "unknown filter value"},
    403: {"description": "the token does not open this feed"},
    404: {"description": "unknown token, theme or stakeholder"},
    410: {"description": "the token was revoked or expired"},
    503: {"description": "database unavailable; try again after Retry-After seconds"},
}


E = TypeVar("E", ItemKind, ItemStatus)


def _parse_filter(raw: str | None, enum: type[E], name: str) -> tuple[E, ...]:
    if not raw:
        return ()
    allowed = {member.value: member for member in enum}
    chosen = []
    for part in (p.strip() for p in raw.split(",")):
        if part not in allowed:
            raise BadParameter(
                f"unknown {name} {part!r}; allowed: {', '.join(allowed)}", field=name
            )
        chosen.append(allowed[part])
    return tuple(sorted(set(chosen), key=list(allowed.values()).index))


@dataclass(frozen=True)
class Filters:
    kinds: tuple[ItemKind, ...]
    statuses: tuple[ItemStatus, ...]


def _filters(
    kind: str | None = Query(None, description=KIND_HELP),
    status: str | None = Query(None, description=STATUS_HELP),
) -> Filters:
    """The optional `kind=` and `status=` query filters every feed takes."""
    return Filters(
        _parse_filter(kind, ItemKind, "kind"), _parse_filter(status, ItemStatus, "status")
    )


FeedFilters = Annotated[Filters, Depends(_filters)]


def _spec(kind: FeedKind, slug: str | None, filters: Filters) -> FeedSpec:
    return FeedSpec(kind, slug, filters.kinds, filters.statuses)


def _feed_route(path: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """GET, documented; and HEAD, answered by the same code (one operation in the schema)."""

    def register(endpoint: Callable[..., Response]) -> Callable[..., Response]:
        router.add_api_route(path, endpoint, methods=["GET"], responses=FEED_RESPONSES)
        router.add_api_route(path, endpoint, methods=["HEAD"], include_in_schema=False)
        return endpoint

    return register


@_feed_route("/feeds/public.ics")
def public_feed(request: Request, filters: FeedFilters) -> Response:
    """The open agenda: public items, ideas left out. No token needed."""
    return _serve(request, None, _spec("public", None, filters))


@_feed_route("/feeds/{token}/all.ics")
def all_feed(request: Request, token: str, filters: FeedFilters) -> Response:
    """The whole agenda, as the token's person may see it."""
    return _serve(request, token, _spec("all", None, filters))


@_feed_route("/feeds/{token}/me.ics")
def my_feed(request: Request, token: str, filters: FeedFilters) -> Response:
    """Items the person owns or takes part in, and those on themes and stakeholders they follow."""
    return _serve(request, token, _spec("me", None, filters))


@_feed_route("/feeds/{token}/themes/{slug}.ics")
def theme_feed(request: Request, token: str, slug: str, filters: FeedFilters) -> Response:
    """Items on one theme."""
    return _serve(request, token, _spec("theme", slug, filters))


@_feed_route("/feeds/{token}/dossiers/{slug}.ics")
def dossier_feed(request: Request, token: str, slug: str, filters: FeedFilters) -> Response:
    """Items of one lobby dossier."""
    return _serve(request, token, _spec("dossier", slug, filters))


@_feed_route("/feeds/{token}/stakeholders/{slug}.ics")
def stakeholder_feed(request: Request, token: str, slug: str, filters: FeedFilters) -> Response:
    """Items with one stakeholder."""
    return _serve(request, token, _spec("stakeholder", slug, filters))


def _serve(request: Request, secret: str | None, spec: FeedSpec) -> Response:
    """1. find who reads (token → person, scope); 2. get the feed (cached by data version);
    3. note the token's use; 4. answer, conditionally. A database outage is a 503, never an
    empty calendar (Thunderbird wipes its copy on an empty 200)."""
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    builder: FeedBuilder = request.app.state.feeds
    now = clock.now_utc()
    today = now.astimezone(clock.zone(settings.timezone)).date()
    user_agent = request.headers.get("user-agent", "")
    note_use = None
    try:
        with db.read() as session:
            viewer = Viewer(None, settings.language)
            if secret is not None:
                token = limits.resolve_guarded(session, secret, today, request)
                tokens.allows(token, spec.kind, spec.slug)
                viewer = Viewer(token.person_id, token.person.language.value, token.alarms)
                if tokens.use_worth_noting(token, user_agent, now):
                    note_use = token.id
            _check_slug(session, spec)
            feed = builder.feed(session, spec, viewer, today)
        if note_use is not None:
            _note_use(db, note_use, user_agent, now)
    except DATABASE_DOWN as exc:
        return unavailable(exc)
    return _respond(request, feed, private=secret is not None)


def unavailable(exc: Exception) -> Response:
    """503 with Retry-After: never an empty calendar, which Thunderbird would take as the truth."""
    log.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else type(exc))
    return Response(
        "database unavailable, try again later\n",
        status_code=503,
        media_type="text/plain",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _check_slug(session: Session, spec: FeedSpec) -> None:
    if spec.slug is not None and not SLUG.fullmatch(spec.slug):
        raise NotFound(f"no feed for {spec.slug!r}", field="slug")  # never ask the database
    if spec.kind == "theme" and spec.slug:
        catalog.themes(session, [spec.slug], field="slug")
    elif spec.kind == "stakeholder" and spec.slug:
        catalog.stakeholders(session, [spec.slug], field="slug")
    elif spec.kind == "dossier" and spec.slug:
        catalog.dossiers(session, [spec.slug], field="slug")


def _note_use(db: Database, token_id: int, user_agent: str, now: datetime) -> None:
    try:
        with db.write() as session:
            tokens.record_use(session, token_id, user_agent, now)
    except DBAPIError as exc:  # bookkeeping only: the feed itself was fine
        log.warning("could not record feed token use: %s", str(exc).splitlines()[0])


def _respond(request: Request, feed: RenderedFeed, *, private: bool) -> Response:
    gzip_ok = accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = feed.etag[:-1] + '-gz"' if gzip_ok else feed.etag
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(feed.last_modified, usegmt=True),
        "Cache-Control": "private, no-cache" if private else "public, max-age=300",
        "Vary": "Accept-Encoding",
    }
    if _not_modified(request, feed):
        return Response(status_code=304, headers=headers)
    body = feed.gzipped if gzip_ok else feed.body
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type=CALENDAR)
    return Response(body, headers=headers, media_type=CALENDAR)


def accepts_gzip(header: str) -> bool:
    """Whether Accept-Encoding allows gzip (RFC 9110 §12.5.3: `gzip;q=0` refuses it)."""
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=")
            try:
                return not params or float(quality) > 0
            except ValueError:
                return False
    return False


def _not_modified(request: Request, feed: RenderedFeed) -> bool:
    """If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        sent = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in sent or bool(sent & {feed.etag, feed.etag[:-1] + '-gz"'})
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            return feed.last_modified <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, OverflowError, IndexError):
            return False  # an unreadable date: answer in full
    return False
