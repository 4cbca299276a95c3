"""The JSON API under /api/v1/, one module per resource: items (with ETag and If-Match) and
their preparation chains, notes and documents (of dossiers too), dossiers, contact persons,
the catalog and people, the caller's own settings, the outbox for admins, and search. Every
request carries `Authorization: Bearer TOKEN` (`lobby-agenda token create EMAIL --scope
api-read|api-write`, see `access`); errors are JSON naming the field, as everywhere (see
`scheduler.web`)."""

from __future__ import annotations

from fastapi import APIRouter

from scheduler.web.api import (
    catalog,
    chains,
    contacts,
    documents,
    dossiers,
    items,
    me,
    notes,
    outbox,
    search,
)

router = APIRouter(prefix="/api/v1", tags=["api"])
for part in (items, chains, notes, documents, dossiers, contacts, catalog, me, outbox, search):
    router.include_router(part.router)
