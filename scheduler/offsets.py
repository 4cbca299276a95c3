"""Reminder offsets: ISO 8601 durations before (`P7D`) or after (`+P1D`) an occurrence,
or working days (`5WD`, skipping weekends and public holidays, evaluated by the reminders)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from scheduler.errors import ValidationError

_ISO = re.compile(
    r"P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
_WORKDAYS = re.compile(r"(?P<count>\d+)WD")


@dataclass(frozen=True)
class ReminderOffset:
    """When a reminder falls relative to an occurrence's start (or its end, with `after`)."""

    text: str
    after: bool
    duration: timedelta | None = None
    workdays: int | None = None


def parse_offset(text: str, *, field: str = "reminders") -> ReminderOffset:
    """Parse `P7D`, `PT2H`, `+P1D` or `5WD`; raise ValidationError quoting the bad value."""
    raw = text.strip().upper()
    after = raw.startswith("+")
    body = raw.lstrip("+-")
    if match := _WORKDAYS.fullmatch(body):
        return ReminderOffset(raw, after, workdays=int(match["count"]))
    match = _ISO.fullmatch(body)
    if not match:
        hint = (
            "months and years have no fixed length; use weeks or days"
            if re.fullmatch(r"P.*\d+[YM].*", body.split("T")[0])
            else "write an ISO 8601 duration such as P7D, PT2H or +P1D, or working days as 5WD"
        )
        raise ValidationError(f"{text!r} is not a reminder offset: {hint}", field=field)
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    return ReminderOffset(raw, after, duration=timedelta(**parts))


def normalize_offsets(texts: list[str], *, field: str = "reminders") -> list[str]:
    """Validated, upper-cased, duplicates removed, order kept."""
    seen: dict[str, None] = {}
    for text in texts:
        seen.setdefault(parse_offset(text, field=field).text, None)
    return list(seen)
