"""The JSON API of contact persons under /api/v1/contacts: read by every API caller, kept by
lobbyists and admins, erased by admins. Tokens and errors as for the rest of the API
(`scheduler.web.api`). A person's items are those the caller may see: a confidential meeting
of others is neither listed nor counted."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from scheduler import clock, contacts
from scheduler.config import Settings
from scheduler.errors import ValidationError
from scheduler.models import ContactPerson, Person
from scheduler.occurrences import Occurrence
from scheduler.schemas import ContactPersonIn

# The API's shared plumbing (token, reading and writing sessions) lives in `api` for now.
from scheduler.web.api.access import ERRORS, CallerDep, actor, reading, writing

router = APIRouter()


def _contact_json(contact: ContactPerson) -> dict[str, Any]:
    return contacts.describe(contact) | {"active": contact.active}


def _occurrence_json(found: Occurrence | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "uid": found.item.uid, "title": found.title, "start": found.start.isoformat(),
        "end": found.end.isoformat(),
    }  # fmt: skip


def _full_json(session: Session, contact: ContactPerson, reader: Person) -> dict[str, Any]:
    items = contacts.items_of(session, contact, reader)
    held = contacts.last_and_next(items, clock.now_utc())
    return _contact_json(contact) | {
        "last": _occurrence_json(held.last),
        "next": _occurrence_json(held.next),
        "items": [
            {"uid": i.uid, "title": i.title, "start": i.starts_at.isoformat(),
             "status": i.status.value}
            for i in items
        ],
        "dossiers": [d.slug for d in contacts.dossiers_for(session, contact, items)],
    }  # fmt: skip


@router.get("/contacts", responses=ERRORS)
def list_contacts(
    request: Request,
    who: CallerDep,
    stakeholder: Annotated[str | None, Query(description="Only those at this stakeholder")] = None,
    everyone: Annotated[bool, Query(alias="all", description="Also those who left")] = False,
) -> list[dict[str, Any]]:
    """Contact persons, by name; of one stakeholder if asked."""
    with reading(request, who) as (session, _):
        return [
            _contact_json(c) for c in contacts.listing(session, stakeholder, with_left=everyone)
        ]


@router.get("/contacts/{slug}", responses=ERRORS)
def get_contact(request: Request, who: CallerDep, slug: str) -> dict[str, Any]:
    """One contact person with their last and next contact, the items the caller may see
    that they were met at, and the dossiers they matter for."""
    with reading(request, who) as (session, person):
        return _full_json(session, contacts.find(session, slug), person)


@router.put("/contacts/{slug}", responses=ERRORS)
def save_contact(
    request: Request, who: CallerDep, slug: str, spec: ContactPersonIn, response: Response
) -> dict[str, Any]:
    """Add or update a contact person (lobbyists and admins); fields left out keep their
    value."""
    if spec.slug != slug:
        raise ValidationError("the slug in the path and the body differ", field="slug")
    with writing(request, who) as (session, person):
        contacts.check_manage(person)
        outcome = contacts.save(session, spec, actor(who), clock.now_utc())
        if outcome == "created":
            response.status_code = 201
        return _full_json(session, contacts.find(session, slug), person)


@router.patch("/contacts/{slug}", responses=ERRORS)
def change_contact(
    request: Request,
    who: CallerDep,
    slug: str,
    changes: Annotated[dict[str, Any], Body(description="The fields to change (import format).")],
) -> dict[str, Any]:
    """Change the given fields of a contact person (lobbyists and admins)."""
    with writing(request, who) as (session, person):
        contacts.check_manage(person)
        contacts.edit(session, slug, changes, actor(who), clock.now_utc())
        return _full_json(session, contacts.find(session, slug), person)


class Leaving(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: date | None = Field(None, description="The day they left (default: today)")


@router.post("/contacts/{slug}/leave", responses=ERRORS | {409: {"description": "left already"}})
def leave_contact(request: Request, who: CallerDep, slug: str, leaving: Leaving) -> dict[str, Any]:
    """Mark a contact person as moved on; they keep their history."""
    settings: Settings = request.app.state.settings
    day = leaving.on or clock.today_in(clock.zone(settings.timezone))
    with writing(request, who) as (session, person):
        contacts.check_manage(person)
        contacts.leave(session, slug, day, actor(who), clock.now_utc())
        return _full_json(session, contacts.find(session, slug), person)


@router.delete("/contacts/{slug}", status_code=204, responses=ERRORS)
def erase_contact(request: Request, who: CallerDep, slug: str) -> Response:
    """Erase a contact person (AVG; admins): their data goes, also from the items' history;
    the audit trail records the erasure without it."""
    with writing(request, who) as (session, person):
        contacts.check_erase(person)
        contacts.erase(session, slug, actor(who), clock.now_utc())
    return Response(status_code=204)
