"""YAML and CSV import/export: all-or-nothing, errors with file, line and field, round trips."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler import agenda, catalog
from scheduler.db import Database
from scheduler.errors import ImportFileError, ImportRejected
from scheduler.interchange import export_csv, export_data, export_yaml, import_file
from tests.conftest import first_on_rule

ACTOR = agenda.Actor("import", "import")

GOOD = """\
themes:
  - {slug: mobiliteit, name: Mobiliteit}
  - {slug: wonen, name: Wonen}
stakeholders:
  - {slug: mra, name: Metropoolregio Amsterdam, kind: regio}
partnerships:
  - {slug: mra-bestuur, name: MRA bestuurlijk overleg, level: bovenregionaal, kind: strategisch,
     role: gesprekspartner, themes: [mobiliteit, wonen], members: [mra]}
people:
  - {email: j.jansen@example.nl, name: J. Jansen, roles: [lobbyist], language: nl}
items:
  - uid: mra-mob-2026-12
    title: Bestuurlijk overleg MRA Mobiliteit
    kind: meeting
    start: 2026-12-08T10:00
    end: 2026-12-08T11:30
    timezone: Europe/Amsterdam
    rrule: FREQ=MONTHLY;BYDAY=2TU
    exdates: [2027-01-12T10:00]
    themes: [mobiliteit]
    stakeholders: [mra]
    owner: j.jansen@example.nl
    participants: []
    goal: Ruimte voor fietsparkeren bij station Alkmaar in het MRA-programma
    message: Alkmaar is de scharnier tussen MRA en Noord-Holland Noord
    role: belangenbehartiger
    status: confirmed
    confidentiality: internal
    reminders: [P7D, P1D]
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def snapshot(db: Database) -> dict[str, list[dict[str, object]]]:
    with db.read() as session:
        return export_data(session)


def test_the_documented_example_imports_and_reports_what_it_created(
    db: Database, tmp_path: Path
) -> None:
    report = import_file(db, write(tmp_path, "a.yaml", GOOD), ACTOR)
    assert report.counts["items"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert report.counts["themes"]["created"] == 2
    again = import_file(db, write(tmp_path, "a.yaml", GOOD), ACTOR)
    assert again.counts["items"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_a_dry_run_reports_the_same_and_changes_nothing(db: Database, tmp_path: Path) -> None:
    report = import_file(db, write(tmp_path, "a.yaml", GOOD), ACTOR, dry_run=True)
    assert report.dry_run and report.counts["items"]["created"] == 1
    assert snapshot(db)["items"] == [] and snapshot(db)["themes"] == []


def test_export_then_import_into_an_empty_database_round_trips(
    db: Database, sqlite_db: Database, tmp_path: Path
) -> None:
    import_file(db, write(tmp_path, "a.yaml", GOOD), ACTOR)
    with db.read() as session:
        exported = export_yaml(session)
    import_file(sqlite_db, write(tmp_path, "b.yaml", exported), ACTOR)
    assert snapshot(sqlite_db) == snapshot(db)


def test_an_import_with_one_bad_record_changes_nothing(db: Database, tmp_path: Path) -> None:
    bad = GOOD + "  - {title: Kapot, kind: meeting, start: 2026-12-09T10:00, themes: [onbekend]}\n"
    with pytest.raises(ImportRejected) as caught:
        import_file(db, write(tmp_path, "a.yaml", bad), ACTOR)
    assert "items[1].themes: unknown theme 'onbekend'" in str(caught.value)
    assert snapshot(db) == {
        "themes": [],
        "stakeholders": [],
        "people": [],
        "partnerships": [],
        "dossiers": [],
        "contacts": [],
        "items": [],
    }


ITEM = "items:\n  - {{uid: x, title: T, kind: meeting, start: 2026-12-08T10:00, {extra}}}\n"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "end: 2026-12-08T09:00",
            "a.yaml:2: items[0].end: end 2026-12-08T09:00 is before start 2026-12-08T10:00",
        ),
        (
            "rrule: 'FREQ=WEEKLY;BYDAY=MO,XX'",
            "a.yaml:2: items[0].rrule: RRULE part 'BYDAY=MO,XX' does not parse",
        ),
        (
            "timezone: Europe/Alkmaar",
            "a.yaml:2: items[0].timezone: unknown time zone 'Europe/Alkmaar'",
        ),
        (
            "owner: nobody@example.nl",
            "a.yaml:2: items[0].owner: unknown person 'nobody@example.nl'",
        ),
        (
            "owner: not-an-email",
            "a.yaml:2: items[0].owner: 'not-an-email' is not a valid email address",
        ),
        (
            "reminders: [P7D, 7 dagen]",
            "a.yaml:2: items[0].reminders: '7 dagen' is not a reminder offset",
        ),
        ("kind2: meeting", "a.yaml:2: items[0].kind2: unknown field"),
        ("status: maybe", "a.yaml:2: items[0].status: Input should be 'idea', 'planned'"),
        ("end: 2026-13-01T10:00", "items[0].end: '2026-13-01T10:00' is not a real date"),
    ],
)
def test_a_bad_value_is_reported_with_file_line_and_field(
    db: Database, tmp_path: Path, extra: str, expected: str
) -> None:
    text = ITEM.format(extra=extra)
    with pytest.raises(ImportRejected) as caught:
        import_file(db, write(tmp_path, "a.yaml", text), ACTOR)
    assert expected in str(caught.value).replace(str(tmp_path) + "/", "")


def test_a_field_on_its_own_line_is_reported_at_that_line(db: Database, tmp_path: Path) -> None:
    text = "items:\n  - uid: x\n    title: T\n    kind: meeting\n    start: 2026-12-08T10:00\n    end: 2026-12-07\n"
    with pytest.raises(
        ImportRejected, match=r"a.yaml:6: items\[0\].end: 2026-12-07 should be a date and time"
    ):
        import_file(db, write(tmp_path, "a.yaml", text), ACTOR)


def test_duplicate_keys_within_one_file_are_refused_naming_both_lines(
    db: Database, tmp_path: Path
) -> None:
    text = "themes:\n  - {slug: wonen, name: Wonen}\n  - {slug: wonen, name: Wonen 2}\n"
    with pytest.raises(
        ImportRejected, match=r"a.yaml:3: themes\[1\].slug: 'wonen' also appears on line 2"
    ):
        import_file(db, write(tmp_path, "a.yaml", text), ACTOR)


def test_the_same_key_twice_in_one_record_is_refused(db: Database, tmp_path: Path) -> None:
    text = "themes:\n  - slug: wonen\n    name: Wonen\n    name: Wonen 2\n"
    with pytest.raises(ImportRejected, match=r"a.yaml:4: name: key 'name' given twice"):
        import_file(db, write(tmp_path, "a.yaml", text), ACTOR)


def test_a_section_given_twice_is_refused_not_half_read(db: Database, tmp_path: Path) -> None:
    text = "themes:\n  - {slug: wonen, name: Wonen}\nthemes:\n  - {slug: zorg, name: Zorg}\n"
    with pytest.raises(
        ImportRejected, match=r"a.yaml:3: themes: section given twice \(also line 1\)"
    ):
        import_file(db, write(tmp_path, "a.yaml", text), ACTOR)
    with db.read() as session:
        assert catalog.all_themes(session) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("themes:\n  - {slug: wonen, name: Wonen\n", r"a.yaml:3: not valid YAML"),
        ("- just a list\n", r"a.yaml:1: expected sections"),
        ("themas:\n  - {slug: x, name: X}\n", r"a.yaml:1: themas: unknown section"),
        ("themes: wonen\n", r"themes: expected a list of records"),
        (b"themes:\n  - {slug: caf\xe9, name: X}\n", r"a.yaml:2: not UTF-8 text"),
    ],
)
def test_a_malformed_file_is_refused_with_its_line(
    db: Database, tmp_path: Path, content: str | bytes, expected: str
) -> None:
    with pytest.raises((ImportFileError, ImportRejected), match=expected):
        import_file(db, write(tmp_path, "a.yaml", content), ACTOR)


def test_a_file_over_the_limit_is_refused_naming_the_limit(db: Database, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MB, sparse
    with pytest.raises(
        ImportFileError,
        match=r"52.4 MB is over the import limit of 20 MB \(setting import_max_mb\)",
    ):
        import_file(db, big, ACTOR, max_bytes=20_000_000)


def test_csv_items_import_and_export_with_lists_in_cells(seeded: Database, tmp_path: Path) -> None:
    csv_text = (
        "uid,title,kind,start,end,themes,stakeholders,owner,reminders,rrule\n"
        'c1,Werkbezoek,meeting,2026-12-10T14:00,2026-12-10T15:30,"mobiliteit, wonen",mra,j.jansen@example.nl,"P7D, P1D","FREQ=WEEKLY;COUNT=2"\n'
    )
    report = import_file(seeded, write(tmp_path, "a.csv", csv_text), ACTOR)
    assert report.counts["items"]["created"] == 1
    with seeded.read() as session:
        exported = export_csv(session)
    assert '"mobiliteit, wonen"' in exported and "FREQ=WEEKLY;COUNT=2" in exported
    assert (
        import_file(seeded, write(tmp_path, "b.csv", exported), ACTOR).counts["items"]["unchanged"]
        == 1
    )


def test_a_csv_with_semicolons_as_dutch_spreadsheets_write_it_is_read(
    seeded: Database, tmp_path: Path
) -> None:
    csv_text = "title;kind;start;themes\nNieuwjaarsreceptie;networking;2027-01-08T17:00;mobiliteit, wonen\n"
    report = import_file(seeded, write(tmp_path, "a.csv", csv_text), ACTOR)
    assert report.counts["items"]["created"] == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("title,kind,start,colour\nX,meeting,2026-12-08\n", "a.csv:1: colour: unknown column"),
        ("title,kind\nX,meeting\n", "a.csv:1: start: required column is missing"),
        (
            "title,kind,start\nX,meeting,2026-12-08,extra\n",
            r"a.csv:2: items\[0\]: expected 3 cells",
        ),
        ("title,kind,start\nX,party,2026-12-08\n", r"a.csv:2: items\[0\].kind: Input should be"),
        ('title,kind,start\n"X\nY",meeting,2026-12-40\n', r"a.csv:3: items\[0\].start"),
    ],
)
def test_a_bad_csv_is_refused_with_its_line(
    db: Database, tmp_path: Path, content: str, expected: str
) -> None:
    with pytest.raises(ImportRejected, match=expected):
        import_file(db, write(tmp_path, "a.csv", content), ACTOR)


# ---------------------------------------------------------------- generated agendas

slugs = st.sampled_from(["mobiliteit", "wonen", "zorg", "cultuur"])
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30).map(
    str.strip
)


@st.composite
def agendas(draw: st.DrawFn) -> dict[str, list[dict[str, object]]]:
    theme_slugs = sorted(draw(st.sets(slugs, min_size=1)))
    items = []
    for n in range(draw(st.integers(0, 5))):
        day = draw(
            st.dates(
                min_value=date(2026, 1, 1),
                max_value=date(2028, 12, 31),
            )
        )
        all_day = draw(st.booleans())
        hour, minute = draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45]))
        start = day.isoformat() if all_day else f"{day.isoformat()}T{hour:02d}:{minute:02d}"
        if not all_day and hour == 2:
            start = f"{day.isoformat()}T09:{minute:02d}"  # keep clear of the DST hour here; it has own tests
        item: dict[str, object] = {
            "uid": f"gen-{n}",
            "title": draw(texts.filter(bool)) or "x",
            "kind": draw(st.sampled_from(["meeting", "networking", "decision", "deadline"])),
            "start": start,
            "themes": draw(st.lists(st.sampled_from(theme_slugs), unique=True)),
            "goal": draw(texts),
            "status": draw(st.sampled_from(["idea", "planned", "confirmed", "done", "cancelled"])),
            "confidentiality": draw(st.sampled_from(["public", "internal", "confidential"])),
            "reminders": draw(
                st.lists(st.sampled_from(["P7D", "P1D", "PT2H", "+P1D", "5WD"]), unique=True)
            ),
        }
        if draw(st.booleans()):
            item["rrule"] = draw(
                st.sampled_from(
                    ["FREQ=WEEKLY;COUNT=4", "FREQ=MONTHLY;BYDAY=2TU", "FREQ=DAILY;INTERVAL=3"]
                )
            )
            item["start"] = first_on_rule(str(item["start"]), str(item["rrule"]))
        items.append(item)
    return {"themes": [{"slug": s, "name": s.title()} for s in theme_slugs], "items": items}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(agenda_data=agendas())
def test_any_generated_agenda_survives_export_and_import(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    agenda_data: dict[str, list[dict[str, object]]],
) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    first, second = folder / "first.sqlite3", folder / "second.sqlite3"
    shutil.copy(sqlite_template, first)
    shutil.copy(sqlite_template, second)
    source, target = Database(f"sqlite:///{first}"), Database(f"sqlite:///{second}")
    try:
        import_file(
            source, write(folder, "in.yaml", yaml.safe_dump(agenda_data, allow_unicode=True)), ACTOR
        )
        with source.read() as session:
            exported = export_yaml(session)
        import_file(target, write(folder, "out.yaml", exported), ACTOR)
        assert snapshot(target) == snapshot(source)
        with target.read() as session:
            assert export_yaml(session) == exported
    finally:
        source.dispose()
        target.dispose()


def test_an_unknown_kind_to_opt_out_of_is_reported_with_its_line_and_field(
    db: Database, tmp_path: Path
) -> None:
    text = "people:\n  - email: a@example.nl\n    name: A\n  - email: b@example.nl\n    name: B\n    reminders_off: [meeting, lunch]\n"
    with pytest.raises(ImportRejected) as caught:
        import_file(db, write(tmp_path, "p.yaml", text), ACTOR)
    message = str(caught.value).replace(str(tmp_path) + "/", "")
    assert "p.yaml:6: people[1].reminders_off.1: Input should be 'meeting'" in message
    with db.read() as session:
        assert catalog.all_people(session) == []  # all-or-nothing


WHOLE_DAYS = """\
items:
  - uid: thuiswerkdag
    title: Thuiswerkdag
    kind: deadline
    start: 2027-03-01
    timezone: Europe/Amsterdam
    rrule: FREQ=WEEKLY;COUNT=3
    occurrences:
      - {recurrence_id: 2027-03-08, start: 2027-03-10, end: 2027-03-11}
      - {recurrence_id: 2027-03-15, start: 2027-03-17}
"""


def test_a_whole_day_occurrence_moves_to_other_days_and_exports_the_same(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, write(tmp_path, "days.yaml", WHOLE_DAYS), ACTOR)
    with db.read() as session:
        item = agenda.find_item(session, "thuiswerkdag")
        described = agenda.describe_item(item)
        found = agenda.occurrences(
            session, datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC)
        )
    assert described["occurrences"] == [
        {"recurrence_id": "2027-03-08", "cancelled": False, "start": "2027-03-10",
         "end": "2027-03-11"},
        {"recurrence_id": "2027-03-15", "cancelled": False, "start": "2027-03-17",
         "end": "2027-03-17"},  # as long as the item: one day
    ]  # fmt: skip
    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert [o.start.astimezone(amsterdam).date().isoformat() for o in found] == [
        "2027-03-01", "2027-03-10", "2027-03-17"
    ]  # fmt: skip
    again = import_file(db, write(tmp_path, "again.yaml", export_yaml_of(db)), ACTOR)
    assert again.counts["items"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_a_whole_day_occurrence_is_not_moved_to_a_time(db: Database, tmp_path: Path) -> None:
    text = WHOLE_DAYS.replace("start: 2027-03-17}", "start: 2027-03-17T10:00}")
    with pytest.raises(ImportRejected, match=r"days\.yaml:8: items\[0\]\.occurrences\.start: "
                       r"2027-03-17T10:00:00 should be a date \(all-day item\)"):  # fmt: skip
        import_file(db, write(tmp_path, "days.yaml", text), ACTOR)


def export_yaml_of(db: Database) -> str:
    with db.read() as session:
        return export_yaml(session)
