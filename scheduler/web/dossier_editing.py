"""Keeping dossiers in the browser: create, change (a form based on an older version is
refused), and log progress notes, optionally with a new status. Errors are shown next to their
field, as in the item form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from scheduler import clock, dossiers, permissions, views
from scheduler.agenda import Actor
from scheduler.errors import Conflict, LobbyError, PreconditionFailed, ValidationError
from scheduler.models import Dossier, DossierStatus, Person, Priority
from scheduler.schemas import DossierIn, parse
from scheduler.texts import Words
from scheduler.web.agenda import check_csrf, database_of, language, page_with_status, signed_in
from scheduler.web.pages import PAGE_HEADERS

router = APIRouter(tags=["pages"])

# Contact frequencies offered in the form; a stored one that is not here is offered as well.
FREQUENCIES = ("P2W", "P4W", "P6W", "P8W", "P13W", "P26W", "P52W")
_EMPTY_TARGET_ROWS = 2
_LISTS = ("themes", "coalition", "target_stakeholder", "target_every")
_BLANK: dict[str, Any] = {
    "slug": "", "title": "", "goal": "", "ask": "", "themes": [], "coalition": [], "targets": [],
    "lead": None, "role": None, "status": DossierStatus.VERKENNING.value,
    "priority": Priority.MIDDEL.value, "horizon": None,
}  # fmt: skip


@router.get("/dossiers/new", response_class=HTMLResponse, responses={401: {}, 403: {}})
def new_dossier(request: Request) -> Response:
    """An empty dossier form (lobbyists, managers, admins)."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        permissions.check_plan(person, "keep dossiers")
        values = _BLANK | {"lead": person.email}
        return _form_page(request, session, person, values, slug=None, version="")


@router.get(
    "/dossiers/{slug}/edit", response_class=HTMLResponse, responses={401: {}, 403: {}, 404: {}}
)
def edit_dossier(request: Request, slug: str) -> Response:
    """The dossier's form, filled in."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        permissions.check_plan(person, "keep dossiers")
        dossier = dossiers.find_dossier(session, slug)
        values = dossiers.describe(dossier)
        return _form_page(request, session, person, values, slug=slug, version=_version(dossier))


@router.post("/dossiers/new", response_class=HTMLResponse, responses={401: {}, 403: {}, 422: {}})
async def create_dossier(request: Request) -> Response:
    return await run_in_threadpool(_save, request, None, _posted(await request.form()))


@router.post(
    "/dossiers/{slug}/edit", response_class=HTMLResponse, responses={401: {}, 403: {}, 422: {}}
)
async def change_dossier(request: Request, slug: str) -> Response:
    return await run_in_threadpool(_save, request, slug, _posted(await request.form()))


@router.post(
    "/dossiers/{slug}/notes", response_class=HTMLResponse, responses={401: {}, 403: {}, 422: {}}
)
async def add_note(request: Request, slug: str) -> Response:
    """A progress note, with a new status if one is chosen."""
    return await run_in_threadpool(_note, request, slug, _posted(await request.form()))


def _posted(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {key: str(form.get(key) or "") for key in form}
    for name in _LISTS:
        values[name] = [str(v) for v in form.getlist(name)]
    return values


def _version(dossier: Any) -> str:
    return str(dossier.updated_at.isoformat())


def _spec_fields(form: Mapping[str, Any], slug: str | None) -> dict[str, Any]:
    """The form as the import format; every field is given, so that a cleared one clears."""
    rows = zip(form.get("target_stakeholder", []), form.get("target_every", []), strict=False)
    return {
        "slug": slug or form.get("slug", "").strip(),
        **{name: form.get(name, "").strip() for name in ("title", "goal", "ask", "lead")},
        **{name: form.get(name, "") for name in ("role", "status", "priority", "horizon")},
        "themes": form.get("themes", []), "coalition": form.get("coalition", []),
        "targets": [{"stakeholder": s, "contact_every": e} for s, e in rows if s],
    }  # fmt: skip


def _save(request: Request, slug: str | None, form: dict[str, Any]) -> Response:
    check_csrf(request, form.get("csrf", ""))
    fields = _spec_fields(form, slug)
    try:
        with database_of(request).write() as session:
            person = signed_in(request, session)
            permissions.check_plan(person, "keep dossiers")
            if slug is not None:
                found = dossiers.find_dossier(session, slug)
                if _version(found) != form.get("version"):
                    raise PreconditionFailed(
                        "someone changed this dossier while you edited it: reload to see "
                        "their change", field="version",
                    )  # fmt: skip
            elif session.scalar(select(Dossier.id).where(Dossier.slug == fields["slug"])):
                raise Conflict(
                    f"a dossier {fields['slug']!r} exists already: choose another short name",
                    field="slug",
                )
            dossiers.save(session, parse(DossierIn, fields), Actor(person.email, "web"),
                          clock.now_utc())  # fmt: skip
    except LobbyError as error:
        return _again(request, slug, form, fields, error)
    return RedirectResponse(f"/dossiers/{fields['slug']}", status_code=303, headers=PAGE_HEADERS)


def _note(request: Request, slug: str, form: dict[str, Any]) -> Response:
    check_csrf(request, form.get("csrf", ""))
    text = form.get("text", "").strip()
    try:
        with database_of(request).write() as session:
            person = signed_in(request, session)
            permissions.check_plan(person, "keep dossiers")
            status = _status(form.get("status", ""))
            if not text:
                raise ValidationError("write what happened", field="text")
            dossiers.add_note(session, slug, text, Actor(person.email, "web"), clock.now_utc(),
                              status)  # fmt: skip
    except LobbyError as error:
        with database_of(request).read() as session:
            person = signed_in(request, session)
            lang = language(request, person)
            found = views.dossier_page(session, person, slug, lang, clock.now_utc())
            context = views.dossier_choices(lang) | {
                "person": person, "page": found, "error": error, "note_values": form,
                "may_plan": True,
            }  # fmt: skip
            return page_with_status(request, "pages/dossier.html", lang, error.status, context)
    return RedirectResponse(f"/dossiers/{slug}#timeline", status_code=303, headers=PAGE_HEADERS)


def _status(value: str) -> DossierStatus | None:
    """The new status chosen with a note; none chosen keeps the status."""
    if not value:
        return None
    try:
        return DossierStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in DossierStatus)
        raise ValidationError(f"status: use one of {allowed}", field="status") from None


def _again(
    request: Request, slug: str | None, form: Mapping[str, Any], fields: dict[str, Any],
    error: LobbyError,
) -> Response:  # fmt: skip
    """The form once more, as it was sent, with the error next to its field."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        return _form_page(
            request, session, person, fields, slug=slug, version=form.get("version", ""),
            error=error,
        )  # fmt: skip


def _form_page(
    request: Request, session: Session, person: Person, values: Mapping[str, Any], *,
    slug: str | None, version: str, error: LobbyError | None = None,
) -> HTMLResponse:  # fmt: skip
    lang = language(request, person)
    words = Words(lang, person.timezone)
    targets = list(values.get("targets", []))
    stored = {t["contact_every"] for t in targets if t.get("contact_every")}
    frequencies = [("", "—")] + [
        (code, words.length(dossiers.every(code))) for code in sorted(
            set(FREQUENCIES) | stored, key=lambda c: dossiers.every(c))
    ]  # fmt: skip
    context: dict[str, object] = views.dossier_choices(lang) | {
        "person": person, "values": values, "slug": slug, "version": version, "error": error,
        "error_field": _form_field(error), "choices": views.filter_choices(session),
        "target_rows": targets + [{"stakeholder": "", "contact_every": ""}] * _EMPTY_TARGET_ROWS,
        "frequencies": frequencies,
    }  # fmt: skip
    status = 200 if error is None else error.status
    return page_with_status(request, "pages/dossier_form.html", lang, status, context)


def _form_field(error: LobbyError | None) -> str:
    """The form field an error belongs to (`targets.1.contact_every` → `targets`)."""
    if error is None or not error.field:
        return ""
    return error.field.split(".")[0]
