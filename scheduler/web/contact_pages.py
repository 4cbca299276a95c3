"""The contact persons' pages (signed in): the list, per stakeholder, and one person with
every contact, the last and the next, and the dossiers they matter for."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from scheduler import clock, contact_views
from scheduler.web.agenda import database_of, language, page, signed_in

router = APIRouter(tags=["pages"])


@router.get("/contacts", response_class=HTMLResponse, responses={401: {}, 404: {}})
def contacts_page(
    request: Request,
    stakeholder: Annotated[str | None, Query(description="Only those at this stakeholder")] = None,
    everyone: Annotated[bool, Query(alias="all", description="Also those who left")] = False,
) -> Response:
    """Contact persons: function, organisation, portfolio, relationship owner."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        lang = language(request, person)
        found = contact_views.contact_list(session, person, stakeholder, everyone, lang)
        return page(request, "pages/contact_list.html", lang, person=person, page=found)


@router.get("/contacts/{slug}", response_class=HTMLResponse, responses={401: {}, 404: {}})
def contact_page(request: Request, slug: str) -> Response:
    """One contact person: details, last and next contact, every contact the reader may see,
    and the dossiers they matter for."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        lang = language(request, person)
        found = contact_views.contact_page(session, person, slug, lang, clock.now_utc())
        return page(request, "pages/contact.html", lang, person=person, page=found)
