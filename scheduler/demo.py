"""Demo data: the Alkmaar vision's themes, partners and partnerships, and ~40 agenda items.

The data lives in `config/demo/` (catalog.yaml in the import format; items.yaml with dates
relative to the current week). Loading is idempotent: the catalog is upserted, items that
already exist are left alone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from dateutil.rrule import rrulestr

from scheduler import agenda, chains, clock, open_agenda
from scheduler.config import Settings, project_home
from scheduler.db import Database
from scheduler.errors import ImportFileError
from scheduler.interchange import ImportReport, import_data
from scheduler.occurrences import expand
from scheduler.offsets import parse_offset

DEMO_DIR = project_home() / "config" / "demo"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Keys of items.yaml that are not in the import format: when the item falls, and what the
# demo does to it after the import (cancel an occurrence, attach a preparation chain, review
# it for the open agenda).
_RELATIVE = (
    "week", "day", "time", "duration", "days", "cancel_occurrence", "chain", "chain_done",
    "review",
)  # fmt: skip
ACTOR = agenda.Actor("demo", "demo")


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ImportFileError(f"{path}: cannot read the demo data: {exc}") from exc
    return data or {}


def _offset(text: str) -> timedelta:
    duration = parse_offset(text).duration
    if duration is None:
        raise ImportFileError(f"demo data: {text!r} must be a duration such as PT1H30M")
    return duration


def _first_on_rule(start: datetime, rule: str) -> datetime:
    """The first occurrence of `rule` on or after `start`, so that the item's start is one."""
    first = rrulestr(rule, dtstart=start).after(start, inc=True)
    return first if isinstance(first, datetime) else start


def concrete_item(template: dict[str, Any], monday: date, today: date) -> dict[str, Any]:
    """An item of items.yaml with its week/day/time turned into real dates."""
    item = {k: v for k, v in template.items() if k not in _RELATIVE}
    day = monday + timedelta(weeks=int(template["week"]), days=WEEKDAYS.index(template["day"]))
    if template.get("status") == "done" and day >= today:
        day -= timedelta(weeks=1)  # what is done lies in the past, whatever day the demo loads
    start = datetime.combine(
        day, datetime.strptime(str(template.get("time", "00:00")), "%H:%M").time()
    )
    if "rrule" in template:
        start = _first_on_rule(start, str(template["rrule"]))
        day = start.date()
    if "time" in template:
        item["start"] = start.isoformat(timespec="minutes")
        item["end"] = (start + _offset(template.get("duration", "PT1H"))).isoformat(
            timespec="minutes"
        )
    else:
        item["start"] = day.isoformat()
        item["end"] = (day + timedelta(days=int(template.get("days", 1)) - 1)).isoformat()
    for follow_up in item.get("follow_ups", []):
        due = str(follow_up.get("due", ""))
        if due.startswith("+"):
            follow_up["due"] = (day + _offset(due[1:])).isoformat()
    return item


def load(db: Database, settings: Settings, *, today: date | None = None) -> ImportReport:
    """Load (or top up) the demo data; returns what was created, updated and left alone."""
    tz = clock.zone(settings.timezone)
    today = today or clock.today_in(tz)
    monday = today - timedelta(days=today.weekday())
    templates = _read(DEMO_DIR / "items.yaml").get("items", [])
    data = _read(DEMO_DIR / "catalog.yaml")
    data["items"] = [concrete_item(t, monday, today) for t in templates]
    defaults = agenda.Defaults(
        settings.timezone, timedelta(minutes=settings.default_duration_minutes)
    )
    report = import_data(db, data, "demo data", ACTOR, defaults=defaults, keep_existing_items=True)
    _cancel_occurrences(db, [t for t in templates if "cancel_occurrence" in t])
    now = clock.local_midnight(today, tz)
    _attach_chains(db, settings, [t for t in templates if "chain" in t], now)
    _review(db, [t for t in templates if "review" in t], now)
    return report


def _review(db: Database, templates: list[dict[str, Any]], now: datetime) -> None:
    """Review the past public contacts the demo asks for (once), so /public is not empty."""
    with db.write() as session:
        for template in templates:
            if agenda.find_item(session, template["uid"]).reviewed_revision is None:
                asked = template["review"]
                redactions = asked if isinstance(asked, dict) else {}
                open_agenda.review(session, template["uid"], ACTOR, redactions, now)


def _attach_chains(
    db: Database, settings: Settings, templates: list[dict[str, Any]], now: datetime
) -> None:
    """Attach the preparation chains the demo items ask for (once), some steps done."""
    with db.write() as session:
        for template in templates:
            item = agenda.find_item(session, template["uid"])
            slug = str(template["chain"])
            if slug not in settings.chains or chains.chains_of(session, [item]):
                continue  # a changed configuration, or loaded before
            chain = chains.attach(session, item, slug, settings.chains, actor=ACTOR, now=now)
            for task in chain.tasks[: int(template.get("chain_done", 0))]:
                chains.set_task(session, task, actor=ACTOR, now=now, done=True)


def _cancel_occurrences(db: Database, templates: list[dict[str, Any]]) -> None:
    """Cancel the n-th occurrence of the recurring demo items that ask for it."""
    with db.write() as session:
        for template in templates:
            item = agenda.find_item(session, template["uid"])
            tz = clock.zone(item.timezone)
            upcoming = expand(item, item.starts_at, item.starts_at + timedelta(days=400))
            n = int(template["cancel_occurrence"])
            if len(upcoming) >= n:
                wall = agenda.format_wall(upcoming[n - 1].recurrence_id or item.starts_at, tz)
                agenda.cancel(session, item.uid, ACTOR, occurrence=wall)
