"""Preparation chains of items: templates, attach, tick steps off, detach."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from scheduler import chains, clock, permissions
from scheduler.config import Settings
from scheduler.errors import NotFound
from scheduler.models import AgendaItem, Person, PreparationChain, PreparationTask
from scheduler.web.api.access import ERRORS, CallerDep, actor, reading, writing
from scheduler.web.api.items import visible_item
from scheduler.web.params import RowId

router = APIRouter()


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
    item = visible_item(session, uid, person)
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
    with reading(request, who) as (session, person):
        item = _readable_item(session, uid, person)
        return [_chain_json(request, chain) for chain in chains.chains_of(session, [item])]


@router.post("/items/{uid}/chains", status_code=201, responses=ERRORS)
def attach_chain(request: Request, who: CallerDep, uid: str, new: NewChain) -> dict[str, Any]:
    """Attach a chain template to the item (who may edit the item may do this)."""
    settings: Settings = request.app.state.settings
    with writing(request, who) as (session, person):
        item = _readable_item(session, uid, person)
        permissions.check_edit(item, person)
        chain = chains.attach(
            session, item, new.template, settings.chains, actor=actor(who),
            now=clock.now_utc(), owner=new.owner, occurrence=new.occurrence,
        )  # fmt: skip
        return _chain_json(request, chain)


@router.patch("/chain-steps/{step_id}", responses=ERRORS)
def change_step(
    request: Request, who: CallerDep, step_id: RowId, change: StepChange
) -> dict[str, Any]:
    """Tick a step off or on, or give it another owner: its owner, or who may edit the item."""
    with writing(request, who) as (session, person):
        task = _step(session, step_id, person)
        if task.owner_id != person.id or change.owner is not None:
            permissions.check_edit(task.chain.item, person)
        chains.set_task(
            session, task, actor=actor(who), now=clock.now_utc(),
            done=change.done, owner=change.owner,
        )  # fmt: skip
        return _chain_json(request, task.chain)


@router.delete("/chains/{chain_id}", status_code=204, responses=ERRORS)
def detach_chain(request: Request, who: CallerDep, chain_id: RowId) -> Response:
    """Remove a chain and its steps from its item."""
    with writing(request, who) as (session, person):
        chain = chains.find_chain(session, chain_id)
        if not permissions.may_see(chain.item, person):
            raise NotFound(f"no preparation chain with id {chain_id}", field="chain")
        permissions.check_edit(chain.item, person)
        chains.detach(session, chain, actor(who), clock.now_utc())
    return Response(status_code=204)


def _step(session: Session, step_id: int, person: Person) -> PreparationTask:
    task = chains.find_task(session, step_id)
    if not permissions.may_see(task.chain.item, person):
        raise NotFound(f"no preparation task with id {step_id}", field="task")
    return task
