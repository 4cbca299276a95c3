"""Importing iCalendar files shaped like real Outlook, Google and Apple exports: recurrence,
exceptions, moved and cancelled occurrences, Windows zone names, X-WR-TIMEZONE, all-day
events; upsert by UID; all or nothing, with the line of each problem."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scheduler import agenda, ics_reader
from scheduler.db import Database
from scheduler.errors import ImportRejected
from scheduler.interchange import import_data, import_file
from scheduler.models import AgendaItem
from tests.test_reminders import ACTOR

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
