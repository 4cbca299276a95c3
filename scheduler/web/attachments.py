"""Notes and documents on the item and dossier pages (shown by `attached`): the forms'
routes (posted forms, redirected back to the page: no script needed), and the downloads.

A download answers only someone signed in who may see what the document is attached to
(a confidential item's: its owner and participants); to anyone else it does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from scheduler import clock, documents, dossiers, notes, views
from scheduler.agenda import Actor
from scheduler.models import Person
from scheduler.web.agenda import check_csrf, database_of, signed_in
from scheduler.web.pages import PAGE_HEADERS
from scheduler.web.uploads import file_response, receive, store_of

router = APIRouter(tags=["pages"])
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 413: {}, 422: {}}


def _done(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=PAGE_HEADERS)


def _actor(person: Person) -> Actor:
    return Actor(person.email, "web")


# ---------------------------------------------------------------- item notes


@router.post("/items/{uid}/notes", response_class=HTMLResponse, responses=_ERRORS)
def add_item_note(
    request: Request,
    uid: str,
    text_: Annotated[str, Form(alias="text", max_length=notes.MAX_LENGTH + 1000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A note on the item (markdown)."""
    check_csrf(request, csrf)
    with database_of(request).write() as session:
        person = signed_in(request, session)
        item = views.visible_item(session, person, uid)
        notes.check_add(item, person)
        notes.add(session, item, text_, _actor(person), clock.now_utc())
    return _done(f"/items/{uid}#notes")


@router.post("/items/{uid}/notes/{note_id}", response_class=HTMLResponse, responses=_ERRORS)
def change_item_note(
    request: Request,
    uid: str,
    note_id: RowId,
    text_: Annotated[str, Form(alias="text", max_length=notes.MAX_LENGTH + 1000)] = "",
    action: Annotated[str, Form(max_length=20)] = "save",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Change a note's text, or delete it (action=delete); both go into the item's history."""
    check_csrf(request, csrf)
    with database_of(request).write() as session:
        person = signed_in(request, session)
        item = views.visible_item(session, person, uid)
        note = notes.find(session, item, note_id)
        notes.check_change(note, person)
        if action == "delete":
            notes.remove(session, note, _actor(person), clock.now_utc())
        else:
            notes.edit(session, note, text_, _actor(person), clock.now_utc())
    return _done(f"/items/{uid}#notes")


# ---------------------------------------------------------------- documents


@router.post("/items/{uid}/documents", response_class=HTMLResponse, responses=_ERRORS)
async def attach_to_item(request: Request, uid: str) -> Response:
    """Attach a document (multipart form, the file in `file`); it may tick off the
    preparation step that waits for it."""
    await run_in_threadpool(_check_item_contributor, request, uid)
    store = store_of(request)
    form = await receive(request, store)
    with documents.kept(store, form.received):
        await run_in_threadpool(_record_for_item, request, uid, form.received, form.file_name,
                                form.fields.get("csrf", ""))  # fmt: skip
    return _done(f"/items/{uid}#documents")


def _check_item_contributor(request: Request, uid: str) -> None:
    """Before a byte is stored: signed in, and allowed to add to the item."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        documents.check_add_to_item(views.visible_item(session, person, uid), person)


def _record_for_item(
    request: Request, uid: str, received: documents.Received, name: str, csrf: str
) -> None:
    check_csrf(request, csrf)
    with database_of(request).write() as session:
        person = signed_in(request, session)
        item = views.visible_item(session, person, uid)
        documents.check_add_to_item(item, person)
        documents.record(session, received, name, _actor(person), clock.now_utc(), item=item)


@router.get("/items/{uid}/documents/{document_id}", responses=_ERRORS)
def item_document(request: Request, uid: str, document_id: RowId) -> Response:
    """A document of an item, for those who may see the item."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        item = views.visible_item(session, person, uid)
        document = documents.find_of_item(session, item, document_id)
        return file_response(store_of(request), document)


@router.post(
    "/items/{uid}/documents/{document_id}/delete", response_class=HTMLResponse,
    responses=_ERRORS,
)  # fmt: skip
def remove_from_item(
    request: Request, uid: str, document_id: RowId,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    with database_of(request).write() as session:
        person = signed_in(request, session)
        item = views.visible_item(session, person, uid)
        document = documents.find_of_item(session, item, document_id)
        documents.check_remove(document, person)
        stored = documents.remove(session, document, _actor(person), clock.now_utc())
    store_of(request).discard_stored(stored)
    return _done(f"/items/{uid}#documents")


@router.post("/dossiers/{slug}/documents", response_class=HTMLResponse, responses=_ERRORS)
async def attach_to_dossier(request: Request, slug: str) -> Response:
    """Attach a document to a dossier (those who keep dossiers)."""
    await run_in_threadpool(_check_dossier_keeper, request, slug)
    store = store_of(request)
    form = await receive(request, store)
    with documents.kept(store, form.received):
        await run_in_threadpool(_record_for_dossier, request, slug, form.received,
                                form.file_name, form.fields.get("csrf", ""))  # fmt: skip
    return _done(f"/dossiers/{slug}#documents")


def _check_dossier_keeper(request: Request, slug: str) -> None:
    with database_of(request).read() as session:
        person = signed_in(request, session)
        dossiers.find_dossier(session, slug)
        documents.check_add_to_dossier(person)


def _record_for_dossier(
    request: Request, slug: str, received: documents.Received, name: str, csrf: str
) -> None:
    check_csrf(request, csrf)
    with database_of(request).write() as session:
        person = signed_in(request, session)
        documents.check_add_to_dossier(person)
        dossier = dossiers.find_dossier(session, slug)
        documents.record(session, received, name, _actor(person), clock.now_utc(), dossier=dossier)


@router.get("/dossiers/{slug}/documents/{document_id}", responses=_ERRORS)
def dossier_document(request: Request, slug: str, document_id: RowId) -> Response:
    """A document of a dossier, for anyone signed in."""
    with database_of(request).read() as session:
        signed_in(request, session)
        dossier = dossiers.find_dossier(session, slug)
        document = documents.find_of_dossier(session, dossier, document_id)
        return file_response(store_of(request), document)


@router.post(
    "/dossiers/{slug}/documents/{document_id}/delete", response_class=HTMLResponse,
    responses=_ERRORS,
)  # fmt: skip
def remove_from_dossier(
    request: Request, slug: str, document_id: RowId,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    with database_of(request).write() as session:
        person = signed_in(request, session)
        dossier = dossiers.find_dossier(session, slug)
        document = documents.find_of_dossier(session, dossier, document_id)
        documents.check_remove(document, person)
        stored = documents.remove(session, document, _actor(person), clock.now_utc())
    store_of(request).discard_stored(stored)
    return _done(f"/dossiers/{slug}#documents")
