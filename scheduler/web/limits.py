"""Rate limits at the HTTP edge: which client a request comes from, and the limits of
`scheduler.throttle` (kept in the database, shared by every replica) applied to it.

The client is the peer of the connection, or, when that peer is one of the
`trusted_proxies`, the address the proxy names in X-Forwarded-For (uvicorn applies it)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session
from starlette.requests import Request

from scheduler import clock, throttle, tokens
from scheduler.db import Database
from scheduler.errors import NotFound
from scheduler.models import FeedToken
from scheduler.throttle import BAD_TOKENS, SIGN_IN_REQUESTS, Limit

__all__ = ["BAD_TOKENS", "SIGN_IN_REQUESTS", "check", "count", "resolve_guarded", "take"]


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check(session: Session, request: Request, limit: Limit) -> None:
    """Turn the request away (429) when its client used up `limit`; counts nothing."""
    throttle.check(session, limit, client_of(request), clock.now_utc())


def take(request: Request, limit: Limit) -> None:
    """Count the request against `limit`, or turn it away (429) when its client used it up."""
    with _db(request).write() as session:
        throttle.take(session, limit, client_of(request), clock.now_utc())


def count(request: Request, limit: Limit) -> None:
    """Count a request that failed (a wrong token) against `limit`, in its own transaction:
    the request's own work is rolled back, the count stays."""
    with _db(request).write() as session:
        throttle.count(session, limit, client_of(request), clock.now_utc())


def resolve_guarded(session: Session, secret: str, today: date, request: Request) -> FeedToken:
    """`tokens.resolve`, but a client that sent too many unknown tokens is turned away."""
    check(session, request, BAD_TOKENS)
    try:
        return tokens.resolve(session, secret, today)
    except NotFound:
        count(request, BAD_TOKENS)
        raise


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db
