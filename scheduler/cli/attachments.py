"""`lobby-agenda notes …` and `lobby-agenda documents …`: notes on items (markdown), and
documents attached to items and dossiers (stored as the service stores an upload)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from scheduler import agenda, clock, documents, dossiers, notes
from scheduler.cli.common import (
    JsonOption,
    actor,
    database,
    example,
    local_time,
    print_json,
    print_table,
    settings,
)
from scheduler.errors import NotFound, ValidationError
from scheduler.models import AgendaItem, Dossier

notes_app = typer.Typer(help="Notes on agenda items (markdown).", no_args_is_help=True)
documents_app = typer.Typer(
    help="Documents attached to items and dossiers: position papers, presentations, letters.",
    no_args_is_help=True,
)


@notes_app.command(
    "add", epilog=example('lobby-agenda notes add mra-overleg "Afgesproken: *positiepaper* delen"')
)
def add_note(
    uid: str = typer.Argument(..., help="The item's uid."),
    text: str = typer.Argument(..., help="The note, in markdown ('-' reads standard input)."),
    as_json: bool = JsonOption,
) -> None:
    """Add a note to an item; it goes into the item's history."""
    if text == "-":
        text = typer.get_text_stream("stdin").read()
    with database().write() as session:
        item = agenda.find_item(session, uid)
        described = notes.describe(notes.add(session, item, text, actor(), clock.now_utc()))
    if as_json:
        print_json(described)
        return
    typer.echo(f"note {described['id']} added to {uid}")


@notes_app.command("list", epilog=example("lobby-agenda notes list mra-overleg"))
def list_notes(
    uid: str = typer.Argument(..., help="The item's uid."), as_json: bool = JsonOption
) -> None:
    """An item's notes, oldest first."""
    with database().read() as session:
        item = agenda.find_item(session, uid)
        found = notes.notes_of(session, item)
        described = [notes.describe(n) for n in found]
        rows = [[n.id, local_time(n.written_at), n.written_by, n.text] for n in found]
    if as_json:
        print_json(described)
        return
    print_table(f"notes on {uid}", ["id", "written", "by", "text"], rows)


def _owner(
    session: Session, item: str | None, dossier: str | None
) -> tuple[AgendaItem | None, Dossier | None]:
    if (item is None) == (dossier is None):
        raise ValidationError("give --item UID or --dossier SLUG (one of them)", field="--item")
    if item is not None:
        return agenda.find_item(session, item), None
    return None, dossiers.find_dossier(session, dossier or "")


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            yield chunk


@documents_app.command(
    "add",
    epilog=example(
        "lobby-agenda documents add --item mra-besluit-2027-01 positiepaper.pdf",
        "lobby-agenda documents add --dossier eu-spoortunnels presentatie.pptx",
    ),
)
def add_document(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="The file."),
    item: str | None = typer.Option(None, "--item", metavar="UID", help="Attach to this item."),
    dossier: str | None = typer.Option(
        None, "--dossier", metavar="SLUG", help="Attach to this dossier."
    ),
    name: str | None = typer.Option(None, help="The name to show (default: the file's)."),
    as_json: bool = JsonOption,
) -> None:
    """Attach a file (at most max_upload_mb); attached to an item, it ticks off the
    preparation step that waits for a document."""
    store = documents.store_from(settings())
    with database().read() as session:
        _owner(session, item, dossier)  # before copying a byte
    received = documents.store_chunks(store, _chunks(path), name or path.name)
    with documents.kept(store, received), database().write() as session:
        on_item, on_dossier = _owner(session, item, dossier)
        document = documents.record(
            session, received, name or path.name, actor(), clock.now_utc(),
            item=on_item, dossier=on_dossier,
        )  # fmt: skip
        described = documents.describe(document)
    if as_json:
        print_json(described)
        return
    typer.echo(f"document {described['id']} ({described['content_type']}) attached")


@documents_app.command(
    "list",
    epilog=example("lobby-agenda documents list --item mra-besluit-2027-01"),
)
def list_documents(
    item: str | None = typer.Option(None, "--item", metavar="UID"),
    dossier: str | None = typer.Option(None, "--dossier", metavar="SLUG"),
    as_json: bool = JsonOption,
) -> None:
    """The documents of an item or a dossier."""
    with database().read() as session:
        on_item, on_dossier = _owner(session, item, dossier)
        found = (
            documents.of_item(session, on_item)
            if on_item is not None
            else documents.of_dossier(session, on_dossier)  # type: ignore[arg-type]
        )
        described = [documents.describe(d) for d in found]
    if as_json:
        print_json(described)
        return
    rows = [[d["id"], d["name"], d["content_type"], d["size"], d["uploaded_by"]] for d in described]
    print_table("documents", ["id", "name", "type", "bytes", "by"], rows)


@documents_app.command(
    "get", epilog=example("lobby-agenda documents get 12 --output positiepaper.pdf")
)
def get_document(
    document_id: int = typer.Argument(..., help="The document's id (see `documents list`)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write here (default: the document's own name)."
    ),
) -> None:
    """Copy a document's file out of the store."""
    store = documents.store_from(settings())
    with database().read() as session:
        document = documents.find_readable(session, document_id, None)
        source = store.path_of(document.stored_name)
        target = output or Path(document.name)  # display_name: a plain name, no path
    if not source.is_file():
        raise NotFound(f"the file of document {document_id} is missing from {store.directory}")
    shutil.copyfile(source, target)
    typer.echo(f"wrote {target}", err=True)
