"""The occurrence engine: recurrence in the item's own zone, across DST, with exceptions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.errors import ValidationError
from scheduler.models import AgendaItem, ItemKind, ItemStatus, OccurrenceOverride
from scheduler.occurrences import expand, normalize_rrule

AMS = ZoneInfo("Europe/Amsterdam")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=AMS).astimezone(UTC)  # type: ignore[misc]


def item(start: datetime, end: datetime, rrule: str | None = None, **fields: object) -> AgendaItem:
    values: dict[str, object] = {
        "uid": "u1", "kind": ItemKind.MEETING, "title": "Overleg", "timezone": "Europe/Amsterdam",
        "starts_at": start, "ends_at": end, "all_day": False, "rrule": rrule, "rdates": [],
        "exdates": [], "location": "", "status": ItemStatus.PLANNED, "overrides": [],
    }  # fmt: skip
    values.update(fields)
    return AgendaItem(**values)


def walls(occurrences: list) -> list[str]:  # type: ignore[type-arg]
    return [o.start.astimezone(AMS).strftime("%Y-%m-%d %H:%M") for o in occurrences]


def test_a_weekly_meeting_keeps_its_wall_time_across_the_october_change() -> None:
    weekly = item(local(2026, 10, 13, 10, 0), local(2026, 10, 13, 11, 0), "FREQ=WEEKLY")
    found = expand(weekly, local(2026, 10, 19), local(2026, 11, 3))
    assert walls(found) == ["2026-10-20 10:00", "2026-10-27 10:00"]
    assert [o.start.hour for o in found] == [8, 9]  # UTC shifts by an hour, the wall time does not
    assert all(o.end - o.start == timedelta(hours=1) for o in found)


def test_a_monthly_meeting_keeps_its_wall_time_across_the_march_change() -> None:
    monthly = item(local(2027, 2, 9, 10, 0), local(2027, 2, 9, 11, 30), "FREQ=MONTHLY;BYDAY=2TU")
    found = expand(monthly, local(2027, 2, 1), local(2027, 5, 1))
    assert walls(found) == ["2027-02-09 10:00", "2027-03-09 10:00", "2027-04-13 10:00"]
    assert found[-1].start == datetime(2027, 4, 13, 8, 0, tzinfo=UTC)


def test_a_daily_item_at_0230_on_the_march_change_is_read_with_the_offset_before_the_gap() -> None:
    daily = item(local(2027, 3, 27, 2, 30), local(2027, 3, 27, 3, 0), "FREQ=DAILY;COUNT=3")
    found = expand(daily, local(2027, 3, 27), local(2027, 3, 30))
    # RFC 5545: a time in the gap uses the offset before it, so 02:30 becomes 03:30 CEST.
    assert walls(found) == ["2027-03-27 02:30", "2027-03-28 03:30", "2027-03-29 02:30"]


def test_an_ambiguous_wall_time_on_the_october_night_happens_once_at_the_first_instant() -> None:
    daily = item(local(2026, 10, 24, 2, 30), local(2026, 10, 24, 2, 45), "FREQ=DAILY;COUNT=3")
    found = expand(daily, local(2026, 10, 24), local(2026, 10, 27))
    assert len(found) == 3
    assert found[1].start == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, not CET


def test_exdates_remove_occurrences_and_rdates_add_them() -> None:
    weekly = item(
        local(2026, 12, 1, 9, 0), local(2026, 12, 1, 10, 0), "FREQ=WEEKLY;COUNT=4",
        exdates=[local(2026, 12, 8, 9, 0)], rdates=[local(2026, 12, 10, 14, 0)],
    )  # fmt: skip
    found = expand(weekly, local(2026, 11, 1), local(2027, 1, 1))
    assert walls(found) == [
        "2026-12-01 09:00",
        "2026-12-10 14:00",
        "2026-12-15 09:00",
        "2026-12-22 09:00",
    ]


def test_a_moved_occurrence_appears_at_its_new_time_even_from_outside_the_window() -> None:
    weekly = item(local(2026, 12, 1, 9, 0), local(2026, 12, 1, 10, 0), "FREQ=WEEKLY;COUNT=4")
    weekly.overrides = [
        OccurrenceOverride(
            recurrence_id=local(2026, 12, 8, 9, 0),
            starts_at=local(2026, 12, 18, 15, 0),
            ends_at=None,
            title="Overleg (verplaatst)",
            location="Stadhuis",
            cancelled=False,
        )
    ]
    found = expand(weekly, local(2026, 12, 16), local(2026, 12, 20))
    assert walls(found) == ["2026-12-18 15:00"]
    assert (
        found[0].moved
        and found[0].title == "Overleg (verplaatst)"
        and found[0].location == "Stadhuis"
    )
    assert found[0].end - found[0].start == timedelta(hours=1)
    assert found[0].recurrence_id == local(2026, 12, 8, 9, 0)
    assert walls(expand(weekly, local(2026, 12, 7), local(2026, 12, 9))) == []


def test_occurrences_come_in_time_order_a_moved_one_where_it_now_falls() -> None:
    """The 8 Dec meeting moved past the 15 Dec one: 1, 15, 18 and 22 Dec, in that order."""
    weekly = item(local(2026, 12, 1, 9, 0), local(2026, 12, 1, 10, 0), "FREQ=WEEKLY;COUNT=4")
    weekly.overrides = [
        OccurrenceOverride(recurrence_id=local(2026, 12, 8, 9, 0),
                           starts_at=local(2026, 12, 18, 15, 0), ends_at=None, title="",
                           location="", cancelled=False)
    ]  # fmt: skip
    found = expand(weekly, local(2026, 11, 30), local(2026, 12, 31))
    assert walls(found) == [
        "2026-12-01 09:00", "2026-12-15 09:00", "2026-12-18 15:00", "2026-12-22 09:00"
    ]  # fmt: skip


def test_a_cancelled_occurrence_is_returned_marked_cancelled() -> None:
    weekly = item(local(2026, 12, 1, 9, 0), local(2026, 12, 1, 10, 0), "FREQ=WEEKLY;COUNT=3")
    weekly.overrides = [OccurrenceOverride(recurrence_id=local(2026, 12, 8, 9, 0), cancelled=True)]
    found = expand(weekly, local(2026, 12, 1), local(2026, 12, 31))
    assert [o.cancelled for o in found] == [False, True, False]


def test_a_cancelled_item_has_only_cancelled_occurrences() -> None:
    weekly = item(
        local(2026, 12, 1, 9),
        local(2026, 12, 1, 10),
        "FREQ=WEEKLY;COUNT=3",
        status=ItemStatus.CANCELLED,
    )
    assert all(o.cancelled for o in expand(weekly, local(2026, 12, 1), local(2026, 12, 31)))


def test_a_two_day_all_day_congress_overlaps_both_days_and_not_the_third() -> None:
    congress = item(local(2027, 6, 10), local(2027, 6, 12), all_day=True)
    assert len(expand(congress, local(2027, 6, 11), local(2027, 6, 12))) == 1
    assert expand(congress, local(2027, 6, 12), local(2027, 6, 13)) == []


def test_a_yearly_all_day_item_stays_on_its_local_date_across_dst() -> None:
    yearly = item(local(2026, 4, 1), local(2026, 4, 2), "FREQ=MONTHLY;COUNT=8", all_day=True)
    found = expand(yearly, local(2026, 1, 1), local(2027, 1, 1))
    assert [o.start.astimezone(AMS).hour for o in found] == [0] * 8
    assert walls(found)[-1] == "2026-11-01 00:00"


def test_bysetpos_picks_the_last_working_day_of_the_month() -> None:
    last_workday = item(
        local(2026, 12, 31, 16, 0), local(2026, 12, 31, 17, 0),
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3",
    )  # fmt: skip
    found = expand(last_workday, local(2026, 12, 1), local(2027, 4, 1))
    assert walls(found) == ["2026-12-31 16:00", "2027-01-29 16:00", "2027-02-26 16:00"]


def test_a_deadline_of_zero_length_is_in_the_window_that_holds_its_moment() -> None:
    deadline = item(local(2026, 12, 15, 12, 0), local(2026, 12, 15, 12, 0), kind=ItemKind.DEADLINE)
    assert len(expand(deadline, local(2026, 12, 15, 12, 0), local(2026, 12, 15, 13, 0))) == 1
    assert expand(deadline, local(2026, 12, 15, 11, 0), local(2026, 12, 15, 12, 0)) == []


def test_an_occurrence_that_started_before_the_window_and_still_runs_is_included() -> None:
    congress = item(local(2026, 12, 1, 9), local(2026, 12, 3, 17), "FREQ=WEEKLY;COUNT=2")
    assert walls(expand(congress, local(2026, 12, 2), local(2026, 12, 2, 12))) == [
        "2026-12-01 09:00"
    ]


def test_until_as_a_local_date_includes_that_whole_day() -> None:
    rule = normalize_rrule("FREQ=WEEKLY;UNTIL=20261215", AMS)
    assert rule == "FREQ=WEEKLY;UNTIL=20261215T225959Z"
    weekly = item(local(2026, 12, 1, 20), local(2026, 12, 1, 21), rule)
    assert len(expand(weekly, local(2026, 11, 1), local(2027, 1, 31))) == 3


@pytest.mark.parametrize(
    ("rule", "quoted"),
    [
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY=XX"),
        ("FREQ=WEEKLY;BYDAZ=MO", "BYDAZ=MO"),
        ("FREQ=FORTNIGHTLY", "FREQ=FORTNIGHTLY"),
        ("FREQ=HOURLY", "FREQ=HOURLY"),
        ("FREQ=MONTHLY;COUNT=x", "COUNT=x"),
        ("FREQ=MONTHLY;BYMONTHDAY", "BYMONTHDAY"),
        ("FREQ=MONTHLY;UNTIL=2027", "UNTIL=2027"),
        ("FREQ=MONTHLY;COUNT=3;COUNT=4", "COUNT=4"),
    ],
)
def test_an_rrule_that_does_not_parse_is_refused_quoting_the_offending_part(
    rule: str, quoted: str
) -> None:
    with pytest.raises(ValidationError, match=quoted) as caught:
        normalize_rrule(rule, AMS)
    assert caught.value.field == "rrule"


def test_an_rrule_without_freq_or_with_count_and_until_is_refused() -> None:
    with pytest.raises(ValidationError, match="FREQ"):
        normalize_rrule("BYDAY=MO", AMS)
    with pytest.raises(ValidationError, match="COUNT and UNTIL"):
        normalize_rrule("FREQ=DAILY;COUNT=2;UNTIL=20270101", AMS)


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    st.sampled_from(["FREQ=DAILY", "FREQ=WEEKLY", "FREQ=MONTHLY", "FREQ=WEEKLY;INTERVAL=2"]),
)
def test_every_occurrence_keeps_the_first_ones_wall_time(first: datetime, rule: str) -> None:
    wall = first.replace(second=0, microsecond=0, hour=first.hour % 24)
    if wall.hour == 2:  # the hour that may not exist or happen twice has its own tests
        wall = wall.replace(hour=9)
    start = wall.replace(tzinfo=AMS).astimezone(UTC)
    recurring = item(start, start + timedelta(minutes=45), rule)
    found = expand(recurring, start, start + timedelta(days=400))
    assert found, "a rule without end has occurrences in the next 400 days"
    assert {o.start.astimezone(AMS).time() for o in found} == {wall.time()}
    assert all(o.end - o.start == timedelta(minutes=45) for o in found)


def test_an_all_day_rule_keeps_until_as_a_date_and_includes_that_day() -> None:
    rule = normalize_rrule("FREQ=WEEKLY;UNTIL=20261215T120000Z", AMS, all_day=True)
    assert rule == "FREQ=WEEKLY;UNTIL=20261215"
    weekly = item(local(2026, 12, 1), local(2026, 12, 2), rule, all_day=True)
    assert walls(expand(weekly, local(2026, 11, 1), local(2027, 1, 31))) == [
        "2026-12-01 00:00",
        "2026-12-08 00:00",
        "2026-12-15 00:00",
    ]


def test_the_last_end_of_a_series_is_known_when_it_has_count_or_until() -> None:
    from scheduler.occurrences import last_end

    assert last_end(item(local(2026, 12, 1, 9), local(2026, 12, 1, 10), "FREQ=WEEKLY")) is None
    counted = item(local(2026, 12, 1, 9), local(2026, 12, 1, 10), "FREQ=WEEKLY;COUNT=3")
    assert last_end(counted) == local(2026, 12, 15, 10)
    one_off = item(local(2026, 12, 1, 9), local(2026, 12, 1, 10))
    assert last_end(one_off) == local(2026, 12, 1, 10)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=DAILY;BYHOUR=9,14", "repeats at most daily"),
        ("FREQ=DAILY;COUNT=5000", "at most 1000 occurrences"),
        ("FREQ=YEARLY;UNTIL=99991231", "end the series by 2100"),
    ],
)
def test_a_rule_that_would_flood_the_agenda_is_refused(rule: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        normalize_rrule(rule, AMS)


def test_two_series_at_the_same_instant_in_different_zones_each_keep_their_own_wall_time() -> None:
    # 10:00 Amsterdam and 09:00 UTC are one instant in December: once they shared one rule.
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    amsterdam = item(start, start + timedelta(hours=1), "FREQ=WEEKLY")
    utc = item(start, start + timedelta(hours=1), "FREQ=WEEKLY", timezone="UTC", uid="utc")
    summer = (datetime(2027, 7, 1, tzinfo=UTC), datetime(2027, 7, 8, tzinfo=UTC))
    assert [o.start.hour for o in expand(amsterdam, *summer)] == [8]
    assert [o.start.hour for o in expand(utc, *summer)] == [9]
    assert [o.start.hour for o in expand(amsterdam, *summer)] == [8]


def test_an_occurrence_in_the_march_gap_is_known_by_its_recurrence_id() -> None:
    from scheduler.occurrences import is_original_start, occurrence_of

    daily = item(local(2027, 3, 27, 2, 30), local(2027, 3, 27, 3, 0), "FREQ=DAILY;COUNT=3")
    gap_day = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 read before the gap: 03:30 CEST
    assert is_original_start(daily, gap_day)
    found = occurrence_of(daily, gap_day)
    assert found is not None and found.end - found.start == timedelta(minutes=30)


def test_occurrences_on_the_nights_the_clocks_change_are_found_for_feeds() -> None:
    from scheduler.occurrences import near_clock_changes

    daily = item(local(2027, 3, 20, 2, 30), local(2027, 3, 20, 3, 0), "FREQ=DAILY;COUNT=400")
    assert [r.astimezone(AMS).strftime("%m-%d %H:%M") for r in near_clock_changes(daily)] == [
        "03-28 03:30",
        "10-31 02:30",
        "03-26 03:30",
    ]
    morning = item(local(2027, 3, 20, 10, 0), local(2027, 3, 20, 11, 0), "FREQ=DAILY")
    assert near_clock_changes(morning) == []
