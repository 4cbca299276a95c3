"""Sign-in links at the service level: an emailed link opens one session, however many
requests race to use it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler import sessions
from scheduler.db import Database
from scheduler.errors import Gone
from scheduler.models import LoginLink, WebSession

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
PERSON = "j.jansen@example.nl"  # in the `seeded` catalog


def a_link(db: Database) -> str:
    with db.write() as session:
        found = sessions.request_link(session, PERSON, NOW)
    assert found is not None
    return found[1]


def web_sessions(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count(WebSession.id))) or 0)


def test_of_two_requests_that_both_read_a_link_unused_only_the_first_to_write_signs_in(
    seeded: Database,
) -> None:
    """The race by hand: request B reads the link, request A uses it and commits, then B
    goes on with what it read (an unused link) and must still be refused."""
    db = seeded
    secret = a_link(db)
    late = Session(db.engine, expire_on_commit=False)
    try:
        seen = late.scalar(select(LoginLink))
        assert seen is not None and seen.used_at is None
        if db.is_sqlite:
            # One writer at a time: B's read snapshot must end before A may write (B keeps
            # the link it read, as a request between its read and its write would).
            late.commit()
        with db.write() as first:
            sessions.sign_in(first, secret, NOW, TODAY)
        with pytest.raises(Gone, match="used already"):
            sessions.sign_in(late, secret, NOW + timedelta(seconds=1), TODAY)
        late.commit()
    finally:
        late.close()
    assert web_sessions(db) == 1


def test_an_expired_link_says_so_and_a_used_one_says_it_was_used(seeded: Database) -> None:
    db = seeded
    used, expired = a_link(db), a_link(db)
    with db.write() as session:
        sessions.sign_in(session, used, NOW, TODAY)
    later = NOW + sessions.LINK_LIFETIME
    with db.write() as session, pytest.raises(Gone, match="used already"):
        sessions.sign_in(session, used, later, TODAY)
    with db.write() as session, pytest.raises(Gone, match="expired"):
        sessions.sign_in(session, expired, later, TODAY)
    assert web_sessions(db) == 1
