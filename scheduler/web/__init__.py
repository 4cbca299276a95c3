"""The HTTP edge: FastAPI app, its lifespan (scheduler start/stop) and error translation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from scheduler import __version__, clock, documents, jobs, reminders, retention, sources
from scheduler.config import Settings, get_settings
from scheduler.db import Database
from scheduler.errors import LobbyError, ValidationError
from scheduler.feeds import FeedBuilder
from scheduler.ics_writer import options_from
from scheduler.rendering import STATIC
from scheduler.throttle import TooMany
from scheduler.web import (
    agenda,
    api,
    attachments,
    catalog_pages,
    contact_pages,
    docs,
    dossier_editing,
    editing,
    feeds,
    guard,
    health,
    me,
    metrics,
    pages,
    search_page,
)

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, run_jobs: bool = True) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url, busy_timeout_ms=settings.database_busy_timeout_ms)
        app.state.db = db
        _sweep_files(db, settings)
        scheduler = (
            jobs.start(
                db,
                timezone=settings.timezone,
                heartbeat_seconds=settings.heartbeat_seconds,
                reminder_settings=reminders.settings_from(settings),
                dispatch_seconds=settings.dispatch_interval_seconds,
                source_settings=sources.settings_from(settings),
                retention_settings=retention.settings_from(settings),
                files=documents.store_from(settings),
            )
            if run_jobs
            else None
        )
        log.info("lobby-agenda %s ready at %s", __version__, settings.base_url)
        try:
            yield
        finally:
            log.info("shutting down")
            if scheduler is not None:
                jobs.stop(scheduler)
            db.dispose()

    # FastAPI's own /docs and /redoc load their scripts from a CDN: web.docs serves Swagger UI.
    app = FastAPI(
        title="lobby-agenda",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.feeds = FeedBuilder(options_from(settings))
    _install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(feeds.router)  # before pages: /feeds/public.ics is a feed, not a token
    app.include_router(pages.router)
    app.include_router(editing.router)  # before agenda: /items/new is not an item's uid
    app.include_router(dossier_editing.router)  # before agenda: nor /dossiers/new a dossier
    app.include_router(agenda.router)
    app.include_router(me.router)
    app.include_router(contact_pages.router)
    app.include_router(attachments.router)
    app.include_router(catalog_pages.router)
    app.include_router(api.router)
    app.include_router(search_page.router)
    app.include_router(docs.router)
    app.mount(docs.ASSETS, docs.assets(), name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(guard.Guard, upload_bytes=documents.store_from(settings).max_bytes)
    return app


def _sweep_files(db: Database, settings: Settings) -> None:
    """At start-up: files of uploads that a crash cut off go (see `documents.sweep`)."""
    try:
        with db.read() as session:
            documents.sweep(session, documents.store_from(settings), clock.now_utc())
    except Exception:  # a database not yet migrated, or down: the nightly prune sweeps too
        log.exception("could not check the files directory")


def _install_error_handlers(app: FastAPI) -> None:
    """The one place where errors become HTTP answers: JSON with a message and the field for
    programs; for a browser a page that says it in the reader's language."""

    @app.exception_handler(LobbyError)
    async def _domain_error(request: Request, exc: LobbyError) -> Response:
        response: Response
        if _browser(request):
            response = await run_in_threadpool(agenda.error_page, request, exc)
        else:
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            response = JSONResponse(
                {"error": exc.message, "field": exc.field}, status_code=exc.status, headers=headers
            )
        if isinstance(exc, TooMany):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Unknown paths, wrong methods, bodies too large: the same JSON as every error."""
        if isinstance(exc, guard.BodyTooLarge):
            return await _domain_error(request, exc.refusal)
        if _browser(request) and exc.status_code in _HTTP_KEYS:
            error = LobbyError(str(exc.detail), key=_HTTP_KEYS[exc.status_code])
            error.status = exc.status_code
            page = await run_in_threadpool(agenda.error_page, request, error)
            page.headers.update(exc.headers or {})
            return page
        return JSONResponse(
            {"error": str(exc.detail), "field": None},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path"))
        if _browser(request):
            value = first.get("input")
            error = ValidationError(
                str(first["msg"]), field=field or None, key="invalid",
                params={"value": value if isinstance(value, str | int) else ""},
            )  # fmt: skip
            return await run_in_threadpool(agenda.error_page, request, error)
        message = str(first["msg"]).removeprefix("Value error, ")  # pydantic's, not ours
        return JSONResponse({"error": message, "field": field or None}, status_code=422)


# Starlette's own refusals a browser may meet, as our message keys.
_HTTP_KEYS = {404: "no_page", 405: "wrong_method"}


def _browser(request: Request) -> bool:
    """A browser asking for a page (it accepts HTML): answered with a page, not JSON."""
    return "text/html" in request.headers.get("accept", "")
