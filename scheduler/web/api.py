"""The JSON API under /api/v1/: items (with ETag and If-Match), the catalog, the caller's own
settings, and the outbox for admins. Every request carries `Authorization: Bearer TOKEN`
(`lobby-agenda token create EMAIL --scope api-read|api-write`); errors are JSON naming the
field, as everywhere (see `scheduler.web`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import agenda, catalog, chains, clock, permissions, tokens
from scheduler.agenda import Actor, ItemFilter
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import (
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    SignInRequired,
    ValidationError,
)
from scheduler.models import (
    AgendaItem,
    Delivery,
    DeliveryState,
    ItemKind,
    ItemStatus,
    Partnership,
    Person,
    PersonRole,
    PreparationChain,
    PreparationTask,
    Stakeholder,
    Theme,
)
from scheduler.schemas import ItemIn, PartnershipIn, PersonIn, StakeholderIn, ThemeIn, parse
from scheduler.web import limits
from scheduler.web.params import RowId

router = APIRouter(prefix="/api/v1", tags=["api"])
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
    with _db(request).read() as session:
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


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@contextmanager
def _reading(request: Request, who: Caller) -> Iterator[tuple[Session, Person]]:
    with _db(request).read() as session:
        yield session, _person(session, who)


@contextmanager
def _writing(request: Request, who: Caller) -> Iterator[tuple[Session, Person]]:
    if not who.may_write:
        raise Forbidden("this token may only read; make one with --scope api-write")
    with _db(request).write() as session:
        yield session, _person(session, who)


def _person(session: Session, who: Caller) -> Person:
    person = session.get(Person, who.person_id)
    if person is None or not person.active:
        raise SignInRequired()
    return person


def _actor(who: Caller) -> Actor:
    return Actor(who.email, "api")


# ---------------------------------------------------------------- items


def _etag(item: AgendaItem) -> str:
    return f'"rev-{item.revision}"'


def _item_json(item: AgendaItem, person: Person) -> dict[str, Any]:
    if not permissions.may_see(item, person):
        # An admin learns that a confidential item exists, and when; nothing more.
        return {
            "uid": item.uid, "kind": item.kind.value, "confidentiality": "confidential",
            "start": agenda.describe_item(item)["start"], "title": None, "revision": item.revision,
        }  # fmt: skip
    return agenda.describe_item(item) | {
        "revision": item.revision,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }


def _visible_item(session: Session, uid: str, person: Person) -> AgendaItem:
    try:
        item = agenda.find_item(session, uid)
    except NotFound:
        item = None
    if item is None or not permissions.may_know_of(item, person):
        raise NotFound(f"no agenda item {uid!r} (or not yours to see)", field="uid")
    return item


def _check_match(item: AgendaItem, if_match: str | None) -> None:
    if if_match is None:
        raise PreconditionRequired(
            "send If-Match with the item's ETag, so that no one else's change is overwritten",
            field="If-Match",
        )
    if if_match.strip() not in (_etag(item), "*"):
        raise PreconditionFailed(
            f"{item.uid} changed since you read it (now {_etag(item)}): read it again",
            field="If-Match",
        )


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


@router.get("/items", responses=ERRORS)
def list_items(
    request: Request,
    who: CallerDep,
    theme: Annotated[list[str], Query()] = [],  # noqa: B006  FastAPI reads the default
    stakeholder: Annotated[list[str], Query()] = [],  # noqa: B006
    kind: Annotated[list[ItemKind], Query()] = [],  # noqa: B006
    status: Annotated[list[ItemStatus], Query()] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page:
    """Items (not occurrences) the caller may know of, by start; filters as in the CLI."""
    with _reading(request, who) as (session, person):
        catalog.themes(session, theme, field="theme")
        catalog.stakeholders(session, stakeholder, field="stakeholder")
        where = ItemFilter(tuple(theme), tuple(stakeholder), tuple(kind), tuple(status))
        known = [
            item
            for item in agenda.filtered_items(session, where)
            if permissions.may_know_of(item, person)
        ]
        chosen = known[offset : offset + limit]
        return Page(
            items=[_item_json(item, person) for item in chosen],
            total=len(known),
            limit=limit,
            offset=offset,
        )


@router.get("/items/{uid}", responses=ERRORS)
def get_item(request: Request, who: CallerDep, uid: str, response: Response) -> dict[str, Any]:
    """One item; its ETag goes with an update as If-Match."""
    with _reading(request, who) as (session, person):
        item = _visible_item(session, uid, person)
        response.headers["ETag"] = _etag(item)
        return _item_json(item, person)


@router.post("/items", status_code=201, responses=ERRORS | {409: {"description": "uid taken"}})
def create_item(
    request: Request, who: CallerDep, spec: ItemIn, response: Response
) -> dict[str, Any]:
    """Create an item (lobbyists and admins); the caller must be able to edit what they make."""
    with _writing(request, who) as (session, person):
        permissions.check_create(person)
        if spec.uid and session.scalar(select(AgendaItem.id).where(AgendaItem.uid == spec.uid)):
            raise Conflict(f"an item with uid {spec.uid!r} exists; update it instead", field="uid")
        _, item = agenda.save_item(session, spec, _actor(who))
        permissions.check_edit(item, person)
        response.headers["ETag"] = _etag(item)
        response.headers["Location"] = f"/api/v1/items/{item.uid}"
        return _item_json(item, person)


@router.patch("/items/{uid}", responses=ERRORS | {412: {}, 428: {}})
def update_item(
    request: Request,
    who: CallerDep,
    uid: str,
    response: Response,
    changes: Annotated[dict[str, Any], Body(description="The fields to change (import format).")],
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Change the given fields; needs If-Match with the ETag last read (412 when stale)."""
    with _writing(request, who) as (session, person):
        item = _visible_item(session, uid, person)
        permissions.check_edit(item, person)
        _check_match(item, if_match)
        agenda.update(session, item, changes, _actor(who))
        permissions.check_edit(item, person)  # e.g. not by removing oneself from it
        response.headers["ETag"] = _etag(item)
        return _item_json(item, person)


@router.delete("/items/{uid}", status_code=204, responses=ERRORS | {412: {}, 428: {}})
def delete_item(
    request: Request,
    who: CallerDep,
    uid: str,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Delete an item (its history stays); needs If-Match."""
    with _writing(request, who) as (session, person):
        item = _visible_item(session, uid, person)
        permissions.check_edit(item, person)
        _check_match(item, if_match)
        agenda.delete(session, uid, _actor(who))
    return Response(status_code=204)


class OccurrenceChange(BaseModel):
    occurrence: str = Field(description="The occurrence's original wall time, 2027-01-12T10:00")
    cancel: bool = False
    start: str | None = Field(None, description="Its new wall time (to move it)")
    end: str | None = None


@router.post("/items/{uid}/occurrences", responses=ERRORS | {412: {}, 428: {}})
def change_occurrence(
    request: Request,
    who: CallerDep,
    uid: str,
    change: OccurrenceChange,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Cancel (`cancel: true`) or move (`start`, `end`) one occurrence of a recurring item."""
    if change.cancel == bool(change.start):
        raise ValidationError("give either cancel: true or a new start", field="start")
    with _writing(request, who) as (session, person):
        item = _visible_item(session, uid, person)
        permissions.check_edit(item, person)
        _check_match(item, if_match)
        if change.cancel:
            agenda.cancel(session, uid, _actor(who), change.occurrence)
        else:
            assert change.start is not None
            agenda.move(session, uid, _actor(who), change.occurrence, change.start, change.end)
        response.headers["ETag"] = _etag(item)
        return _item_json(item, person)


# ---------------------------------------------------------------- preparation chains


class NewChain(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(description="A template name (GET /api/v1/chain-templates)")
    owner: str | None = Field(None, description="Owns the chain instead of the item's owner")
    occurrence: str | None = Field(
        None, description="Of a recurring item: the occurrence's original start (default: next)"
    )


class StepChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done: bool | None = Field(None, description="Tick the step off (true) or open it again")
    owner: str | None = Field(None, description="Give the step to this person (email)")


def _chain_json(request: Request, chain: PreparationChain) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    return chains.describe(chain, settings.closed_days)


def _readable_item(session: Session, uid: str, person: Person) -> AgendaItem:
    item = _visible_item(session, uid, person)
    if not permissions.may_see(item, person):
        raise NotFound(f"no agenda item {uid!r} (or not yours to see)", field="uid")
    return item


@router.get("/chain-templates", responses=ERRORS)
def chain_templates(request: Request, who: CallerDep) -> dict[str, Any]:
    """The preparation chain templates of the settings."""
    settings: Settings = request.app.state.settings
    return {slug: template.model_dump() for slug, template in settings.chains.items()}


@router.get("/items/{uid}/chains", responses=ERRORS)
def item_chains(request: Request, who: CallerDep, uid: str) -> list[dict[str, Any]]:
    """The item's preparation chains, each step with due date, owner and whether it is done."""
    with _reading(request, who) as (session, person):
        item = _readable_item(session, uid, person)
        return [_chain_json(request, chain) for chain in chains.chains_of(session, [item])]


@router.post("/items/{uid}/chains", status_code=201, responses=ERRORS)
def attach_chain(request: Request, who: CallerDep, uid: str, new: NewChain) -> dict[str, Any]:
    """Attach a chain template to the item (who may edit the item may do this)."""
    settings: Settings = request.app.state.settings
    with _writing(request, who) as (session, person):
        item = _readable_item(session, uid, person)
        permissions.check_edit(item, person)
        chain = chains.attach(
            session, item, new.template, settings.chains, actor=_actor(who),
            now=clock.now_utc(), owner=new.owner, occurrence=new.occurrence,
        )  # fmt: skip
        return _chain_json(request, chain)


@router.patch("/chain-steps/{step_id}", responses=ERRORS)
def change_step(
    request: Request, who: CallerDep, step_id: RowId, change: StepChange
) -> dict[str, Any]:
    """Tick a step off or on, or give it another owner: its owner, or who may edit the item."""
    with _writing(request, who) as (session, person):
        task = _step(session, step_id, person)
        if task.owner_id != person.id or change.owner is not None:
            permissions.check_edit(task.chain.item, person)
        chains.set_task(
            session, task, actor=_actor(who), now=clock.now_utc(),
            done=change.done, owner=change.owner,
        )  # fmt: skip
        return _chain_json(request, task.chain)


@router.delete("/chains/{chain_id}", status_code=204, responses=ERRORS)
def detach_chain(request: Request, who: CallerDep, chain_id: RowId) -> Response:
    """Remove a chain and its steps from its item."""
    with _writing(request, who) as (session, person):
        chain = chains.find_chain(session, chain_id)
        if not permissions.may_see(chain.item, person):
            raise NotFound(f"no preparation chain with id {chain_id}", field="chain")
        permissions.check_edit(chain.item, person)
        chains.detach(session, chain, _actor(who), clock.now_utc())
    return Response(status_code=204)


def _step(session: Session, step_id: int, person: Person) -> PreparationTask:
    task = chains.find_task(session, step_id)
    if not permissions.may_see(task.chain.item, person):
        raise NotFound(f"no preparation task with id {step_id}", field="task")
    return task


# ---------------------------------------------------------------- catalog and people


@router.get("/themes", responses=ERRORS)
def list_themes(request: Request, who: CallerDep) -> list[dict[str, Any]]:
    with _reading(request, who) as (session, _):
        return [catalog.describe_theme(t) for t in catalog.all_themes(session)]


@router.get("/stakeholders", responses=ERRORS)
def list_stakeholders(request: Request, who: CallerDep) -> list[dict[str, Any]]:
    with _reading(request, who) as (session, _):
        return [catalog.describe_stakeholder(s) for s in catalog.all_stakeholders(session)]


@router.get("/partnerships", responses=ERRORS)
def list_partnerships(request: Request, who: CallerDep) -> list[dict[str, Any]]:
    with _reading(request, who) as (session, _):
        return [catalog.describe_partnership(p) for p in catalog.all_partnerships(session)]


def _check_slug(path_slug: str, body_slug: str) -> None:
    if path_slug != body_slug:
        raise ValidationError("the slug in the path and the body differ", field="slug")


@router.put("/themes/{slug}", responses=ERRORS)
def save_theme(request: Request, who: CallerDep, slug: str, spec: ThemeIn) -> dict[str, Any]:
    """Add or update a theme (admins)."""
    _check_slug(slug, spec.slug)
    with _writing(request, who) as (session, person):
        permissions.check_admin(person, "manage themes")
        catalog.save_theme(session, spec)
        return catalog.describe_theme(catalog.by_slug(session, Theme, slug))


@router.put("/stakeholders/{slug}", responses=ERRORS)
def save_stakeholder(
    request: Request, who: CallerDep, slug: str, spec: StakeholderIn
) -> dict[str, Any]:
    """Add or update a stakeholder (admins)."""
    _check_slug(slug, spec.slug)
    with _writing(request, who) as (session, person):
        permissions.check_admin(person, "manage stakeholders")
        catalog.save_stakeholder(session, spec)
        return catalog.describe_stakeholder(catalog.by_slug(session, Stakeholder, slug))


@router.put("/partnerships/{slug}", responses=ERRORS)
def save_partnership(
    request: Request, who: CallerDep, slug: str, spec: PartnershipIn
) -> dict[str, Any]:
    """Add or update a partnership (admins)."""
    _check_slug(slug, spec.slug)
    with _writing(request, who) as (session, person):
        permissions.check_admin(person, "manage partnerships")
        catalog.save_partnership(session, spec)
        return catalog.describe_partnership(catalog.by_slug(session, Partnership, slug))


@router.get("/people", responses=ERRORS)
def list_people(request: Request, who: CallerDep) -> list[dict[str, Any]]:
    """Names, emails and roles of colleagues; their settings only for admins."""
    with _reading(request, who) as (session, person):
        admin = permissions.has_role(person, PersonRole.ADMIN)
        return [
            catalog.describe_person(p)
            if admin
            else {"email": p.email, "name": p.name, "roles": list(p.roles), "active": p.active}
            for p in catalog.all_people(session)
        ]


@router.put("/people/{email}", responses=ERRORS)
def save_person(request: Request, who: CallerDep, email: str, spec: PersonIn) -> dict[str, Any]:
    """Add or update a person (admins)."""
    if spec.email != email.lower():
        raise ValidationError("the email in the path and the body differ", field="email")
    with _writing(request, who) as (session, person):
        permissions.check_admin(person, "manage people")
        catalog.save_person(session, spec)
        return catalog.describe_person(catalog.person(session, spec.email, "email"))


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


@router.get("/me", responses=ERRORS)
def me(request: Request, who: CallerDep) -> dict[str, Any]:
    """The caller: who they are, what they follow, their reminder and digest settings."""
    with _reading(request, who) as (_, person):
        return catalog.describe_person(person)


@router.patch("/me", responses=ERRORS)
def change_me(request: Request, who: CallerDep, changes: OwnSettings) -> dict[str, Any]:
    """Change one's own language, zone, reminder preferences or digest subscription."""
    given = changes.model_dump(exclude_unset=True)
    with _writing(request, who) as (session, person):
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
    with _reading(request, who) as (session, person):
        return [_token_json(t) for t in tokens.listing(session, person.email)]


@router.post("/me/tokens", status_code=201, responses=ERRORS)
def make_my_token(request: Request, who: CallerDep, new: NewToken) -> dict[str, Any]:
    """A new feed link or API token for the caller; its secret is in this answer only."""
    if new.scope == tokens.LOGIN:
        raise ValidationError("sign-in links come by email (/login)", field="scope")
    settings: Settings = request.app.state.settings
    with _writing(request, who) as (session, person):
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
    with _writing(request, who) as (session, person):
        if token_id not in {t.id for t in tokens.listing(session, person.email)}:
            raise NotFound(f"you have no link or token {token_id}", field="token_id")
        tokens.revoke(session, token_id, clock.now_utc())
    return Response(status_code=204)


# ---------------------------------------------------------------- the outbox


@router.get("/outbox", responses=ERRORS)
def outbox(
    request: Request,
    who: CallerDep,
    state: Annotated[list[DeliveryState], Query()] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Deliveries, newest due first (admins; read-only)."""
    with _reading(request, who) as (session, person):
        permissions.check_admin(person, "read the outbox")
        query = select(Delivery).order_by(Delivery.due_at.desc(), Delivery.id.desc())
        if state:
            query = query.where(Delivery.state.in_(state))
        return [
            {
                "id": d.id, "kind": d.kind, "state": d.state.value, "key": d.key,
                "recipient": d.recipient, "item": d.item_uid or None,
                "due_at": d.due_at.isoformat(), "attempts": d.attempts,
                "sent_at": d.sent_at.isoformat() if d.sent_at else None,
                "error": d.last_error or None,
            }
            for d in session.scalars(query.limit(limit).offset(offset))
        ]  # fmt: skip
