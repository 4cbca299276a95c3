"""Rate limits for what an attacker would repeat (asking for sign-in links, guessing tokens),
kept in the database so that every replica counts alike and a restart forgets nothing.

A token bucket per limit and client: it holds at most `burst` tokens, refills at `burst`
per `per` (one every `per / burst`), and each counted event takes a token. A bucket without
a row is full; the nightly prune (retention.py) deletes the rows of buckets full again. Taking a
token is one INSERT … ON CONFLICT DO UPDATE, atomic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, case, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from scheduler.db import conflict_insert
from scheduler.errors import LobbyError
from scheduler.models import RateBucket, UtcDateTime


@dataclass(frozen=True)
class Limit:
    name: str  # the first part of its buckets' keys
    burst: int  # events at once: the bucket's size
    per: timedelta  # how long an empty bucket takes to fill up again
    what: str  # the refusal says "too many {what}"

    def key(self, client: str) -> str:
        return f"{self.name}:{hashlib.sha256(client.encode('utf-8', 'surrogatepass')).hexdigest()}"


SIGN_IN_REQUESTS = Limit("sign-in", 10, timedelta(minutes=15), "sign-in requests from this address")
BAD_TOKENS = Limit(
    "bad-token", 30, timedelta(minutes=15), "unknown links or tokens from this address"
)
LIMITS = (SIGN_IN_REQUESTS, BAD_TOKENS)


class TooMany(LobbyError):
    """A client used up a limit; `retry_after` says in how many seconds it has a token again."""

    status = 429

    def __init__(self, limit: Limit, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        minutes = math.ceil(self.retry_after / 60)
        wait = "a minute" if minutes == 1 else f"{minutes} minutes"
        super().__init__(
            f"too many {limit.what}; try again in {wait}",
            key=f"too_many_{limit.name.replace('-', '_')}", params={"minutes": minutes},
        )  # fmt: skip


def check(session: Session, limit: Limit, client: str, now: datetime) -> None:
    """Raise TooMany when `client` has no token left; takes none."""
    left = _tokens_left(session, limit, client, now)
    if left < 1:
        raise TooMany(limit, _wait(limit, left))


def take(session: Session, limit: Limit, client: str, now: datetime) -> None:
    """Take one of `client`'s tokens, or raise TooMany (and take none) when it has none left."""
    if not _take(session, limit, client, now):
        raise TooMany(limit, _wait(limit, _tokens_left(session, limit, client, now)))


def count(session: Session, limit: Limit, client: str, now: datetime) -> None:
    """Take a token for an event that already happened (a failed guess), if one is left."""
    _take(session, limit, client, now)


# Every bucket untouched this long is full again (each limit refills within its `per`): its
# row says nothing a missing one does not. The nightly prune (retention.py) deletes them.
FULL_AGAIN_AFTER = max(limit.per for limit in LIMITS)


def full_again(cutoff: datetime) -> ColumnElement[bool]:
    """The buckets full again by now, given `cutoff` = now - FULL_AGAIN_AFTER."""
    return RateBucket.updated_at <= cutoff


def _take(session: Session, limit: Limit, client: str, now: datetime) -> bool:
    """One statement: insert the bucket with one token taken, or refill the stored one for
    the time since its last update and take a token if that leaves at least one.
    Concurrent takes of one key are ordered by the database's row lock."""
    moment = literal(now, UtcDateTime())
    elapsed = _SecondsBetween(moment, RateBucket.updated_at)
    # A replica whose clock lags may see an update "from the future": refill nothing then,
    # and keep the later time, so that no time is counted twice.
    since = case((elapsed > 0, elapsed), else_=0.0)
    refilled = RateBucket.tokens + since * limit.burst / limit.per.total_seconds()
    tokens = case((refilled < limit.burst, refilled), else_=float(limit.burst))
    statement = (
        conflict_insert(session, RateBucket)
        .values(key=limit.key(client), tokens=float(limit.burst - 1), updated_at=now)
        .on_conflict_do_update(
            index_elements=[RateBucket.key],
            set_={
                "tokens": tokens - 1,
                "updated_at": case(
                    (RateBucket.updated_at > moment, RateBucket.updated_at), else_=moment
                ),
            },
            where=tokens >= 1,
        )
        .returning(RateBucket.tokens)
    )
    # No row comes back when the condition kept the stored bucket as it was.
    return session.execute(statement).first() is not None


def _tokens_left(session: Session, limit: Limit, client: str, now: datetime) -> float:
    row = session.execute(
        select(RateBucket.tokens, RateBucket.updated_at).where(RateBucket.key == limit.key(client))
    ).one_or_none()
    if row is None:
        return float(limit.burst)  # no row: a full bucket
    tokens, updated_at = row
    since = max(0.0, round((now - updated_at).total_seconds(), 3))  # ms, as on SQLite
    return min(float(limit.burst), tokens + since * limit.burst / limit.per.total_seconds())


def _wait(limit: Limit, left: float) -> float:
    """Seconds until a bucket holding `left` tokens holds one."""
    return max(0.0, 1 - left) * limit.per.total_seconds() / limit.burst


class _SecondsBetween(FunctionElement[float]):
    """Seconds from the second instant to the first, as a float (each dialect has its own
    date arithmetic)."""

    type = Float()
    inherit_cache = True


@compiles(_SecondsBetween, "postgresql")
def _seconds_postgresql(element: _SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"


@compiles(_SecondsBetween, "sqlite")
def _seconds_sqlite(element: _SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    # julianday() keeps milliseconds; rounding to them drops the binary fraction's noise,
    # so that 90 s refill exactly the token that 90 s are worth.
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(ROUND((julianday({later}) - julianday({earlier})) * 86400000.0) / 1000.0)"
