"""Every file of a corpus of real-world iCalendar files (the test data of calendar libraries,
see fixtures/ics-corpus/SOURCES.md) imports on its own into a fresh database, or is refused
with `file:line: what`; never an internal error."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from scheduler import agenda
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import ImportFileError, ImportRejected
from scheduler.feeds import FeedBuilder, FeedSpec
from scheduler.ics_writer import Viewer, options_from
from scheduler.interchange import import_file
from scheduler.vtimezone import vtimezone
from tests.readers import ReaderError, Seen, as_text, icaljs, ours, recurring, with_known_zones
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


# ---------------------------------------------------------------- what the readers see

Span = tuple[str, str, bool]  # start, end (UTC text, or a day), cancelled


def _window(text: str) -> tuple[datetime, datetime]:
    """From a year before the file's first start to ten years after its last one; from noon
    to noon, since a reader may place a day's start at UTC midnight and we at local midnight."""
    years = [int(y) for y in re.findall(r"^(?:DTSTART|RDATE)[^:\n]*:(\d{4})", text, re.M)]
    years = [y for y in years if 1971 <= y <= 2090] or [2026]
    first, last = (
        datetime(min(years) - 1, 1, 1, 12, tzinfo=UTC),
        datetime(max(years) + 10, 1, 1, 12, tzinfo=UTC),
    )
    return first, last


def _home(text: str) -> ZoneInfo:
    """Where a floating time is: X-WR-TIMEZONE, else our default zone (as the import reads it)."""
    found = re.search(r"^X-WR-TIMEZONE:(.+)$", text, re.M)
    name = found[1].strip() if found else ""
    name = WINDOWS_TO_OLSON.get(name, name)
    return ZoneInfo(name) if name in available_timezones() else ZoneInfo("Europe/Amsterdam")


def _spans(seen: Counter[Seen], home: ZoneInfo) -> Counter[Span]:
    """Occurrences as (start, end, cancelled), counted; a floating time read in `home`."""

    def utc(text: str) -> str:
        if len(text) == 10 or text.endswith("Z"):
            return text
        return as_text(datetime.fromisoformat(text).replace(tzinfo=home))

    return Counter((utc(s.start), utc(s.end), s.status == "CANCELLED") for s in seen.elements())


def _with_windows_zones(body: bytes) -> bytes:
    """`with_known_zones`, also for Outlook's Windows zone names (Thunderbird maps those too);
    a lone VEVENT (some test files) in a VCALENDAR, so that the zones go with it."""
    text = body.decode("utf-8-sig")
    if text.lstrip().upper().startswith("BEGIN:VEVENT"):
        text = f"BEGIN:VCALENDAR\r\n{text.strip()}\r\nEND:VCALENDAR\r\n"
    defined = set(re.findall(r"^TZID:(.+?)\r?$", text, re.M))
    named = set(re.findall(r";TZID=\"?([^:;\"]+)\"?[:;]", text)) - defined
    for tzid in sorted(name for name in named if name in WINDOWS_TO_OLSON):
        zone = vtimezone(WINDOWS_TO_OLSON[tzid], 1970).decode()
        at = text.find("BEGIN:VEVENT")
        if at >= 0:
            text = (
                text[:at]
                + zone.replace(f"TZID:{WINDOWS_TO_OLSON[tzid]}", f"TZID:{tzid}")
                + text[at:]
            )
    return with_known_zones(text.encode())


# Where we differ from a reader on purpose; each reason is a reader's own choice or limit.
DIFFERS_FROM_RECURRING = {
    "handmade__h01-gap-daily.ics": "its first end: 02:30 + 30 min read as 03:00 summer time, "
    "before the start (ical.js and we: 04:00)",
    "khal__tests_ics_event_dtr_no_tz_exdatez.ics": "a UTC EXDATE on a floating series: it reads "
    "the floating times as UTC, we in Europe/Amsterdam",
    "nodeical__test_fixtures_daily-count-exdate-recurrence-id.ics": "a moved occurrence ending "
    "before it starts: it swaps start and end, we end it at its start",
    "nodeical__test_fixtures_festival-multiday-rrule.ics": "DTSTART;VALUE=DATE:20110804T120000: "
    "it reads a time, we (and ical.js) the day VALUE=DATE says",
    "nodeical__test_fixtures_sabredav-school-holidays.ics": "DTSTART;TZID=…;VALUE=DATE: the same",
    "nodeical__test_fixtures_yearly-recurring-unicode.ics": "DTSTART;TZID=…;VALUE=DATE: the same",
    "rie__recurring_ical_events_test_calendars_end_before_start_event.ics": "DTEND before "
    "DTSTART: it swaps them, we end the event at its start",
    "rie__recurring_ical_events_test_calendars_issue_201_mixed_datetime_and_date.ics": "a date "
    "DTSTART with a time DTEND: it reads midnight UTC, we the day",
    "rie__recurring_ical_events_test_calendars_issue_201_test_matrix.ics": "the same, and "
    "floating against UTC times",
}
GAP = (
    "a start in the DST gap: it reads 02:30 with summer time's offset (01:30 winter time); "
    "RFC 5545 and we with the offset before the gap (03:30 summer time)"
)
PERIOD = "ical.js cannot expand an RDATE;VALUE=PERIOD (its getOccurrenceDetails gets a Period)"
DAY_LISTS = "ical.js cannot read an EXDATE or RDATE of days written without VALUE=DATE on it"
COPIES = "it shows every copy of a repeated UID or RECURRENCE-ID, whatever its SEQUENCE"
DTSTART_OFF_RULE = "it leaves out a DTSTART the rule does not produce (RFC 5545 counts it)"
DIFFERS_FROM_ICALJS = {
    "handmade__h01-gap-daily.ics": GAP,
    "handmade__h08-gap-single.ics": GAP,
    "handmade__h01-nouid-ok.ics": "it does not know the TZID /mozilla.org/…/America/New_York "
    "(floating for it; icalendar and we read America/New_York)",
    "pyical__src_icalendar_tests_calendars_issue_313_globally_unique_tzid.ics": "the same, for "
    "other globally unique TZIDs",
    "handmade__h01-rdate-period.ics": PERIOD,
    "pyical__src_icalendar_tests_calendars_issue_1426.ics": PERIOD,
    "rie__recurring_ical_events_test_calendars_issue_113_period_rdate_duration.ics": PERIOD,
    "handmade__h02.ics": "it ignores X-WR-TIMEZONE: the UTC series stays at 08:00 UTC",
    "rie__recurring_ical_events_test_calendars_fablab_cottbus.ics": "it ignores X-WR-TIMEZONE",
    "handmade__h06-unsynced.ics": DTSTART_OFF_RULE,
    "khal__tests_ics_event_rrule_no_occurence.ics": DTSTART_OFF_RULE,
    "handmade__h07-two-rrules.ics": "it counts DTSTART into each RRULE's COUNT",
    "rie__recurring_ical_events_test_calendars_multiple_rrule.ics": "the same",
    "khal__tests_ics_event_dtr_no_tz_exdatez.ics": "a UTC EXDATE on a floating series: it "
    "compares the floating times as UTC",
    "khal__tests_ics_part1.ics": "RDATE lists in the file's VTIMEZONEs: it reads only the "
    "first value",
    "nodeical__test_fixtures_biweekly-exdate-until.ics": DAY_LISTS,
    "pyical__src_icalendar_tests_calendars_issue_1633_rdate_with_dates.ics": DAY_LISTS,
    "pyical__src_icalendar_tests_calendars_rfc_7265_appendix_example_1_ical.ics": DAY_LISTS,
    "rie__recurring_ical_events_test_calendars_duration.ics": DAY_LISTS,
    "rie__recurring_ical_events_test_calendars_issue_36_recurrence_ID_format.ics": DAY_LISTS,
    "pyical__src_icalendar_tests_calendars_issue_168_input.ics": "it cannot parse the line "
    "X-APPLE-RADIUS=…",
    "nodeical__test_fixtures_daily-count-exdate-recurrence-id.ics": "a moved occurrence "
    "ending before it starts: it keeps that; we end it at its start",
    "rie__recurring_ical_events_test_calendars_end_before_start_event.ics": "DTEND before "
    "DTSTART: it keeps that; we end the event at its start",
    "nodeical__test_fixtures_duplicate-rrule-sequence.ics": COPIES,
    "nodeical__test_fixtures_duplicate-uid-sequence.ics": COPIES,
    "nodeical__test_fixtures_recurrence-sequence.ics": COPIES,
    "rie__recurring_ical_events_test_calendars_issue_148_edge_case_1.ics": COPIES,
    "rie__recurring_ical_events_test_calendars_issue_148_exdate_and_rdate_updated.ics": COPIES,
    "rie__recurring_ical_events_test_calendars_issue_163_deleted_modification.ics": COPIES,
    "rie__recurring_ical_events_test_calendars_issue_148_edge_case_2.ics": COPIES,
    "rie__recurring_ical_events_test_calendars_alarm_absolute_edited.ics": COPIES,
    "nodeical__test_fixtures_tv-show-episode.ics": COPIES,
    "rie__recurring_ical_events_test_calendars_duplicated_rrule.ics": "the same RRULE twice: "
    "it lists every occurrence twice",
    "nodeical__test_fixtures_exchange_whole_day_moved_recurrence_offset_tz.ics": "a whole-day "
    "occurrence named by a midnight with a zone (Exchange): it does not find it",
    "rie__recurring_ical_events_test_calendars_issue_28_rrule_with_UTC_endinginZ.ics": "the same",
    "nodeical__test_fixtures_festival-multiday-rrule.ics": "an all-day event ending on the day "
    "it starts: it takes no day, we one",
    "rie__recurring_ical_events_test_calendars_issue_201_mixed_datetime_and_date.ics": "a day "
    "start with a time end: it keeps the time, we the day",
    "rie__recurring_ical_events_test_calendars_issue_201_test_matrix.ics": "the same",
}  # fmt: skip


Answer = Counter[Span] | str  # what a reader saw, or why it refused the file


def _readers_of(path: Path) -> tuple[Answer, Answer, tuple[datetime, datetime]]:
    body = path.read_bytes()
    text = body.decode("utf-8-sig")
    window, home = _window(text), _home(text)
    try:
        by_recurring: Answer = _spans(recurring(body, *window), home)
    except Exception as exc:  # a reader refusing the file is an answer
        by_recurring = f"refused: {exc}"
    try:
        by_icaljs: Answer = _spans(icaljs(_with_windows_zones(body), *window), home)
    except ReaderError as exc:
        by_icaljs = f"refused: {exc}"
    return by_recurring, by_icaljs, window


IMPORTED = [path for path in FILES if path.name not in REFUSED]


@pytest.mark.parametrize("path", IMPORTED, ids=lambda path: path.name)
def test_an_imported_corpus_file_shows_what_the_readers_show(
    sqlite_db: Database, path: Path
) -> None:
    by_recurring, by_icaljs, window = _readers_of(path)
    import_file(sqlite_db, path, ACTOR)
    with sqlite_db.read() as session:
        mine = _spans(ours(agenda.occurrences(session, *window)), ZoneInfo("UTC"))
    assert (mine == by_recurring) != (path.name in DIFFERS_FROM_RECURRING), by_recurring
    assert (mine == by_icaljs) != (path.name in DIFFERS_FROM_ICALJS), by_icaljs


@pytest.mark.parametrize("path", IMPORTED, ids=lambda path: path.name)
def test_an_imported_corpus_file_reads_back_from_our_feed_as_our_engine_lists_it(
    sqlite_db: Database, path: Path
) -> None:
    window = _window(path.read_text(encoding="utf-8-sig", errors="replace"))
    import_file(sqlite_db, path, ACTOR)
    settings = Settings(database_url=sqlite_db.url, feed_past_days=1)
    with sqlite_db.read() as session:
        mine = _spans(ours(agenda.occurrences(session, *window)), ZoneInfo("UTC"))
        feed = FeedBuilder(options_from(settings)).feed(
            session, FeedSpec("all"), Viewer(None, "nl"), window[0].date() + timedelta(days=1)
        )
    assert _spans(icaljs(feed.body, *window), ZoneInfo("UTC")) == mine, "ical.js"
    assert _spans(recurring(feed.body, *window), ZoneInfo("UTC")) == mine, "recurring-ical-events"
