"""Editing items in the browser: create, change (with a preview of the next occurrences in
the item's zone), and cancel or move one occurrence. Errors are shown next to their field;
a form based on an older revision is refused, as an API update with a stale ETag is."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from scheduler import agenda, chains, clock, open_agenda, permissions, views
from scheduler.agenda import Actor
from scheduler.errors import LobbyError, NotFound, PreconditionFailed, ValidationError
from scheduler.models import Confidentiality, ItemKind, ItemStatus, Person, Role
from scheduler.occurrences import expand
from scheduler.schemas import ItemIn, parse
from scheduler.texts import Lang, Words
from scheduler.web.agenda import (
    check_csrf,
    database_of,
    language,
    page_with_status,
    settings_of,
    signed_in,
)
from scheduler.web.item_form import (
    LISTS,
    REPEATS,
    TEXTS,
    as_stored,
    form_from_item,
    iso_wall,
    spec_from_form,
)
from scheduler.web.pages import PAGE_HEADERS
from scheduler.web.params import RowId

router = APIRouter(tags=["pages"])


class _Preview(Exception):
    """Raised inside the write transaction to roll back a save that was only a preview."""

    def __init__(self, occurrences: list[tuple[str, bool]]) -> None:
        self.occurrences = occurrences


def _form_page(
    request: Request, session: Session, person: Person, lang: Lang, values: Mapping[str, Any],
    *, uid: str | None, revision: int, error: LobbyError | None = None,
    preview: list[tuple[str, bool]] | None = None,
) -> HTMLResponse:  # fmt: skip
    context: dict[str, object] = {
        "person": person, "values": values, "uid": uid, "revision": revision,
        "error": error, "error_field": _form_field(error), "preview": preview,
        "choices": views.filter_choices(session), "repeats": REPEATS,
        "kinds": list(ItemKind), "statuses": list(ItemStatus), "roles": list(Role),
        "confidentialities": list(Confidentiality),
    }  # fmt: skip
    status = 200 if error is None else error.status
    return page_with_status(request, "pages/item_form.html", lang, status, context)


def _form_field(error: LobbyError | None) -> str:
    """The form field an error belongs to (`rrule` → `repeat`); "" for one shown on top."""
    if error is None or not error.field:
        return ""
    name = error.field.split(".")[0]
    name = "repeat" if name in ("rrule", "until") else name
    return name if name in (*TEXTS, *LISTS, "repeat", "reminders", "follow_ups") else ""


@router.get("/items/new", response_class=HTMLResponse, responses={401: {}, 403: {}})
def new_item(request: Request) -> Response:
    """An empty item form (lobbyists and admins)."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        permissions.check_create(person)
        lang = language(request, person)
        values = form_from_item({"kind": "meeting", "status": "planned",
                                 "confidentiality": "internal", "owner": person.email,
                                 "timezone": person.timezone}, lang)  # fmt: skip
        return _form_page(request, session, person, lang, values, uid=None, revision=0)


@router.get("/items/{uid}/edit", response_class=HTMLResponse, responses={401: {}, 403: {}, 404: {}})
def edit_item(request: Request, uid: str) -> Response:
    """The item's form, filled in."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        item = views.visible_item(session, person, uid)
        permissions.check_edit(item, person)
        lang = language(request, person)
        values = form_from_item(agenda.describe_item(item), lang)
        return _form_page(request, session, person, lang, values, uid=uid, revision=item.revision)


@router.post("/items/new", response_class=HTMLResponse, responses={401: {}, 403: {}, 422: {}})
async def create_item(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_save, request, None, _posted(form))


@router.post(
    "/items/{uid}/edit", response_class=HTMLResponse, responses={401: {}, 403: {}, 422: {}}
)
async def change_item(request: Request, uid: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_save, request, uid, _posted(form))


def _posted(form: Any) -> dict[str, Any]:
    """A form as a dict: lists for the multi-selects, text for the rest."""
    values: dict[str, Any] = {key: form.get(key) for key in form}
    for name in LISTS:
        values[name] = form.getlist(name)
    return values


def _save(request: Request, uid: str | None, form: dict[str, Any]) -> Response:
    check_csrf(request, str(form.get("csrf", "")))
    db = database_of(request)
    spec_fields = spec_from_form(form | ({"uid": uid} if uid else {}))
    try:
        with db.write() as session:
            person = signed_in(request, session)
            actor = Actor(person.email, "web")
            item = _apply(session, person, uid, spec_fields, form, actor)
            if form.get("action") == "preview":
                raise _Preview(_next_five(item, language(request, person)))
            saved_uid = item.uid
    except _Preview as preview:
        return _again(request, uid, form, None, preview.occurrences)
    except LobbyError as error:
        return _again(request, uid, form, error, None)
    return RedirectResponse(f"/items/{saved_uid}", status_code=303, headers=PAGE_HEADERS)


def _apply(
    session: Session, person: Person, uid: str | None, fields: dict[str, Any],
    form: Mapping[str, Any], actor: Actor,
) -> Any:  # fmt: skip
    if uid is None:
        permissions.check_create(person)
        _, item = agenda.save_item(session, parse(ItemIn, fields), actor)
    else:
        item = views.visible_item(session, person, uid)
        permissions.check_edit(item, person)
        if str(item.revision) != str(form.get("revision", "")):
            raise PreconditionFailed(
                "someone changed this item while you edited it: reload to see their change",
                field="revision", key="stale_form",
            )  # fmt: skip
        stored = agenda.describe_item(item)
        fields["reminders"] = as_stored(fields.get("reminders") or [], stored["reminders"])
        if fields.get("start") != stored["start"] and fields.get("end") == stored["end"]:
            fields = {k: v for k, v in fields.items() if k != "end"}  # the end moves along
        agenda.update(session, item, fields, actor)
    permissions.check_edit(item, person)  # not by taking oneself off it
    return item


def _next_five(item: Any, lang: Lang) -> list[tuple[str, bool]]:
    """The next five occurrences, in the item's own zone and the reader's language."""
    now = clock.now_utc()
    words = Words(lang, item.timezone)
    return [
        (words.long(o.start, item.all_day), o.cancelled)
        for o in expand(item, now, now + timedelta(days=800))[:5]
    ]


def _again(
    request: Request, uid: str | None, form: dict[str, Any], error: LobbyError | None,
    preview: list[tuple[str, bool]] | None,
) -> Response:  # fmt: skip
    """The form once more, as it was sent, with the error or the preview."""
    values = dict(form)
    values["all_day"] = bool(form.get("all_day"))
    values.setdefault("fu_rows", 0)
    with database_of(request).read() as session:
        person = signed_in(request, session)
        revision = int(form.get("revision") or 0)
        return _form_page(
            request, session, person, language(request, person), values, uid=uid,
            revision=revision, error=error, preview=preview,
        )  # fmt: skip


@router.post("/items/{uid}/occurrence", response_class=HTMLResponse, responses={401: {}, 403: {}})
async def change_occurrence(request: Request, uid: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_change_occurrence, request, uid, _posted(form))


def _change_occurrence(request: Request, uid: str, form: dict[str, Any]) -> Response:
    """Cancel one occurrence, or move it to `start` (wall time in the item's zone)."""
    check_csrf(request, str(form.get("csrf", "")))
    with database_of(request).write() as session:
        person = signed_in(request, session)
        item = views.visible_item(session, person, uid)
        permissions.check_edit(item, person)
        occurrence = str(form.get("occurrence", ""))
        actor = Actor(person.email, "web")
        if form.get("action") == "cancel":
            agenda.cancel(session, uid, actor, occurrence)
        else:
            start = iso_wall(str(form.get("start", "")))
            if not start:
                raise ValidationError(
                    "give the new start of the occurrence", field="start", key="give_new_start"
                )
            agenda.move(session, uid, actor, occurrence, start, None)
    return RedirectResponse(f"/items/{uid}", status_code=303, headers=PAGE_HEADERS)


@router.post(
    "/items/{uid}/review", response_class=HTMLResponse, responses={401: {}, 403: {}, 422: {}}
)
async def review_item(request: Request, uid: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_review, request, uid, {k: form.get(k) for k in form})


def _review(request: Request, uid: str, form: dict[str, Any]) -> Response:
    """Mark a public item reviewed for the open agenda (with redactions), or withdraw that."""
    check_csrf(request, str(form.get("csrf", "")))
    with database_of(request).write() as session:
        person = signed_in(request, session)
        item = views.visible_item(session, person, uid)
        permissions.check_edit(item, person)
        actor, now = Actor(person.email, "web"), clock.now_utc()
        if form.get("action") == "withdraw":
            open_agenda.withdraw(session, uid, actor, now)
        else:
            redactions = {
                name: str(form.get(f"redact_{name}", "")).strip()
                for name in open_agenda.REDACTABLE
                if str(form.get(f"redact_{name}", "")).strip()
            }
            open_agenda.review(session, uid, actor, redactions, now)
    return RedirectResponse(f"/items/{uid}", status_code=303, headers=PAGE_HEADERS)


@router.post("/items/{uid}/chains", response_class=HTMLResponse, responses={401: {}, 403: {}})
async def attach_chain(request: Request, uid: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_attach_chain, request, uid, {k: form.get(k) for k in form})


def _attach_chain(request: Request, uid: str, form: dict[str, Any]) -> Response:
    """Attach a preparation chain template to the item's next occurrence."""
    check_csrf(request, str(form.get("csrf", "")))
    with database_of(request).write() as session:
        person = signed_in(request, session)
        item = views.visible_item(session, person, uid)
        permissions.check_edit(item, person)
        chains.attach(
            session, item, str(form.get("template", "")), settings_of(request).chains,
            actor=Actor(person.email, "web"), now=clock.now_utc(),
        )  # fmt: skip
    return RedirectResponse(f"/items/{uid}#chains", status_code=303, headers=PAGE_HEADERS)


@router.post(
    "/chain-steps/{step_id}", response_class=HTMLResponse, responses={401: {}, 403: {}, 404: {}}
)
async def change_step(request: Request, step_id: RowId) -> Response:
    form = await request.form()
    return await run_in_threadpool(_change_step, request, step_id, {k: form.get(k) for k in form})


def _change_step(request: Request, step_id: int, form: dict[str, Any]) -> Response:
    """Tick a step off (or open it again): its owner, or who may edit the item."""
    check_csrf(request, str(form.get("csrf", "")))
    with database_of(request).write() as session:
        person = signed_in(request, session)
        task = chains.find_task(session, step_id)
        item = task.chain.item
        if not permissions.may_see(item, person):
            raise NotFound(f"no preparation task with id {step_id}", field="task", key="no_step")
        if task.owner_id != person.id:
            permissions.check_edit(item, person)
        chains.set_task(
            session, task, actor=Actor(person.email, "web"), now=clock.now_utc(),
            done=form.get("action") != "reopen",
        )  # fmt: skip
        uid = item.uid
    return RedirectResponse(f"/items/{uid}#chains", status_code=303, headers=PAGE_HEADERS)
