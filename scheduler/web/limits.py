"""Rate limits for what an attacker would repeat: asking for sign-in links, guessing tokens.

Counted per client address in this process (each replica counts its own: enough to make
guessing a 192-bit token hopeless and mail-bombing slow)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from datetime import date

from sqlalchemy.orm import Session
from starlette.requests import Request

from scheduler import tokens
from scheduler.errors import LobbyError, NotFound
from scheduler.models import FeedToken


class TooMany(LobbyError):
    status = 429


class Window:
    """At most `limit` events per `seconds` per key."""

    def __init__(self, limit: int, seconds: float, what: str) -> None:
        self.limit, self.seconds, self.what = limit, seconds, what
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Raise TooMany when `key` used up its events; does not count one."""
        with self._lock:
            if len(self._recent(key)) >= self.limit:
                minutes = round(self.seconds / 60)
                raise TooMany(f"too many {self.what}; try again in {minutes} minutes")

    def count(self, key: str) -> None:
        with self._lock:
            self._recent(key).append(time.monotonic())

    def reset(self) -> None:
        with self._lock:
            self._events.clear()

    def _recent(self, key: str) -> deque[float]:
        events = self._events[key]
        horizon = time.monotonic() - self.seconds
        while events and events[0] < horizon:
            events.popleft()
        return events


SIGN_IN_REQUESTS = Window(10, 15 * 60, "sign-in requests from this address")
BAD_TOKENS = Window(30, 15 * 60, "unknown links or tokens from this address")


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def resolve_guarded(session: Session, secret: str, today: date, request: Request) -> FeedToken:
    """`tokens.resolve`, but a client that sent too many unknown tokens is turned away."""
    client = client_of(request)
    BAD_TOKENS.check(client)
    try:
        return tokens.resolve(session, secret, today)
    except NotFound:
        BAD_TOKENS.count(client)
        raise
