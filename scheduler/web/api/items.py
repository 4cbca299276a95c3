"""Items under /api/v1/items: list, read, create, change (with ETag and If-Match), delete, and
move or cancel one occurrence."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import agenda, catalog, permissions
from scheduler.agenda import ItemFilter
from scheduler.errors import (
    Conflict,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationError,
)
from scheduler.models import AgendaItem, ItemKind, ItemStatus, Person
from scheduler.schemas import ItemIn
from scheduler.web.api.access import ERRORS, CallerDep, actor, reading, writing

router = APIRouter()


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


def visible_item(session: Session, uid: str, person: Person) -> AgendaItem:
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
    with reading(request, who) as (session, person):
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
    with reading(request, who) as (session, person):
        item = visible_item(session, uid, person)
        response.headers["ETag"] = _etag(item)
        return _item_json(item, person)


@router.post("/items", status_code=201, responses=ERRORS | {409: {"description": "uid taken"}})
def create_item(
    request: Request, who: CallerDep, spec: ItemIn, response: Response
) -> dict[str, Any]:
    """Create an item (lobbyists, managers, admins); the caller must be able to edit it."""
    with writing(request, who) as (session, person):
        permissions.check_create(person)
        if spec.uid and session.scalar(select(AgendaItem.id).where(AgendaItem.uid == spec.uid)):
            raise Conflict(f"an item with uid {spec.uid!r} exists; update it instead", field="uid")
        _, item = agenda.save_item(session, spec, actor(who))
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
    with writing(request, who) as (session, person):
        item = visible_item(session, uid, person)
        permissions.check_edit(item, person)
        _check_match(item, if_match)
        agenda.update(session, item, changes, actor(who))
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
    with writing(request, who) as (session, person):
        item = visible_item(session, uid, person)
        permissions.check_edit(item, person)
        _check_match(item, if_match)
        agenda.delete(session, uid, actor(who))
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
    with writing(request, who) as (session, person):
        item = visible_item(session, uid, person)
        permissions.check_edit(item, person)
        _check_match(item, if_match)
        if change.cancel:
            agenda.cancel(session, uid, actor(who), change.occurrence)
        else:
            assert change.start is not None
            agenda.move(session, uid, actor(who), change.occurrence, change.start, change.end)
        response.headers["ETag"] = _etag(item)
        return _item_json(item, person)
