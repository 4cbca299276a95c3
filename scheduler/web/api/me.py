"""The caller's own settings and tokens."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from scheduler import catalog, clock, tokens
from scheduler.config import Settings
from scheduler.errors import NotFound, ValidationError
from scheduler.schemas import PersonIn, parse
from scheduler.web.api.access import ERRORS, CallerDep, reading, writing
from scheduler.web.params import RowId

router = APIRouter()


class OwnSettings(BaseModel):
    """What a person sets for themself: language, zone, reminders and digest."""

    model_config = ConfigDict(extra="forbid")

    language: str | None = None
    timezone: str | None = None
    follow_reminders: bool | None = None
    reminders_off: list[str] | None = None
    digest: str | None = None
    digest_day: str | None = None
    digest_time: str | None = None
    digest_scope: str | None = None
    themes: list[str] | None = Field(None, description="Slugs of the themes one follows")
    stakeholders: list[str] | None = Field(None, description="Slugs of stakeholders one follows")


@router.get("/me", responses=ERRORS)
def me(request: Request, who: CallerDep) -> dict[str, Any]:
    """The caller: who they are, what they follow, their reminder and digest settings."""
    with reading(request, who) as (_, person):
        return catalog.describe_person(person)


@router.patch("/me", responses=ERRORS)
def change_me(request: Request, who: CallerDep, changes: OwnSettings) -> dict[str, Any]:
    """Change one's own language, zone, reminder preferences or digest subscription."""
    given = changes.model_dump(exclude_unset=True)
    with writing(request, who) as (session, person):
        spec = parse(PersonIn, {"email": person.email, "name": person.name} | given)
        catalog.save_person(session, spec)
        session.flush()
        return catalog.describe_person(person)


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: str = Field(
        "all", description="all, me, theme:SLUG, stakeholder:SLUG, api-read, api-write"
    )
    label: str = Field("", max_length=200)
    expires_on: date | None = None
    alarms: bool = False


def _token_json(token: Any) -> dict[str, Any]:
    return {
        "id": token.id, "label": token.label, "scope": token.scope, "alarms": token.alarms,
        "created_at": token.created_at.isoformat(),
        "expires_on": token.expires_on.isoformat() if token.expires_on else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "last_user_agent": token.last_user_agent or None,
    }  # fmt: skip


@router.get("/me/tokens", responses=ERRORS)
def my_tokens(request: Request, who: CallerDep) -> list[dict[str, Any]]:
    """The caller's feed links, sign-in links and API tokens (never their secrets)."""
    with reading(request, who) as (session, person):
        return [_token_json(t) for t in tokens.listing(session, person.email)]


@router.post("/me/tokens", status_code=201, responses=ERRORS)
def make_my_token(request: Request, who: CallerDep, new: NewToken) -> dict[str, Any]:
    """A new feed link or API token for the caller; its secret is in this answer only."""
    if new.scope == tokens.LOGIN:
        raise ValidationError("sign-in links come by email (/login)", field="scope")
    settings: Settings = request.app.state.settings
    with writing(request, who) as (session, person):
        token, secret = tokens.create(
            session, person.email, label=new.label, scope=new.scope, expires_on=new.expires_on,
            alarms=new.alarms, today=clock.today_in(clock.zone(settings.timezone)),
        )  # fmt: skip
        answer = _token_json(token) | {"secret": secret}
        if token.scope not in tokens.NOT_FEEDS:
            answer["links"] = tokens.links(settings.base_url, secret, token.scope).__dict__
        return answer


@router.delete("/me/tokens/{token_id}", status_code=204, responses=ERRORS)
def revoke_my_token(request: Request, who: CallerDep, token_id: RowId) -> Response:
    """Revoke one of the caller's links or tokens (calendar clients then get 410)."""
    with writing(request, who) as (session, person):
        if token_id not in {t.id for t in tokens.listing(session, person.email)}:
            raise NotFound(f"you have no link or token {token_id}", field="token_id")
        tokens.revoke(session, token_id, clock.now_utc())
    return Response(status_code=204)
