"""The service process: health and readiness over HTTP, and a real `serve` stopped by SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import Heartbeat
from scheduler.web import create_app
from tests.conftest import free_port


def test_healthz_answers_while_the_process_is_up(db_url: str) -> None:
    with TestClient(create_app(Settings(database_url=db_url), run_jobs=False)) as client:
        answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_readyz_is_ready_when_the_database_is_reachable_and_current(db_url: str) -> None:
    with TestClient(create_app(Settings(database_url=db_url), run_jobs=False)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "database": "ok", "migrations": "current"}


def test_readyz_answers_503_when_the_schema_is_not_migrated(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with TestClient(create_app(settings, run_jobs=False)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "run 'lobby-agenda db upgrade'" in answer.json()["migrations"]


def test_readyz_answers_503_naming_the_database_when_it_cannot_be_reached() -> None:
    settings = Settings(database_url="postgresql+psycopg://lobby:geheim@127.0.0.1:9/lobby")
    with TestClient(create_app(settings, run_jobs=False)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()["database"]
    assert body.startswith(
        "cannot reach the database at postgresql+psycopg://lobby:***@127.0.0.1:9/lobby"
    )
    assert "geheim" not in body


def test_the_scheduler_records_a_heartbeat_and_stops_with_the_app(db_url: str) -> None:
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        assert client.get("/healthz").status_code == 200
        db = Database(db_url)
        deadline = time.monotonic() + 60
        beats: list[Heartbeat] = []
        while not beats and time.monotonic() < deadline:  # the first beat runs at start-up
            with db.read() as session:
                beats = list(session.scalars(select(Heartbeat)))
            time.sleep(0.02)  # waiting for the scheduler's thread, not for the test clock
        db.dispose()
    assert len(beats) == 1 and beats[0].pid == os.getpid()


def test_an_unknown_path_answers_json_404() -> None:
    with TestClient(create_app(Settings(), run_jobs=False)) as client:
        answer = client.get("/nothing-here")
    assert answer.status_code == 404


@pytest.mark.slow
def test_serve_runs_as_a_real_process_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOBBY_")}
    env |= {
        "LOBBY_DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
        "LOBBY_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "serve"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/healthz", process)
        assert health.status_code == 200
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=60)
        assert ready.status_code == 200, ready.text
        base = f"http://127.0.0.1:{port}"
        httpx.get(f"{base}/feeds/FEEDSECRET4711/all.ics", timeout=60)
        httpx.get(f"{base}/login/LOGINSECRET4711", timeout=60)
        httpx.get(
            f"{base}/api/v1/items", headers={"authorization": "Bearer APISECRET4711"}, timeout=60
        )
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # uvicorn finishes the shutdown, then re-raises the signal it caught (exit status -15).
    assert process.returncode in (0, -signal.SIGTERM), err
    assert "Application shutdown complete" in err
    assert f"lobby-agenda serving at http://127.0.0.1:{port}" in out
    assert "scheduler started" in err and "scheduler stopped" in err
    # The access log shows requests, never the secrets in their paths or headers.
    assert '"GET /feeds/***/all.ics HTTP/1.1" 404' in err and "GET /login/***" in err
    assert "SECRET4711" not in err + out


def _wait_for(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early: {process.communicate()[1]}")
        try:
            return httpx.get(url, timeout=30)
        except httpx.TransportError:
            time.sleep(0.1)  # a real server starting, not the test clock
    raise AssertionError(f"{url} did not answer within 120 s")


def test_the_openapi_schema_describes_the_feeds_and_their_filters() -> None:
    import warnings

    with TestClient(create_app(Settings(), run_jobs=False)) as client, warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. duplicate operation ids
        schema = client.get("/openapi.json").json()
    feed = schema["paths"]["/feeds/{token}/themes/{slug}.ics"]["get"]
    assert {p["name"] for p in feed["parameters"]} == {"token", "slug", "kind", "status"}
    assert {"304", "403", "404", "410", "503"} <= set(feed["responses"])
    assert "/healthz" in schema["paths"] and "/feeds/public.ics" in schema["paths"]


def test_the_api_docs_page_loads_swagger_ui_only_from_our_own_server() -> None:
    with TestClient(create_app(Settings(), run_jobs=False)) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        referenced = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        referenced += re.findall(r"url: '([^']+)'", page.text)
        assert [url for url in referenced if "//" in url] == []
        answers = {url: client.get(url) for url in referenced}
        assert client.get("/redoc").status_code == 404  # FastAPI's, from a CDN: not offered
    assert {url: answer.status_code for url, answer in answers.items()} == dict.fromkeys(
        referenced, 200
    )
    types = {answer.headers["content-type"].split(";")[0] for answer in answers.values()}
    assert types == {"text/javascript", "text/css", "image/png", "application/json"}
    assert len(answers["/docs/assets/swagger-ui-bundle.js"].content) > 100_000  # not a stub
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy and "connect-src 'self'" in policy
    assert "unsafe" not in policy and "http" not in policy


def test_every_answer_carries_the_security_headers() -> None:
    with TestClient(create_app(Settings(), run_jobs=False)) as client:
        for path in ("/healthz", "/nothing-here", "/feeds", "/api/v1/items"):
            answer = client.get(path)
            assert answer.headers["x-content-type-options"] == "nosniff", path
            assert answer.headers["referrer-policy"] == "no-referrer", path
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        assert client.get("/nothing-here").json() == {"error": "Not Found", "field": None}
        pages = client.get("/feeds").headers["content-security-policy"]
        assert "style-src 'self'" in pages  # a page's own policy wins over the default


def test_a_request_body_over_a_megabyte_gets_413_even_without_a_length() -> None:
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    with TestClient(create_app(Settings(), run_jobs=False)) as client:
        declared = client.post(
            "/api/v1/items", content=big, headers={"content-type": "application/json"}
        )
        streamed = client.post(
            "/api/v1/items", content=chunks(), headers={"content-type": "application/json"}
        )
    for answer in (declared, streamed):
        assert answer.status_code == 413 and "larger than 1024 kB" in answer.json()["error"]
