"""Fetching an outside calendar over HTTP: conditional (ETag, Last-Modified), with a total
time limit and a size limit, the body streamed so that a huge answer is never held whole.

Every failure is one `FetchFailed` whose message says what happened (it is shown on /feeds
and in digests, so it never repeats the URL, which may hold a secret).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from scheduler import __version__
from scheduler.errors import FetchFailed

USER_AGENT = f"lobby-agenda/{__version__} (outside calendars)"


@dataclass(frozen=True)
class Fetched:
    """A 200 with its text, or a 304 (`text` None: what we hold is current)."""

    status: int
    text: str | None
    etag: str
    last_modified: str


def fetch(
    url: str, *, etag: str = "", last_modified: str = "", timeout: float = 20.0,
    max_bytes: int = 10_000_000,
) -> Fetched:  # fmt: skip
    """GET `url` once; FetchFailed for a network error, a timeout (connecting, waiting or
    reading, `timeout` seconds in all), an HTTP error, a body over `max_bytes` or not UTF-8."""
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + timeout
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5) as client,
            client.stream("GET", url, headers=headers) as answer,
        ):
            new_etag = answer.headers.get("etag", "")
            new_modified = answer.headers.get("last-modified", "")
            if answer.status_code == 304:
                return Fetched(304, None, new_etag or etag, new_modified or last_modified)
            if answer.status_code != 200:
                reason = answer.reason_phrase or ""
                raise FetchFailed(
                    f"the server answered HTTP {answer.status_code} {reason}".strip(),
                    http_status=answer.status_code,
                )
            body = _read(answer, max_bytes, deadline, timeout)
    except httpx.TimeoutException as exc:
        raise FetchFailed(f"no answer within {timeout:g} s ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise FetchFailed(f"cannot fetch: {type(exc).__name__}: {_first_line(exc)}") from exc
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FetchFailed(
            f"not UTF-8 text (byte 0x{body[exc.start]:02x} at offset {exc.start})", http_status=200
        ) from exc
    return Fetched(200, text, new_etag, new_modified)


def _read(answer: httpx.Response, max_bytes: int, deadline: float, timeout: float) -> bytes:
    declared = answer.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchFailed(_too_large(max_bytes), http_status=answer.status_code)
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchFailed(_too_large(max_bytes), http_status=answer.status_code)
        if time.monotonic() > deadline:
            # A server that trickles bytes never trips the per-read timeout.
            raise FetchFailed(f"no complete answer within {timeout:g} s", http_status=200)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_bytes: int) -> str:
    return f"the calendar is larger than {max_bytes // 1024} KB (setting source_max_kb)"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no details"
