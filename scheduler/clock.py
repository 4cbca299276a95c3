"""The one place that reads the current time, and the conversions every module shares."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from scheduler.errors import ValidationError


def now_utc() -> datetime:
    """The current instant, aware, in UTC (tests move it with time-machine)."""
    return datetime.now(UTC)


def today_in(zone: ZoneInfo) -> date:
    return now_utc().astimezone(zone).date()


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or a ValidationError naming it."""
    if name not in _known_zones():
        raise ValidationError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Amsterdam'",
            field="timezone", key="unknown_zone", params={"value": name},
        )  # fmt: skip
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - listed but unloadable
        raise ValidationError(
            f"unknown time zone {name!r}", field="timezone", key="unknown_zone",
            params={"value": name},
        ) from exc  # fmt: skip


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def as_utc(moment: datetime) -> datetime:
    """Convert an aware datetime to UTC; a naive one is a programming error."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} where an aware one is required")
    return moment.astimezone(UTC)


def wall_time_exists(local: datetime) -> bool:
    """False for a wall time inside a DST gap (e.g. 02:30 on the last Sunday of March)."""
    roundtrip = local.astimezone(UTC).astimezone(local.tzinfo)
    return roundtrip.replace(tzinfo=None) == local.replace(tzinfo=None)


def wall_time_is_ambiguous(local: datetime) -> bool:
    """True for a wall time that happens twice (e.g. 02:30 on the last Sunday of October)."""
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which `day` starts in `tz`."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()
