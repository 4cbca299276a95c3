"""When reminders go out, as their recipients read their own clock, around the DST changes of
2027 and 2028 (Europe: 28 March and 31 October 2027, 26 March and 29 October 2028; the United
States: 14 March and 7 November 2027, 12 March and 5 November 2028), planned into a real
outbox on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from scheduler import agenda, reminders
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.models import Delivery, DeliveryState
from scheduler.schemas import ItemIn

ACTOR = agenda.Actor("test", "test")
AMS, NY, TOKYO = "Europe/Amsterdam", "America/New_York", "Asia/Tokyo"
RECIPIENT = {AMS: "ams@example.nl", NY: "ny@example.nl", TOKYO: "tokyo@example.nl"}
PEOPLE = {
    "people": [
        {"email": email, "name": email.split("@")[0], "timezone": zone}
        for zone, email in RECIPIENT.items()
    ]
}

# Item zone, start (wall time in the item's zone, or with an offset where the wall time happens
# twice; a date is an all-day item, FIRST/LAST a multi-day one), offset, recipient's zone →
# when the recipient gets it, on their clock (the UTC offset shown says which 02:30 is meant).
TABLE = [
    # Days keep the wall time across the change; hours count exactly.
    (AMS, "2027-03-29T10:00", "P1D", AMS, "2027-03-28T10:00+02:00"),
    (AMS, "2027-03-29T10:00", "P7D", AMS, "2027-03-22T10:00+01:00"),
    (AMS, "2027-03-28T12:00", "P1D", AMS, "2027-03-27T12:00+01:00"),
    (AMS, "2027-03-28T12:00", "PT24H", AMS, "2027-03-27T11:00+01:00"),
    (AMS, "2027-10-31T12:00", "PT48H", AMS, "2027-10-29T13:00+02:00"),
    # 02:30 does not exist on 28 March 2027: the clock says 03:30.
    (AMS, "2027-03-29T02:30", "P1D", AMS, "2027-03-28T03:30+02:00"),
    (AMS, "2028-03-27T10:00", "P1D", AMS, "2028-03-26T10:00+02:00"),
    (AMS, "2028-03-26T12:00", "PT2H", AMS, "2028-03-26T10:00+02:00"),
    # 02:30 happens twice on 31 October 2027 and 29 October 2028 (#14, item 19).
    (AMS, "2027-10-31T02:30+01:00", "PT2H", AMS, "2027-10-31T01:30+02:00"),
    (AMS, "2027-10-31T02:30+02:00", "PT2H", AMS, "2027-10-31T00:30+02:00"),
    (AMS, "2027-10-31T02:30+01:00", "PT30M", AMS, "2027-10-31T02:00+01:00"),
    (AMS, "2027-11-01T02:30", "P1D", AMS, "2027-10-31T02:30+02:00"),  # the first 02:30
    (AMS, "2027-11-01T10:00", "P1D", AMS, "2027-10-31T10:00+01:00"),
    (AMS, "2028-10-29T02:30+01:00", "PT2H", AMS, "2028-10-29T01:30+02:00"),
    (AMS, "2028-10-30T10:00", "P7D", AMS, "2028-10-23T10:00+02:00"),
    (NY, "2028-11-05T01:30-05:00", "PT1H", NY, "2028-11-05T01:30-04:00"),
    (NY, "2028-03-13T09:00", "P1D", NY, "2028-03-12T09:00-04:00"),
    (NY, "2028-03-12T12:00", "P1D", NY, "2028-03-11T12:00-05:00"),
    (NY, "2028-03-12T12:00", "PT24H", NY, "2028-03-11T11:00-05:00"),
    # Elsewhere: the recipient's clock counts, at the time the meeting has there.
    (AMS, "2027-03-29T10:00", "P1D", NY, "2027-03-28T04:00-04:00"),
    (AMS, "2027-03-15T10:00", "P7D", NY, "2027-03-08T05:00-05:00"),
    (AMS, "2027-11-01T10:00", "P7D", TOKYO, "2027-10-25T18:00+09:00"),
    (NY, "2028-03-13T09:00", "P1D", AMS, "2028-03-12T14:00+01:00"),
    (AMS, "2028-03-27T10:00", "PT2H", NY, "2028-03-27T02:00-04:00"),
    # Working days: 09:00 on the recipient's clock, not 09:00 in Amsterdam (#14, item 22).
    (AMS, "2027-03-29T10:00", "1WD", AMS, "2027-03-26T09:00+01:00"),  # Goede Vrijdag
    (AMS, "2027-03-29T10:00", "1WD", NY, "2027-03-26T09:00-04:00"),
    (AMS, "2027-11-08T10:00", "5WD", NY, "2027-11-01T09:00-04:00"),
    (AMS, "2028-10-30T10:00", "1WD", NY, "2028-10-27T09:00-04:00"),
    (AMS, "2028-11-06T10:00", "+1WD", NY, "2028-11-07T09:00-05:00"),
    (AMS, "2027-03-30T20:00", "1WD", TOKYO, "2027-03-30T09:00+09:00"),  # Wednesday 03:00 there
    # All-day items: at the start of the working day, 09:00 the recipient's time.
    (AMS, "2027-03-29", "P1D", AMS, "2027-03-28T09:00+02:00"),
    (AMS, "2027-11-01", "P1D", AMS, "2027-10-31T09:00+01:00"),
    (AMS, "2027-11-01", "P1D", NY, "2027-10-31T09:00-04:00"),
    (AMS, "2027-03-29", "P1D", TOKYO, "2027-03-28T09:00+09:00"),
    (AMS, "2028-11-06", "P7D", NY, "2028-10-30T09:00-04:00"),
    (AMS, "2028-10-30", "1WD", AMS, "2028-10-27T09:00+02:00"),
    (AMS, "2028-03-25", "+P1D", AMS, "2028-03-26T09:00+02:00"),
    (AMS, "2027-10-29/2027-11-01", "+P1D", AMS, "2027-11-02T09:00+01:00"),
    # … unless the offset says the time: hours count from midnight.
    (AMS, "2027-11-01", "PT2H", AMS, "2027-10-31T22:00+01:00"),
    (AMS, "2028-03-27", "P1DT2H", AMS, "2028-03-25T22:00+01:00"),
]


def _case_id(case: tuple[str, str, str, str, str]) -> str:
    item_zone, start, offset, zone, _ = case
    return f"{item_zone.split('/')[1]} {start} {offset} to {zone.split('/')[1]}"


@pytest.mark.parametrize(
    ("item_zone", "start", "offset", "recipient_zone", "expected"),
    TABLE,
    ids=[_case_id(case) for case in TABLE],
)
def test_a_reminder_comes_at_the_wall_clock_time_its_recipient_expects_in_their_own_zone(
    db: Database, item_zone: str, start: str, offset: str, recipient_zone: str, expected: str
) -> None:
    first, _, last = start.partition("/")
    import_data(db, PEOPLE, "people", ACTOR)
    with db.write() as session:
        item = ItemIn.model_validate(
            {"uid": "dst", "title": "Overleg", "kind": "meeting", "start": first,
             "end": last or None, "timezone": item_zone, "owner": RECIPIENT[recipient_zone],
             "reminders": [offset]}
        )  # fmt: skip
        agenda.save_item(session, item, ACTOR)
    planned_from = datetime(int(start[:4]), 1, 1, tzinfo=UTC)
    settings = reminders.ReminderSettings(defaults={}, horizon=timedelta(days=400))
    with db.write() as session:
        reminders.plan(session, settings, planned_from)
    with db.read() as session:
        (row,) = session.scalars(select(Delivery))
    local = row.due_at.astimezone(ZoneInfo(recipient_zone))
    assert (row.state, local.isoformat(timespec="minutes")) == (DeliveryState.PENDING, expected)
