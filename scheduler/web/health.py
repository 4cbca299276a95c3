"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from scheduler import __version__
from scheduler.db import Database
from scheduler.errors import LobbyError

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (liveness)."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz", responses={503: {"description": "not ready"}})
def readyz(request: Request) -> Any:
    """The database is reachable and its schema is current (readiness)."""
    db: Database = request.app.state.db
    try:
        db.check_reachable()
        current, expected = db.migration_state()
    except LobbyError as exc:
        return JSONResponse({"status": "unavailable", "database": exc.message}, status_code=503)
    if current != expected:
        detail = f"schema at {sorted(current) or 'none'}, code expects {sorted(expected)}"
        return JSONResponse(
            {"status": "unavailable", "migrations": detail + "; run 'lobby-agenda db upgrade'"},
            status_code=503,
        )
    return {"status": "ready", "database": "ok", "migrations": "current"}
