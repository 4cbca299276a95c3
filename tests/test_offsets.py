"""When an offset falls: wall-clock days, exact hours, working days both ways."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.errors import ValidationError
from scheduler.offsets import falls_at, parse_offset

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Monday 30 March 2026 10:00 CEST, the day after clocks went forward; ends 11:00.
START = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
END = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        ("P1D", datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),  # Sunday 10:00 CEST: same wall time
        ("PT24H", datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),  # exactly 24 hours
        ("P2D", datetime(2026, 3, 28, 9, 0, tzinfo=UTC)),  # Saturday 10:00 CET
        ("+P1D", datetime(2026, 3, 31, 9, 0, tzinfo=UTC)),  # a day after the end, 11:00
        ("1WD", datetime(2026, 3, 27, 8, 0, tzinfo=UTC)),  # Friday 09:00 CET
        ("+2WD", datetime(2026, 4, 1, 7, 0, tzinfo=UTC)),  # Wednesday 09:00 CEST
        # Easter Monday 6 April 2026 is not a working day; Good Friday 3 April is one.
        ("+5WD", datetime(2026, 4, 7, 7, 0, tzinfo=UTC)),
    ],
)
def test_an_offset_falls_in_wall_clock_terms_in_the_zone(offset: str, expected: datetime) -> None:
    assert falls_at(parse_offset(offset), START, END, AMSTERDAM) == expected


# Sunday 31 October 2027: 02:30 happens twice, first in CEST (00:30 UTC), then in CET (01:30 UTC).
FIRST_0230 = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
SECOND_0230 = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "offset", "expected"),
    [
        (SECOND_0230, "PT2H", datetime(2027, 10, 30, 23, 30, tzinfo=UTC)),  # 01:30 CEST
        (SECOND_0230, "PT30M", datetime(2027, 10, 31, 1, 0, tzinfo=UTC)),  # 02:00 CET
        (SECOND_0230, "+PT1H", datetime(2027, 10, 31, 2, 30, tzinfo=UTC)),  # 03:30 CET
        (FIRST_0230, "PT2H", datetime(2027, 10, 30, 22, 30, tzinfo=UTC)),  # 00:30 CEST
        # A day and two hours before the second 02:30: Saturday 02:30 CEST, then two hours.
        (SECOND_0230, "P1DT2H", datetime(2027, 10, 29, 22, 30, tzinfo=UTC)),
    ],
)
def test_hours_before_the_second_0230_of_the_october_change_count_from_that_second_0230(
    start: datetime, offset: str, expected: datetime
) -> None:
    assert falls_at(parse_offset(offset), start, start, AMSTERDAM) == expected


@pytest.mark.parametrize("text", ["P1M", "7D", "+", "WD", "P"])
def test_a_bad_offset_names_itself(text: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(repr(text))):
        parse_offset(text)


def test_working_days_skip_kings_day_and_a_recess() -> None:
    from datetime import date

    from scheduler.offsets import days_of

    wednesday = datetime(2027, 4, 28, 8, 0, tzinfo=UTC)  # 10:00 CEST, the day after Koningsdag
    assert falls_at(parse_offset("1WD"), wednesday, wednesday, AMSTERDAM) == datetime(
        2027, 4, 26, 7, 0, tzinfo=UTC
    )  # Monday 26 April 09:00: Tuesday 27 April is King's Day
    recess = days_of(["2027-08-27/2027-09-03"])
    assert date(2027, 8, 27) in recess and date(2027, 9, 3) in recess and len(recess) == 8
    monday = datetime(2027, 9, 6, 8, 0, tzinfo=UTC)
    without = falls_at(parse_offset("2WD"), monday, monday, AMSTERDAM)
    with_recess = falls_at(parse_offset("2WD"), monday, monday, AMSTERDAM, recess)
    assert without == datetime(2027, 9, 2, 7, 0, tzinfo=UTC)  # Thursday
    assert with_recess == datetime(2027, 8, 25, 7, 0, tzinfo=UTC)  # before the recess


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-07-03", "not a period"),
        ("2027-08-29/2027-07-03", "must follow"),
        ("x/y", "not a period"),
    ],
)
def test_a_bad_recess_period_is_refused(text: str, message: str) -> None:
    from scheduler.offsets import parse_period

    with pytest.raises(ValidationError, match=message):
        parse_period(text)


@pytest.mark.parametrize(
    ("year", "days"),
    [
        (2027, ["01-01", "03-29", "04-27", "05-05", "05-06", "05-17", "12-25", "12-26"]),
        (2028, ["01-01", "04-17", "04-27", "05-05", "05-25", "06-05", "12-25", "12-26"]),
        (2030, ["01-01", "04-22", "04-27", "05-05", "05-30", "06-10", "12-25", "12-26"]),
        # Koningsdag on 26 April when the 27th is a Sunday.
        (2031, ["01-01", "04-14", "04-26", "05-05", "05-22", "06-02", "12-25", "12-26"]),
    ],
)
def test_the_termijnenwet_days_are_new_year_easter_and_whit_monday_kings_day_5_may_ascension_and_christmas(
    year: int, days: list[str]
) -> None:
    from datetime import date

    from scheduler.offsets import termijnenwet_days

    assert sorted(termijnenwet_days(year)) == [date.fromisoformat(f"{year}-{d}") for d in days]


@pytest.mark.parametrize(
    ("start", "offset", "expected"),
    [
        # Tuesday 30 March 2027, after Easter Monday: Good Friday 26 March is a working day.
        (datetime(2027, 3, 30, 8, 0, tzinfo=UTC), "1WD", datetime(2027, 3, 26, 8, 0, tzinfo=UTC)),
        # Friday 7 May 2027: 5 mei (Wednesday) and Hemelvaartsdag (Thursday 6 May) are not.
        (datetime(2027, 5, 7, 8, 0, tzinfo=UTC), "1WD", datetime(2027, 5, 4, 7, 0, tzinfo=UTC)),
        # 5 mei 2028 is a Friday, not a lustrum year: still not a working day.
        (datetime(2028, 5, 8, 8, 0, tzinfo=UTC), "1WD", datetime(2028, 5, 4, 7, 0, tzinfo=UTC)),
        (datetime(2028, 5, 4, 8, 0, tzinfo=UTC), "+1WD", datetime(2028, 5, 8, 7, 0, tzinfo=UTC)),
    ],
)
def test_working_days_follow_the_algemene_termijnenwet_not_the_holidays_package(
    start: datetime, offset: str, expected: datetime
) -> None:
    assert falls_at(parse_offset(offset), start, start, AMSTERDAM) == expected


def test_every_day_is_a_working_day_or_not_by_weekday_termijnenwet_and_closing_days() -> None:
    from datetime import date

    from scheduler.offsets import is_working_day

    assert is_working_day(date(2027, 3, 26))  # Goede Vrijdag
    assert not is_working_day(date(2027, 3, 27))  # Saturday
    assert not is_working_day(date(2027, 4, 27))  # Koningsdag
    assert is_working_day(date(2027, 12, 27))
    assert not is_working_day(date(2027, 12, 27), frozenset({date(2027, 12, 27)}))  # closed


def test_how_far_a_working_day_offset_reaches_bounds_every_day_of_twenty_years() -> None:
    from bisect import bisect_left, bisect_right
    from datetime import date, timedelta

    from scheduler.offsets import MAX_WORKDAYS, is_working_day, reach

    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(365 * 22)]
    working = [day for day in days if is_working_day(day)]
    counts = [*range(1, 31), 50, 100, 150, 200, MAX_WORKDAYS]
    for anchor in days[365 : 365 * 21]:  # every day of 2026-2045
        before, after = bisect_left(working, anchor) - 1, bisect_right(working, anchor)
        for n in counts:
            bound = reach(parse_offset(f"{n}WD")).days
            assert (anchor - working[before - n + 1]).days <= bound, (anchor, n)
            assert (working[after + n - 1] - anchor).days <= bound, (anchor, -n)


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (
            ["P53W"],
            r"'P53W' lies too far from its moment: a reminder comes at most a year before or after it \(366 days, e.g. P52W, or 250WD\)",
        ),
        (["P7D", "+P367D"], r"'\+P367D' lies too far"),
        (["251WD"], r"'251WD' lies too far"),
        (["P99999999999D"], r"'P99999999999D' is not a reminder offset: too long"),
    ],
)
def test_a_reminder_further_than_a_year_from_its_moment_is_refused_naming_the_field(
    texts: list[str], message: str
) -> None:
    from scheduler.offsets import normalize_offsets

    with pytest.raises(ValidationError, match=message) as caught:
        normalize_offsets(texts, field="reminders")
    assert caught.value.field == "reminders"


def test_a_reminder_up_to_a_year_from_its_moment_is_accepted() -> None:
    from scheduler.offsets import normalize_offsets

    assert normalize_offsets(["P52W", "P366D", "250WD", "+P10W"]) == [
        "P52W",
        "P366D",
        "250WD",
        "+P10W",
    ]


# Sunday 28 March 2027 12:00 CEST (10:00 UTC); the clocks went forward that night.
SUNDAY_NOON = datetime(2027, 3, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        ("PT24H", datetime(2027, 3, 27, 10, 0, tzinfo=UTC)),  # Saturday 11:00 CET: 24 hours
        ("P1D", datetime(2027, 3, 27, 11, 0, tzinfo=UTC)),  # Saturday 12:00 CET: a day
        ("PT36H", datetime(2027, 3, 26, 22, 0, tzinfo=UTC)),  # Friday 23:00 CET
        ("P1DT12H", datetime(2027, 3, 26, 23, 0, tzinfo=UTC)),  # Saturday 12:00, then 12 hours
        ("PT48H", datetime(2027, 3, 26, 10, 0, tzinfo=UTC)),  # Friday 11:00 CET
    ],
)
def test_hours_count_exactly_however_many_they_are_and_only_days_and_weeks_on_the_wall_clock(
    offset: str, expected: datetime
) -> None:
    assert falls_at(parse_offset(offset), SUNDAY_NOON, SUNDAY_NOON, AMSTERDAM) == expected
