"""The API documentation at /docs: Swagger UI served from our own origin.

FastAPI's own page loads Swagger UI's script and style from a CDN, so behind a firewall or
offline it stays blank. The fastapi-offline package ships those files; we serve them under
ASSETS and give the page a Content-Security-Policy that allows nothing from elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)
ASSETS = "/docs/assets"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def assets() -> StaticFiles:
    """swagger-ui-bundle.js, swagger-ui.css and favicon.png, as fastapi-offline ships them."""
    return StaticFiles(packages=[("fastapi_offline", "static")])


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    page = get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} API",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
        # Else Swagger UI loads a badge from validator.swagger.io, telling it our schema URL.
        swagger_ui_parameters={"validatorUrl": None},
    )
    page.headers["Content-Security-Policy"] = _policy(bytes(page.body))
    page.headers["Cache-Control"] = "no-cache"
    return page


def _policy(body: bytes) -> str:
    """Our own origin only; the page's inline script (which starts Swagger UI) by its hash."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self'; "
        # Swagger UI's stylesheet draws its icons as data: URLs.
        "img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
