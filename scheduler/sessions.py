"""Signed-in browsers: a login link (a token of scope `login`) opens a session whose secret
lives in an HttpOnly cookie; only its hash is stored, and signing out ends it."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from scheduler import tokens
from scheduler.errors import NotFound
from scheduler.models import Person, WebSession

LIFETIME = timedelta(days=14)


def sign_in(session: Session, login_secret: str, now: datetime, today: date) -> str:
    """A new session for the person of a live login token; returns the cookie's secret.
    Unknown, revoked and expired links are refused as `tokens.resolve` refuses them; a feed
    link is not a login link."""
    token = tokens.resolve(session, login_secret, today)
    if token.scope != tokens.LOGIN:
        raise NotFound("no such login link")
    secret = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            session_hash=tokens.hash_token(secret),
            person_id=token.person_id,
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return secret


def person_of(session: Session, secret: str, now: datetime) -> Person | None:
    """Who a session cookie belongs to; None when it is unknown, ended or expired, or when
    the person no longer has access."""
    found = session.scalar(
        select(WebSession)
        .options(joinedload(WebSession.person))
        .where(WebSession.session_hash == tokens.hash_token(secret))
    )
    if found is None or found.ended_at is not None or found.expires_at <= now:
        return None
    return found.person if found.person.active else None


def sign_out(session: Session, secret: str, now: datetime) -> None:
    found = session.scalar(
        select(WebSession).where(WebSession.session_hash == tokens.hash_token(secret))
    )
    if found is not None and found.ended_at is None:
        found.ended_at = now
