"""Signed-in browsers. A sign-in link opens a session whose secret lives in an HttpOnly
cookie; only hashes are stored, and signing out ends the session. Two kinds of link: one
asked for by email (valid LINK_LIFETIME, used once), and a lasting one an admin makes
(`token create EMAIL --scope login`)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from scheduler import tokens
from scheduler.composer import Letterhead, compose
from scheduler.errors import Gone, NotFound
from scheduler.models import LoginLink, Person, WebSession

LIFETIME = timedelta(days=14)
LINK_LIFETIME = timedelta(minutes=15)
LINKS_PER_LIFETIME = 3  # more requests for one address within LINK_LIFETIME send nothing


def request_link(session: Session, email: str, now: datetime) -> tuple[Person, str] | None:
    """A one-time sign-in link's secret for an active person, or None (an unknown address,
    or too many links asked for it lately): the caller answers alike, so that nobody learns
    from the answer who is known."""
    person = session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None or not person.active:
        return None
    recent = session.scalar(
        select(func.count(LoginLink.id)).where(
            LoginLink.person_id == person.id, LoginLink.created_at > now - LINK_LIFETIME
        )
    )
    if (recent or 0) >= LINKS_PER_LIFETIME:
        return None
    secret = secrets.token_urlsafe(32)
    session.add(
        LoginLink(
            link_hash=tokens.hash_token(secret), person_id=person.id, created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )  # fmt: skip
    return person, secret


def sign_in(session: Session, login_secret: str, now: datetime, today: date) -> str:
    """A new session for the person of a live sign-in link; returns the cookie's secret.
    An emailed link works once and for minutes; a lasting one until revoked or expired (as
    `tokens.resolve` judges). A feed link is not a sign-in link."""
    link = session.scalar(
        select(LoginLink).where(LoginLink.link_hash == tokens.hash_token(login_secret))
    )
    if link is not None:
        # Compare and set: of two requests that both read the link unused (two tabs, a
        # mail scanner, two replicas), only the one whose update changes the row signs in.
        used = session.execute(
            update(LoginLink)
            .where(LoginLink.id == link.id, LoginLink.used_at.is_(None), LoginLink.expires_at > now)
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if int(used.rowcount or 0) != 1:  # type: ignore[attr-defined]
            if link.used_at is None and link.expires_at <= now:
                raise Gone(
                    "this sign-in link expired (they last 15 minutes); ask for a new one",
                    key="sign_in_link_expired",
                )
            raise Gone(
                "this sign-in link was used already; ask for a new one", key="sign_in_link_used"
            )
        person_id = link.person_id
    else:
        token = tokens.resolve(session, login_secret, today)
        if token.scope != tokens.LOGIN:
            raise NotFound("no such sign-in link", key="no_sign_in_link")
        person_id = token.person_id
    return open_session(session, person_id, now)


def open_session(session: Session, person_id: int, now: datetime) -> str:
    """A new session for a person whose identity was proven; returns the cookie's secret."""
    secret = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            session_hash=tokens.hash_token(secret),
            person_id=person_id,
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


def link_message(person: Person, link: str, letterhead: Letterhead) -> EmailMessage:
    """The email with a one-time sign-in link, in the person's language. Not a kind of mail
    one turns off: it comes only when asked for."""
    return compose(
        "sign_in",
        person,
        {"name": person.name, "link": link},
        letterhead=letterhead,
        message_id=f"<{secrets.token_hex(16)}@{letterhead.domain}>",
        can_turn_off=False,
    )
