"""Every file of a corpus of real-world iCalendar files (the test data of calendar libraries,
see fixtures/ics-corpus/SOURCES.md) imports on its own into a fresh database, or is refused
with `file:line: what`; never an internal error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scheduler.db import Database
from scheduler.errors import ImportFileError, ImportRejected
from scheduler.interchange import import_file
from tests.test_reminders import ACTOR

CORPUS = Path(__file__).parent / "fixtures" / "ics-corpus"
FILES = sorted(CORPUS.glob("*.ics"))
# Refused on purpose: broken on purpose, or beyond what an agenda item holds (see README).
REFUSED = {
    "icaljs__samples_google_birthday.ics",  # RDATE 20131210Z
    "khal__tests_ics_invalid_tzoffset.ics",  # TZOFFSETTO +5328
    "khal__tests_ics_non_dst_error.ics",  # TZOFFSET… PT-2H
    "libical__test-data_0.ics",  # no DTSTART
    "libical__test-data_2445.ics",  # several calendars in one file
    "libical__test-data_classify.ics",
    "libical__test-data_issue252.ics",  # not UTF-8
    "libical__test-data_process-incoming.ics",
    "libical__test-data_recur-errors.ics",
    "libical__test-data_smallcluster.ics",  # UNTIL=123456T123456
    "libical__test-data_spanlist.ics",
    "libical__test-data_zday.ics",  # END without BEGIN
    "nodeical__test_fixtures_bad_custom_ms_tz.ics",  # DURATION -PT1W1D2H3M4S
    "nodeical__test_fixtures_bad_custom_ms_tz2.ics",
    "nodeical__test_fixtures_large-file-with-late-error.ics",  # 30 February
    "nodeical__test_fixtures_multi-event-basic.ics",  # DTSTART "Next Year"
    "nodeical__test_fixtures_test_with_multiple_tzids_in_vtimezone.ics",
    "pyical__src_icalendar_tests_calendars_america_new_york_forward_reference.ics",
    "pyical__src_icalendar_tests_calendars_big_bad_calendar.ics",
    "pyical__src_icalendar_tests_calendars_broken_ical.ics",
    "pyical__src_icalendar_tests_calendars_invalid_duration.ics",
    "pyical__src_icalendar_tests_calendars_issue_1081_invalid_rrule_freq.ics",
    "pyical__src_icalendar_tests_calendars_issue_1081_invalid_start_valid_end.ics",
    "pyical__src_icalendar_tests_calendars_issue_1081_with_summary.ics",
    "pyical__src_icalendar_tests_calendars_issue_322_expected_calendar.ics",
    "pyical__src_icalendar_tests_calendars_issue_722_missing_timezones.ics",
    "pyical__src_icalendar_tests_calendars_multiple_calendar_components.ics",
    "pyical__src_icalendar_tests_calendars_parsing_error.ics",  # EXDATE without a value
    "pyical__src_icalendar_tests_calendars_rfc_6868.ics",  # VEVENTs without DTSTART
    "pyical__src_icalendar_tests_calendars_rfc_7256_multi_value_parameters.ics",
    "pyical__src_icalendar_tests_calendars_rfc_7986_image.ics",
    "pyical__src_icalendar_tests_calendars_rfc_9253_related_to.ics",
    "pyical__src_icalendar_tests_calendars_small_bad_calendar.ics",
    "rie__recurring_ical_events_test_calendars_issue_128_only_first_event.ics",  # COUNT=-1
}


def test_the_corpus_is_all_there() -> None:
    assert len(FILES) == 176
    assert {path.name for path in FILES} >= REFUSED


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_a_corpus_file_imports_or_is_refused_with_file_and_line(
    sqlite_db: Database, path: Path
) -> None:
    try:
        import_file(sqlite_db, path, ACTOR)
    except (ImportRejected, ImportFileError) as exc:
        assert path.name in REFUSED, f"refused: {exc}"
        lines = str(exc).splitlines()
        problems = lines[1:] if isinstance(exc, ImportRejected) else lines
        for problem in problems:
            assert re.match(re.escape(str(path)) + r":\d+: \S", problem), problem
    else:
        assert path.name not in REFUSED, "imports now: take it off REFUSED"
