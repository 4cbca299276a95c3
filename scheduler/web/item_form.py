"""The item form of the web pages: its fields to and from the import format, and the friendly
recurrence choices (weekly, every two weeks, monthly on the nth weekday, or an RRULE)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

REPEATS = ("none", "weekly", "biweekly", "monthly", "custom")
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
LISTS = ("themes", "stakeholders", "participants", "dossiers")
TEXTS = (
    "uid", "title", "kind", "start", "end", "timezone", "location", "online_url", "description",
    "owner", "goal", "message", "role", "status", "confidentiality", "outcome",
)  # fmt: skip


@dataclass(frozen=True)
class Repeat:
    choice: str = "none"
    until: str = ""  # a date, YYYY-MM-DD
    custom: str = ""  # an RRULE, for "custom"


def nth_weekday(day: date) -> str:
    """ "2TU" for the second Tuesday of its month; "-1TU" for a fifth one (the last)."""
    n = (day.day - 1) // 7 + 1
    return f"{-1 if n == 5 else n}{_DAYS[day.weekday()]}"


def rule(repeat: Repeat, start: str) -> str | None:
    """The RRULE of a choice, for an item starting at `start` (import format)."""
    if repeat.choice == "none":
        return None
    if repeat.choice == "custom":
        return repeat.custom.strip() or None
    if repeat.choice == "weekly":
        body = "FREQ=WEEKLY"
    elif repeat.choice == "biweekly":
        body = "FREQ=WEEKLY;INTERVAL=2"
    else:
        body = f"FREQ=MONTHLY;BYDAY={nth_weekday(_day_of(start))}"
    return body + (f";UNTIL={repeat.until.replace('-', '')}" if repeat.until else "")


def repeat_of(rrule: str | None, start: str) -> Repeat:
    """The choice that gives `rrule` back, or "custom" with the rule as it is."""
    if not rrule:
        return Repeat()
    parts = dict(p.split("=", 1) for p in rrule.split(";") if "=" in p)
    until = parts.pop("UNTIL", "")
    # A timed series ends at the end of its UNTIL day, stored in UTC: the same day here.
    until_day = f"{until[:4]}-{until[4:6]}-{until[6:8]}" if until else ""
    known = {
        "weekly": {"FREQ": "WEEKLY"},
        "biweekly": {"FREQ": "WEEKLY", "INTERVAL": "2"},
        "monthly": {"FREQ": "MONTHLY", "BYDAY": _safe_nth(start)},
    }
    for choice, wanted in known.items():
        if parts == wanted:
            return Repeat(choice, until_day)
    return Repeat("custom", custom=rrule)


def _safe_nth(start: str) -> str:
    try:
        return nth_weekday(_day_of(start))
    except ValueError:
        return ""


def _day_of(start: str) -> date:
    text = start.strip()
    return date.fromisoformat(text[:10]) if text else datetime.now().date()


BLANK_FOLLOW_UPS = 2  # empty rows the form offers for new follow-up actions


def _follow_ups(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows `fu_text_N`, `fu_owner_N`, `fu_due_N`, `fu_done_N` that have a text."""
    rows = []
    for n in range(int(form.get("fu_rows") or 0)):
        text = str(form.get(f"fu_text_{n}", "")).strip()
        if text:
            rows.append({
                "text": text, "owner": str(form.get(f"fu_owner_{n}", "")).strip() or None,
                "due": str(form.get(f"fu_due_{n}", "")).strip() or None,
                "done": bool(form.get(f"fu_done_{n}")),
            })  # fmt: skip
    return rows


def spec_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """The import-format fields of a posted form (lists from multi-selects and text)."""
    spec: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in TEXTS}
    for name in LISTS:
        spec[name] = [v for v in form.get(name, []) if v]
    spec["reminders"] = [p.strip() for p in str(form.get("reminders", "")).split(",") if p.strip()]
    if form.get("all_day") and spec["start"]:
        spec["start"] = spec["start"][:10]
        spec["end"] = spec["end"][:10]
    repeat = Repeat(
        str(form.get("repeat", "none")), str(form.get("until", "")), str(form.get("rrule", ""))
    )
    if repeat.choice not in REPEATS:
        repeat = Repeat("custom", custom=repeat.custom)
    spec["rrule"] = rule(repeat, spec["start"])
    if "fu_rows" in form:  # a form without the rows leaves the follow-ups alone
        spec["follow_ups"] = _follow_ups(form)
    # Every field is sent (an emptied one clears its value), but a new item has no uid yet.
    return {k: v for k, v in spec.items() if k != "uid" or v}


def form_from_item(described: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values for an item in the import format."""
    values = {name: described.get(name) or "" for name in TEXTS}
    for name in LISTS:
        values[name] = list(described.get(name) or [])
    values["reminders"] = ", ".join(described.get("reminders") or [])
    values["all_day"] = len(str(described.get("start", ""))) == 10
    repeat = repeat_of(described.get("rrule"), str(described.get("start", "")))
    values |= {"repeat": repeat.choice, "until": repeat.until, "rrule": repeat.custom}
    return values | follow_up_rows(described.get("follow_ups") or [])


def follow_up_rows(follow_ups: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The form's follow-up fields: the existing rows and BLANK_FOLLOW_UPS empty ones."""
    values: dict[str, Any] = {"fu_rows": len(follow_ups) + BLANK_FOLLOW_UPS}
    for n, entry in enumerate(follow_ups):
        values |= {
            f"fu_text_{n}": entry.get("text") or "", f"fu_owner_{n}": entry.get("owner") or "",
            f"fu_due_{n}": entry.get("due") or "", f"fu_done_{n}": bool(entry.get("done")),
        }  # fmt: skip
    return values
