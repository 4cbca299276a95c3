"""Each theme's focus where people steer by it: the theme report for a period (markdown, CSV,
HTML, the CLI) and the digest's line per theme one follows."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import time_machine
from sqlalchemy import select

from scheduler import digests, theme_report
from scheduler.db import Database
from scheduler.digest_mail import context_of
from scheduler.interchange import import_data
from scheduler.models import Person
from scheduler.rendering import render
from tests.test_cli import cli
from tests.test_dossiers import ACTOR, CATALOG, DOSSIER, LEAD, NOW, add_item

__all__ = ["cli"]  # a fixture used by name below

THEMES = [
    {"slug": "mobiliteit", "name": "Mobiliteit", "priority": "hoog",
     "roles": {"regionaal": "aanjager", "bovenregionaal": "belangenbehartiger"},
     "strategic_choice": "Wij trekken de spoorcorridor", "portfolio_holder": "wethouder Visser"},
    {"slug": "wonen", "name": "Wonen", "priority": "laag"},
    {"slug": "cultuur", "name": "Cultuur", "priority": "hoog"},
    {"slug": "zorg", "name": "Zorg"},
]  # fmt: skip
MADE_AT = datetime(2027, 3, 25, 12, 0, tzinfo=UTC)  # late in the quarter: one contact still ahead


def hand_built_quarter(db: Database) -> None:
    """Q1 2027: six contacts held over the themes (one confidential on two themes), one still
    ahead, one without a theme, and what does not count."""
    stakeholders = [*CATALOG["stakeholders"],
                    {"slug": "europees-parlement", "name": "Europees Parlement", "kind": "eu"}]  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        import_data(db, CATALOG | {"themes": THEMES, "stakeholders": stakeholders,
                                   "dossiers": [DOSSIER]}, "q1", ACTOR)  # fmt: skip
    contacts: list[tuple[str, str, list[str], dict[str, Any]]] = [
        ("m1", "2027-01-12T10:00", ["europees-parlement"],
         {"themes": ["mobiliteit"], "status": "done", "outcome": "Steun toegezegd"}),
        ("geheim", "2027-02-15T10:00", ["ministerie-ienw"],
         {"themes": ["mobiliteit", "wonen"], "confidentiality": "confidential",
          "title": "Geheim overleg grondposities"}),
        ("w", "2027-03-03T16:00", ["zaanstad"],
         {"themes": ["wonen"], "kind": "networking", "rrule": "FREQ=WEEKLY;COUNT=3"}),
        ("later", "2027-03-30T10:00", ["europees-parlement"], {"themes": ["mobiliteit"]}),
        ("los", "2027-02-01T10:00", ["zaanstad"], {"themes": []}),
        # not contacts:
        ("idee", "2027-01-20T10:00", ["zaanstad"], {"themes": ["cultuur"], "status": "idea"}),
        ("afgelast", "2027-01-21T10:00", ["zaanstad"],
         {"themes": ["cultuur"], "status": "cancelled"}),
        ("besluit", "2027-02-10T10:00", ["zaanstad"], {"themes": ["cultuur"], "kind": "decision"}),
        ("eerder", "2026-12-30T10:00", ["zaanstad"], {"themes": ["cultuur"]}),
    ]  # fmt: skip
    for uid, start, at, fields in contacts:
        add_item(db, uid, start, at, **{"dossiers": []} | fields)


def build(db: Database, lang: str = "nl") -> theme_report.Report:
    with db.read() as session:
        return theme_report.build(
            session, date(2027, 1, 1), date(2027, 3, 31), "Europe/Amsterdam", lang,  # type: ignore[arg-type]
            MADE_AT,
        )  # fmt: skip


def test_the_theme_report_counts_contacts_against_each_themes_priority(db: Database) -> None:
    hand_built_quarter(db)
    report = build(db)
    by_slug = {s.slug: s for s in report.themes}
    assert [s.slug for s in report.themes] == ["cultuur", "mobiliteit", "wonen", "zorg"]
    mobiliteit, wonen = by_slug["mobiliteit"], by_slug["wonen"]
    assert [c.day for c in mobiliteit.contacts] == ["di 12 jan", "ma 15 feb"]
    assert (mobiliteit.confidential, mobiliteit.planned, mobiliteit.share) == (1, 1, 33)
    assert mobiliteit.by_level == [("bovenregionaal", 1)]  # the EU is supra-regional
    assert mobiliteit.focus.roles == [("regionaal", "aanjager"), ("bovenregionaal", "belangenbehartiger")]  # fmt: skip
    assert mobiliteit.dossiers == [("EU-subsidie spoortunnels", "actief", "Joost Jansen")]
    assert (len(wonen.contacts), wonen.confidential, wonen.share) == (4, 1, 67)
    assert {slug: s.effort for slug, s in by_slug.items()} == {
        "mobiliteit": "past bij de prioriteit",  # 2 contacts, the average is 6 / 4
        "wonen": "meer contact dan gemiddeld, bij een lage prioriteit",
        "cultuur": "minder contact dan gemiddeld, bij een hoge prioriteit",
        "zorg": "geen prioriteit gekozen",
    }
    assert report.without_theme == 1 and report.contacts == 6


def test_the_theme_report_in_each_format_counts_a_confidential_contact_but_does_not_describe_it(
    db: Database,
) -> None:
    hand_built_quarter(db)
    report = build(db)
    markdown = theme_report.render_report(report, "md")
    assert "| Mobiliteit | hoog | 2 | 33% | past bij de prioriteit |" in markdown
    assert "**Contacten: 2** (waarvan 1 vertrouwelijk)" in markdown
    assert "| ma 15 feb | (vertrouwelijk) |  |" in markdown
    assert "Strategische keuze: Wij trekken de spoorcorridor" in markdown
    assert "- EU-subsidie spoortunnels: actief (Trekker: Joost Jansen)" in markdown
    assert "Contacten zonder thema: 1" in markdown
    rows = list(csv.reader(io.StringIO(theme_report.render_report(report, "csv"))))
    assert rows[0] == ["Thema", "Prioriteit", "Onze rol per niveau", "Strategische keuze",
                       "Portefeuillehouder", "Contacten", "vertrouwelijk", "gepland", "Aandeel",
                       "Inzet tegenover prioriteit", "Dossiers"]  # fmt: skip
    assert rows[2] == ["Mobiliteit", "hoog", "regionaal: aanjager; bovenregionaal: belangenbehartiger",
                       "Wij trekken de spoorcorridor", "wethouder Visser", "2", "1", "1", "33",
                       "past bij de prioriteit", "EU-subsidie spoortunnels (actief)"]  # fmt: skip
    html = theme_report.render_report(report, "html")
    assert html.startswith("<!doctype html>") and "<td>(vertrouwelijk)</td><td></td>" in html
    for text in (markdown, html, "\n".join(map(str, rows))):
        assert "Geheim" not in text and "grondposities" not in text
        assert "Ministerie van IenW" not in text  # with whom, neither
    english = theme_report.render_report(build(db, "en"), "md")
    assert "| Mobiliteit | high | 2 | 33% | in line with the priority |" in english


def test_the_report_themes_command_writes_a_file_and_refuses_bad_options(
    cli, db: Database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    hand_built_quarter(db)
    target = tmp_path / "themas.html"
    with time_machine.travel(MADE_AT, tick=False):
        made = cli("report", "themes", "--from", "2027-01-01", "--to", "2027-03-31",
                   "--format", "html", "--output", str(target))  # fmt: skip
        assert made.code == 0, made.err
        assert made.err.strip() == f"wrote 6 contacts over 4 themes to {target}"
        assert "Inzet per thema" in target.read_text()
        shown = cli("report", "themes", "--from", "2027-01-01", "--to", "2027-03-31")
        assert shown.code == 0 and shown.out.startswith("# Inzet per thema")
        wrong = cli("report", "themes", "--from", "2027-01-01", "--to", "2026-12-31")
        assert wrong.code == 2 and "--to 2026-12-31 is before --from 2027-01-01" in wrong.err
        pdf = cli("report", "themes", "--from", "2027-01-01", "--to", "2027-03-31", "--format", "pdf")  # fmt: skip
        assert pdf.code == 2 and "use md, csv or html" in pdf.err


# ---------------------------------------------------------------- the digest


def test_the_digest_has_a_line_per_followed_theme_with_a_focus(db: Database) -> None:
    with time_machine.travel(NOW, tick=False):
        import_data(db, {"themes": THEMES, "people": [
            {"email": LEAD, "name": "Joost Jansen", "roles": ["lobbyist"],
             "themes": ["zorg", "mobiliteit", "wonen"]}]}, "digest", ACTOR)  # fmt: skip
    options = digests.DigestOptions(base_url="https://lobby.example")
    with db.read() as session:
        person = session.scalars(select(Person).where(Person.email == LEAD)).one()
        digest = digests.build(session, person, options, NOW, None)
        lines = [(line.text, line.link) for line in digest.focus]
        mail = render("email/digest.txt", "nl", **context_of(digest))
        html = render("email/digest.html", "nl", **context_of(digest))
    assert lines == [
        ("Mobiliteit: prioriteit hoog · regionaal: aanjager · bovenregionaal: belangenbehartiger"
         " · wethouder Visser – Wij trekken de spoorcorridor",
         "https://lobby.example/themes#theme-mobiliteit"),
        ("Wonen: prioriteit laag", "https://lobby.example/themes#theme-wonen"),
    ]  # zorg has no focus: nothing to say  # fmt: skip
    assert "FOCUS PER THEMA" in mail and "- Wonen: prioriteit laag" in mail
    assert ">Wonen: prioriteit laag</a>" in html
    assert digest.empty  # a focus alone is no reason to send a digest


def test_themes_list_shows_each_priority_and_json_the_whole_focus(cli, db: Database) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        import_data(db, {"themes": THEMES}, "themes", ACTOR)
    table = cli("themes", "list")
    assert table.code == 0
    row = next(line for line in table.out.splitlines() if "mobiliteit" in line)
    assert "hoog" in row and "wethouder Visser" in row
    listed = {t["slug"]: t for t in json.loads(cli("themes", "list", "--json").out)}
    assert listed["mobiliteit"]["roles"] == THEMES[0]["roles"]
    assert listed["zorg"]["priority"] is None
