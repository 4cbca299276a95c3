"""Planning in short transactions (issue 18, item 3): planners read, then write what they
found in short transactions of their own, the reminders a part of the agenda at a time, so that
on SQLite a web or API edit never waits for the whole agenda to be planned."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, update

from scheduler import agenda, delivery, outbox, reminders, tokens
from scheduler.clock import now_utc
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.mailer import SmtpSettings
from scheduler.models import AgendaItem, Delivery, DeliveryState, ItemKind, ItemStatus
from scheduler.schemas import ItemIn
from scheduler.web import create_app

ACTOR = agenda.Actor("test", "test")
OWNER, PARTICIPANT = "o@example.nl", "p@example.nl"
PEOPLE = {"people": [
    {"email": OWNER, "name": "Olga Eigenaar", "roles": ["lobbyist"]},
    {"email": PARTICIPANT, "name": "Piet Deelnemer", "roles": ["staff"]},
]}  # fmt: skip
SETTINGS = reminders.ReminderSettings(defaults={ItemKind.MEETING: ("P7D", "P1D")})
PLANNED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def add_item(db: Database, uid: str, start: str, **fields: Any) -> None:
    spec = {"uid": uid, "title": f"Overleg {uid}", "kind": "meeting", "start": start,
            "owner": OWNER, "participants": [PARTICIPANT]} | fields  # fmt: skip
    with db.write() as session:
        agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)


def copies(db: Database, uid: str, count: int) -> list[str]:
    """`count` copies of the item `uid` (uids `uid`-1 …; without its participants), written as
    rows at once: creating thousands through the agenda would take most of a test's time."""
    table = AgendaItem.__table__
    with db.write() as session:
        row = dict(session.execute(select(table).where(table.c.uid == uid)).mappings().one())
        del row["id"]
        uids = [f"{uid}-{n}" for n in range(1, count + 1)]
        session.execute(insert(table), [row | {"uid": u, "title": f"Overleg {u}"} for u in uids])
    return uids


def planned(db: Database) -> dict[str, Delivery]:
    with db.read() as session:
        return {row.key: row for row in session.scalars(select(Delivery))}


def plan_in_parts(db: Database, size: int) -> int:
    """Plan the reminders `size` items at a time, each part read and written in transactions
    of its own; returns how many parts it took."""
    parts, after = 0, 0
    while True:
        with db.read() as session:
            part, end = reminders.plan_part(session, SETTINGS, now_utc(), after, size)
        with db.write() as session:
            outbox.write(session, part)
        parts += 1
        if end is None:
            return parts
        after = end


def test_planning_in_parts_plans_what_one_pass_plans_and_each_part_is_whole_in_itself(
    db: Database,
) -> None:
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(db, PEOPLE, "people", ACTOR)
        for n in range(10):
            add_item(db, f"m{n}", f"2026-12-{10 + n:02d}T10:00")
        assert plan_in_parts(db, 3) == 4  # 3 + 3 + 3 + 1 items
        first = planned(db)
        assert len(first) == 10 * 2 * 2  # two offsets, two people
        with db.write() as session:
            agenda.delete(session, "m1", ACTOR)  # in the first part: its rows lose their item
            item = session.scalar(select(AgendaItem).where(AgendaItem.uid == "m8"))
            assert item is not None
            item.status = ItemStatus.CANCELLED  # in the last part
        add_item(db, "m5", "2026-12-16T10:00")  # moved a day later
        add_item(db, "m9", "2026-12-19T10:00", reminders=["P1D"])  # one offset fewer
        assert plan_in_parts(db, 3) == 4
    again = planned(db)
    assert set(again) == set(first)  # nothing planned twice, nothing new
    states = {key: row.state for key, row in again.items()}
    cancelled = {key for key, state in states.items() if state == DeliveryState.CANCELLED}
    assert cancelled == {
        key for key in first if ":m1:" in key or ":m8:" in key or (":m9:" in key and "P7D" in key)
    }
    assert {again[k].last_error for k in cancelled if ":m1:" in k} == {
        "no longer planned (rule, people or date changed)"
    }
    assert {again[k].last_error for k in cancelled if ":m8:" in k} == {
        "its occurrence was cancelled"
    }
    moved = {key: row.due_at - first[key].due_at for key, row in again.items() if ":m5:" in key}
    assert set(moved.values()) == {timedelta(days=1)}
    unchanged = [k for k in again if not any(f":m{n}:" in k for n in (1, 5, 8, 9))]
    assert all(again[k].due_at == first[k].due_at for k in unchanged) and len(unchanged) == 24


def test_a_shutting_down_process_stops_planning_between_two_parts(sqlite_db: Database) -> None:
    db = sqlite_db
    import_data(db, PEOPLE, "people", ACTOR)
    add_item(
        db, "m", (now_utc() + timedelta(days=10)).isoformat(timespec="minutes"), participants=[]
    )
    copies(db, "m", 249)
    stopping = threading.Event()
    stopping.set()
    delivery.plan(db, SETTINGS, now_utc(), stopping)
    assert len(planned(db)) == 100 * 2  # the first part only: 100 items, 2 reminders each
    delivery.plan(db, SETTINGS, now_utc())  # the next run plans the rest
    assert len(planned(db)) == 250 * 2


def test_a_new_row_naming_an_item_deleted_meanwhile_is_left_out_and_a_key_taken_is_kept(
    db: Database,
) -> None:
    import_data(db, PEOPLE, "people", ACTOR)
    add_item(db, "m", "2026-12-10T10:00")
    now = now_utc()
    with db.read() as session:
        item = session.scalar(select(AgendaItem.id).where(AgendaItem.uid == "m"))
    row = {"key": "k1", "kind": "reminder", "item_id": item, "recipient": OWNER,
           "due_at": now, "next_attempt_at": now}  # fmt: skip
    with db.write() as session:
        assert outbox.add_missing(session, [row, row | {"key": "k2", "item_id": 10**9}]) == 1
    with db.write() as session:
        assert outbox.add_missing(session, [row | {"recipient": "x@example.nl"}]) == 0
    assert {key: r.recipient for key, r in planned(db).items()} == {"k1": OWNER}


def test_a_planner_never_changes_a_row_changed_since_it_read_it(db: Database) -> None:
    now = now_utc()
    row = {"key": "k", "kind": "reminder", "recipient": OWNER, "due_at": now,
           "next_attempt_at": now}  # fmt: skip
    with db.write() as session:
        outbox.add_missing(session, [row, row | {"key": "j"}])
    with db.read() as session:  # the planner reads
        seen = {r.key: r for r in session.scalars(select(Delivery))}
    plan = outbox.Plan()
    plan.cancel(seen["k"], "gone", now)
    plan.change(seen["j"], {"due_at": now + timedelta(hours=1), "updated_at": now})
    with db.write() as session:  # meanwhile a worker claims one, another replica moves one
        session.execute(
            update(Delivery)
            .where(Delivery.key == "k")
            .values(state=DeliveryState.SENDING, claimed_by="w", updated_at=now_utc())
        )
        session.execute(
            update(Delivery)
            .where(Delivery.key == "j")
            .values(due_at=now + timedelta(hours=2), updated_at=now_utc())
        )
    with db.write() as session:
        assert outbox.write(session, plan) == 0
    rows = planned(db)
    assert rows["k"].state == DeliveryState.SENDING
    assert rows["j"].due_at == now + timedelta(hours=2)
    plan = outbox.Plan()
    plan.cancel(rows["j"], "gone", now)  # read afresh: now it holds
    with db.write() as session:
        assert outbox.write(session, plan) == 1
    assert planned(db)["j"].state == DeliveryState.CANCELLED


def test_a_reminder_whose_occurrence_is_called_off_after_planning_is_not_sent_before_replanning(
    db: Database, tmp_path: Path
) -> None:
    """The sending tick (every second) does not plan; the planning tick may come later than
    the reminder's due time."""
    mail = SmtpSettings(host="", mail_dir=str(tmp_path / "mail"))  # what is sent lands here
    settings = reminders.ReminderSettings(defaults={ItemKind.MEETING: ("P1D",)}, smtp=mail)
    with time_machine.travel(PLANNED_AT, tick=False):
        import_data(db, PEOPLE, "people", ACTOR)
        add_item(db, "m1", "2026-12-10T10:00")
        add_item(db, "s1", "2026-12-10T10:00", rrule="FREQ=DAILY;COUNT=3")
        delivery.dispatch(db, settings, "w")  # plans: each P1D reminder at 10:00 the day before
    with db.write() as session:
        agenda.cancel(session, "m1", ACTOR)
        agenda.cancel(session, "s1", ACTOR, occurrence="2026-12-10T10:00")
    for day in (9, 10):  # sending only, as the sending tick does
        with time_machine.travel(datetime(2026, 12, day, 9, 0, 5, tzinfo=UTC), tick=False):
            delivery.dispatch(db, settings, "w", planning=False)
    states = {
        (key.split(":")[1], key.split(":")[2][:8], row.state) for key, row in planned(db).items()
    }
    assert states == {
        ("m1", "single", DeliveryState.CANCELLED),
        ("s1", "20261210", DeliveryState.CANCELLED),  # the occurrence called off
        ("s1", "20261211", DeliveryState.SENT),
        ("s1", "20261212", DeliveryState.PENDING),
    }
    assert {r.last_error for r in planned(db).values() if r.state == DeliveryState.CANCELLED} == {
        "its occurrence was cancelled"
    }
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 2  # s1 on 11 December, to both


# ---------------------------------------------------------------- an edit during planning

ITEMS = 5000


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)  # waiting for the planning thread, not for the test clock
    return False


def count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Delivery)) or 0)


def test_an_api_edit_during_a_5000_item_planning_run_on_sqlite_lands_while_planning_goes_on(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """Planning in one transaction held SQLite's only write lock for the whole run: an edit
    waited for all of it, and failed with "database is locked" after the busy timeout."""
    db = sqlite_db
    import_data(db, PEOPLE, "people", ACTOR)
    start = (now_utc() + timedelta(days=3)).isoformat(timespec="minutes")
    add_item(db, "m", start, participants=[], reminders=["P1D"])  # one reminder each
    uids = ["m", *copies(db, "m", ITEMS - 1)]
    with db.write() as session:
        _, secret = tokens.create(session, OWNER, scope="api-write", today=now_utc().date())
    mail = SmtpSettings(host="", mail_dir=str(tmp_path / "mail"))  # nothing falls due
    settings = reminders.ReminderSettings(defaults={}, smtp=mail)
    planner = Database(db.url)
    failures: list[BaseException] = []

    def plan() -> None:
        try:
            delivery.dispatch(planner, settings, "planner")
        except BaseException as exc:  # reported by the test
            failures.append(exc)

    thread = threading.Thread(target=plan)
    app = create_app(Settings(database_url=db.url), run_jobs=False)
    with TestClient(app) as client:
        thread.start()
        try:
            assert wait_for(lambda: count(db) > 0 or not thread.is_alive(), timeout=300)
            answer = client.post(
                "/api/v1/items",
                json={"title": "Werkbezoek", "kind": "meeting", "start": start, "owner": OWNER},
                headers={"authorization": f"Bearer {secret}"},
            )
            planned_by_then = count(db)
        finally:
            thread.join(timeout=300)
            planner.dispose()
    assert answer.status_code == 201, answer.text
    assert not failures and not thread.is_alive(), failures
    keys = set(planned(db))
    assert {f"reminder:{uid}:single:P1D:{OWNER}" for uid in uids} <= keys
    # The edit landed between two of the run's transactions: some parts were committed before
    # it, and others after it.
    assert 0 < planned_by_then < len(keys), (planned_by_then, len(keys))
