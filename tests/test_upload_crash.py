"""An upload of 20 MB cut off by SIGKILL of a real `serve` process half-way: after a restart
no row lacks its file and no file lacks its row, and uploads work again."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from scheduler import agenda, documents, tokens
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.models import Document
from scheduler.schemas import ItemIn
from tests.conftest import free_port

OWNER = "eigenaar@example.nl"
MB = 1024 * 1024
BOUNDARY = "lobby-boundary-7f3a"


@contextmanager
def serving(
    db_url: str, tmp_path: Path, files: Path, name: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real `lobby-agenda serve` on a free port; yields its URL and its process."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOBBY_")}
    env |= {
        "LOBBY_DATABASE_URL": db_url, "LOBBY_PORT": str(port), "LOBBY_LOG_LEVEL": "WARNING",
        "LOBBY_MAIL_DIR": str(tmp_path / "mail"), "LOBBY_HEARTBEAT_SECONDS": "3600",
        "LOBBY_FILES_DIR": str(files),
    }  # fmt: skip
    log = tmp_path / f"{name}.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "serve"], env=env, stdout=handle, stderr=handle
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _answers(base) or process.poll() is not None, "serve to answer")
        assert process.poll() is None, log.read_text()
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _wait_for(condition: object, what: str, seconds: float = 120) -> None:
    """Poll a condition of real processes (not a clock of ours) with a generous deadline."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)


def _head(name: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()


def _tail() -> bytes:
    return f"\r\n--{BOUNDARY}--\r\n".encode()


def _in_step(db: Database, files: Path) -> tuple[list[str], list[str]]:
    """(rows without their file or with another file's bytes, files without a row)."""
    with db.read() as session:
        rows = list(session.scalars(select(Document)))
    on_disk = {p.name for p in files.iterdir()}
    broken = [
        r.stored_name for r in rows
        if r.stored_name not in on_disk
        or hashlib.sha256((files / r.stored_name).read_bytes()).hexdigest() != r.sha256
    ]  # fmt: skip
    return broken, sorted(on_disk - {r.stored_name for r in rows})


@pytest.mark.slow
def test_an_upload_killed_half_way_leaves_rows_and_files_in_step_after_a_restart(
    db: Database, tmp_path: Path
) -> None:
    with db.write() as session:
        import_data(db, {"people": [{"email": OWNER, "name": "E", "roles": ["lobbyist"]}]},
                    "t", agenda.Actor("test", "test"))  # fmt: skip
    with db.write() as session:
        agenda.save_item(session, ItemIn.model_validate(
            {"uid": "m1", "title": "Overleg", "kind": "meeting", "start": "2027-03-01T10:00",
             "owner": OWNER}), agenda.Actor("test", "test"))  # fmt: skip
        _, secret = tokens.create(session, OWNER, scope="api-write", today=datetime.now(UTC).date())
    auth = {"authorization": f"Bearer {secret}",
            "content-type": f"multipart/form-data; boundary={BOUNDARY}"}  # fmt: skip
    files = tmp_path / "files"
    paper = b"%PDF-1.7\n" + os.urandom(2 * MB)
    released = threading.Event()

    def half_of_20_mb() -> Iterator[bytes]:
        yield _head("groot.pdf") + b"%PDF-1.7\n"
        for _ in range(160):  # 10 MB of the 20, then the server dies under it
            yield os.urandom(64 * 1024)
        released.wait(timeout=300)
        yield os.urandom(10 * MB) + _tail()

    with serving(db.url, tmp_path, files, "first") as (base, process):
        url = f"{base}/api/v1/items/m1/documents"
        done = httpx.post(url, headers=auth, content=_head("a.pdf") + paper + _tail(), timeout=60)
        assert done.status_code == 201, done.text
        failure: list[BaseException] = []

        def upload() -> None:
            try:
                httpx.post(url, headers=auth, content=half_of_20_mb(), timeout=300)
            except httpx.TransportError as exc:
                failure.append(exc)

        sender = threading.Thread(target=upload)
        sender.start()
        unfinished = lambda: [p for p in files.iterdir() if p.name.startswith(".upload-")]  # noqa: E731
        _wait_for(lambda: any(p.stat().st_size >= 5 * MB for p in unfinished()), "5 MB to arrive")
        process.kill()  # SIGKILL: no clean-up of any kind
        process.wait()
        released.set()
        sender.join(timeout=300)
        assert failure, "the upload cannot have succeeded"
        assert unfinished(), "the killed upload left its partial file"
    with serving(db.url, tmp_path, files, "second") as (base, _process):
        # The restart swept what the dead process left: every row has its file, every file
        # its row, at once (not only an hour later).
        assert _in_step(db, files) == ([], [])
        with db.read() as session:
            assert [d.name for d in session.scalars(select(Document))] == ["a.pdf"]
        again = httpx.post(f"{base}/api/v1/items/m1/documents", headers=auth,
                           content=_head("b.pdf") + paper + _tail(), timeout=60)  # fmt: skip
        assert again.status_code == 201, again.text
        assert _in_step(db, files) == ([], [])
    with db.read() as session:  # and a later sweep finds nothing more to do
        later = documents.sweep(session, documents.FileStore(files, 20 * MB),
                                datetime.now(UTC) + timedelta(hours=2))  # fmt: skip
    assert later == documents.Sweep([], [])
