"""The outbox, read-only, for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from scheduler import permissions
from scheduler.models import Delivery, DeliveryState
from scheduler.web.api.access import ERRORS, CallerDep, reading

router = APIRouter()


@router.get("/outbox", responses=ERRORS)
def outbox(
    request: Request,
    who: CallerDep,
    state: Annotated[list[DeliveryState], Query()] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Deliveries, newest due first (admins; read-only)."""
    with reading(request, who) as (session, person):
        permissions.check_admin(person, "read the outbox")
        query = select(Delivery).order_by(Delivery.due_at.desc(), Delivery.id.desc())
        if state:
            query = query.where(Delivery.state.in_(state))
        return [
            {
                "id": d.id, "kind": d.kind, "state": d.state.value, "key": d.key,
                "recipient": d.recipient, "item": d.item_uid or None,
                "due_at": d.due_at.isoformat(), "attempts": d.attempts,
                "sent_at": d.sent_at.isoformat() if d.sent_at else None,
                "error": d.last_error or None,
            }
            for d in session.scalars(query.limit(limit).offset(offset))
        ]  # fmt: skip
