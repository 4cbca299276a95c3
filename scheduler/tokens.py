"""Feed tokens: secrets that open a person's feeds. Only a hash is stored; each is revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from scheduler import catalog
from scheduler.errors import Forbidden, Gone, NotFound, ValidationError
from scheduler.models import FeedToken

SCOPES = (
    "all", "me", "theme:SLUG", "stakeholder:SLUG", "dossier:SLUG", "login", "api-read",
    "api-write",
)  # fmt: skip
# These open no feed: a login token signs its person in to the pages (`/login/{token}`);
# API tokens authorize `/api/v1/` requests (`Authorization: Bearer …`), to read or also write.
LOGIN, API_READ, API_WRITE = "login", "api-read", "api-write"
NOT_FEEDS = (LOGIN, API_READ, API_WRITE)
# Writing "last used" on every request would turn each calendar refresh into a write.
_USE_RECORD_INTERVAL = timedelta(minutes=5)


def hash_token(secret: str) -> str:
    """SHA-256 suffices: the secret has 192 random bits, so there is nothing to brute-force."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_scope(session: Session, scope: str) -> str:
    """'all', 'me', 'theme:SLUG', 'stakeholder:SLUG' or 'dossier:SLUG' with a slug that exists;
    'login', 'api-read' or 'api-write'."""
    kind, _, slug = scope.partition(":")
    if kind in ("all", "me", *NOT_FEEDS) and not slug:
        return kind
    if kind == "theme" and slug:
        catalog.themes(session, [slug], field="scope")
        return scope
    if kind == "stakeholder" and slug:
        catalog.stakeholders(session, [slug], field="scope")
        return scope
    if kind == "dossier" and slug:
        catalog.dossiers(session, [slug], field="scope")
        return scope
    raise ValidationError(f"scope {scope!r}: use one of {', '.join(SCOPES)}", field="scope")


def create(
    session: Session,
    email: str,
    *,
    label: str = "",
    scope: str = "all",
    expires_on: date | None = None,
    alarms: bool = False,
    today: date,
) -> tuple[FeedToken, str]:
    """A new token for the person; returns it with the secret, which is shown only now."""
    person = catalog.person(session, email, field="email")
    if expires_on is not None and expires_on <= today:
        raise ValidationError(f"expiry {expires_on} is not in the future", field="expires")
    secret = secrets.token_urlsafe(24)
    token = FeedToken(
        token_hash=hash_token(secret),
        person=person,
        label=label,
        scope=check_scope(session, scope),
        alarms=alarms,
        expires_on=expires_on,
    )
    session.add(token)
    session.flush()
    return token, secret


def listing(session: Session, email: str | None = None) -> list[FeedToken]:
    query = select(FeedToken).options(selectinload(FeedToken.person)).order_by(FeedToken.id)
    if email:
        query = query.where(FeedToken.person_id == catalog.person(session, email, field="email").id)
    return list(session.scalars(query))


def revoke(session: Session, token_id: int, now: datetime) -> FeedToken:
    token = session.get(FeedToken, token_id)
    if token is None:
        raise NotFound(f"no feed token with id {token_id}", field="id")
    if token.revoked_at is None:
        token.revoked_at = now
    return token


def resolve(session: Session, secret: str, today: date) -> FeedToken:
    """The live token for `secret`: unknown → 404, revoked or expired → 410.

    Every secret is hashed and looked up the same way, so that the time taken says nothing
    about which part of a wrong secret was wrong.
    """
    token = session.scalar(
        select(FeedToken)
        .options(joinedload(FeedToken.person))
        .where(FeedToken.token_hash == hash_token(secret))
    )
    if token is None:
        raise NotFound("no such feed", key="no_feed")
    if token.revoked_at is not None:
        raise Gone("this feed link was revoked; ask for a new one", key="feed_link_revoked")
    if token.expires_on is not None and token.expires_on < today:
        raise Gone(
            f"this feed link expired on {token.expires_on}; ask for a new one",
            key="feed_link_expired", params={"day": token.expires_on},
        )  # fmt: skip
    if not token.person.active:
        raise Gone(
            "this feed link belongs to someone who no longer has access", key="feed_link_person"
        )
    return token


def allows(token: FeedToken, kind: str, slug: str | None) -> None:
    """Raise Forbidden when the feed lies outside the token's scope."""
    if token.scope == "all":
        return
    if token.scope == "me" and kind == "me":
        return
    if slug is not None and token.scope == f"{kind}:{slug}":
        return
    raise Forbidden("this feed link does not open that feed", key="feed_link_other")


def use_worth_noting(token: FeedToken, user_agent: str, now: datetime) -> bool:
    """Whether to note this use: not when the same client was noted a few minutes ago.

    Writing on every request would turn each calendar refresh into a write transaction.
    """
    recent = token.last_used_at is not None and now - token.last_used_at < _USE_RECORD_INTERVAL
    return not (recent and token.last_user_agent == user_agent[:300])


def record_use(session: Session, token_id: int, user_agent: str, now: datetime) -> None:
    """Note when (and by which client) the token was last used."""
    token = session.get(FeedToken, token_id)
    if token is None:
        return  # deleted meanwhile: nothing to note
    token.last_used_at, token.last_user_agent = now, user_agent[:300]


@dataclass(frozen=True)
class FeedLinks:
    https: str
    webcal: str
    google: str


def feed_path(scope: str) -> str:
    """The feed a token of this scope is for: all.ics, me.ics, themes/S.ics, stakeholders/S.ics,
    dossiers/S.ics."""
    kind, _, slug = scope.partition(":")
    paths = {
        "theme": f"themes/{slug}.ics",
        "stakeholder": f"stakeholders/{slug}.ics",
        "dossier": f"dossiers/{slug}.ics",
    }
    return paths.get(kind, f"{kind}.ics")


def links(base_url: str, secret: str | None, scope_or_path: str) -> FeedLinks:
    """https, webcal and Google links for a token's feed (a scope, or a path such as 'me.ics');
    without a secret, for the public feed."""
    path = scope_or_path if scope_or_path.endswith(".ics") else feed_path(scope_or_path)
    https = f"{base_url}/feeds/{secret}/{path}" if secret else f"{base_url}/feeds/{path}"
    webcal = "webcal://" + https.split("://", 1)[1]
    google = "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")
    return FeedLinks(https, webcal, google)
