"""Who calls the API: the bearer token, the caller's person, and read/write sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from scheduler import clock, tokens
from scheduler.agenda import Actor
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import Forbidden, Gone, NotFound, SignInRequired
from scheduler.models import Person
from scheduler.web import limits

_bearer = HTTPBearer(auto_error=False, description="A token made with --scope api-read|api-write")
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "model": None}
    for code, text in (
        (401, "no token, or not a live API token"),
        (403, "the token or the person's role does not allow this"),
        (404, "not found (or not yours to see)"),
        (422, "a value is not acceptable; `field` names it"),
    )
}


class Caller(BaseModel):
    """Who is calling and what their token allows."""

    person_id: int
    email: str
    may_write: bool


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None:
        raise SignInRequired("send Authorization: Bearer TOKEN (token create --scope api-read)")
    settings: Settings = request.app.state.settings
    with database(request).read() as session:
        try:
            token = limits.resolve_guarded(
                session, credentials.credentials,
                clock.today_in(clock.zone(settings.timezone)), request,
            )  # fmt: skip
        except NotFound:
            raise SignInRequired("unknown API token") from None
        except Gone as exc:
            raise SignInRequired(exc.message) from None
        if token.scope not in (tokens.API_READ, tokens.API_WRITE):
            raise SignInRequired("not an API token: make one with --scope api-read or api-write")
        return Caller(
            person_id=token.person_id,
            email=token.person.email,
            may_write=token.scope == tokens.API_WRITE,
        )


CallerDep = Annotated[Caller, Depends(caller)]


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@contextmanager
def reading(request: Request, who: Caller) -> Iterator[tuple[Session, Person]]:
    with database(request).read() as session:
        yield session, person_of(session, who)


@contextmanager
def writing(request: Request, who: Caller) -> Iterator[tuple[Session, Person]]:
    if not who.may_write:
        raise Forbidden("this token may only read; make one with --scope api-write")
    with database(request).write() as session:
        yield session, person_of(session, who)


def person_of(session: Session, who: Caller) -> Person:
    person = session.get(Person, who.person_id)
    if person is None or not person.active:
        raise SignInRequired()
    return person


def actor(who: Caller) -> Actor:
    return Actor(who.email, "api")
