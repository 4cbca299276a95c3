"""`GET /api/v1/search?q=…`: full-text search as the token's person may see it (see
`scheduler.search`); errors are JSON naming the field, as everywhere in the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from scheduler import search
from scheduler.config import Settings
from scheduler.models import ItemKind
from scheduler.web.api.access import ERRORS, CallerDep, reading

router = APIRouter()


@router.get("/search", responses=ERRORS)
def search_api(
    request: Request,
    who: CallerDep,
    q: Annotated[str, Query(description='Words; "a phrase", -word, OR, word*')] = "",
    theme: Annotated[list[str], Query()] = [],  # noqa: B006  FastAPI reads the default
    kind: Annotated[list[ItemKind], Query(description="Of items; only items then")] = [],  # noqa: B006
    start: Annotated[date | None, Query(alias="from", description="First day (home zone)")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, included")] = None,
    dossier: str | None = None,
    type: Annotated[list[search.HitType], Query()] = [],  # noqa: B006  the API's word
    limit: Annotated[int, Query(ge=1, le=search.MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> dict[str, Any]:
    """Hits in items (title, goal, key message, description, outcome, location), dossiers,
    dossier notes, stakeholders and contact persons (name, function, notes, organisation),
    best first, hits with the words in their title first. A confidential item is found only
    by its owner and participants; `total` and `counts` count exactly what the caller may
    see. A contact person's hit holds their own fields only, never the meetings they were at."""
    settings: Settings = request.app.state.settings
    filters = search.Filters(tuple(theme), tuple(kind), start, end, dossier or None, tuple(type))
    with reading(request, who) as (session, person):
        found = search.search(
            session, q, person, filters, home_zone=settings.timezone, limit=limit, offset=offset
        )
        return found.as_json()
