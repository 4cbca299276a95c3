"""Receiving a document over HTTP (a form's multipart body, from a browser or an API client),
streamed into the files directory as it arrives, and serving one back.

The body is parsed by python-multipart's streaming parser: the file part goes chunk by chunk
into `documents.Upload` (which counts it against the size limit, so a too large upload stops
there: 413, nothing kept), the small fields into memory. The `Guard` middleware lets these
paths (`guard.UPLOAD_PATH`) through with a body of the upload limit (plus the form's fields).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio
from fastapi import Request
from fastapi.responses import FileResponse
from python_multipart.multipart import MultipartParser, parse_options_header

from scheduler import documents
from scheduler.config import Settings
from scheduler.documents import FileStore, Received, Upload
from scheduler.errors import NotFound, ValidationError
from scheduler.models import Document

_FIELD_MAX = 4096  # a CSRF token or a name: small
_FIELDS_MAX = 20


def store_of(request: Request) -> FileStore:
    settings: Settings = request.app.state.settings
    return documents.store_from(settings)


@dataclass
class _Part:
    headers: dict[str, bytes] = field(default_factory=dict)
    name: str = ""
    data: bytearray = field(default_factory=bytearray)
    upload: Upload | None = None


@dataclass
class Form:
    """A document's form as received: its file stored (not yet recorded), its other fields."""

    received: Received
    file_name: str
    fields: dict[str, str]


class _Receiver:
    """python-multipart's callbacks: the part named `file` into an Upload, the rest kept."""

    def __init__(self, store: FileStore) -> None:
        self.store = store
        self.fields: dict[str, str] = {}
        self.part = _Part()
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.upload: Upload | None = None
        self.file_name = ""

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self.header_field.decode("latin-1").lower()
        self.part.headers[name] = bytes(self.header_value)
        self.header_field, self.header_value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get("content-disposition", b""))
        self.part.name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if self.part.name == "file" and filename is not None:
            if self.upload is not None:
                raise ValidationError("send one file at a time", field="file")
            # Browsers send the name as UTF-8 with a quote as %22 (the HTML standard's form
            # encoding; CR and LF as %0D and %0A, which display_name drops anyway).
            self.file_name = filename.decode("utf-8", "replace").replace("%22", '"')
            self.upload = self.part.upload = self.store.upload(self.file_name)
        elif len(self.fields) >= _FIELDS_MAX:
            raise ValidationError("the form has too many fields", field=None)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.part.upload is not None:
            self.part.upload.write(data[start:end])
            return
        self.part.data += data[start:end]
        if len(self.part.data) > _FIELD_MAX:
            raise ValidationError(f"the field {self.part.name!r} is too long", field=None)

    def on_part_end(self) -> None:
        if self.part.upload is None:
            self.fields[self.part.name] = self.part.data.decode("utf-8", "replace")


async def receive(request: Request, store: FileStore) -> Form:
    """Stream the request's multipart body in: the file (field `file`) stored under its
    final name, synced; the caller records it (inside `documents.kept`)."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ValidationError(
            "send the document as multipart/form-data, the file in the field 'file'",
            field="file",
        )
    receiver = _Receiver(store)
    callbacks = {
        name: getattr(receiver, name)
        for name in (
            "on_part_begin", "on_part_data", "on_part_end", "on_header_field",
            "on_header_value", "on_header_end", "on_headers_finished",
        )
    }  # fmt: skip
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            # Writing to disk blocks: in a worker thread, as FastAPI runs sync routes.
            await anyio.to_thread.run_sync(parser.write, chunk)
        parser.finalize()
        if receiver.upload is None:
            raise ValidationError("choose a file to attach", field="file", key="file_missing")
        received = await anyio.to_thread.run_sync(receiver.upload.finish)
    except BaseException:
        if receiver.upload is not None:
            receiver.upload.abort()
        raise
    return Form(received, receiver.file_name, receiver.fields)


def file_response(store: FileStore, document: Document) -> FileResponse:
    """The document's file: its sniffed type, its name (RFC 6266/5987, by Starlette), shown
    in the browser only when the type runs no script, otherwise as a download."""
    path = store.path_of(document.stored_name)
    if not path.is_file():
        raise NotFound(f"the file of document {document.id} is missing", field="document")
    disposition = "inline" if documents.inline(document.content_type) else "attachment"
    return FileResponse(
        path,
        media_type=document.content_type,
        filename=document.name,
        content_disposition_type=disposition,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )
