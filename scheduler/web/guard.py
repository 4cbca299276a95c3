"""What every HTTP answer gets: security headers, and a limit on the size of request bodies."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.errors import TooLarge

MAX_BODY = 1024 * 1024  # an agenda item is a few kB; an import goes through the CLI
HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",  # feed and sign-in tokens live in paths
    b"x-frame-options": b"DENY",
}
# Answers that need more (pages, /docs) set a policy of their own.
_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# Uploads of documents (scheduler.web.uploads): their route counts the file itself against
# max_upload_mb; here the whole body gets that much room plus the form's other fields.
UPLOAD_PATH = re.compile(r"^(/api/v1)?/(items|dossiers)/[^/]+/documents$")
FORM_ROOM = 64 * 1024


class BodyTooLarge(HTTPException):
    """Raised while the app reads a body: an HTTPException, since FastAPI turns any other
    error in reading a body into 400; the app's error handler answers with `refusal`."""

    def __init__(self, refusal: TooLarge) -> None:
        super().__init__(413, refusal.message)
        self.refusal = refusal


class Guard:
    """ASGI middleware: adds the headers (those a route set itself win) and refuses with 413
    a body over MAX_BODY (an upload's: over `upload_bytes` and FORM_ROOM), counted as it
    arrives (a Content-Length may be absent or lie). A program that declared too much is
    answered at once; a browser's refusal goes through the app, which says it in the
    reader's language on a page."""

    def __init__(self, app: ASGIApp, upload_bytes: int = 0) -> None:
        self.app = app
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, refusal = self._limit(scope)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"0")
        received = int(declared) if declared.isdigit() and int(declared) > limit else 0
        if received and b"text/html" not in headers.get(b"accept", b""):
            await _too_large(send, refusal)
            return

        async def counting_receive() -> Message:
            nonlocal received
            if received > limit:  # raised in the app: its error handler answers
                raise BodyTooLarge(refusal)
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(refusal)
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS.items() if k not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", _CSP))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, counting_receive, send_with_headers)

    def _limit(self, scope: Scope) -> tuple[int, TooLarge]:
        """How many bytes this request may send, and the refusal when it sends more."""
        if scope["method"] == "POST" and UPLOAD_PATH.match(scope["path"]) and self.upload_bytes:
            megabytes = self.upload_bytes // (1024 * 1024)
            message = f"the file is larger than {megabytes} MB (max_upload_mb); nothing was stored"
            params = {"mb": megabytes}
            refusal = TooLarge(message, field="file", key="file_too_large", params=params)
            return self.upload_bytes + FORM_ROOM, refusal
        kilobytes = MAX_BODY // 1024
        message = f"the request body is larger than {kilobytes} kB"
        return MAX_BODY, TooLarge(message, key="body_too_large", params={"kb": kilobytes})


async def _too_large(send: Send, refusal: TooLarge) -> None:
    body: dict[str, Any] = {"error": refusal.message, "field": refusal.field}
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *HEADERS.items(),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
