"""Contact persons: saved and recorded, met at items, last and next contact, the dossiers they
matter for, leaving, and erasure (AVG) that leaves no trace of their data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
import yaml
from sqlalchemy import inspect, select, text

from scheduler import agenda, contacts, retention
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import Conflict, ImportRejected, NotFound
from scheduler.interchange import export_yaml, import_data, import_file
from scheduler.models import ContactChange, ItemChange, Person
from scheduler.schemas import ItemIn
from tests.test_cli import cli

__all__ = ["cli"]  # a fixture, used by name below

ACTOR = agenda.Actor("test", "test")
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
LEAD = "j.jansen@example.nl"
PEOPLE = [
    {"email": LEAD, "name": "Joost Jansen", "roles": ["lobbyist"]},
    {"email": "p.pieters@example.nl", "name": "Petra Pieters", "roles": ["lobbyist"]},
    {"email": "s.smit@example.nl", "name": "Sanne Smit", "roles": ["staff"]},
    {"email": "m.mulder@example.nl", "name": "Mark Mulder", "roles": ["manager"]},
    {"email": "a.admin@example.nl", "name": "Anna Admin", "roles": ["admin"]},
]
JAN = {
    "slug": "jan-de-vries", "name": "Jan de Vries", "stakeholder": "provincie-nh",
    "function": "gedeputeerde mobiliteit", "themes": ["mobiliteit"],
    "email": "J.deVries@noord-holland.nl", "phone": "+31 23 514 3143", "owner": LEAD,
    "notes": "Liefst een ochtendafspraak",
}  # fmt: skip
CATALOG: dict[str, list[dict[str, Any]]] = {
    "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}, {"slug": "wonen", "name": "Wonen"}],
    "stakeholders": [
        {"slug": "provincie-nh", "name": "Provincie Noord-Holland", "kind": "provincie"},
        {"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"},
    ],
    "people": PEOPLE,
    "dossiers": [
        {"slug": "n9", "title": "Verbreding N9", "targets": ["provincie-nh:P6W"]},
        {"slug": "woondeal", "title": "Woondeal", "targets": ["mra"]},
        {"slug": "cultuur", "title": "Cultuurregio"},
    ],
    "contacts": [
        JAN,
        {"slug": "els-bakker", "name": "Els Bakker", "stakeholder": "mra",
         "function": "regio-secretaris"},
    ],
}  # fmt: skip


@pytest.fixture
def contact_db(db: Database) -> Database:
    with time_machine.travel(NOW, tick=False):
        import_data(db, CATALOG, "contact data", ACTOR)
    return db


def add_item(db: Database, uid: str, start: str, **fields: Any) -> None:
    spec = {"uid": uid, "title": f"Overleg {uid}", "kind": "meeting", "start": start,
            "owner": LEAD, "contacts": ["jan-de-vries"]} | fields  # fmt: skip
    with time_machine.travel(NOW, tick=False), db.write() as session:
        agenda.save_item(session, ItemIn.model_validate(spec), ACTOR)


def test_a_contact_person_is_saved_with_organisation_portfolio_and_owner(
    contact_db: Database,
) -> None:
    with contact_db.read() as session:
        jan = contacts.find(session, "jan-de-vries")
        described = contacts.describe(jan)
        created = contacts.history(session, jan.id)
        mra = [c.slug for c in contacts.listing(session, "mra")]
    assert described == JAN | {"email": "j.devries@noord-holland.nl", "left_on": None}
    assert jan.active and jan.owner is not None and jan.owner.name == "Joost Jansen"
    assert [(c.field, c.changed_by) for c in created] == [("created", "test")]
    assert mra == ["els-bakker"]


def test_a_change_records_each_field_with_its_value_before_and_after(
    contact_db: Database,
) -> None:
    later = NOW + timedelta(days=1)
    with time_machine.travel(later, tick=False), contact_db.write() as session:
        outcome = contacts.edit(
            session, "jan-de-vries", {"function": "gedeputeerde", "themes": ["wonen"]}, ACTOR,
            later,
        )  # fmt: skip
        again = contacts.edit(session, "jan-de-vries", {"function": "gedeputeerde"}, ACTOR, later)
        changes = contacts.history(session, contacts.find(session, "jan-de-vries").id)
    assert (outcome, again) == ("updated", "unchanged")
    assert [(c.field, c.old_value, c.new_value) for c in changes[1:]] == [
        ("function", '"gedeputeerde mobiliteit"', '"gedeputeerde"'),
        ("themes", '["mobiliteit"]', '["wonen"]'),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stakeholder": "onbekend"}, "contacts[0].stakeholder: unknown stakeholder 'onbekend'"),
        ({"phone": "bel maar"}, "contacts[0].phone: 'bel maar' is not a telephone number"),
        ({"email": "jan@"}, "contacts[0].email: 'jan@' is not a valid email address"),
        ({"owner": "niemand@example.nl"}, "contacts[0].owner: unknown person"),
        ({"themes": ["geen"]}, "contacts[0].themes: unknown theme 'geen'"),
        ({"name": ""}, "contacts[0].name"),
        ({"slug": "Jan de Vries"}, "contacts[0].slug: 'Jan de Vries' is not a slug"),
        ({"left_on": "gisteren"}, "contacts[0].left_on"),
    ],
)
def test_a_bad_contact_person_is_refused_naming_the_field_and_nothing_changes(
    db: Database, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    path = tmp_path / "bad.yaml"
    data = CATALOG | {"contacts": [JAN | change]}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    with pytest.raises(ImportRejected) as caught:
        import_file(db, path, ACTOR)
    assert message in str(caught.value) and "bad.yaml:" in str(caught.value)
    with db.read() as session:
        assert contacts.listing(session) == []


def test_contact_persons_and_the_items_they_met_at_round_trip_through_export_and_import(
    contact_db: Database, tmp_path: Path
) -> None:
    add_item(contact_db, "gs-overleg", "2026-11-20T10:00")
    with contact_db.read() as session:
        exported = export_yaml(session)
    data = yaml.safe_load(exported)
    assert data["contacts"][1]["slug"] == "jan-de-vries"
    assert data["items"][0]["contacts"] == ["jan-de-vries"]
    path = tmp_path / "export.yaml"
    path.write_text(exported)
    report = import_file(contact_db, path, ACTOR)
    assert report.counts["contacts"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert report.counts["items"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_an_item_lists_the_contact_persons_met_and_its_history_records_them(
    contact_db: Database,
) -> None:
    add_item(contact_db, "gs-overleg", "2026-11-20T10:00", contacts=[])
    with contact_db.write() as session:
        item = agenda.find_item(session, "gs-overleg")
        contacts.meet(session, item, ["jan-de-vries", "els-bakker"], ACTOR)
        contacts.meet(session, item, ["els-bakker"], ACTOR, remove=True)
    with contact_db.read() as session:
        item = agenda.find_item(session, "gs-overleg")
        assert agenda.describe_item(item)["contacts"] == ["jan-de-vries"]
        changes = [(c.field, c.new_value) for c in agenda.history(session, "gs-overleg")]
    assert changes[1:] == [
        ("contacts", '["els-bakker", "jan-de-vries"]'), ("contacts", '["jan-de-vries"]')
    ]  # fmt: skip
    with contact_db.write() as session, pytest.raises(NotFound) as caught:
        contacts.meet(session, agenda.find_item(session, "gs-overleg"), ["niemand"], ACTOR)
    assert caught.value.field == "contacts"


def test_last_and_next_contact_and_the_dossiers_a_person_matters_for(
    contact_db: Database,
) -> None:
    add_item(contact_db, "eerder", "2026-10-01T10:00")
    add_item(contact_db, "laatst", "2026-11-20T10:00", dossiers=["cultuur"])
    add_item(contact_db, "idee", "2026-11-27T10:00", status="idea")  # not held
    add_item(contact_db, "straks", "2026-12-15T10:00")
    add_item(contact_db, "later", "2027-01-15T10:00")
    with contact_db.read() as session:
        jan = contacts.find(session, "jan-de-vries")
        items = contacts.items_of(session, jan, None)
        found = contacts.last_and_next(items, NOW)
        matter = [d.slug for d in contacts.dossiers_for(session, jan, items)]
    assert [i.uid for i in items] == ["eerder", "laatst", "idee", "straks", "later"]
    assert found.last is not None and found.last.item.uid == "laatst"
    assert found.next is not None and found.next.item.uid == "straks"
    # N9 targets the province; the cultural region dossier is that of an item they met at.
    assert matter == ["cultuur", "n9"]


def test_a_confidential_meeting_is_neither_listed_nor_counted_for_who_may_not_see_it(
    contact_db: Database,
) -> None:
    add_item(contact_db, "open", "2026-11-20T10:00", confidentiality="internal")
    add_item(
        contact_db, "geheim", "2026-12-10T10:00", confidentiality="confidential",
        participants=["p.pieters@example.nl"], dossiers=["cultuur"],
    )  # fmt: skip
    seen: dict[str, tuple[list[str], str | None, list[str]]] = {}
    with contact_db.read() as session:
        jan = contacts.find(session, "jan-de-vries")
        for person in session.scalars(select(Person)):
            items = contacts.items_of(session, jan, person)
            nxt = contacts.last_and_next(items, NOW).next
            matter = [d.slug for d in contacts.dossiers_for(session, jan, items)]
            seen[person.email] = (
                [i.uid for i in items], nxt.item.uid if nxt else None, matter
            )  # fmt: skip
    insiders = {LEAD, "p.pieters@example.nl"}
    for email, (uids, nxt, matter) in seen.items():
        if email in insiders:
            assert (uids, nxt, matter) == (["open", "geheim"], "geheim", ["cultuur", "n9"])
        else:  # the admin included: knowing a confidential item exists is not knowing with whom
            assert (uids, nxt, matter) == (["open"], None, ["n9"]), email


def test_a_person_who_moves_on_keeps_their_history(contact_db: Database) -> None:
    add_item(contact_db, "laatst", "2026-11-20T10:00")
    with contact_db.write() as session:
        contacts.leave(session, "jan-de-vries", date(2026, 12, 1), ACTOR, NOW)
    with contact_db.write() as session, pytest.raises(Conflict):
        contacts.leave(session, "jan-de-vries", date(2026, 12, 2), ACTOR, NOW)
    with contact_db.read() as session:
        jan = contacts.find(session, "jan-de-vries")
        assert not jan.active and jan.left_on == date(2026, 12, 1)
        assert [i.uid for i in contacts.items_of(session, jan, None)] == ["laatst"]
        assert [c.slug for c in contacts.listing(session, with_left=False)] == ["els-bakker"]


def every_value(db: Database) -> str:
    """Every value of every row of every table, as one text to search."""
    with db.engine.connect() as connection:
        tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
        rows = [
            str(tuple(row))
            for table in tables
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        ]
    return "\n".join(rows).lower()


TRACES = ("jan-de-vries", "de vries", "devries", "514 3143", "ochtendafspraak", "gedeputeerde")


def test_erasing_a_contact_person_leaves_no_trace_of_their_data_and_records_the_erasure(
    contact_db: Database,
) -> None:
    add_item(contact_db, "gs-overleg", "2026-11-20T10:00")
    add_item(contact_db, "weg", "2026-11-21T10:00", contacts=["jan-de-vries", "els-bakker"])
    with contact_db.write() as session:
        contacts.edit(session, "jan-de-vries", {"function": "gedeputeerde wonen"}, ACTOR, NOW)
        agenda.delete(session, "weg", ACTOR)  # its history keeps the whole item as it was
    assert all(trace in every_value(contact_db) for trace in TRACES)
    with time_machine.travel(NOW, tick=False), contact_db.write() as session:
        erased_id = contacts.erase(session, "jan-de-vries", agenda.Actor(LEAD, "cli"), NOW)
    left = every_value(contact_db)
    assert [trace for trace in TRACES if trace in left] == []
    with contact_db.read() as session:
        with pytest.raises(NotFound):
            contacts.find(session, "jan-de-vries")
        item = agenda.find_item(session, "gs-overleg")
        assert (agenda.describe_item(item)["contacts"], item.revision) == ([], 2)
        record = contacts.history(session, erased_id)
        last = session.scalar(select(ItemChange).order_by(ItemChange.id.desc()).limit(1))
        # Another contact person and the other lists of the history are left alone.
        deleted = [c for c in agenda.history(session, "weg") if c.field == "deleted"]
        assert contacts.find(session, "els-bakker").name == "Els Bakker"
    assert [(c.field, c.old_value, c.new_value) for c in record] == [
        ("created", None, None), ("function", None, None), ("erased", None, None)
    ]  # fmt: skip
    assert (record[-1].changed_by, record[-1].changed_at) == (LEAD, NOW)
    assert last is not None and (last.field, last.old_value, last.new_value) == (
        "contacts", '["(erased)"]', "[]"
    )  # fmt: skip
    assert '"contacts": ["els-bakker", "(erased)"]' in (deleted[0].old_value or "")


def test_contact_persons_who_left_longer_ago_than_the_retention_are_erased(
    contact_db: Database,
) -> None:
    with contact_db.write() as session:
        contacts.leave(session, "jan-de-vries", date(2026, 6, 1), ACTOR, NOW)
        contacts.leave(session, "els-bakker", date(2026, 11, 1), ACTOR, NOW)
    with contact_db.write() as session:
        erased = contacts.erase_left(session, timedelta(days=90), date(2026, 12, 4), ACTOR, NOW)
    with contact_db.read() as session:
        assert erased == 1
        assert [c.slug for c in contacts.listing(session)] == ["els-bakker"]
        assert (
            session.scalar(select(ContactChange.changed_by).where(ContactChange.field == "erased"))
            == "test"
        )


# ---------------------------------------------------------------- the command line


def test_contact_persons_from_the_command_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yaml.safe_dump({k: v for k, v in CATALOG.items() if k != "contacts"}))
    assert cli("import", str(catalog)).code == 0
    added = cli("contacts", "add", "jan-de-vries", "--name", "Jan de Vries", "--stakeholder",
                "provincie-nh", "--theme", "mobiliteit", "--owner", LEAD, "--json")  # fmt: skip
    assert added.code == 0, added.err
    made = json.loads(added.out)
    assert (made["slug"], made["themes"], made["outcome"]) == (
        "jan-de-vries", ["mobiliteit"], "created"
    )  # fmt: skip
    again = cli("contacts", "add", "jan-de-vries", "--name", "Jan", "--stakeholder", "mra")
    assert (again.code, again.err.strip()) == (
        2, "error: contact person 'jan-de-vries' exists; change it with `contacts edit`"
    )  # fmt: skip
    bad = cli("contacts", "edit", "jan-de-vries", "--phone", "bel maar")
    assert bad.code == 2 and bad.err.startswith("error: phone: 'bel maar' is not a telephone")
    assert cli("contacts", "edit", "jan-de-vries", "--function", "gedeputeerde").code == 0
    item = cli("items", "add", "--uid", "gs", "--title", "Overleg GS", "--kind", "meeting",
               "--start", "2026-11-20T10:00")  # fmt: skip
    assert item.code == 0, item.err
    assert (
        cli("contacts", "met", "gs", "jan-de-vries").out.strip() == "gs: jan-de-vries (revision 2)"
    )
    assert cli("contacts", "met", "gs", "niemand").err.strip() == (
        "error: unknown contact person 'niemand'"
    )
    with time_machine.travel(NOW, tick=False):
        shown = json.loads(cli("contacts", "show", "jan-de-vries", "--json").out)
    assert (shown["function"], shown["last"]["uid"], shown["next"]) == ("gedeputeerde", "gs", None)
    assert [i["uid"] for i in shown["items"]] == ["gs"] and shown["dossiers"] == ["n9"]
    assert "Jan de Vries" in cli("contacts", "show", "jan-de-vries").out
    assert cli("contacts", "leave", "jan-de-vries", "--on", "2026-12-01").code == 0
    assert json.loads(cli("contacts", "list", "--json").out) == []
    assert [r["slug"] for r in json.loads(cli("contacts", "list", "--all", "--json").out)] == [
        "jan-de-vries"
    ]
    refused = cli("contacts", "erase", "jan-de-vries")
    assert (refused.code, refused.err.strip()) == (
        2, "error: erasing jan-de-vries cannot be undone: add --yes"
    )  # fmt: skip
    erased = cli("contacts", "erase", "jan-de-vries", "--yes")
    assert erased.code == 0 and erased.out.startswith("erased contact person #")
    trail = json.loads(cli("contacts", "history", "--json").out)
    assert [(r["field"], r["before"], r["after"]) for r in trail] == [
        ("created", None, None), ("function", None, None), ("left_on", None, None),
        ("erased", None, None),
    ]  # fmt: skip
    assert "Jan" not in cli("contacts", "history").out
    assert "jan-de-vries" not in cli("audit", "--json").out


def test_the_nightly_prune_erases_who_left_longer_ago_than_the_setting_and_only_then(
    contact_db: Database,
) -> None:
    add_item(contact_db, "laatst", "2026-05-20T10:00", contacts=["jan-de-vries", "els-bakker"])
    with contact_db.write() as session:
        contacts.leave(session, "jan-de-vries", date(2026, 6, 1), ACTOR, NOW)
        contacts.leave(session, "els-bakker", date(2026, 11, 1), ACTOR, NOW)
    kept = retention.prune(contact_db, retention.settings_from(Settings()), NOW)
    assert kept.counts["contact_persons"] == 0
    configured = Settings(contact_person_retention_days=90)
    settings = retention.settings_from(configured)
    dry = retention.prune(contact_db, settings, NOW, dry_run=True)
    assert dry.counts["contact_persons"] == 1
    with contact_db.read() as session:
        assert len(contacts.listing(session)) == 2
    done = retention.prune(contact_db, settings, NOW, ran_by="host:1")
    assert done.counts["contact_persons"] == 1
    with contact_db.read() as session:
        assert [c.slug for c in contacts.listing(session)] == ["els-bakker"]
        erased = session.scalar(select(ContactChange).where(ContactChange.field == "erased"))
        assert erased is not None and (erased.changed_by, erased.channel) == ("host:1", "prune")
        item = agenda.find_item(session, "laatst")
        assert agenda.describe_item(item)["contacts"] == ["els-bakker"]
        assert retention.record(session).totals["contact_persons"] == 1
    assert "jan-de-vries" not in every_value(contact_db)
