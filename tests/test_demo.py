"""The demo data: the vision's themes and partners, and a realistic ten-week agenda."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from scheduler import agenda, catalog, chains, clock, demo, dossiers, open_agenda
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.interchange import import_file
from scheduler.models import Confidentiality, ItemStatus, Level

TODAY = date(2026, 11, 28)
ACTOR = agenda.Actor("test", "test")


def test_the_demo_holds_the_vision_and_about_forty_items_of_every_kind(db: Database) -> None:
    report = demo.load(db, Settings(), today=TODAY)
    assert report.counts["items"]["created"] >= 35
    with db.read() as session:
        themes = {t.slug for t in catalog.all_themes(session)}
        assert {
            "mobiliteit",
            "wonen",
            "economie-en-arbeidsmarkt",
            "zorg",
            "cultuur",
            "gezondheid",
        } <= themes
        assert {p.level for p in catalog.all_partnerships(session)} == set(Level)
        items = agenda.all_items(session)
        assert Counter(i.kind.value for i in items).keys() == {
            "meeting",
            "networking",
            "decision",
            "deadline",
        }
        assert any(i.rrule and "MONTHLY" in i.rrule for i in items)
        assert any(i.all_day and i.ends_at - i.starts_at >= timedelta(days=2) for i in items)
        assert sum(i.confidentiality == Confidentiality.CONFIDENTIAL for i in items) == 1
        assert any(o.cancelled for i in items for o in i.overrides)
        assert any(i.status == ItemStatus.DONE and i.outcome for i in items)
        tz = clock.zone("Europe/Amsterdam")
        first, last = (
            clock.local_midnight(TODAY - timedelta(weeks=7), tz),
            clock.local_midnight(TODAY + timedelta(weeks=10), tz),
        )
        assert all(first <= i.starts_at < last for i in items)
        linked = {
            d.slug: len(dossiers.items_of(session, d)) for d in dossiers.all_dossiers(session)
        }
        assert linked == {"cultuurregio-nhn": 2, "eu-spoortunnels": 5, "regio-deal-nhn": 2}
        attached = chains.chains_of(session, items)
        assert sorted((c.template, chains.progress(c)) for c in attached) == [
            ("consultatie", (0, 3)),
            ("lobbyvenster", (1, 4)),
        ]


def test_the_demo_files_are_valid_import_files_as_they_stand(db: Database) -> None:
    """`lobby-agenda import config/demo/catalog.yaml` works too (a doubled section would be
    read one way by YAML and refused by the importer)."""
    report = import_file(db, demo.DEMO_DIR / "catalog.yaml", ACTOR)
    assert report.counts["contacts"]["created"] == 3 and report.counts["themes"]["created"] == 7


def test_done_demo_items_lie_in_the_past(db: Database) -> None:
    demo.load(db, Settings(), today=date(2026, 11, 23))  # a Monday morning
    with db.read() as session:
        done = [i for i in agenda.all_items(session) if i.status == ItemStatus.DONE]
    assert done and all(i.starts_at.date() < date(2026, 11, 23) for i in done)


def test_the_demo_open_agenda_lists_reviewed_past_contacts(db: Database) -> None:
    demo.load(db, Settings(), today=TODAY)
    now = clock.local_midnight(TODAY, clock.zone("Europe/Amsterdam"))
    with db.read() as session:
        held = open_agenda.contacts(
            session, TODAY - timedelta(days=90), TODAY, "Europe/Amsterdam", now
        )
    assert [(c.date, c.uid) for c in held] == [
        ("2026-10-15", "demo-netwerkontbijt-human-capital"),
        ("2026-11-03", "demo-werkbezoek-provincie-woningbouw-kanaalzone"),
    ]
    assert held[0].participants.startswith("[weggelakt: persoonsgegevens")
    assert held[1].participants == "Rob de Groot, Ingrid Mulder"


def test_loading_the_demo_twice_changes_nothing(db: Database) -> None:
    demo.load(db, Settings(), today=TODAY)
    again = demo.load(db, Settings(), today=TODAY + timedelta(days=3))
    assert all(counts["created"] == counts["updated"] == 0 for counts in again.counts.values())
