"""The search page, /zoeken: a form, and the hits the signed-in person may see (see
`scheduler.search`). A query that cannot be searched shows the form again with what to change."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from scheduler import catalog, dossiers, search
from scheduler.errors import LobbyError, ValidationError
from scheduler.models import ItemKind
from scheduler.texts import Words
from scheduler.web.agenda import database_of, language, page_with_status, settings_of, signed_in
from scheduler.web.feeds import DATABASE_DOWN, unavailable

router = APIRouter(tags=["pages"])
PAGE_SIZE = 20


@router.get("/zoeken", response_class=HTMLResponse, responses={401: {}, 422: {}})
def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=10_000)] = "",
    theme: str = "",
    kind: str = "",
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
    dossier: str = "",
    type: str = "",
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    """Search items, outcomes, dossiers, notes, stakeholders and contact persons; filters by
    type, theme, kind, dossier and period."""
    form = {
        "q": q, "theme": theme.strip(), "kind": kind.strip(), "start": start.strip(),
        "end": end.strip(), "dossier": dossier.strip(), "type": type.strip(),
    }  # fmt: skip
    settings = settings_of(request)
    try:
        with database_of(request).read() as session:
            person = signed_in(request, session)
            lang = language(request, person)
            words = Words(lang, person.timezone)
            context: dict[str, object] = {
                "person": person, "form": form, "error": None, "results": None, "rows": [],
                "previous_url": "", "next_url": "", "max_length": search.MAX_LENGTH,
                "hit_types": search.HIT_TYPES, "kinds": list(ItemKind),
                "themes": [(t.slug, t.name) for t in catalog.all_themes(session)],
                "dossiers": [(d.slug, d.title) for d in dossiers.all_dossiers(session)],
            }  # fmt: skip
            if not q.strip():
                return page_with_status(request, "pages/search.html", lang, 200, context)
            try:
                results = search.search(
                    session, q, person, _filters(form), home_zone=settings.timezone,
                    limit=PAGE_SIZE, offset=offset, lang=lang,
                )  # fmt: skip
            except LobbyError as exc:
                context["error"] = exc
                return page_with_status(request, "pages/search.html", lang, exc.status, context)
            context["results"] = results
            context["rows"] = [
                (hit, words.day(hit.when.astimezone(words.zone).date()) if hit.when else "")
                for hit in results.hits
            ]
            if offset > 0:
                context["previous_url"] = _url(form, max(0, offset - PAGE_SIZE))
            if offset + PAGE_SIZE < results.total:
                context["next_url"] = _url(form, offset + PAGE_SIZE)
            return page_with_status(request, "pages/search.html", lang, 200, context)
    except DATABASE_DOWN as exc:
        return unavailable(exc)


def _filters(form: dict[str, str]) -> search.Filters:
    kinds: tuple[ItemKind, ...] = ()
    if form["kind"]:
        try:
            kinds = (ItemKind(form["kind"]),)
        except ValueError:
            allowed = ", ".join(k.value for k in ItemKind)
            raise ValidationError(f"kind: use one of {allowed}", field="kind") from None
    if form["type"] and form["type"] not in search.HIT_TYPES:
        allowed = ", ".join(search.HIT_TYPES)
        raise ValidationError(f"type: use one of {allowed}", field="type")
    types = tuple(t for t in search.HIT_TYPES if t == form["type"])
    return search.Filters(
        (form["theme"],) if form["theme"] else (), kinds, _day(form["start"], "from"),
        _day(form["end"], "to"), form["dossier"] or None, types,
    )  # fmt: skip


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{field}: {value!r} is not a date (YYYY-MM-DD)", field=field
        ) from None


def _url(form: dict[str, str], offset: int) -> str:
    names = {"start": "from", "end": "to"}
    query = {names.get(k, k): v for k, v in form.items() if v}
    return "/zoeken?" + urlencode(query | {"offset": str(offset)})
