"""Preparation chains: tasks from a template that follow their occurrence, remind their
owners through the outbox (a real SMTP server on loopback), and are called off once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller

from scheduler import agenda, chains, digest_mail
from scheduler.config import DEFAULT_CHAINS, ChainTemplate
from scheduler.db import Database
from scheduler.errors import NotFound, ValidationError
from scheduler.reminders import ReminderSettings
from scheduler.schemas import ItemIn
from tests.test_cli import cli
from tests.test_nudges import body, nudges
from tests.test_reminders import (
    ACTOR,
    OWNER,
    PARTICIPANT,
    PLANNED_AT,
    Inbox,
    agenda_db,
    dispatch_at,
    settings_for,
    smtp,
)

__all__ = ["agenda_db", "cli", "smtp"]  # fixtures used by name below

TEMPLATES = {slug: ChainTemplate.model_validate(t) for slug, t in DEFAULT_CHAINS.items()}
# A decision moment: Thursday 21 January 2027, 10:00–11:00 Amsterdam.
DECISION = {
    "uid": "d1", "title": "Besluit MRA-bestuur over de Zaancorridor", "kind": "decision",
    "start": "2027-01-21T10:00", "end": "2027-01-21T11:00", "owner": OWNER,
    "participants": [PARTICIPANT], "goal": "Zaancorridor in het MIRT",
}  # fmt: skip
# Its lobbyvenster: T−21d, T−10d, T−2d (the participant's), T+2d.
DUE = [date(2026, 12, 31), date(2027, 1, 11), date(2027, 1, 19), date(2027, 1, 23)]


def save(db: Database, **fields: Any) -> None:
    with time_machine.travel(PLANNED_AT, tick=False), db.write() as session:
        agenda.save_item(session, ItemIn.model_validate(DECISION | fields), ACTOR)


def attach(db: Database, uid: str = "d1", template: str = "lobbyvenster", **options: Any) -> int:
    with time_machine.travel(PLANNED_AT, tick=False), db.write() as session:
        item = agenda.find_item(session, uid)
        chain = chains.attach(
            session, item, template, TEMPLATES, actor=ACTOR, now=PLANNED_AT, **options
        )
        return chain.id


def described(db: Database, chain_id: int) -> dict[str, Any]:
    with db.read() as session:
        return chains.describe(chains.find_chain(session, chain_id))


def due_dates(db: Database, chain_id: int) -> list[date | None]:
    return [
        date.fromisoformat(t["due_on"]) if t["due_on"] else None
        for t in described(db, chain_id)["tasks"]
    ]


def tick_off(db: Database, chain_id: int, *positions: int) -> None:
    with db.write() as session:
        for task in chains.find_chain(session, chain_id).tasks:
            if task.position in positions:
                chains.set_task(session, task, actor=ACTOR, now=PLANNED_AT, done=True)


def steps_only(controller: Controller) -> ReminderSettings:
    """Settings without occurrence reminders or outcome nudges: every mail is the chain's."""
    return settings_for(controller, defaults={}, outcome_after=None)


@pytest.fixture
def decision_db(agenda_db: Database) -> Database:
    save(agenda_db)
    return agenda_db


def test_attaching_a_template_makes_its_tasks_with_owners_and_due_dates(
    decision_db: Database,
) -> None:
    chain_id = attach(decision_db)
    chain = described(decision_db, chain_id)
    assert chain["name"] == "Lobbyvenster" and chain["owner"] == OWNER
    assert [t["title"] for t in chain["tasks"]] == [
        "Positiepaper gereed", "Bilateraal overleg met de stakeholder",
        "Kernboodschap afgestemd", "Debriefing en uitkomst vastgelegd",
    ]  # fmt: skip
    assert [t["owner"] for t in chain["tasks"]] == [OWNER, OWNER, PARTICIPANT, OWNER]
    assert due_dates(decision_db, chain_id) == DUE
    assert (chain["done"], chain["total"], chain["cancelled"]) == (0, 4, False)


def test_a_named_owner_takes_the_owner_steps(decision_db: Database) -> None:
    chain_id = attach(decision_db, owner=PARTICIPANT)
    assert [t["owner"] for t in described(decision_db, chain_id)["tasks"]] == [PARTICIPANT] * 4


@pytest.mark.parametrize(
    ("options", "message", "field"),
    [
        ({"template": "nope"}, "no chain template 'nope' (known: consultatie, lobbyvenster)", "template"),
        ({"occurrence": "2027-01-28T10:00"}, "has no occurrence that started at", "occurrence"),
        ({"occurrence": "28 januari"}, "is not a date", "occurrence"),
    ],
)  # fmt: skip
def test_bad_attachments_are_refused_with_the_field_named(
    decision_db: Database, options: dict[str, Any], message: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        attach(decision_db, **options)
    assert message in caught.value.message and caught.value.field == field
    with decision_db.read() as session:
        assert chains.chains_of(session, [agenda.find_item(session, "d1")]) == []


def test_the_same_template_twice_an_item_without_owner_and_a_past_item_are_refused(
    decision_db: Database,
) -> None:
    attach(decision_db)
    with pytest.raises(ValidationError, match="already has the chain 'lobbyvenster'"):
        attach(decision_db)
    save(decision_db, uid="d2", owner=None, participants=[])
    with pytest.raises(ValidationError, match=r"d2 has no owner: name the chain's owner"):
        attach(decision_db, uid="d2")
    save(decision_db, uid="d3", start="2026-11-02T10:00", end="2026-11-02T11:00")
    with pytest.raises(ValidationError, match="d3 has no occurrence ahead"):
        attach(decision_db, uid="d3")
    with decision_db.read() as session, pytest.raises(NotFound):
        chains.find_chain(session, 999)


def test_each_step_reminds_its_owner_before_its_due_date_exactly_once(
    decision_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = steps_only(controller)
    attach(decision_db)
    dispatch_at(decision_db, settings, PLANNED_AT)
    # 2WD before Thursday 31 December: Tuesday 29 December 09:00 CET (Christmas is no gap here).
    first_due = datetime(2026, 12, 29, 8, 0, tzinfo=UTC)
    assert nudges(decision_db, "preparation")[0] == (OWNER, "pending", first_due, "")
    assert dispatch_at(decision_db, settings, first_due - timedelta(seconds=5)) == 0
    assert dispatch_at(decision_db, settings, first_due + timedelta(seconds=5)) == 1
    assert dispatch_at(decision_db, settings, first_due + timedelta(hours=1)) == 0
    [message] = inbox.messages
    assert str(message["To"]) == "Olga Eigenaar <o@example.nl>"
    assert str(message["Subject"]) == "Voorbereiding: Positiepaper gereed – uiterlijk do 31 dec"
    text = body(message)
    assert "Uiterlijk: donderdag 31 december 2026" in text
    assert "Voorbereiding: Lobbyvenster – 0 van 4 stappen gedaan" in text
    assert (
        "Voor: Besluit MRA-bestuur over de Zaancorridor (donderdag 21 januari 2027 om 10:00)"
        in text
    )
    assert "https://lobby.example/items/d1" in text


def test_a_step_ticked_off_in_time_is_not_reminded(
    decision_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = steps_only(controller)
    chain_id = attach(decision_db)
    dispatch_at(decision_db, settings, PLANNED_AT)
    tick_off(decision_db, chain_id, 1)
    dispatch_at(decision_db, settings, datetime(2026, 12, 29, 9, 0, tzinfo=UTC))
    assert inbox.messages == []
    [(_, state, _, reason)] = [n for n in nudges(decision_db, "preparation") if n[1] != "pending"]
    assert state == "cancelled" and "was done" in reason
    assert described(decision_db, chain_id)["done"] == 1


def test_when_the_decision_moves_the_chain_and_its_reminders_move_with_it(
    decision_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = steps_only(controller)
    chain_id = attach(decision_db)
    dispatch_at(decision_db, settings, PLANNED_AT)
    save(decision_db, start="2027-01-28T10:00", end="2027-01-28T11:00")  # a week later
    assert due_dates(decision_db, chain_id) == [d + timedelta(days=7) for d in DUE]
    old_due = datetime(2026, 12, 29, 8, 0, tzinfo=UTC)
    assert dispatch_at(decision_db, settings, old_due + timedelta(seconds=5)) == 0
    assert inbox.messages == []  # never at the old time
    # 2WD before Thursday 7 January: Tuesday 5 January 09:00 CET.
    new_due = datetime(2027, 1, 5, 8, 0, tzinfo=UTC)
    assert dispatch_at(decision_db, settings, new_due + timedelta(seconds=5)) == 1
    assert "uiterlijk do 7 jan" in str(inbox.messages[0]["Subject"])


def test_a_cancelled_decision_calls_the_chain_off_and_tells_its_owners_once(
    decision_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = steps_only(controller)
    chain_id = attach(decision_db)
    dispatch_at(decision_db, settings, PLANNED_AT)
    with decision_db.write() as session:
        agenda.cancel(session, "d1", ACTOR)
    moment = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    for minutes in (0, 1, 30, 24 * 60):
        dispatch_at(decision_db, settings, moment + timedelta(minutes=minutes))
    assert described(decision_db, chain_id)["cancelled"] is True
    assert due_dates(decision_db, chain_id) == [None] * 4
    assert {n[1] for n in nudges(decision_db, "preparation")} == {"cancelled"}
    assert sorted(str(m["To"]) for m in inbox.messages) == [
        "Olga Eigenaar <o@example.nl>",
        "Piet Deelnemer <p@example.nl>",
    ]
    message = inbox.messages[0]
    assert str(message["Subject"]) == (
        "Voorbereiding vervalt: Besluit MRA-bestuur over de Zaancorridor – do 21 jan 10:00"
    )
    assert "De voorbereiding ervoor vervalt" in body(message)


def test_owners_whose_steps_are_done_are_not_told_and_a_decision_on_again_revives_the_chain(
    decision_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = steps_only(controller)
    chain_id = attach(decision_db)
    tick_off(decision_db, chain_id, 3)  # Piet's step
    with decision_db.write() as session:
        agenda.cancel(session, "d1", ACTOR)
    dispatch_at(decision_db, settings, PLANNED_AT)
    assert [str(m["To"]) for m in inbox.messages] == ["Olga Eigenaar <o@example.nl>"]
    save(decision_db, status="planned")
    dispatch_at(decision_db, settings, PLANNED_AT + timedelta(minutes=1))
    assert described(decision_db, chain_id)["cancelled"] is False
    assert due_dates(decision_db, chain_id) == DUE


RECURRING = {"rrule": "FREQ=WEEKLY;BYDAY=TH;COUNT=4"}  # 21 and 28 Jan, 4 and 11 Feb 2027


def test_a_chain_on_one_occurrence_of_a_series_follows_that_occurrence_only(
    decision_db: Database, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, controller = smtp
    settings = steps_only(controller)
    save(decision_db, **RECURRING)
    chain_id = attach(decision_db, occurrence="2027-02-04T10:00")
    assert due_dates(decision_db, chain_id)[0] == date(2027, 1, 14)
    with decision_db.write() as session:
        agenda.move(session, "d1", ACTOR, "2027-02-04T10:00", "2027-02-05T14:00", None)
    assert due_dates(decision_db, chain_id)[0] == date(2027, 1, 15)
    with decision_db.write() as session:
        agenda.cancel(session, "d1", ACTOR, occurrence="2027-01-28T10:00")  # another one
    dispatch_at(decision_db, settings, PLANNED_AT)
    assert described(decision_db, chain_id)["cancelled"] is False
    with decision_db.write() as session:
        agenda.cancel(session, "d1", ACTOR, occurrence="2027-02-04T10:00")
    dispatch_at(decision_db, settings, PLANNED_AT + timedelta(minutes=1))
    assert described(decision_db, chain_id)["cancelled"] is True
    assert len(inbox.messages) == 2  # owner and participant, once


def test_working_day_steps_skip_koningsdag_and_a_recess(decision_db: Database) -> None:
    # A deadline on Friday 30 April 2027; 5 working days before skips Koningsdag (Tuesday 27
    # April): Thursday 22 April. With a recess over 19–23 April it moves to Tuesday 13 April.
    save(decision_db, uid="c1", kind="deadline", start="2027-04-30", end=None)
    chain_id = attach(decision_db, uid="c1", template="consultatie")
    assert due_dates(decision_db, chain_id) == [
        date(2027, 4, 15), date(2027, 4, 22), date(2027, 4, 29)
    ]  # fmt: skip
    recess = frozenset(date(2027, 4, 19) + timedelta(days=n) for n in range(5))
    with decision_db.read() as session:
        found = chains.steps(chains.find_chain(session, chain_id), recess)
    assert [s.due_on for s in found] == [date(2027, 4, 8), date(2027, 4, 15), date(2027, 4, 29)]


def test_a_step_owner_who_may_not_see_a_confidential_item_is_replaced_by_the_chain_owner(
    decision_db: Database,
) -> None:
    save(decision_db, confidentiality="confidential", participants=[])
    templates = {
        "extern": ChainTemplate.model_validate(
            {"name": "Extern", "steps": [{"when": "P7D", "task": "Nota", "owner": "e@example.nl"}]}
        )
    }
    with time_machine.travel(PLANNED_AT, tick=False), decision_db.write() as session:
        item = agenda.find_item(session, "d1")
        chain = chains.attach(session, item, "extern", templates, actor=ACTOR, now=PLANNED_AT)
        [task] = chain.tasks
        assert task.owner is not None and task.owner.email == "e@example.nl"
        assignee = chains.assignee(task)
        assert assignee is not None and assignee.email == OWNER


def test_a_template_naming_an_unknown_person_is_refused_at_attach(decision_db: Database) -> None:
    templates = {
        "x": ChainTemplate.model_validate(
            {"name": "X", "steps": [{"when": "P7D", "task": "Nota", "owner": "nobody@example.nl"}]}
        )
    }
    with (
        decision_db.write() as session,
        pytest.raises(ValidationError, match=r"nobody@example\.nl"),
    ):
        chains.attach(
            session, agenda.find_item(session, "d1"), "x", templates, actor=ACTOR, now=PLANNED_AT
        )


def test_due_dates_are_days_in_the_items_zone_across_the_dst_change(
    decision_db: Database,
) -> None:
    # Monday 29 March 2027 09:00 CEST, the day after the change: P2D is Saturday 27 March
    # (still CET), the same wall-clock day whatever the offset.
    save(decision_db, start="2027-03-29T09:00", end="2027-03-29T10:00")
    chain_id = attach(decision_db)
    assert due_dates(decision_db, chain_id) == [
        date(2027, 3, 8), date(2027, 3, 19), date(2027, 3, 27), date(2027, 3, 31)
    ]  # fmt: skip


# ---------------------------------------------------------------- the command line


def test_the_chain_commands_attach_list_tick_off_assign_and_detach(cli) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(PLANNED_AT, tick=False):
        assert cli("people", "add", OWNER, "--name", "Olga", "--role", "lobbyist").code == 0
        assert cli("people", "add", PARTICIPANT, "--name", "Piet").code == 0
        cli("items", "add", "--uid", "d1", "--title", "Besluit MRA", "--kind", "decision",
            "--start", "2027-01-21T10:00", "--owner", OWNER)  # fmt: skip
        attached = cli("chains", "attach", "d1", "lobbyvenster", "--json")
        assert attached.code == 0, attached.err
        [chain] = json.loads(attached.out)
        assert [t["due_on"] for t in chain["tasks"]] == [d.isoformat() for d in DUE]
        first, second = chain["tasks"][0]["id"], chain["tasks"][1]["id"]
        assert cli("chains", "done", str(first)).out.strip() == f"done: {first} Positiepaper gereed"
        assigned = cli("chains", "assign", str(second), PARTICIPANT)
        assert assigned.code == 0, assigned.err
        [listed] = json.loads(cli("chains", "list", "--json").out)
        assert (listed["done"], listed["tasks"][1]["owner"]) == (1, PARTICIPANT)
        table = cli("chains", "list", "--item", "d1").out
        assert "1 of 4 done" in table and "Kernboodschap afgestemd" in table
        audit = json.loads(cli("audit", "--item", "d1", "--json").out)
        assert {"chain", "chain_step", "chain_step_owner"} <= {row["field"] for row in audit}
        assert "lobbyvenster" in cli("chains", "templates").out
        assert cli("chains", "detach", str(chain["id"])).out.strip() == (
            f"detached: chain {chain['id']} from d1"
        )
        assert json.loads(cli("chains", "list", "--item", "d1", "--json").out) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("chains", "attach", "d1", "nope"), "error: no chain template 'nope'"),
        (("chains", "attach", "zz", "lobbyvenster"), "error: no agenda item with uid 'zz'"),
        (("chains", "attach", "d1", "lobbyvenster", "--owner", "x@y.nl"), "error: unknown person 'x@y.nl'"),
        (("chains", "done", "999"), "error: no preparation task with id 999"),
        (("chains", "assign", "999", OWNER), "error: no preparation task with id 999"),
        (("chains", "detach", "999"), "error: no preparation chain with id 999"),
    ],
)  # fmt: skip
def test_bad_chain_commands_say_what_is_wrong_in_one_line(
    cli, args: tuple[str, ...], message: str
) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(PLANNED_AT, tick=False):
        cli("people", "add", OWNER, "--name", "Olga", "--role", "lobbyist")
        cli("items", "add", "--uid", "d1", "--title", "Besluit", "--kind", "decision",
            "--start", "2027-01-21T10:00", "--owner", OWNER)  # fmt: skip
        result = cli(*args)
    assert result.code == 2 and result.err.startswith(message), result.err
    assert len(result.err.strip().splitlines()) == 1
    assert json.loads(cli("chains", "list", "--json").out) == []


# ---------------------------------------------------------------- the digest


def digest_text(db: Database, email: str, now: datetime) -> str:
    settings = settings_for_digest()
    with db.read() as session:
        message = digest_mail.preview(session, settings, email, now)
    return body(message)


def settings_for_digest() -> ReminderSettings:
    return ReminderSettings(defaults={}, base_url="https://lobby.example", domain="lobby.example")


def test_the_digest_shows_where_each_chain_stands_and_whats_next(decision_db: Database) -> None:
    chain_id = attach(decision_db)
    tick_off(decision_db, chain_id, 1)
    text = digest_text(decision_db, OWNER, datetime(2026, 12, 30, 7, 0, tzinfo=UTC))
    assert (
        "do 21 jan 10:00: Besluit MRA-bestuur over de Zaancorridor – Lobbyvenster: 1 van 4 "
        "stappen gedaan; volgende stap: Bilateraal overleg met de stakeholder, uiterlijk "
        "ma 11 jan (Olga Eigenaar)" in text
    )
    # Within the digest's two weeks the item itself carries the chain's progress, and the
    # steps past their date are counted.
    text = digest_text(decision_db, OWNER, datetime(2027, 1, 12, 7, 0, tzinfo=UTC))
    assert "Voorbereiding: Lobbyvenster: 1 van 4 stappen gedaan" in text
    assert "1 over de datum" in text


def test_a_confidential_items_chain_is_absent_from_an_outsiders_digest(
    decision_db: Database,
) -> None:
    save(decision_db, confidentiality="confidential")
    attach(decision_db)
    moment = datetime(2027, 1, 12, 7, 0, tzinfo=UTC)
    assert "Lobbyvenster" in digest_text(decision_db, OWNER, moment)
    outsider = digest_text(decision_db, "e@example.nl", moment)
    assert "Lobbyvenster" not in outsider and "Zaancorridor" not in outsider


def test_a_chain_owner_who_may_not_see_a_confidential_item_is_refused_and_one_who_left_is_replaced(
    decision_db: Database,
) -> None:
    save(decision_db, confidentiality="confidential")
    with pytest.raises(
        ValidationError, match=r"e@example\.nl may not see the confidential d1"
    ) as caught:
        attach(decision_db, owner="e@example.nl")
    assert caught.value.field == "owner"
    chain_id = attach(decision_db, owner=PARTICIPANT)  # Piet takes part: he may
    save(decision_db, confidentiality="confidential", participants=[])  # and then leaves it
    with decision_db.read() as session:
        for task in chains.find_chain(session, chain_id).tasks:
            person = chains.assignee(task)
            assert person is not None and person.email == OWNER
