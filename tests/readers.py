"""Independent readers, for judging our feeds, imports and mail by someone else's eyes.

- Mozilla ical.js (the parser of Thunderbird and of several web calendars), run by node on
  `tests/js/expand.mjs`; installed by `make test` from tests/js/package-lock.json.
- recurring-ical-events (on icalendar), the Python reference for expanding series.
- postal-mime, an RFC 5322 / MIME parser in JavaScript (not Python's email package), run
  by node on `tests/js/read_mail.mjs` for our mail, with ical.js for its .ics attachments.

Both answer with `Seen` occurrences: uid (without our `@domain`), start and end as text
(`2027-03-28T08:00:00Z` for an instant, `2027-03-28` for a day, no Z for a floating time) and
the STATUS, counted (a calendar may hold the same occurrence twice), so that readers and our
engine can be compared as plain multisets.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import icalendar
import recurring_ical_events

from scheduler.clock import _known_zones
from scheduler.occurrences import Occurrence
from scheduler.vtimezone import vtimezone

EXPAND = Path(__file__).parent / "js" / "expand.mjs"
READ_MAIL = Path(__file__).parent / "js" / "read_mail.mjs"


@dataclass(frozen=True, order=True)
class Seen:
    uid: str
    start: str
    end: str
    status: str = ""


class ReaderError(Exception):
    """The reader refused the calendar (ical.js threw while parsing or expanding)."""


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%Y-%m-%dT%H:%M:%S")
        return _utc_text(value)
    return value.isoformat()


def _uid(value: str | None) -> str:
    return (value or "").split("@")[0]


def with_known_zones(body: bytes) -> bytes:
    """`body` with a VTIMEZONE for each IANA zone it names but does not define, as Thunderbird
    adds them from its own zone database (ical.js alone reads such times as floating)."""
    named = {m.decode() for m in re.findall(rb"TZID=\"?([^;:\"\r\n]+)", body)}
    defined = {m.decode() for m in re.findall(rb"\nTZID:([^\r\n]+)", body)}
    missing = sorted(name for name in named - defined if name in _known_zones())
    if not missing or b"BEGIN:VEVENT" not in body:
        return body
    zones = b"".join(vtimezone(name, 1970) for name in missing)
    head, _, rest = body.partition(b"BEGIN:VEVENT")
    return head + zones + b"BEGIN:VEVENT" + rest


def icaljs(body: bytes, start: datetime, end: datetime) -> Counter[Seen]:
    """What ical.js reads in `body` over [start, end)."""
    done = subprocess.run(
        ["node", str(EXPAND), _utc_text(start), _utc_text(end)],
        input=body,
        capture_output=True,
        timeout=300,
        check=False,
    )
    answer = json.loads(done.stdout or b"null")
    if done.returncode != 0 or not isinstance(answer, list):
        detail = answer.get("error") if isinstance(answer, dict) else done.stderr.decode()
        raise ReaderError(f"ical.js: {detail}")
    return Counter(Seen(_uid(o["uid"]), o["start"], o["end"], o["status"]) for o in answer)


def recurring(body: bytes, start: datetime, end: datetime) -> Counter[Seen]:
    """What recurring-ical-events reads in `body` over [start, end)."""
    calendar = icalendar.Calendar.from_ical(body)
    found: Counter[Seen] = Counter()
    for event in recurring_ical_events.of(calendar).between(start, end):
        begin = event["DTSTART"].dt
        finish = event["DTEND"].dt if "DTEND" in event else _end_of(event, begin)
        found[
            Seen(
                _uid(str(event.get("UID", ""))),
                as_text(begin),
                as_text(finish),
                str(event.get("STATUS", "")).upper(),
            )
        ] += 1
    return found


def _end_of(event: icalendar.Event, begin: date | datetime) -> date | datetime:
    if "DURATION" in event:
        return begin + event["DURATION"].dt  # type: ignore[no-any-return]
    return begin  # recurring-ical-events gives a DTEND whenever there is a length


def ours(occurrences: list[Occurrence]) -> Counter[Seen]:
    """Our engine's occurrences in the readers' terms, STATUS as our feeds write it."""
    found: Counter[Seen] = Counter()
    for occurrence in occurrences:
        tz = occurrence.zone
        if occurrence.all_day:
            begin: date | datetime = occurrence.start.astimezone(tz).date()
            finish: date | datetime = occurrence.end.astimezone(tz).date()
        else:
            begin, finish = occurrence.start, occurrence.end
        found[Seen(occurrence.item.uid, as_text(begin), as_text(finish), _status(occurrence))] += 1
    return found


def _status(occurrence: Occurrence) -> str:
    if occurrence.cancelled:
        return "CANCELLED"
    value = occurrence.item.status.value
    return {"confirmed": "CONFIRMED", "done": "CONFIRMED"}.get(value, "TENTATIVE")


def postal_mime(messages: list[bytes]) -> list[dict[str, Any]]:
    """What postal-mime reads in each message (bytes as sent over SMTP): see read_mail.mjs."""
    given = json.dumps([base64.b64encode(m).decode("ascii") for m in messages])
    done = subprocess.run(
        ["node", str(READ_MAIL)], input=given.encode(), capture_output=True, timeout=300,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise ReaderError(f"postal-mime: {done.stderr.decode()}")
    found = json.loads(done.stdout)
    assert isinstance(found, list) and len(found) == len(messages)
    return found
