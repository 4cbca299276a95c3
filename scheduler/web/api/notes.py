"""Notes on items under /api/v1/items/{uid}/notes: read by who may see the item, added by who
may change it and its participants, changed by their author or who may change the item;
every change goes into the item's history. (A dossier's progress notes: POST
/api/v1/dossiers/{slug}/notes.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from scheduler import clock, notes, views
from scheduler.models import AgendaItem, Person
from scheduler.web.api.access import ERRORS, CallerDep, actor, reading, writing

router = APIRouter()


def _item(session: Session, uid: str, person: Person) -> AgendaItem:
    """The item, if the caller may see its content: notes and documents are content, so an
    admin who only knows a confidential item exists gets "not found" here."""
    return views.visible_item(session, person, uid)


RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class NoteText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=notes.MAX_LENGTH, description="Markdown")


@router.get("/items/{uid}/notes", responses=ERRORS)
def list_notes(request: Request, who: CallerDep, uid: str) -> list[dict[str, Any]]:
    """The item's notes, oldest first (markdown as written; pages show it sanitized)."""
    with reading(request, who) as (session, person):
        item = _item(session, uid, person)
        return [notes.describe(n) for n in notes.notes_of(session, item)]


@router.post("/items/{uid}/notes", status_code=201, responses=ERRORS)
def add_note(request: Request, who: CallerDep, uid: str, body: NoteText) -> dict[str, Any]:
    with writing(request, who) as (session, person):
        item = _item(session, uid, person)
        notes.check_add(item, person)
        return notes.describe(notes.add(session, item, body.text, actor(who), clock.now_utc()))


@router.patch("/items/{uid}/notes/{note_id}", responses=ERRORS)
def change_note(
    request: Request, who: CallerDep, uid: str, note_id: RowId, body: NoteText
) -> dict[str, Any]:
    with writing(request, who) as (session, person):
        note = notes.find(session, _item(session, uid, person), note_id)
        notes.check_change(note, person)
        notes.edit(session, note, body.text, actor(who), clock.now_utc())
        return notes.describe(note)


@router.delete("/items/{uid}/notes/{note_id}", status_code=204, responses=ERRORS)
def delete_note(request: Request, who: CallerDep, uid: str, note_id: RowId) -> Response:
    with writing(request, who) as (session, person):
        note = notes.find(session, _item(session, uid, person), note_id)
        notes.check_change(note, person)
        notes.remove(session, note, actor(who), clock.now_utc())
    return Response(status_code=204)
