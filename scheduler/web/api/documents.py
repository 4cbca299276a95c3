"""Documents under /api/v1/items/{uid}/documents and /api/v1/dossiers/{slug}/documents:
listed and downloaded by who may see what they are attached to, attached (multipart/form-data,
the file in the field `file`) by who may add to it. The content type is sniffed from the
bytes; a file over `max_upload_mb` gets 413 and nothing is stored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from scheduler import clock, documents, dossiers, views
from scheduler.documents import Received
from scheduler.models import AgendaItem, Person
from scheduler.web.api.access import ERRORS, Caller, CallerDep, actor, reading, writing
from scheduler.web.uploads import file_response, receive, store_of

router = APIRouter()


def _item(session: Session, uid: str, person: Person) -> AgendaItem:
    """The item, if the caller may see its content: notes and documents are content, so an
    admin who only knows a confidential item exists gets "not found" here."""
    return views.visible_item(session, person, uid)


RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_UPLOAD: dict[int | str, dict[str, Any]] = ERRORS | {
    413: {"description": "the file is larger than max_upload_mb"},
    201: {"description": "attached"},
}
_FILE: dict[int | str, dict[str, Any]] = ERRORS | {
    200: {"description": "the file", "content": {"application/octet-stream": {}}}
}


@router.get("/items/{uid}/documents", responses=ERRORS)
def item_documents(request: Request, who: CallerDep, uid: str) -> list[dict[str, Any]]:
    with reading(request, who) as (session, person):
        item = _item(session, uid, person)
        return [documents.describe(d) for d in documents.of_item(session, item)]


@router.post("/items/{uid}/documents", status_code=201, responses=_UPLOAD)
async def attach_to_item(request: Request, who: CallerDep, uid: str) -> dict[str, Any]:
    """Attach a document; it ticks off the preparation step that waits for one."""
    await run_in_threadpool(_check_item, request, who, uid)
    store = store_of(request)
    form = await receive(request, store)
    with documents.kept(store, form.received):
        return await run_in_threadpool(_record_item, request, who, uid, form.received,
                                       form.fields.get("name") or form.file_name)  # fmt: skip


def _check_item(request: Request, who: Caller, uid: str) -> None:
    with writing(request, who) as (session, person):
        documents.check_add_to_item(_item(session, uid, person), person)


def _record_item(
    request: Request, who: Caller, uid: str, received: Received, name: str
) -> dict[str, Any]:
    with writing(request, who) as (session, person):
        item = _item(session, uid, person)
        documents.check_add_to_item(item, person)
        document = documents.record(session, received, name, actor(who), clock.now_utc(), item=item)
        return documents.describe(document)


@router.get("/items/{uid}/documents/{document_id}", responses=_FILE)
def item_document(request: Request, who: CallerDep, uid: str, document_id: RowId) -> Response:
    """The file itself."""
    with reading(request, who) as (session, person):
        item = _item(session, uid, person)
        return file_response(store_of(request), documents.find_of_item(session, item, document_id))


@router.delete("/items/{uid}/documents/{document_id}", status_code=204, responses=ERRORS)
def remove_from_item(request: Request, who: CallerDep, uid: str, document_id: RowId) -> Response:
    with writing(request, who) as (session, person):
        document = documents.find_of_item(session, _item(session, uid, person), document_id)
        documents.check_remove(document, person)
        stored = documents.remove(session, document, actor(who), clock.now_utc())
    store_of(request).discard_stored(stored)
    return Response(status_code=204)


@router.get("/dossiers/{slug}/documents", responses=ERRORS)
def dossier_documents(request: Request, who: CallerDep, slug: str) -> list[dict[str, Any]]:
    with reading(request, who) as (session, _person):
        dossier = dossiers.find_dossier(session, slug)
        return [documents.describe(d) for d in documents.of_dossier(session, dossier)]


@router.post("/dossiers/{slug}/documents", status_code=201, responses=_UPLOAD)
async def attach_to_dossier(request: Request, who: CallerDep, slug: str) -> dict[str, Any]:
    await run_in_threadpool(_check_dossier, request, who, slug)
    store = store_of(request)
    form = await receive(request, store)
    with documents.kept(store, form.received):
        return await run_in_threadpool(_record_dossier, request, who, slug, form.received,
                                       form.fields.get("name") or form.file_name)  # fmt: skip


def _check_dossier(request: Request, who: Caller, slug: str) -> None:
    with writing(request, who) as (session, person):
        dossiers.find_dossier(session, slug)
        documents.check_add_to_dossier(person)


def _record_dossier(
    request: Request, who: Caller, slug: str, received: Received, name: str
) -> dict[str, Any]:
    with writing(request, who) as (session, person):
        documents.check_add_to_dossier(person)
        dossier = dossiers.find_dossier(session, slug)
        document = documents.record(
            session, received, name, actor(who), clock.now_utc(), dossier=dossier
        )
        return documents.describe(document)


@router.get("/dossiers/{slug}/documents/{document_id}", responses=_FILE)
def dossier_document(request: Request, who: CallerDep, slug: str, document_id: RowId) -> Response:
    with reading(request, who) as (session, _person):
        dossier = dossiers.find_dossier(session, slug)
        document = documents.find_of_dossier(session, dossier, document_id)
        return file_response(store_of(request), document)


@router.delete("/dossiers/{slug}/documents/{document_id}", status_code=204, responses=ERRORS)
def remove_from_dossier(
    request: Request, who: CallerDep, slug: str, document_id: RowId
) -> Response:
    with writing(request, who) as (session, person):
        dossier = dossiers.find_dossier(session, slug)
        document = documents.find_of_dossier(session, dossier, document_id)
        documents.check_remove(document, person)
        stored = documents.remove(session, document, actor(who), clock.now_utc())
    store_of(request).discard_stored(stored)
    return Response(status_code=204)
