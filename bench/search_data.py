"""The data generator of bench/bench_search.py: a lobby agenda of any size in Dutch-ish text.

Deterministic (a seeded random): the same arguments make the same rows. Words come from a
vocabulary of public-affairs Dutch with a Zipf-like spread (a few words everywhere, most
rare), in their singular and plural forms, so that stemming and ranking have work to do.
Rows go in with plain INSERTs of many rows (the benchmark's setup, not the product's import
path); the database's triggers or generated columns index them as they arrive.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from scheduler.db import Database
from scheduler.models import (
    AgendaItem,
    ContactPerson,
    Dossier,
    DossierNote,
    Person,
    Stakeholder,
    Theme,
    item_dossiers,
    item_participants,
    item_themes,
)

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
# (singular, plural): the text uses both, the queries ask for one.
NOUNS = [
    ("vergadering", "vergaderingen"), ("gemeente", "gemeenten"), ("provincie", "provincies"),
    ("woning", "woningen"), ("subsidie", "subsidies"), ("spoorlijn", "spoorlijnen"),
    ("overleg", "overleggen"), ("wethouder", "wethouders"), ("gedeputeerde", "gedeputeerden"),
    ("bereikbaarheid", "bereikbaarheid"), ("fietspad", "fietspaden"), ("station", "stations"),
    ("regio", "regio's"), ("bedrijf", "bedrijven"), ("school", "scholen"),
    ("zorginstelling", "zorginstellingen"), ("werkgever", "werkgevers"), ("haven", "havens"),
    ("dijk", "dijken"), ("polder", "polders"), ("netwerk", "netwerken"), ("begroting", "begrotingen"),
    ("motie", "moties"), ("amendement", "amendementen"), ("brief", "brieven"),
    ("positiepaper", "positiepapers"), ("zienswijze", "zienswijzen"), ("deal", "deals"),
    ("tunnel", "tunnels"), ("corridor", "corridors"), ("energietransitie", "energietransities"),
    ("warmtenet", "warmtenetten"), ("arbeidsmarkt", "arbeidsmarkten"), ("opleiding", "opleidingen"),
    ("cultuurhuis", "cultuurhuizen"), ("museum", "musea"), ("ziekenhuis", "ziekenhuizen"),
    ("jongere", "jongeren"), ("oudere", "ouderen"), ("bouwplaats", "bouwplaatsen"),
    ("stikstofruimte", "stikstofruimte"), ("grondpositie", "grondposities"),
    ("snelweg", "snelwegen"), ("busbaan", "busbanen"), ("knooppunt", "knooppunten"),
    ("raadsinformatiebrief", "raadsinformatiebrieven"), ("werkbezoek", "werkbezoeken"),
    ("congres", "congressen"), ("receptie", "recepties"), ("ministerie", "ministeries"),
]  # fmt: skip
OTHER = [
    "de",
    "het",
    "een",
    "en",
    "van",
    "in",
    "op",
    "met",
    "voor",
    "over",
    "naar",
    "bij",
    "door",
    "om",
    "aan",
    "uit",
    "als",
    "dat",
    "die",
    "ook",
    "nog",
    "niet",
    "wel",
    "meer",
    "snel",
    "samen",
    "regionaal",
    "landelijk",
    "goed",
    "groot",
    "nieuw",
    "extra",
    "belangrijk",
    "bestuurlijk",
    "afspreken",
    "bespreken",
    "vragen",
    "steunen",
    "bouwen",
    "investeren",
    "versnellen",
    "verbeteren",
    "delen",
    "Alkmaar",
    "Dijk",
    "Waard",
    "Zaanstad",
    "Heerhugowaard",
    "Amsterdam",
    "Haarlem",
    "Den",
    "Helder",
    "Hoorn",
    "Purmerend",
]


# The long tail: words that each occur seldom (place names, names, jargon), made of syllables.
_SYLLABLES = [
    "ka",
    "ver",
    "lo",
    "de",
    "ment",
    "sta",
    "gen",
    "bo",
    "ri",
    "tel",
    "an",
    "moer",
    "wijk",
    "dam",
    "zee",
    "berg",
    "land",
    "hout",
    "veld",
    "kerk",
]
TAIL = sorted({a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in ("", *_SYLLABLES[:10])})
_NOUN_WEIGHTS = [1 / (rank + 1) for rank in range(len(NOUNS))]  # Zipf: the first most often


def _zipf_words(rng: random.Random, count: int) -> list[str]:
    words = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.40:
            words.append(rng.choice(OTHER))
        elif draw < 0.95:
            words.append(rng.choice(TAIL))
        else:
            noun = rng.choices(NOUNS, _NOUN_WEIGHTS)[0]
            words.append(noun[rng.random() < 0.4])
    return words


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(_zipf_words(rng, rng.randint(low, high))).capitalize() + "."


def fill(
    db: Database, items: int, notes: int, *, contact_persons: int = 2000, seed: int = 17
) -> dict[str, int]:
    """Fill an empty, migrated database; returns what went in, by table."""
    rng = random.Random(seed)
    people = [
        {"id": n + 1, "email": f"p{n}@bench.example", "name": f"Persoon {n}",
         "roles": ["lobbyist"], "language": "nl", "timezone": "Europe/Amsterdam",
         "active": True}
        for n in range(50)
    ]  # fmt: skip
    themes = [
        {"id": n + 1, "slug": f"thema-{n}", "name": f"Thema {n}", "description": ""}
        for n in range(12)
    ]
    stakeholders = [
        {"id": n + 1, "slug": f"partner-{n}", "name": f"{rng.choice(OTHER).title()} {n}",
         "kind": "overig", "description": _text(rng, 5, 20), "website": ""}
        for n in range(500)
    ]  # fmt: skip
    dossiers = [
        {"id": n + 1, "slug": f"dossier-{n}", "title": _text(rng, 2, 5), "goal": _text(rng, 8, 20),
         "ask": _text(rng, 5, 12), "status": "actief", "priority": "middel",
         "created_at": START, "updated_at": START}
        for n in range(200)
    ]  # fmt: skip
    # Their own random stream: the items are the same as before contact persons came in.
    other = random.Random(seed + 1)
    contacts = [
        {"id": n + 1, "slug": f"contact-{n}", "name": f"{other.choice(TAIL).title()} {n}",
         "function": _text(other, 1, 3), "stakeholder_id": other.randint(1, 500), "email": "",
         "phone": "", "notes": _text(other, 0, 15), "owner_id": other.randint(1, 50),
         "left_on": None, "created_at": START, "updated_at": START}
        for n in range(contact_persons)
    ]  # fmt: skip
    with db.write() as session:
        for model, rows in ((Person, people), (Theme, themes), (Stakeholder, stakeholders),
                            (Dossier, dossiers), (ContactPerson, contacts)):  # fmt: skip
            if rows:
                session.execute(insert(model), rows)
    rows: list[dict[str, Any]] = []
    links: dict[str, list[dict[str, int]]] = {"themes": [], "participants": [], "dossiers": []}
    for n in range(items):
        start = START + timedelta(hours=7 * n % (24 * 700))
        confidential = rng.random() < 0.1
        rows.append({
            "id": n + 1, "uid": f"bench-{n:06d}", "kind": rng.choice(["meeting", "networking", "decision", "deadline"]),
            "title": _text(rng, 3, 7), "description": _text(rng, 10, 40), "starts_at": start,
            "ends_at": start + timedelta(hours=1), "all_day": False, "timezone": "Europe/Amsterdam",
            "rrule": None, "rdates": [], "exdates": [], "location": rng.choice(OTHER[-10:]),
            "online_url": "", "owner_id": rng.randint(1, 50), "goal": _text(rng, 5, 12),
            "message": _text(rng, 5, 12), "status": "planned",
            "confidentiality": "confidential" if confidential else rng.choice(["internal", "public"]),
            "reminders": [], "outcome": _text(rng, 0, 20) if rng.random() < 0.5 else "",
            "revision": 1, "created_at": START, "updated_at": START, "redactions": {},
            "reviewed_by": "", "last_ends_at": start + timedelta(hours=1), "changed_version": 0,
        })  # fmt: skip
        links["themes"].append({"item_id": n + 1, "theme_id": rng.randint(1, 12)})
        links["participants"].append({"item_id": n + 1, "person_id": rng.randint(1, 50)})
        if rng.random() < 0.3:
            links["dossiers"].append({"item_id": n + 1, "dossier_id": rng.randint(1, 200)})
        if len(rows) == 5000:
            _flush(db, rows, links)
    _flush(db, rows, links)
    note_rows = [
        {"id": n + 1, "dossier_id": rng.randint(1, 200), "written_at": START + timedelta(hours=n),
         "written_by": "p1@bench.example", "text": _text(rng, 10, 50), "status_from": "",
         "status_to": ""}
        for n in range(notes)
    ]  # fmt: skip
    with db.write() as session:
        for at in range(0, len(note_rows), 5000):
            session.execute(insert(DossierNote), note_rows[at : at + 5000])
    if not db.is_sqlite:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    return {"items": items, "notes": notes, "dossiers": len(dossiers),
            "stakeholders": len(stakeholders), "contact_persons": len(contacts)}  # fmt: skip


def _flush(
    db: Database, rows: list[dict[str, Any]], links: dict[str, list[dict[str, int]]]
) -> None:
    with db.write() as session:
        if rows:
            session.execute(insert(AgendaItem), rows)
        for table, key in ((item_themes, "themes"), (item_participants, "participants"),
                           (item_dossiers, "dossiers")):  # fmt: skip
            if links[key]:
                session.execute(insert(table), links[key])
    rows.clear()
    for values in links.values():
        values.clear()
