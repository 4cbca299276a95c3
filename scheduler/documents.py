"""Documents attached to items and dossiers: position papers, presentations, letters.

The files live in one directory (the setting `files_dir`), each under a random name of ours
(`stored_name`, 32 hex digits): the uploader's file name is kept for display only and never
reaches the file system, so no name can lead out of the directory. The content type is
sniffed from the bytes (puremagic), never taken from the uploader's claim.

Nothing is lost on a failed upload, because of the order of the steps:
1. the upload streams into a temporary file in the directory, counted against the size limit
   as it arrives (over it: `TooLarge`, and the temporary file goes);
2. the file is fsynced, renamed to its stored name, and the directory fsynced;
3. only then is the row recorded, in one transaction; if that fails, the file is removed.
A crash after 2 and before 3 leaves a file without a row: `sweep` removes such files once
they are older than an hour (another replica may be between 2 and 3 right now). A row
without its file cannot come about this way; `sweep` reports one all the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import mimetypes
import os
import re
import secrets
import socket
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import puremagic
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import chains
from scheduler.agenda import Actor
from scheduler.config import Settings
from scheduler.errors import Forbidden, NotFound, TooLarge, ValidationError
from scheduler.models import AgendaItem, Document, Dossier, ItemChange, Person
from scheduler.permissions import check_plan, may_contribute, may_create, may_edit, may_see

log = logging.getLogger(__name__)

_STORED = re.compile(r"[0-9a-f]{32}")
# A file still streaming in: .upload-<32 hex digits>.<host>.<pid>, so that a restarted
# process removes at once what a dead one on its host left (others' wait for ORPHAN_AGE).
_TEMPORARY = ".upload-"
_UNFINISHED = re.compile(r"\.upload-[0-9a-f]{32}\.([A-Za-z0-9-]{1,64})\.([0-9]{1,10})")
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:64] or "host"
# Files without a row younger than this are left alone by the sweep: an upload of another
# process may be between its rename and its commit.
ORPHAN_AGE = timedelta(hours=1)
# Types a browser may show in its own window: they run no script. Every other type (HTML,
# SVG, XML, office files, …) is served as a download.
INLINE = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"}
)
OCTET_STREAM = "application/octet-stream"
_NAME_LENGTH = 200


@dataclass(frozen=True)
class FileStore:
    """The files directory and the largest file it accepts."""

    directory: Path
    max_bytes: int

    @property
    def max_mb(self) -> int:
        return self.max_bytes // (1024 * 1024)

    def path_of(self, stored_name: str) -> Path:
        """Where a stored file lives; a name that is not one of ours is refused outright."""
        if not _STORED.fullmatch(stored_name):
            raise NotFound(f"no stored file {stored_name!r}")
        return self.directory / stored_name

    def upload(self, claimed_name: str = "") -> Upload:
        self.directory.mkdir(parents=True, exist_ok=True)
        return Upload(self, claimed_name=display_name(claimed_name))

    def discard(self, received: Received) -> None:
        """Remove a stored file whose row was not recorded."""
        self.discard_stored(received.stored_name)

    def discard_stored(self, stored_name: str) -> None:
        """Remove a stored file (its row is gone)."""
        with contextlib.suppress(FileNotFoundError):
            self.path_of(stored_name).unlink()


def store_from(settings: Settings) -> FileStore:
    return FileStore(Path(settings.files_dir), settings.max_upload_mb * 1024 * 1024)


@dataclass(frozen=True)
class Received:
    """A file stored under its final name, not yet recorded."""

    stored_name: str
    size: int
    sha256: str
    content_type: str


@dataclass
class Upload:
    """One file streaming in: `write` its chunks, then `finish`; `abort` (or leaving the
    `with` block on an error) removes what was written."""

    store: FileStore
    stored_name: str = field(default_factory=lambda: secrets.token_hex(16))
    size: int = 0
    claimed_name: str = ""  # the uploader's file name: a hint for the sniffing only
    _hash: Any = field(default_factory=hashlib.sha256)
    _file: Any = None

    @property
    def temporary(self) -> Path:
        name = f"{_TEMPORARY}{self.stored_name}.{_HOST}.{os.getpid()}"
        return self.store.directory / name

    def __enter__(self) -> Upload:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if error is not None:
            self.abort()

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            self._file = self.temporary.open("xb")  # x: never over an existing file
        self.size += len(chunk)
        if self.size > self.store.max_bytes:
            self.abort()
            raise TooLarge(
                f"the file is larger than {self.store.max_mb} MB (max_upload_mb); nothing "
                "was stored",
                field="file", key="file_too_large", params={"mb": self.store.max_mb},
            )  # fmt: skip
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self) -> Received:
        """Sync the file to disk, give it its stored name, sync the directory."""
        if self._file is None or self.size == 0:
            self.abort()
            raise ValidationError("the file is empty", field="file", key="file_empty")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        content_type = sniff(self.temporary, self.claimed_name)
        final = self.store.path_of(self.stored_name)
        self.temporary.rename(final)
        _sync_directory(self.store.directory)
        return Received(self.stored_name, self.size, self._hash.hexdigest(), content_type)

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self.temporary.unlink()


def _sync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (POSIX: fsync the directory itself)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def store_chunks(store: FileStore, chunks: Iterable[bytes], claimed_name: str = "") -> Received:
    """Stream `chunks` into the store (the CLI's files, tests)."""
    with store.upload(claimed_name) as upload:
        for chunk in chunks:
            upload.write(chunk)
        return upload.finish()


@contextlib.contextmanager
def kept(store: FileStore, received: Received) -> Iterator[None]:
    """Around recording a received file: if recording fails (the transaction inside does not
    commit), the file goes again, so that no file is left without its row."""
    try:
        yield
    except BaseException:
        store.discard(received)
        raise


# ---------------------------------------------------------------- what a file is


def sniff(path: Path, claimed_name: str = "") -> str:
    """The content type of a file, from its bytes (puremagic's signatures); text without a
    signature is text/plain, the rest application/octet-stream. The name's extension only
    chooses among the types the bytes match (a zip file is a .docx or a .pptx alike): it
    never makes HTML a PDF."""
    try:
        with path.open("rb") as stream:
            matches = puremagic.magic_stream(stream, filename=claimed_name or None)
    except (puremagic.PureError, ValueError):
        matches = []
    matches = [m for m in matches if m.byte_match]  # by the name alone is no match
    best = max((m.confidence for m in matches), default=0.0)
    top = [m for m in matches if m.confidence == best]
    if len({m.mime_type for m in top}) > 1 and any(m.extension == ".zip" for m in top):
        return "application/zip"  # a zip file that could be many things: say no more
    for match in top:
        if match.mime_type:
            return str(match.mime_type)
        guessed = mimetypes.types_map.get(match.extension or "")
        if guessed:
            return guessed
    with path.open("rb") as file:
        head = file.read(8192)
    return "text/plain" if _is_text(head) else OCTET_STREAM


def _is_text(head: bytes) -> bool:
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut off at the end of the sample
    return True


def display_name(raw: str) -> str:
    """The uploader's file name as we show it: its last part (a browser may send a whole
    path), without control characters, at most 200 characters (the extension kept)."""
    name = unicodedata.normalize("NFC", re.split(r"[/\\]", raw)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not name:
        return "document"
    if len(name) > _NAME_LENGTH:
        _, dot, extension = name.rpartition(".")
        keep = f".{extension}" if dot and len(extension) <= 10 else ""
        name = name[: _NAME_LENGTH - len(keep)] + keep
    return name


def inline(content_type: str) -> bool:
    return content_type in INLINE


# ---------------------------------------------------------------- who may do what


def check_add_to_item(item: AgendaItem, person: Person) -> None:
    if not may_contribute(item, person):
        raise Forbidden(
            f"you may not add documents to {item.uid}: those who may change it and its "
            "participants do",
            field="uid",
        )


def check_add_to_dossier(person: Person) -> None:
    check_plan(person, "add documents to dossiers")


def may_remove(document: Document, person: Person) -> bool:
    """Its uploader (while they may still add to it), or who may change what it belongs to."""
    if document.item is not None:
        item = document.item
        own = document.uploaded_by == person.email and may_contribute(item, person)
        return may_edit(item, person) or own
    return may_create(person)


def check_remove(document: Document, person: Person) -> None:
    if not may_remove(document, person):
        raise Forbidden(
            f"you may not remove document {document.id}: its uploader and those who may "
            "change what it is attached to do",
            field="document",
        )


# ---------------------------------------------------------------- rows


def of_item(session: Session, item: AgendaItem) -> list[Document]:
    query = select(Document).where(Document.item_id == item.id)
    return list(session.scalars(query.order_by(Document.uploaded_at, Document.id)))


def of_dossier(session: Session, dossier: Dossier) -> list[Document]:
    query = select(Document).where(Document.dossier_id == dossier.id)
    return list(session.scalars(query.order_by(Document.uploaded_at, Document.id)))


def find_of_item(session: Session, item: AgendaItem, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None or document.item_id != item.id:
        raise NotFound(f"{item.uid} has no document {document_id}", field="document")
    return document


def find_of_dossier(session: Session, dossier: Dossier, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None or document.dossier_id != dossier.id:
        raise NotFound(f"dossier {dossier.slug} has no document {document_id}", field="document")
    return document


def find_readable(session: Session, document_id: int, reader: Person | None) -> Document:
    """A document by id, for someone who may see what it is attached to (the CLI: None, and
    sees all); otherwise "not found", as if it did not exist."""
    document = session.get(Document, document_id)
    if document is None or (
        reader is not None and document.item is not None and not may_see(document.item, reader)
    ):
        raise NotFound(f"no document {document_id}", field="document")
    return document


def record(
    session: Session, received: Received, name: str, actor: Actor, now: datetime, *,
    item: AgendaItem | None = None, dossier: Dossier | None = None,
) -> Document:  # fmt: skip
    """Record a received file as a document of the item or the dossier. An item's document
    goes into its history and ticks off the preparation step that waits for it."""
    if (item is None) == (dossier is None):
        raise ValueError("a document belongs to an item or a dossier")
    document = Document(
        item=item, dossier=dossier, name=display_name(name), stored_name=received.stored_name,
        content_type=received.content_type, size=received.size, sha256=received.sha256,
        uploaded_by=actor.who, uploaded_at=now,
    )  # fmt: skip
    session.add(document)
    session.flush()
    if item is not None:
        _history(session, item, actor, now, None, document.name)
        chains.tick_by_document(session, item, actor, now)
    return document


def remove(session: Session, document: Document, actor: Actor, now: datetime) -> str:
    """Delete the row; returns the stored name, whose file the caller removes once the
    transaction has committed (a crash in between leaves a file the sweep removes)."""
    if document.item is not None:
        _history(session, document.item, actor, now, document.name, None)
    stored = document.stored_name
    session.delete(document)
    session.flush()
    return stored


def _history(
    session: Session, item: AgendaItem, actor: Actor, now: datetime, old: str | None,
    new: str | None,
) -> None:  # fmt: skip
    session.add(
        ItemChange(
            item_uid=item.uid, revision=item.revision, changed_at=now, changed_by=actor.who,
            channel=actor.channel, field="document",
            old_value=None if old is None else json.dumps(old, ensure_ascii=False),
            new_value=None if new is None else json.dumps(new, ensure_ascii=False),
        )
    )  # fmt: skip


def describe(document: Document) -> dict[str, Any]:
    """The document as plain data (CLI --json and the API)."""
    return {
        "id": document.id,
        "item": document.item.uid if document.item else None,
        "dossier": document.dossier.slug if document.dossier else None,
        "name": document.name,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "uploaded_by": document.uploaded_by,
        "uploaded_at": document.uploaded_at.isoformat(),
    }


# ---------------------------------------------------------------- keeping files and rows in step


@dataclass(frozen=True)
class Sweep:
    removed: list[str]  # files without a row (or unfinished uploads), removed
    missing: list[int]  # ids of rows whose file is not there


def _dead_here(host: str, pid: int) -> bool:
    """Whether the process that wrote an unfinished upload is known to be gone: it ran on
    this host and no process has its id now (one that reused the id keeps the file for
    ORPHAN_AGE, as do other hosts' processes)."""
    if host != _HOST or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def sweep(session: Session, store: FileStore, now: datetime) -> Sweep:
    """Remove files without a row, and unfinished uploads, older than `ORPHAN_AGE` (and at
    once the unfinished uploads of dead processes on this host); report rows whose file is
    missing (logged as an error: it should never happen). Files whose names are not ours are
    left alone."""
    if not store.directory.is_dir():
        return Sweep([], [])  # no document was ever stored
    rows = {name: i for name, i in session.execute(select(Document.stored_name, Document.id))}
    cutoff = (now - ORPHAN_AGE).timestamp()
    removed = []
    present = set()
    for path in store.directory.iterdir():
        name = path.name
        ours = _STORED.fullmatch(name)
        unfinished = _UNFINISHED.fullmatch(name)
        if ours and name in rows:
            present.add(name)
            continue
        if not (ours or unfinished):
            continue  # not ours
        try:
            abandoned = unfinished is not None and _dead_here(unfinished[1], int(unfinished[2]))
            if path.stat().st_mtime > cutoff and not abandoned:
                continue  # perhaps an upload still on its way
            path.unlink()
        except FileNotFoundError:
            continue  # another process swept it
        removed.append(name)
    missing = sorted(i for name, i in rows.items() if name not in present)
    for document_id in missing:
        log.error("document %s has no file in %s", document_id, store.directory)
    if removed:
        log.info("removed %d file(s) without a document from %s", len(removed), store.directory)
    return Sweep(sorted(removed), missing)
