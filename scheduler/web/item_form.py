"""The item form of the web pages: its fields to and from the import format, the friendly
recurrence choices (weekly, every two weeks, monthly on the nth weekday, or an RRULE), dates
as people write them here (9-12-2026 10:00) and reminders in words (7 dagen vooraf)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scheduler.errors import ValidationError
from scheduler.offsets import parse_offset
from scheduler.texts import Lang

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
                "due": iso_wall(str(form.get(f"fu_due_{n}", ""))) or None,
                "done": bool(form.get(f"fu_done_{n}")),
            })  # fmt: skip
    return rows


_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T]+(\d{1,2})[:.](\d{2}))?")


def day_first(value: str) -> str:
    """ "2026-12-09T10:00" as "9-12-2026 10:00", a date as "9-12-2026": how the form shows
    them; anything else as it is."""
    found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}:\d{2}))?", value.strip())
    if not found:
        return value
    year, month, day, at = found.groups()
    shown = f"{int(day)}-{int(month)}-{year}"
    return f"{shown} {at}" if at else shown


def iso_wall(value: str) -> str:
    """ "9-12-2026 10:00" (day first, as people here write it) as "2026-12-09T10:00"; any other
    text as it is, for the import format's own check to name."""
    found = _DAY_FIRST.fullmatch(value.strip())
    if not found:
        return value.strip()
    day, month, year, hour, minute = found.groups()
    text = f"{year}-{int(month):02d}-{int(day):02d}"
    return f"{text}T{int(hour):02d}:{minute}" if hour else text


_UNITS: dict[str, str] = {
    "werkdag": "WD", "werkdagen": "WD", "working day": "WD", "working days": "WD",
    "week": "W", "weken": "W", "weeks": "W", "dag": "D", "dagen": "D", "day": "D", "days": "D",
    "uur": "H", "uren": "H", "hour": "H", "hours": "H",
    "minuut": "M", "minuten": "M", "minute": "M", "minutes": "M",
}  # fmt: skip
_AMOUNT = re.compile(r"(\d+)\s*(" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")\b")
_AFTER = re.compile(r"\b(na afloop|na|after|afterwards)\s*$")
_BEFORE = re.compile(r"\b(vooraf|voor|before)\s*$")


def offset_of_words(phrase: str) -> str:
    """ "7 dagen vooraf" as P7D, "2 uur" as PT2H, "5 werkdagen" as 5WD, "1 dag na afloop" as
    +P1D; an offset already in the import format (P7D, 5WD) as it is. Refused: what is
    neither, naming the phrase."""
    text = phrase.strip().lower()
    after = bool(_AFTER.search(text))
    body = _BEFORE.sub("", _AFTER.sub("", text)).strip()
    amounts = _AMOUNT.findall(body)
    if not amounts or _AMOUNT.sub("", body).strip(" ,en"):
        return phrase.strip()  # the import format's own check names it
    units = {_UNITS[unit]: int(number) for number, unit in amounts}
    if "WD" in units:
        return ("+" if after else "") + f"{units['WD']}WD"
    days = "".join(f"{units[u]}{u}" for u in ("W", "D") if u in units)
    clock = "".join(f"{units[u]}{u}" for u in ("H", "M") if u in units)
    return ("+" if after else "") + "P" + days + (f"T{clock}" if clock else "")


_WORDS: dict[Lang, dict[str, tuple[str, str]]] = {
    "nl": {"W": ("week", "weken"), "D": ("dag", "dagen"), "H": ("uur", "uur"),
           "M": ("minuut", "minuten"), "WD": ("werkdag", "werkdagen")},
    "en": {"W": ("week", "weeks"), "D": ("day", "days"), "H": ("hour", "hours"),
           "M": ("minute", "minutes"), "WD": ("working day", "working days")},
}  # fmt: skip
_SIDE: dict[Lang, tuple[str, str]] = {"nl": ("vooraf", "na afloop"), "en": ("before", "after")}


def words_of_offset(offset_text: str, lang: Lang) -> str:
    """P7D as "7 dagen vooraf", +P1D as "1 dag na afloop", PT90M as "1 uur 30 minuten
    vooraf": exact (Babel would round 10 days to "1 week"), and read back by `offset_of_words`."""
    try:
        offset = parse_offset(offset_text)
    except ValidationError:
        return offset_text
    words = _WORDS[lang]
    amounts: list[tuple[int, str]] = []
    if offset.workdays is not None:
        amounts.append((offset.workdays, "WD"))
    else:
        weeks, days = divmod(offset.days, 7) if offset.days % 7 == 0 else (0, offset.days)
        rest = int(offset.duration.total_seconds()) - offset.days * 86400 if offset.duration else 0
        hours, minutes = rest // 3600, rest % 3600 // 60
        amounts = [
            (n, u) for n, u in ((weeks, "W"), (days, "D"), (hours, "H"), (minutes, "M")) if n
        ]
    said = " ".join(f"{n} {words[u][0] if n == 1 else words[u][1]}" for n, u in amounts)
    return f"{said or '0 ' + words['M'][1]} {_SIDE[lang][1 if offset.after else 0]}"


def as_stored(posted: list[str], stored: list[str]) -> list[str]:
    """The posted offsets, each written as the stored one it means (P1W2D stays P1W2D, not
    the P9D its words read back as): reminders are keyed by their text, and an unchanged
    form must change nothing."""

    def meaning(offset_text: str) -> object:
        try:
            offset = parse_offset(offset_text)
        except ValidationError:
            return offset_text
        return (offset.after, offset.duration, offset.workdays, offset.days)

    known = {meaning(written): written for written in stored}
    return [known.get(meaning(written), written) for written in posted]


def spec_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """The import-format fields of a posted form (lists from multi-selects and text)."""
    spec: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in TEXTS}
    for name in LISTS:
        spec[name] = [v for v in form.get(name, []) if v]
    spec["start"], spec["end"] = iso_wall(spec["start"]), iso_wall(spec["end"])
    spec["reminders"] = [
        offset_of_words(p) for p in str(form.get("reminders", "")).split(",") if p.strip()
    ]
    if form.get("all_day") and spec["start"]:
        spec["start"] = spec["start"][:10]
        spec["end"] = spec["end"][:10]
    repeat = Repeat(
        str(form.get("repeat", "none")), iso_wall(str(form.get("until", ""))),
        str(form.get("rrule", "")),
    )  # fmt: skip
    if repeat.choice not in REPEATS:
        repeat = Repeat("custom", custom=repeat.custom)
    spec["rrule"] = rule(repeat, spec["start"])
    if "fu_rows" in form:  # a form without the rows leaves the follow-ups alone
        spec["follow_ups"] = _follow_ups(form)
    # Every field is sent (an emptied one clears its value), but a new item has no uid yet.
    return {k: v for k, v in spec.items() if k != "uid" or v}


def form_from_item(described: Mapping[str, Any], lang: Lang = "nl") -> dict[str, Any]:
    """The form's values for an item in the import format (reminders in words)."""
    values = {name: described.get(name) or "" for name in TEXTS}
    for name in LISTS:
        values[name] = list(described.get(name) or [])
    values["reminders"] = ", ".join(
        words_of_offset(offset, lang) for offset in described.get("reminders") or []
    )
    values["all_day"] = len(str(described.get("start", ""))) == 10
    repeat = repeat_of(described.get("rrule"), str(described.get("start", "")))
    values |= {"repeat": repeat.choice, "until": repeat.until, "rrule": repeat.custom}
    values["start"], values["end"] = day_first(values["start"]), day_first(values["end"])
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
