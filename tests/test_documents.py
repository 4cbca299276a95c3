"""Documents as a service: files and rows kept in step whatever fails, names that stay names,
types sniffed from the bytes, and the preparation step a position paper ticks off."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from scheduler import agenda, chains, documents
from scheduler.config import DEFAULT_CHAINS, ChainTemplate
from scheduler.db import Database
from scheduler.documents import FileStore, display_name, sniff
from scheduler.errors import TooLarge
from scheduler.interchange import import_data
from scheduler.models import AgendaItem, Document, ItemChange
from scheduler.schemas import ItemIn
from tests.test_chains import DECISION
from tests.test_cli import cli
from tests.test_reminders import ACTOR, PEOPLE, PLANNED_AT

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
__all__ = ["cli"]  # a fixture used by name below
TEMPLATES = {slug: ChainTemplate.model_validate(t) for slug, t in DEFAULT_CHAINS.items()}


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files", 1024 * 1024)


@pytest.fixture
def item_db(sqlite_db: Database) -> Database:
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(sqlite_db, PEOPLE, "people", ACTOR)
        with sqlite_db.write() as session:
            agenda.save_item(session, ItemIn.model_validate(DECISION), ACTOR)
    return sqlite_db


def attach(db: Database, store: FileStore, content: bytes = PDF, name: str = "p.pdf") -> int:
    received = documents.store_chunks(store, [content])
    with documents.kept(store, received), db.write() as session:
        item = agenda.find_item(session, DECISION["uid"])
        return documents.record(session, received, name, ACTOR, PLANNED_AT, item=item).id


def test_a_recording_that_fails_in_the_database_leaves_no_file(
    item_db: Database, store: FileStore
) -> None:
    with item_db.write() as session:  # the database refuses the row, as a full disk would
        session.execute(text(
            "CREATE TRIGGER refuse BEFORE INSERT ON documents "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        ))  # fmt: skip
    with pytest.raises(DBAPIError, match="disk full"):
        attach(item_db, store)
    assert list(store.directory.iterdir()) == []


def test_a_too_large_upload_stops_while_streaming_and_leaves_nothing(store: FileStore) -> None:
    chunks = (b"x" * 65536 for _ in range(100))  # 6.4 MB offered, 1 MB allowed
    with pytest.raises(TooLarge, match="larger than 1 MB"):
        documents.store_chunks(store, chunks)
    assert list(store.directory.iterdir()) == []


def test_the_sweep_removes_old_files_without_a_row_and_reports_rows_without_a_file(
    item_db: Database, store: FileStore
) -> None:
    kept = attach(item_db, store)
    # A crash between the rename and the commit, and one in the middle of an upload.
    orphan = documents.store_chunks(store, [PDF])
    half = store.directory / f".upload-{'a' * 32}.elders.1234"  # another host's
    half.write_bytes(b"half")
    strange = store.directory / "notes.txt"  # not ours: left alone
    strange.write_text("x")
    now = PLANNED_AT
    with item_db.read() as session:
        young = documents.sweep(session, store, now)
    assert young.removed == [] and young.missing == []  # perhaps still on their way
    for path in store.directory.iterdir():
        old = (now - timedelta(hours=2)).timestamp()
        os.utime(path, (old, old))
    with item_db.read() as session:
        swept = documents.sweep(session, store, now)
    assert swept.removed == sorted([orphan.stored_name, half.name])
    assert swept.missing == []
    with item_db.read() as session:
        document = session.get(Document, kept)
        assert document is not None
        assert store.path_of(document.stored_name).read_bytes() == PDF
        store.path_of(document.stored_name).unlink()  # by hand: the sweep must say so
        assert documents.sweep(session, store, now).missing == [kept]
    assert strange.exists()


def test_a_stored_name_that_is_not_ours_never_reaches_the_file_system(store: FileStore) -> None:
    for name in ("../lobby.sqlite3", "/etc/passwd", "A" * 32, "a" * 31, f"{'a' * 32}/../x"):
        with pytest.raises(documents.NotFound):
            store.path_of(name)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\jan\\Positiepaper.docx", "Positiepaper.docx"),
        ("..", "document"),
        ("\x00\x1b[31mrood\r\n.pdf", "[31mrood.pdf"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_an_uploaded_name_is_only_a_name_to_show(raw: str, shown: str) -> None:
    assert display_name(raw) == shown


def _zip(inner: str) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(inner, "<x/>")
    return data.getvalue()


@pytest.mark.parametrize(
    ("content", "sniffed"),
    [
        (PDF, "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "image/png"),
        (_zip("ppt/presentation.xml"),
         "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        (_zip("word/document.xml"),
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("Verslag van het overleg: één afspraak.\n".encode(), "text/plain"),
        (b"<html><script>alert(1)</script></html>", "text/html"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "image/svg+xml"),
        (bytes(range(256)) * 4, "application/octet-stream"),
        (_zip("data.xml"), "application/zip"),
    ],
)  # fmt: skip
def test_the_type_comes_from_the_bytes_and_only_harmless_types_show_inline(
    tmp_path: Path, content: bytes, sniffed: str
) -> None:
    path = tmp_path / "upload"
    path.write_bytes(content)
    # The claimed name's extension chooses only among what the bytes match.
    claims = {"presentation": "p.pptx", "document": "d.docx", "zip": "z.pdf"}
    assert sniff(path, claims.get(sniffed.rsplit(".", 1)[-1].split("/")[-1], "x.pdf")) == sniffed
    assert documents.inline(sniffed) == (sniffed in {"application/pdf", "image/png", "text/plain"})


def test_attaching_a_document_ticks_off_the_position_paper_step_and_records_it(
    item_db: Database, store: FileStore
) -> None:
    with time_machine.travel(PLANNED_AT, tick=False), item_db.write() as session:
        item = agenda.find_item(session, DECISION["uid"])
        chain_id = chains.attach(session, item, "lobbyvenster", TEMPLATES, actor=ACTOR,
                                 now=PLANNED_AT).id  # fmt: skip
    attach(item_db, store, name="Positiepaper Zaancorridor.pdf")
    with item_db.read() as session:
        chain = chains.find_chain(session, chain_id)
        done = {task.title: task.done_at is not None for task in chain.tasks}
        assert done == {
            "Positiepaper gereed": True,
            "Bilateraal overleg met de stakeholder": False,
            "Kernboodschap afgestemd": False,
            "Debriefing en uitkomst vastgelegd": False,
        }
        fields = session.scalars(
            select(ItemChange.field).where(ItemChange.item_uid == DECISION["uid"])
        ).all()
        assert "document" in fields and "chain_step" in fields


def test_only_the_step_marked_in_its_template_is_ticked_by_a_document(
    item_db: Database, store: FileStore
) -> None:
    # A template whose step is called the same but says nothing: a person ticks it.
    plain = {"gewoon": ChainTemplate.model_validate(
        {"name": "Gewoon", "steps": [{"when": "P21D", "task": "Positiepaper gereed"}]}
    )}  # fmt: skip
    with time_machine.travel(PLANNED_AT, tick=False), item_db.write() as session:
        item = session.scalar(select(AgendaItem).where(AgendaItem.uid == DECISION["uid"]))
        assert item is not None
        chain_id = chains.attach(session, item, "gewoon", plain, actor=ACTOR, now=PLANNED_AT).id
    attach(item_db, store)
    with item_db.read() as session:
        assert chains.find_chain(session, chain_id).tasks[0].done_at is None


def test_the_command_line_adds_lists_and_gets_notes_and_documents(
    cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("LOBBY_FILES_DIR", str(tmp_path / "files"))
    assert cli("demo").code == 0
    uid = "demo-spoorcorridor-bestuurlijk-overleg"
    assert cli("notes", "add", uid, "Afgesproken: *positie* delen").code == 0
    listed = json.loads(cli("notes", "list", uid, "--json").out)
    assert [n["text"] for n in listed] == ["Afgesproken: *positie* delen"]
    paper = tmp_path / "Positiepaper.pdf"
    paper.write_bytes(PDF)
    added = json.loads(cli("documents", "add", str(paper), "--item", uid, "--json").out)
    assert (added["name"], added["content_type"], added["size"]) == (
        "Positiepaper.pdf",
        "application/pdf",
        len(PDF),
    )
    assert json.loads(cli("documents", "list", "--item", uid, "--json").out) == [added]
    both = cli("documents", "add", str(paper), "--item", uid, "--dossier", "x")
    assert both.code != 0 and "--item UID or --dossier SLUG" in both.err
    out = tmp_path / "terug.pdf"
    assert cli("documents", "get", str(added["id"]), "--output", str(out)).code == 0
    assert out.read_bytes() == PDF
