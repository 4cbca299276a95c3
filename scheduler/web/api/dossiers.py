"""Lobby dossiers under /api/v1/dossiers: read by all, kept by those who plan (lobbyists,
managers, admins); progress notes are added one at a time, with their author and time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from scheduler import clock, dossiers, permissions
from scheduler.errors import ValidationError
from scheduler.models import Dossier, DossierStatus, Person
from scheduler.schemas import DossierIn
from scheduler.web.api.access import ERRORS, CallerDep, actor, reading, writing

router = APIRouter()


def _dossier_json(session: Session, dossier: Dossier, reader: Person) -> dict[str, Any]:
    """The import format, with the items and contacts the reader may see; a confidential
    item of others is counted, never named (it would tell whom we met)."""
    items = dossiers.items_of(session, dossier)
    visible = [i for i in items if permissions.may_see(i, reader)]
    contacts = dossiers.contacts(dossier, visible, clock.now_utc())
    return dossiers.describe(dossier) | {
        "items": [i.uid for i in visible],
        "hidden_items": len(items) - len(visible),
        "contacts": [
            {
                "stakeholder": c.stakeholder.slug,
                "last": c.last_at.isoformat() if c.last_at else None,
                "last_item": c.last.uid if c.last else None,
                "next": c.next_at.isoformat() if c.next_at else None,
                "next_item": c.next.uid if c.next else None,
                "overdue": c.overdue,
            }
            for c in contacts
        ],
        "updated_at": dossier.updated_at.isoformat(),
    }


@router.get("/dossiers", responses=ERRORS)
def list_dossiers(request: Request, who: CallerDep) -> list[dict[str, Any]]:
    """Every dossier, by slug."""
    with reading(request, who) as (session, person):
        return [_dossier_json(session, d, person) for d in dossiers.all_dossiers(session)]


@router.get("/dossiers/{slug}", responses=ERRORS)
def get_dossier(request: Request, who: CallerDep, slug: str) -> dict[str, Any]:
    with reading(request, who) as (session, person):
        return _dossier_json(session, dossiers.find_dossier(session, slug), person)


@router.put("/dossiers/{slug}", responses=ERRORS | {201: {"description": "created"}})
def save_dossier(
    request: Request, who: CallerDep, slug: str, spec: DossierIn, response: Response
) -> dict[str, Any]:
    """Create a dossier or change the fields given (body in the import format, without notes:
    add those with POST …/notes); a status change is logged as a note."""
    if spec.slug != slug:
        raise ValidationError("the slug in the path and the body differ", field="slug")
    if "notes" in spec.model_fields_set:
        raise ValidationError("add notes with POST /api/v1/dossiers/{slug}/notes", field="notes")
    with writing(request, who) as (session, person):
        permissions.check_plan(person, "keep dossiers")
        if dossiers.save(session, spec, actor(who), clock.now_utc()) == "created":
            response.status_code = 201
        return _dossier_json(session, dossiers.find_dossier(session, slug), person)


class NewNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000)
    status: DossierStatus | None = Field(None, description="A new status, logged with the note")


@router.post("/dossiers/{slug}/notes", status_code=201, responses=ERRORS)
def add_note(request: Request, who: CallerDep, slug: str, note: NewNote) -> dict[str, Any]:
    """Log progress on a dossier, optionally with a new status."""
    with writing(request, who) as (session, person):
        permissions.check_plan(person, "keep dossiers")
        added = dossiers.add_note(
            session, slug, note.text.strip(), actor(who), clock.now_utc(), note.status
        )
        return {
            "text": added.text, "at": added.written_at.isoformat(), "by": added.written_by,
            "status_from": added.status_from, "status_to": added.status_to,
        }  # fmt: skip
