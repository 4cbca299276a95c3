"""Importing iCalendar files shaped like real Outlook, Google and Apple exports: recurrence,
exceptions, moved and cancelled occurrences, Windows zone names, X-WR-TIMEZONE, all-day
events; upsert by UID; all or nothing, with the line of each problem."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scheduler import agenda, ics_reader
from scheduler.db import Database
from scheduler.errors import ImportRejected
from scheduler.interchange import import_data, import_file, read_entries
from scheduler.models import AgendaItem
from scheduler.occurrences import Occurrence
from tests.test_cli import cli
from tests.test_reminders import ACTOR

__all__ = ["cli"]  # a fixture, used by name

FIXTURES = Path(__file__).parent / "fixtures" / "ics"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CATALOG = {
    "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}],
    "stakeholders": [{"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"}],
}
OPTIONS = ics_reader.Options(themes=("mobiliteit",), stakeholders=("mra",))


def wall_times(db: Database, uid: str) -> list[tuple[str, bool]]:
    """The item's occurrences as Amsterdam wall times, with whether each is cancelled."""
    with db.read() as session:
        item = agenda.find_item(session, uid)
        found = agenda.occurrences_between(
            [item], datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
        )
        return [
            (o.start.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M"), o.cancelled) for o in found
        ]


def item_of(db: Database, uid: str) -> AgendaItem:
    with db.read() as session:
        return agenda.find_item(session, uid)


OUTLOOK_SERIES = (
    "040000008200E00074C5B7101A82E00800000000B0A1F2C3D4E5DA01000000000000000010000000"
    "AB12CD34EF56AB78CD90EF12AB34CD56"
)


def test_an_outlook_export_with_a_windows_zone_an_exception_and_a_moved_occurrence(
    db: Database,
) -> None:
    import_data(db, CATALOG, "catalog", ACTOR)
    report = import_file(db, FIXTURES / "outlook.ics", ACTOR, ics=OPTIONS)
    assert report.counts["items"]["created"] == 2
    assert wall_times(db, OUTLOOK_SERIES) == [
        ("2026-12-08 10:00", False),  # second Tuesdays; 12 January is an EXDATE
        ("2027-02-09 14:30", False),  # moved by its RECURRENCE-ID event (from 10:00)
        ("2027-03-09 10:00", False),
        ("2027-04-13 10:00", False),
        ("2027-05-11 10:00", False),
    ]
    series = item_of(db, OUTLOOK_SERIES)
    assert series.timezone == "Europe/Amsterdam"  # "W. Europe Standard Time", same clock
    assert series.location == "Provinciehuis, Haarlem"
    assert [t.slug for t in series.themes] == ["mobiliteit"]
    assert [s.slug for s in series.stakeholders] == ["mra"]
    assert series.overrides[0].location == "Stadhuis Alkmaar"
    private = next(i for i in agenda_items(db) if i.all_day)
    assert private.confidentiality.value == "confidential"  # CLASS:PRIVATE
    assert agenda.describe_item(private)["end"] == "2026-12-17"  # DTEND is exclusive


def agenda_items(db: Database) -> list[AgendaItem]:
    with db.read() as session:
        return agenda.all_items(session)


def test_a_google_export_in_utc_with_a_cancelled_occurrence(db: Database) -> None:
    import_file(db, FIXTURES / "google.ics", ACTOR)
    single = item_of(db, "3k9v2h1m5q7r8s0t4u6w@google.com")
    assert agenda.describe_item(single)["start"] == "2026-12-10T14:00"  # 13:00Z, X-WR-TIMEZONE
    assert single.online_url == "https://meet.google.com/abc-defg-hij"
    assert single.status.value == "confirmed"
    assert wall_times(db, "7a1b2c3d4e5f6g7h8i9j@google.com") == [
        ("2026-12-07 09:00", False),
        ("2026-12-14 09:00", False),
        ("2026-12-21 09:00", True),  # STATUS:CANCELLED on its RECURRENCE-ID
        ("2026-12-28 09:00", False),
    ]
    deadline = item_of(db, "0p9o8i7u6y5t4r3e2w1q@google.com")
    assert deadline.all_day and agenda.describe_item(deadline)["end"] == "2027-01-15"


def test_an_apple_export_with_rdate_duration_and_alarms(db: Database) -> None:
    import_file(db, FIXTURES / "apple.ics", ACTOR, ics=ics_reader.Options(kind="networking"))
    assert wall_times(db, "5E0C4F7A-3B2D-4C1E-9A8B-7D6E5F4A3B2C") == [
        ("2027-03-25 17:00", False),
        ("2027-04-01 17:00", False),  # the RDATE; a week later, after the DST change
    ]
    meeting = item_of(db, "9F8E7D6C-5B4A-3F2E-1D0C-BA9876543210")
    assert agenda.describe_item(meeting)["end"] == "2027-03-29T11:30"  # DURATION:PT1H30M
    assert meeting.kind.value == "networking"


def test_importing_the_same_file_again_changes_nothing_and_an_update_updates(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, FIXTURES / "google.ics", ACTOR)
    again = import_file(db, FIXTURES / "google.ics", ACTOR)
    assert again.counts["items"] == {"created": 0, "updated": 0, "unchanged": 3}
    changed = tmp_path / "google.ics"
    changed.write_text(
        (FIXTURES / "google.ics").read_text().replace("DTSTART:20261210T130000Z", "DTSTART:20261210T140000Z")
        .replace("DTEND:20261210T143000Z", "DTEND:20261210T153000Z")
    )  # fmt: skip
    report = import_file(db, changed, ACTOR)
    assert report.counts["items"] == {"created": 0, "updated": 1, "unchanged": 2}
    moved = item_of(db, "3k9v2h1m5q7r8s0t4u6w@google.com")
    assert agenda.describe_item(moved)["start"] == "2026-12-10T15:00"


def test_a_bad_event_is_reported_with_its_line_and_nothing_is_imported(
    db: Database, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.ics"
    text = (FIXTURES / "google.ics").read_text()
    bad.write_text(
        text.replace("RRULE:FREQ=WEEKLY;UNTIL=20261228T225959Z;BYDAY=MO", "RRULE:FREQ=HOURLY")
    )
    with pytest.raises(ImportRejected) as caught:
        import_file(db, bad, ACTOR)
    rrule_line = next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("RRULE"))
    assert f"bad.ics:{rrule_line}: items[1].rrule:" in str(caught.value)
    assert agenda_items(db) == []  # all or nothing
    unknown = tmp_path / "theme.ics"
    shutil.copy(FIXTURES / "apple.ics", unknown)
    with pytest.raises(ImportRejected) as caught:
        import_file(db, unknown, ACTOR, ics=ics_reader.Options(themes=("nope",)))
    assert "unknown theme 'nope'" in str(caught.value) and agenda_items(db) == []


def test_a_file_that_is_not_icalendar_is_refused(db: Database, tmp_path: Path) -> None:
    from scheduler.errors import ImportFileError

    broken = tmp_path / "broken.ics"
    broken.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:nonsense\n")
    with pytest.raises(ImportFileError, match=r"broken\.ics"):
        import_file(db, broken, ACTOR)


def _occurrences(body: bytes) -> set[tuple[datetime, bool]]:
    """Every occurrence an independent reader (recurring-ical-events) sees: start, cancelled."""
    import icalendar
    import recurring_ical_events

    found = set()
    calendar = icalendar.Calendar.from_ical(body)
    window = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    for event in recurring_ical_events.of(calendar).between(*window):
        begin = event["DTSTART"].dt
        moment = (
            begin
            if isinstance(begin, datetime)
            else datetime.combine(begin, datetime.min.time(), AMSTERDAM)
        )
        found.add((moment.astimezone(UTC), str(event.get("STATUS", "")).upper() == "CANCELLED"))
    return found


@pytest.mark.parametrize("name", ["outlook", "google", "apple"])
def test_an_imported_file_reads_back_the_same_through_our_feed(db: Database, name: str) -> None:
    import time_machine
    from fastapi.testclient import TestClient

    from scheduler import tokens
    from scheduler.config import Settings
    from scheduler.web import create_app

    original = (FIXTURES / f"{name}.ics").read_bytes()
    with time_machine.travel(datetime(2026, 11, 28, 9, 0, tzinfo=UTC), tick=False):
        import_data(db, {"people": [{"email": "r@example.nl", "name": "R"}]}, "people", ACTOR)
        import_file(db, FIXTURES / f"{name}.ics", ACTOR)
        with db.write() as session:
            _, secret = tokens.create(session, "r@example.nl", today=datetime(2026, 11, 28).date())
        settings = Settings(database_url=db.url, public_url="https://lobby.example")
        with TestClient(create_app(settings, run_jobs=False)) as client:
            feed = client.get(f"/feeds/{secret}/all.ics").content
    assert _occurrences(feed) == _occurrences(original)


# ---------------------------------------------------------------- issue 14, items 7–18

CORPUS = Path(__file__).parent / "fixtures" / "ics-corpus"
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))


def imported(db: Database, path: Path) -> list[tuple[str, str, bool]]:
    """Import `path` into `db`; every occurrence (start, end, cancelled) of its items in
    2026–2028: a time as UTC, a day as the day."""
    import_file(db, path, ACTOR)
    uids = {entry.data["uid"] for entry in read_entries(path, 10**7)}
    with db.read() as session:
        found = agenda.occurrences(session, *WINDOW)
    return sorted((*_ours(o), o.cancelled) for o in found if o.item.uid in uids)


def _ours(occurrence: Occurrence) -> tuple[str, str]:
    start, end, zone = occurrence.start, occurrence.end, occurrence.zone
    if occurrence.all_day:
        return _shown(start.astimezone(zone).date(), end.astimezone(zone).date(), zone)
    return _shown(start, end, zone)


def reader_sees(path: Path) -> list[tuple[str, str, bool]]:
    """The same, as recurring-ical-events reads the file (floating times in Amsterdam)."""
    import icalendar
    import recurring_ical_events

    calendar = icalendar.Calendar.from_ical(path.read_text())
    found = []
    for event in recurring_ical_events.of(calendar).between(*WINDOW):
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        cancelled = str(event.get("STATUS", "")).upper() == "CANCELLED"
        found.append((*_shown(start, end, AMSTERDAM), cancelled))
    return sorted(found)


def _shown(start: date | datetime, end: date | datetime, zone: ZoneInfo) -> tuple[str, str]:
    """A time as UTC (a floating one read in `zone`); a day as the day."""
    if not isinstance(start, datetime):
        return start.isoformat(), end.isoformat()
    if isinstance(end, datetime) and start.tzinfo is not None:
        return _utc(start), _utc(end)
    assert isinstance(end, datetime)
    return _utc(start.replace(tzinfo=zone)), _utc(end.replace(tzinfo=zone))


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%m-%dT%H:%MZ")


def test_a_utc_series_repeats_in_utc_unless_the_calendar_names_its_zone(
    db: Database,
) -> None:
    # 08:00 UTC every week, across the change to summer time on 28 March: still 08:00 UTC.
    assert [o[0] for o in imported(db, FIXTURES / "utc-series.ics")] == [
        "03-15T08:00Z", "03-22T08:00Z", "03-29T08:00Z", "04-05T08:00Z",
    ]  # fmt: skip
    assert item_of(db, "utc-weekly").timezone == "UTC"
    # With X-WR-TIMEZONE recurring-ical-events repeats it at 09:00 Amsterdam time instead.
    path = CORPUS / "handmade__h02.ics"
    assert imported(db, path) == reader_sees(path)
    assert item_of(db, "h02-utc-weekly").timezone == "Europe/Amsterdam"
    assert wall_times(db, "h02-utc-weekly")[-1] == ("2027-04-05 09:00", False)


def test_a_utc_start_in_the_repeated_hour_keeps_its_instant(db: Database) -> None:
    found = imported(db, FIXTURES / "repeated-hour.ics")
    assert ("10-31T01:30Z", "10-31T02:00Z", False) in found  # the second 02:30, not the first
    assert ("10-31T00:30Z", "10-31T01:00Z", False) not in found
    single = agenda.describe_item(item_of(db, "second-half-past-two"))
    assert (single["start"], single["end"]) == ("2027-10-31T02:30+01:00", "2027-10-31T03:00")
    weekly = item_of(db, "weekly-from-the-second-half-past-two")
    assert [o[0] for o in found].count("10-31T01:30Z") == 2
    assert "11-07T01:30Z" in [o[0] for o in found]  # then 02:30 winter time every week
    assert weekly.rrule == "FREQ=WEEKLY;COUNT=2"  # the second 02:30 itself is an RDATE


def test_a_custom_vtimezone_is_read_as_the_iana_zone_with_the_same_offsets(
    db: Database,
) -> None:
    path = CORPUS / "handmade__h01-custom-tz.ics"  # Outlook "Customized Time Zone", US rules
    assert imported(db, path) == reader_sees(path)
    series = item_of(db, "h01-custom-tz")
    assert series.timezone == "America/New_York"
    assert agenda.describe_item(series)["start"] == "2027-03-01T09:00"  # 09:00 across 14 March


def test_a_custom_vtimezone_no_iana_zone_matches_keeps_its_instants_or_is_refused(
    db: Database,
) -> None:
    # Offsets +01:45/+02:45: no IANA zone. Six weeks without a clock change repeat in UTC,
    # at 09:00 +02:45 as both readers have it (run on their own: in this process icalendar
    # would hand them the "Customized Time Zone" of the file read before, US rules).
    path = FIXTURES / "custom-zone-unknown.ics"
    assert [o[:2] for o in imported(db, path)] == [
        (f"{day}T06:15Z", f"{day}T07:15Z") for day in ("03-01", "03-01", "03-08", "03-15",
                                                       "03-22", "03-29", "04-05")
    ]  # fmt: skip
    assert item_of(db, "custom-weekly").timezone == "UTC"
    # A year of months crosses the zone's own clock changes: that series cannot be held.
    with pytest.raises(ImportRejected) as caught:
        import_file(db, FIXTURES / "custom-zone-changes.ics", ACTOR)
    assert re.search(
        r"custom-zone-changes\.ics:23: items\[0\]\.start: TZID 'Customized Time Zone': no IANA",
        str(caught.value),
    )


def test_this_and_future_moves_the_rest_of_the_series_as_both_readers_do(
    db: Database,
) -> None:
    path = FIXTURES / "this-and-future.ics"
    assert imported(db, path) == reader_sees(path)
    assert wall_times(db, "regio-overleg") == [
        ("2027-03-01 10:00", False),
        ("2027-03-08 10:00", False),
    ]
    later = agenda.describe_item(item_of(db, "regio-overleg-2027-03-15T10:00:00"))
    assert (later["start"], later["end"], later["rrule"]) == (
        "2027-03-15T14:00", "2027-03-15T15:30", "FREQ=WEEKLY;COUNT=4"
    )  # fmt: skip
    assert (later["title"], later["location"]) == (
        "Regio-overleg (nieuwe tijd)",
        "Provinciehuis, Haarlem",
    )
    assert later["exdates"] == ["2027-03-29T14:00"]  # moved along with the series
    assert later["occurrences"][0]["recurrence_id"] == "2027-03-22T14:00"


def test_each_this_and_future_moves_the_rest_from_its_own_occurrence(db: Database) -> None:
    # Mondays; from 15 March at 14:00; from 5 April on Tuesdays (a BYDAY rule moved to
    # another day: its remaining occurrences are listed); and a series moved from its first.
    path = FIXTURES / "this-and-future-twice.ics"
    assert imported(db, path) == reader_sees(path)
    assert item_of(db, "r2-2027-04-05T10:00:00").rrule is None
    assert item_of(db, "r3").title == "Daily, later"  # moved whole, it keeps its uid


def test_an_rdate_period_keeps_its_own_end(db: Database) -> None:
    path = CORPUS / "handmade__h01-rdate-period.ics"
    assert imported(db, path) == reader_sees(path)
    assert ("04-01T12:00Z", "04-01T15:00Z", False) in imported(db, path)  # three hours


def test_a_timed_event_without_end_or_duration_takes_no_time(db: Database) -> None:
    path = CORPUS / "handmade__h01-no-dtend.ics"
    assert imported(db, path) == reader_sees(path) == [("03-10T13:00Z", "03-10T13:00Z", False)]


def test_events_without_uid_stay_apart_and_import_again_unchanged(db: Database) -> None:
    path = FIXTURES / "no-uid.ics"  # an Outlook Web App export: four events, no UID
    assert len(imported(db, path)) == 4
    assert len(agenda_items(db)) == 4
    again = import_file(db, path, ACTOR)
    assert again.counts["items"] == {"created": 0, "updated": 0, "unchanged": 4}


def test_of_repeated_uids_the_newest_copy_counts_and_the_report_says_so(db: Database) -> None:
    report = import_file(db, FIXTURES / "duplicate-uids.ics", ACTOR)
    assert item_of(db, "moved-twice").title == "Bestuurlijk overleg (laatste versie)"  # SEQUENCE
    assert item_of(db, "same-sequence").title == "Werkbezoek (later verstuurd)"  # DTSTAMP
    assert report.notes == [
        f"{FIXTURES / 'duplicate-uids.ics'}:4: UID moved-twice appears 2 times (lines 4, 12); "
        "kept the newest, this one (SEQUENCE 2, DTSTAMP 2027-01-01 09:00 UTC)",
        f"{FIXTURES / 'duplicate-uids.ics'}:27: UID same-sequence appears 2 times (lines 20, 27);"
        " kept the newest, this one (SEQUENCE 0, DTSTAMP 2026-12-02 09:00 UTC)",
    ]


def test_an_all_day_rule_with_a_google_utc_until_ends_on_that_day(db: Database) -> None:
    path = CORPUS / "handmade__h01-allday-until-utc.ics"  # UNTIL=20270104T230000Z
    assert [o[0] for o in imported(db, path)] == [
        "2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"
    ]  # fmt: skip
    assert imported(db, path) == reader_sees(path)


def test_a_changed_occurrence_without_its_series_is_a_one_off(db: Database) -> None:
    path = FIXTURES / "lone-change.ics"  # Google shares one moved occurrence, RRULE and all
    assert imported(db, path) == reader_sees(path) == [("03-09T13:00Z", "03-09T14:00Z", False)]
    assert agenda_items(db)[0].rrule is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("handmade__h07-two-rrules.ics", None),
        ("pyical__src_icalendar_tests_calendars_america_new_york_forward_reference.ics",
         r":4: items\[0\]\.start: DTSTART is given 2 times \(lines 4 and 5\) with different"),
        ("nodeical__test_fixtures_multi-event-basic.ics",
         r":74: items\[8\]\.start: DTSTART 'Next Year' cannot be read"),
        ("pyical__src_icalendar_tests_calendars_parsing_error.ics",
         r":18: items\[1\]\.exdates: EXDATE '' cannot be read"),
        ("nodeical__test_fixtures_bad_custom_ms_tz.ics",
         r":40: items\[2\]\.end: DURATION '-PT1W1D2H3M4S' cannot be read"),
        ("nodeical__test_fixtures_test_with_multiple_tzids_in_vtimezone.ics",
         r":42: not a valid iCalendar file"),
    ],
)  # fmt: skip
def test_files_that_crashed_the_import_import_or_are_refused_with_their_line(
    sqlite_db: Database, name: str, message: str | None
) -> None:
    from scheduler.errors import ImportFileError

    path = CORPUS / name
    if message is None:  # two RRULEs: the second, which ends, becomes RDATEs
        assert imported(sqlite_db, path) == reader_sees(path)
        return
    with pytest.raises((ImportRejected, ImportFileError)) as caught:
        import_file(sqlite_db, path, ACTOR)
    assert re.search(re.escape(str(path)) + message, str(caught.value)), str(caught.value)


def test_a_start_in_the_spring_gap_is_read_as_rfc_5545_says(db: Database) -> None:
    single = CORPUS / "handmade__h08-gap-single.ics"  # 02:30 on 28 March 2027
    assert (
        imported(db, single)
        == reader_sees(single)
        == [
            ("03-28T01:30Z", "03-28T01:30Z", False)  # 03:30 summer time; DTEND 03:30 too
        ]
    )
    daily = CORPUS / "handmade__h01-gap-daily.ics"  # daily at 02:30 from that night
    starts = [o[0] for o in imported(db, daily)]  # 03:30 summer time, then 02:30 each day
    assert starts == ["03-28T01:30Z", "03-29T00:30Z", "03-30T00:30Z", "03-31T00:30Z"]
    assert starts == [o[0] for o in reader_sees(daily)]


def test_a_rule_that_always_falls_in_the_gap_keeps_coming_at_half_past_three(
    db: Database,
) -> None:
    path = FIXTURES / "gap-yearly.ics"  # 02:30 on the last Sunday of March, every year
    assert imported(db, path) == reader_sees(path)
    assert {o[0][-6:] for o in imported(db, path)} == {"01:30Z"}  # 03:30 summer time


def test_a_date_exdate_on_a_timed_series_excludes_that_days_occurrence(db: Database) -> None:
    path = CORPUS / "handmade__h03-exdate-date.ics"
    assert imported(db, path) == reader_sees(path)
    assert "03-03T09:00Z" not in [o[0] for o in imported(db, path)]


def test_a_moved_whole_day_occurrence_moves(db: Database) -> None:
    path = FIXTURES / "moved-all-day.ics"
    assert (
        imported(db, path)
        == reader_sees(path)
        == [
            ("03-15T08:00Z", "03-15T11:00Z", False),  # became a morning: an item of its own
            ("2027-03-01", "2027-03-02", False),
            ("2027-03-10", "2027-03-12", False),  # moved, and two days long
            ("2027-03-22", "2027-03-23", False),
        ]
    )
    moved = agenda.describe_item(item_of(db, "kantoor-dicht"))["occurrences"]
    assert moved == [{"recurrence_id": "2027-03-08", "cancelled": False,
                      "start": "2027-03-10", "end": "2027-03-11",
                      "title": "Thuiswerkdagen (verschoven)"}]  # fmt: skip


def test_a_start_off_the_rule_is_an_occurrence_of_its_own(db: Database) -> None:
    path = CORPUS / "handmade__h06-unsynced.ics"  # Thursday 4 March; the rule says Mondays
    assert imported(db, path) == reader_sees(path)
    assert [o[0] for o in imported(db, path)][:2] == ["03-04T09:00Z", "03-08T09:00Z"]


def test_an_event_without_dtstart_is_refused_with_file_and_line(db: Database) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_file(db, FIXTURES / "no-dtstart.ics", ACTOR)
    assert f"{FIXTURES / 'no-dtstart.ics'}:10: items[1].start: the event has no DTSTART" in str(
        caught.value
    )
    assert agenda_items(db) == []


def test_importing_a_newer_file_clears_what_the_calendar_no_longer_says(
    db: Database, tmp_path: Path
) -> None:
    first = (FIXTURES / "google.ics").read_text()
    series = "7a1b2c3d4e5f6g7h8i9j@google.com"
    path = tmp_path / "google.ics"
    path.write_text(first)
    import_file(db, path, ACTOR)
    newer = first.replace("RRULE:FREQ=WEEKLY;UNTIL=20261228T225959Z;BYDAY=MO\n", "")
    path.write_text(newer.replace("URL:https://meet.google.com/abc-defg-hij\n", ""))
    import_file(db, path, ACTOR)
    assert item_of(db, series).rrule is None  # it no longer repeats
    assert [o for o in wall_times(db, series) if not o[1]] == [("2026-12-07 09:00", False)]
    assert item_of(db, "3k9v2h1m5q7r8s0t4u6w@google.com").online_url == ""  # URL gone


def test_the_command_line_tells_which_copy_of_a_repeated_uid_it_kept(cli) -> None:  # type: ignore[no-untyped-def]
    done = cli("import", str(FIXTURES / "duplicate-uids.ics"))
    assert done.code == 0 and "items: 2 were created" in done.out
    assert "note: " in done.out and "UID moved-twice appears 2 times (lines 4, 12)" in done.out
