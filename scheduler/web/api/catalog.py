"""The catalog (themes, stakeholders, partnerships) and the people: read by all, kept by admins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from scheduler import catalog, permissions
from scheduler.errors import ValidationError
from scheduler.models import Partnership, PersonRole, Stakeholder, Theme
from scheduler.schemas import PartnershipIn, PersonIn, StakeholderIn, ThemeIn
from scheduler.web.api.access import ERRORS, CallerDep, reading, writing

router = APIRouter()


@router.get("/themes", responses=ERRORS)
def list_themes(request: Request, who: CallerDep) -> list[dict[str, Any]]:
    with reading(request, who) as (session, _):
        return [catalog.describe_theme(t) for t in catalog.all_themes(session)]


@router.get("/stakeholders", responses=ERRORS)
def list_stakeholders(request: Request, who: CallerDep) -> list[dict[str, Any]]:
    with reading(request, who) as (session, _):
        return [catalog.describe_stakeholder(s) for s in catalog.all_stakeholders(session)]


@router.get("/partnerships", responses=ERRORS)
def list_partnerships(request: Request, who: CallerDep) -> list[dict[str, Any]]:
    with reading(request, who) as (session, _):
        return [catalog.describe_partnership(p) for p in catalog.all_partnerships(session)]


def _check_slug(path_slug: str, body_slug: str) -> None:
    if path_slug != body_slug:
        raise ValidationError("the slug in the path and the body differ", field="slug")


@router.put("/themes/{slug}", responses=ERRORS)
def save_theme(request: Request, who: CallerDep, slug: str, spec: ThemeIn) -> dict[str, Any]:
    """Add or update a theme (admins)."""
    _check_slug(slug, spec.slug)
    with writing(request, who) as (session, person):
        permissions.check_admin(person, "manage themes")
        catalog.save_theme(session, spec)
        return catalog.describe_theme(catalog.by_slug(session, Theme, slug))


@router.put("/stakeholders/{slug}", responses=ERRORS)
def save_stakeholder(
    request: Request, who: CallerDep, slug: str, spec: StakeholderIn
) -> dict[str, Any]:
    """Add or update a stakeholder (admins)."""
    _check_slug(slug, spec.slug)
    with writing(request, who) as (session, person):
        permissions.check_admin(person, "manage stakeholders")
        catalog.save_stakeholder(session, spec)
        return catalog.describe_stakeholder(catalog.by_slug(session, Stakeholder, slug))


@router.put("/partnerships/{slug}", responses=ERRORS)
def save_partnership(
    request: Request, who: CallerDep, slug: str, spec: PartnershipIn
) -> dict[str, Any]:
    """Add or update a partnership (admins)."""
    _check_slug(slug, spec.slug)
    with writing(request, who) as (session, person):
        permissions.check_admin(person, "manage partnerships")
        catalog.save_partnership(session, spec)
        return catalog.describe_partnership(catalog.by_slug(session, Partnership, slug))


@router.get("/people", responses=ERRORS)
def list_people(request: Request, who: CallerDep) -> list[dict[str, Any]]:
    """Names, emails and roles of colleagues; their settings only for admins."""
    with reading(request, who) as (session, person):
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
    with writing(request, who) as (session, person):
        permissions.check_admin(person, "manage people")
        catalog.save_person(session, spec)
        return catalog.describe_person(catalog.person(session, spec.email, "email"))
