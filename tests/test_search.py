"""Full-text search on both databases: Dutch word forms, ranking, filters, who sees which hit
(and what is counted for whom), odd input, and the page, API and command line on top."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update

from scheduler import agenda, contacts, search, tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import NotFound, ValidationError
from scheduler.interchange import import_data
from scheduler.models import AgendaItem, DossierNote, ItemKind, Person, Stakeholder
from scheduler.search import EVERYTHING, Filters
from scheduler.web import create_app
from tests.test_pages import serving

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ACTOR = agenda.Actor("test", "test")
ADMIN, MANAGER, OWNER, GUEST, OTHER, STAFF = (
    "admin@example.nl", "manager@example.nl", "owner@example.nl", "guest@example.nl",
    "other@example.nl", "staff@example.nl",
)  # fmt: skip
ROLES = {
    ADMIN: "admin", MANAGER: "manager", OWNER: "lobbyist", GUEST: "staff", OTHER: "lobbyist",
    STAFF: "staff",
}  # fmt: skip


def item(uid: str, title: str, **fields: Any) -> dict[str, Any]:
    return {"uid": uid, "title": title, "kind": "meeting", "start": "2026-12-08T10:00",
            "owner": OWNER} | fields  # fmt: skip


DATA: dict[str, Any] = {
    "themes": [{"slug": "mobiliteit", "name": "Mobiliteit"}, {"slug": "wonen", "name": "Wonen"}],
    "stakeholders": [
        {
            "slug": "pnh",
            "name": "Provincie Noord-Holland",
            "kind": "provincie",
            "description": "Gedeputeerde Staten en Provinciale Staten",
        },
        {"slug": "mra", "name": "Metropoolregio Amsterdam", "kind": "regio"},
    ],
    "people": [
        {"email": e, "name": e.split("@")[0].title(), "roles": [r]} for e, r in ROLES.items()
    ],
    "dossiers": [
        {
            "slug": "spoor",
            "title": "Spoorverdubbeling Alkmaar–Amsterdam",
            "themes": ["mobiliteit"],
            "goal": "Een tweede spoor voor de regio",
            "ask": "Geld uit het Mobiliteitsfonds",
            "notes": [
                {
                    "text": "Wethouder sprak de gedeputeerde over de vergaderingen van de MRA",
                    "at": "2026-11-20T10:00:00Z",
                    "by": OWNER,
                }
            ],
        },
        {
            "slug": "huizen",
            "title": "Woningbouwversnelling",
            "themes": ["wonen"],
            "goal": "Sneller bouwen in Dijk en Waard",
        },
    ],
    "items": [
        item(
            "spoor-overleg",
            "Bestuurlijk overleg spoor",
            themes=["mobiliteit"],
            stakeholders=["pnh"],
            dossiers=["spoor"],
            goal="Steun voor de spoorverdubbeling",
            message="Alkmaar draagt bij aan de vergadering",
            confidentiality="public",
        ),
        item(
            "woningbouw",
            "Werkbezoek woningbouw",
            kind="networking",
            themes=["wonen"],
            start="2027-02-10T14:00",
            description="Rondleiding langs de bouwplaatsen",
            outcome="De provincie komt met een vervolgvergadering",
        ),
        item(
            "geheim",
            "Vooroverleg grondposities",
            themes=["wonen"],
            dossiers=["huizen"],
            confidentiality="confidential",
            participants=[GUEST],
            goal="Grondposities verwerven voor woningbouw",
            message="Nog niet delen",
        ),
        item(
            "besluit",
            "Statenvergadering over het spoor",
            kind="decision",
            owner=None,
            themes=["mobiliteit"],
            start="2027-01-20T14:00",
            confidentiality="internal",
            description="Provinciale Staten besluiten over spoor en bereikbaarheid",
        ),
    ],
}  # fmt: skip


@pytest.fixture
def filled(db: Database) -> Database:
    with time_machine.travel(NOW, tick=False):
        import_data(db, DATA, "search data", ACTOR)
    return db


def person(db: Database, email: str) -> Person:
    with db.read() as session:
        found = session.scalar(select(Person).where(Person.email == email))
        assert found is not None
        return found


def found(
    db: Database, typed: str, reader: search.Reader = EVERYTHING, **filters: Any
) -> list[str]:
    """The hits as type:key, best first."""
    with db.read() as session:
        results = search.search(session, typed, reader, Filters(**filters))
    return [f"{hit.type}:{hit.key}" for hit in results.hits]


def is_postgres(db: Database) -> bool:
    return not db.is_sqlite


# ---------------------------------------------------------------- words and ranking


def test_a_plural_finds_the_singular_and_the_other_way_round(filled: Database) -> None:
    # "vergaderingen" is stemmed to "vergader" (PostgreSQL's Dutch dictionary; on SQLite a
    # prefix search for what Snowball's Dutch stemmer keeps of the word).
    assert "item:spoor-overleg" in found(filled, "vergaderingen")  # "de vergadering"
    assert "note:spoor" in found(filled, "vergadering")  # "de vergaderingen"


def test_a_compound_word_is_found_by_its_beginning(filled: Database) -> None:
    assert "dossier:huizen" in found(filled, "woningbouw*")  # Woningbouwversnelling
    # Without the star: only on SQLite, whose word forms are found by their beginning.
    assert ("dossier:huizen" in found(filled, "woningbouw")) is filled.is_sqlite


def test_a_title_hit_ranks_above_a_hit_in_the_text(filled: Database) -> None:
    more = {"items": [
        item("in-tekst", "Overleg", description="Afspraken over fietsparkeren bij het station"),
        item("in-titel", "Fietsparkeren", description="Afspraken over het station"),
    ]}  # fmt: skip
    import_data(filled, more, "more", ACTOR)
    assert found(filled, "fietsparkeren") == ["item:in-titel", "item:in-tekst"]


def test_every_word_must_occur_and_a_phrase_must_occur_as_one(filled: Database) -> None:
    assert found(filled, "spoor tweede") == ["dossier:spoor"]
    assert found(filled, '"tweede spoor"') == ["dossier:spoor"]
    assert found(filled, '"spoor tweede"') == []


def test_a_word_can_be_left_out_with_a_minus_or_not(filled: Database) -> None:
    both = set(found(filled, "spoor"))
    assert {"item:spoor-overleg", "item:besluit"} <= both
    assert "item:besluit" not in found(filled, "spoor -provinciale")
    assert "item:besluit" not in found(filled, "spoor NOT provinciale")


def test_stakeholders_and_dossier_notes_are_found(filled: Database) -> None:
    assert found(filled, "Noord-Holland") == ["stakeholder:pnh"]
    assert found(filled, "gedeputeerde")[0:2] != []
    assert set(found(filled, "gedeputeerde")) == {"stakeholder:pnh", "note:spoor"}


def test_the_snippet_marks_the_words_found_and_escapes_the_text(filled: Database) -> None:
    with filled.write() as session:
        found_item = session.scalar(select(AgendaItem).where(AgendaItem.uid == "woningbouw"))
        assert found_item is not None
        found_item.description = 'Rondleiding <script>alert("x")</script> & bouwplaatsen'
    with filled.read() as session:
        results = search.search(session, "bouwplaatsen", EVERYTHING)
    html = str(results.hits[0].snippet_html)
    assert "<mark>bouwplaatsen</mark>" in html
    # PostgreSQL's headline leaves tags out; SQLite's keeps them, escaped.
    assert "<script" not in html and "&#34;x&#34;" in html and "&amp;" in html
    assert "<mark>" not in results.hits[0].snippet and "bouwplaatsen" in results.hits[0].snippet


# ---------------------------------------------------------------- kept in step by the database


def test_the_index_follows_inserts_updates_and_deletes_made_with_plain_sql(
    filled: Database,
) -> None:
    assert found(filled, "zeppelin") == []
    with filled.write() as session:
        session.execute(
            update(Stakeholder).where(Stakeholder.slug == "mra").values(description="zeppelin")
        )
    assert found(filled, "zeppelin") == ["stakeholder:mra"]
    with filled.write() as session:
        session.execute(update(Stakeholder).values(description=""))
        # A change to an item that does not touch its text keeps it found.
        session.execute(update(AgendaItem).values(revision=AgendaItem.revision + 1))
    assert found(filled, "zeppelin") == []
    assert "item:spoor-overleg" in found(filled, "spoorverdubbeling")
    with filled.write() as session:
        session.execute(delete(DossierNote))
    assert "note:spoor" not in found(filled, "gedeputeerde")


def test_a_database_upgraded_with_rows_in_it_finds_them(tmp_path: Any) -> None:
    # The migration fills the index for what was there before it.
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    db.upgrade()
    with time_machine.travel(NOW, tick=False):
        import_data(db, DATA, "search data", ACTOR)
    # Back to before the index, rows kept (the models may have columns 0016 lacks, so the rows
    # go in at the head), and up again.
    db.downgrade("0016")
    db.upgrade()
    assert "item:spoor-overleg" in found(db, "spoorverdubbeling")
    db.dispose()


def test_pages_of_hits_keep_the_total_even_past_the_last_page(filled: Database) -> None:
    with filled.read() as session:
        every = search.search(session, "spoor", EVERYTHING)
        pages = [search.search(session, "spoor", EVERYTHING, limit=1, offset=n) for n in range(5)]
        past = search.search(session, "spoor", EVERYTHING, limit=1, offset=50)
    assert [p.hits[0].key for p in pages if p.hits] == [h.key for h in every.hits]
    assert {p.total for p in pages} == {every.total} == {past.total}
    assert past.hits == [] and past.counts == every.counts


# ---------------------------------------------------------------- filters


def test_filters_by_theme_kind_period_dossier_and_type(filled: Database) -> None:
    assert set(found(filled, "spoor", themes=("mobiliteit",))) == {
        "item:spoor-overleg", "item:besluit", "dossier:spoor",
    }  # fmt: skip
    assert found(filled, "spoor", kinds=(ItemKind.DECISION,)) == ["item:besluit"]
    assert found(filled, "spoor", first=date(2027, 1, 1), last=date(2027, 1, 31)) == [
        "item:besluit"
    ]
    assert set(found(filled, "spoor OR gedeputeerde", dossier="spoor")) == {
        "item:spoor-overleg", "dossier:spoor", "note:spoor",
    }  # fmt: skip
    assert found(filled, "gedeputeerde", types=("stakeholder",)) == ["stakeholder:pnh"]
    # A note is in a period by when it was written.
    assert found(filled, "gedeputeerde", first=date(2026, 11, 20), last=date(2026, 11, 20)) == [
        "note:spoor"
    ]


def test_an_unknown_theme_or_dossier_is_named(filled: Database) -> None:
    with pytest.raises(NotFound) as theme:
        found(filled, "spoor", themes=("ruimte",))
    assert theme.value.field == "theme"
    with pytest.raises(NotFound) as dossier:
        found(filled, "spoor", dossier="nope")
    assert dossier.value.field == "dossier"


# ---------------------------------------------------------------- who sees what


# Who finds the confidential item (owner OWNER, participant GUEST): they alone, whatever
# their role; admins and managers no more than anyone else.
MATRIX = [(OWNER, True), (GUEST, True), (ADMIN, False), (MANAGER, False), (OTHER, False),
          (STAFF, False)]  # fmt: skip


@pytest.mark.parametrize(("email", "sees"), MATRIX)
def test_a_confidential_hit_is_only_for_its_owner_and_participants_and_counted_only_for_them(
    filled: Database, email: str, sees: bool
) -> None:
    reader = person(filled, email)
    with filled.read() as session:
        results = search.search(session, "grondposities OR bouwplaatsen", reader)
    keys = [hit.key for hit in results.hits]
    assert ("geheim" in keys) is sees
    # Counted only where shown: the total is what the reader could page through.
    assert results.total == len(results.hits) == (2 if sees else 1)
    assert results.counts == {"item": 2 if sees else 1}
    # Internal and public items are for every signed-in person.
    assert "woningbouw" in keys
    confidential = [hit for hit in results.hits if hit.key == "geheim"]
    assert all(hit.confidential for hit in confidential)


def test_words_only_in_a_confidential_item_find_nothing_for_others(filled: Database) -> None:
    for email, sees in MATRIX:
        with filled.read() as session:
            results = search.search(session, '"nog niet delen"', person(filled, email))
        assert (results.total, [h.key for h in results.hits]) == (
            (1, ["geheim"]) if sees else (0, [])
        ), email


# ---------------------------------------------------------------- odd input


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "type one or more words"),
        ("   ", "type one or more words"),
        ("***", "no words in it"),
        ('"" - * ( ) : ^', "no words in it"),
        ("-spoor", "not only what to leave out"),
        ("NOT spoor", "not only what to leave out"),
        ("x" * 1000, "at most 200 characters (this has 1000)"),
        (" ".join(["woord"] * 13), "at most 12 words"),
    ],
)
def test_input_that_cannot_be_searched_gets_a_message_naming_q(typed: str, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        search.parse(typed)
    assert refused.value.field == "q" and says in refused.value.message


@pytest.mark.parametrize(
    "typed",
    ['spoor"', '"spoor', "spoor AND", "OR spoor", "spoor OR", "spoor*", "sp*or", 'a "b" OR -c',
     "spoor NEAR(x y)", "title:spoor", "spoor^2", "{spoor}", "spoor\x00", "'spoor'", "spoor;--",
     "AND OR NOT", "de"],
)  # fmt: skip
def test_odd_input_gives_a_result_not_a_database_error(filled: Database, typed: str) -> None:
    try:
        found(filled, typed)
    except ValidationError as refused:
        assert refused.field == "q"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=st.text(max_size=60))
def test_any_text_at_all_gives_hits_or_a_message_naming_q(filled: Database, typed: str) -> None:
    try:
        found(filled, typed)
    except ValidationError as refused:
        assert refused.field == "q"


def test_the_query_syntax_of_either_database_is_never_passed_on() -> None:
    query = search.parse('spoor OR "tweede spoor" -NEAR title:x*')
    assert (
        search.fts5_query(query)
        == '(("spoor" * OR "tweede spoor") AND "titl" * AND "x" *) NOT "near" *'
    )


# ---------------------------------------------------------------- the API, the page, the CLI


@pytest.fixture
def client(filled: Database) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with filled.write() as session:
        headers = {}
        for email in ROLES:
            _, secret = tokens.create(session, email, scope="api-read", today=NOW.date())
            headers[email] = {"authorization": f"Bearer {secret}"}
        for email in (OWNER, OTHER):
            _, secret = tokens.create(session, email, scope="login", today=NOW.date())
            headers[f"login:{email}"] = {"secret": secret}
    settings_ = Settings(database_url=filled.url)
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(settings_, run_jobs=False)) as test_client,
    ):
        yield test_client, headers


def test_the_api_searches_as_the_tokens_person_may_see(
    client: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    http, headers = client
    mine = http.get("/api/v1/search", params={"q": "grondposities"}, headers=headers[OWNER])
    assert mine.status_code == 200
    body = mine.json()
    assert (body["total"], [h["key"] for h in body["hits"]]) == (1, ["geheim"])
    assert body["hits"][0]["url"] == "/items/geheim" and body["hits"][0]["confidential"]
    theirs = http.get("/api/v1/search", params={"q": "grondposities"}, headers=headers[ADMIN])
    assert theirs.json()["total"] == 0 and theirs.json()["hits"] == []
    filtered = http.get(
        "/api/v1/search",
        params={"q": "spoor", "kind": "decision", "from": "2027-01-01", "to": "2027-01-31"},
        headers=headers[STAFF],
    )
    assert [h["key"] for h in filtered.json()["hits"]] == ["besluit"]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, 422, "q"),
        ({"q": "x" * 1000}, 422, "q"),
        ({"q": "***"}, 422, "q"),
        ({"q": "spoor", "kind": "party"}, 422, "kind"),
        ({"q": "spoor", "from": "gisteren"}, 422, "from"),
        ({"q": "spoor", "from": "2027-02-01", "to": "2027-01-01"}, 422, "to"),
        ({"q": "spoor", "theme": "ruimte"}, 404, "theme"),
        ({"q": "spoor", "dossier": "nope"}, 404, "dossier"),
        ({"q": "spoor", "type": "person"}, 422, "type"),
        ({"q": "spoor", "limit": "1000"}, 422, "limit"),
    ],
)
def test_bad_input_to_the_api_gets_a_4xx_naming_the_field(
    client: tuple[TestClient, dict[str, dict[str, str]]],
    params: dict[str, str],
    status: int,
    field: str,
) -> None:
    http, headers = client
    answer = http.get("/api/v1/search", params=params, headers=headers[STAFF])
    named = answer.json()["field"].split(".")[0]  # "kind.0": the first value of kind
    assert (answer.status_code, named) == (status, field), answer.json()


def test_the_api_needs_a_token(client: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    http, _ = client
    assert http.get("/api/v1/search", params={"q": "spoor"}).status_code == 401


def sign_in(http: TestClient, headers: dict[str, dict[str, str]], email: str) -> None:
    answer = http.get(f"/login/{headers[f'login:{email}']['secret']}", follow_redirects=False)
    assert answer.status_code == 303


def test_the_search_page_shows_hits_in_dutch_with_the_words_marked(
    client: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    http, headers = client
    assert http.get("/zoeken", headers={"accept": "text/html"}).status_code == 401
    sign_in(http, headers, OTHER)
    empty = http.get("/zoeken")
    assert (
        empty.status_code == 200
        and 'role="search"' in empty.text
        and "resultaten" not in empty.text
    )
    page = http.get("/zoeken", params={"q": "vergaderingen"})
    assert page.status_code == 200
    assert "resultaten voor “vergaderingen”" in page.text
    assert 'href="/items/spoor-overleg"' in page.text and "<mark>" in page.text
    hidden = http.get("/zoeken", params={"q": "grondposities"})
    assert "0 resultaten" in hidden.text and "geheim" not in hidden.text
    assert "Niets gevonden" in hidden.text
    bad = http.get("/zoeken", params={"q": "x" * 1000})
    assert bad.status_code == 422 and "hoogstens 200 tekens" in bad.text
    assert 'aria-invalid="true"' in bad.text
    odd = http.get("/zoeken", params={"q": "spoor", "from": "morgen"})
    assert odd.status_code == 422 and "from" in odd.text


def test_the_command_line_searches_everything_or_as_a_person(
    filled: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from scheduler.cli import main

    monkeypatch.setenv("LOBBY_DATABASE_URL", filled.url)

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        out = capsys.readouterr()
        return int(exited.value.code or 0), out.out, out.err

    code, out, _ = run("search", "grondposities", "--json")
    assert code == 0 and [h["key"] for h in json.loads(out)["hits"]] == ["geheim"]
    code, out, _ = run("search", "grondposities", "--as", OTHER, "--json")
    assert code == 0 and json.loads(out)["total"] == 0
    code, out, _ = run("search", "spoor", "--type", "dossier")
    assert code == 0 and "Spoorverdubbeling" in out and "1 hits" in out
    code, _, err = run("search", "x" * 1000)
    assert code == 2 and err.strip() == "error: q: at most 200 characters (this has 1000)"
    code, _, err = run("search", "spoor", "--type", "person")
    assert code == 2 and "--type 'person'" in err


def test_the_index_lives_in_the_database_not_in_the_models(filled: Database) -> None:
    with filled.engine.connect() as connection:
        if is_postgres(filled):
            # The tables whose triggers keep search_entries.
            columns = connection.execute(
                text(
                    "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                    "WHERE action_statement LIKE '%search_%'"
                )
            ).scalars()
        else:
            columns = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%fts5%'")
            ).scalars()
        named = {name.removesuffix("_fts") for name in columns}
    assert named == set(search.SEARCHABLE_TABLES)


# ---------------------------------------------------------------- order of many hits


def test_a_title_hit_comes_before_text_that_repeats_the_word(filled: Database) -> None:
    # By ts_rank alone the short text with the word four times would win on PostgreSQL
    # (a long item's rank is divided by its length); a hit in the title comes first.
    long_text = " ".join(f"woord{n}" for n in range(200))
    more = {"items": [
        item("herhaald", "Overleg", goal="kabeltracé kabeltracé kabeltracé",
             message="kabeltracé"),
        item("titel", "Kabeltracé", description=long_text),
    ]}  # fmt: skip
    import_data(filled, more, "more", ACTOR)
    assert found(filled, "kabeltracé") == ["item:titel", "item:herhaald"]


def test_pages_of_a_broad_query_join_up_across_title_and_text_hits(filled: Database) -> None:
    more = {"items": [
        item(f"p{n}", "Overleg" if n % 3 else "Bezoek",
             description="Over de haven" if n % 3 else "Nog eens over de haven en de havens",
             confidentiality="confidential" if n % 4 == 0 else "internal")
        for n in range(14)
    ] + [item("h-titel", "Haven"), item("h-beide", "Haven", description="haven en haven")]}  # fmt: skip
    import_data(filled, more, "more", ACTOR)
    reader = person(filled, OTHER)  # sees no confidential item (OWNER owns them all)
    with filled.read() as session:
        whole = search.search(session, "haven", reader, limit=100)
        pages = [search.search(session, "haven", reader, limit=5, offset=n) for n in (0, 5, 10)]
    joined = [hit.key for page in pages for hit in page.hits]
    assert joined == [hit.key for hit in whole.hits]
    assert {page.total for page in pages} == {whole.total} == {12}
    assert set(joined[:2]) == {"h-beide", "h-titel"}  # the word in the title, then in the text
    assert not any(hit.confidential for hit in whole.hits)


# ---------------------------------------------------------------- contact persons

CONTACTS: dict[str, Any] = {
    "contacts": [
        {"slug": "jan-de-vries", "name": "Jan de Vries", "stakeholder": "pnh",
         "function": "gedeputeerde mobiliteit", "themes": ["mobiliteit"],
         "notes": "Liefst een ochtendafspraak"},
        {"slug": "els-bakker", "name": "Els Bakker", "stakeholder": "mra",
         "function": "regio-secretaris"},
    ],
    "items": [
        item("kabelbaan", "Gesprek over de kabelbaan", confidentiality="confidential",
             participants=[GUEST], contacts=["jan-de-vries"],
             description="Jan de Vries wil de kabelbaan"),
    ],
}  # fmt: skip


@pytest.fixture
def with_contacts(filled: Database) -> Database:
    with time_machine.travel(NOW, tick=False):
        import_data(filled, CONTACTS, "contacts", ACTOR)
    return filled


def test_contact_persons_are_found_by_name_function_notes_and_organisation(
    with_contacts: Database,
) -> None:
    db = with_contacts
    assert found(db, "ochtendafspraak") == ["contact:jan-de-vries"]
    assert found(db, "regio-secretaris") == ["contact:els-bakker"]
    # Words from the name and the organisation together; the organisation itself first.
    assert found(db, "Vries Noord-Holland") == ["contact:jan-de-vries"]
    assert found(db, "Metropoolregio") == ["stakeholder:mra", "contact:els-bakker"]
    with db.read() as session:
        hit = search.search(session, "ochtendafspraak", EVERYTHING).hits[0]
    assert (hit.title, hit.url) == (
        "Jan de Vries (Provincie Noord-Holland)",
        "/contacts/jan-de-vries",
    )
    assert "<mark>ochtendafspraak</mark>" in str(hit.snippet_html)


def test_a_contact_hit_never_shows_the_confidential_meeting_they_were_at(
    with_contacts: Database,
) -> None:
    for email, sees in MATRIX:
        with with_contacts.read() as session:
            reader = person(with_contacts, email)
            meeting = search.search(session, "kabelbaan", reader)
            contact = search.search(session, "Vries", reader)
        # The meeting's words find the meeting (for who may see it), never the person.
        assert [h.key for h in meeting.hits] == (["kabelbaan"] if sees else []), email
        assert meeting.counts == ({"item": 1} if sees else {}), email
        # The person's hit holds their own fields only, whoever reads it.
        keys = [f"{h.type}:{h.key}" for h in contact.hits]
        assert "contact:jan-de-vries" in keys, email
        assert ("item:kabelbaan" in keys) is sees, email
        shown = json.dumps([h for h in contact.as_json()["hits"] if h["type"] == "contact"])
        assert "kabelbaan" not in shown.lower(), email


def test_an_erased_contact_person_is_found_no_more_and_leaves_nothing_in_the_index(
    with_contacts: Database,
) -> None:
    from tests.test_contacts import every_value

    db = with_contacts
    assert found(db, "ochtendafspraak") == ["contact:jan-de-vries"]
    assert "ochtendafspraak" in every_value(db)
    with time_machine.travel(NOW, tick=False), db.write() as session:
        contacts.erase(session, "jan-de-vries", agenda.Actor(ADMIN, "cli"), NOW)
    for words in ("ochtendafspraak", "Vries", "gedeputeerde mobiliteit", "Jan"):
        assert [k for k in found(db, words) if k.startswith("contact:")] == [], words
    # Nor in the index's own tables (FTS5's segments are merged at once on SQLite).
    assert "ochtendafspraak" not in every_value(db)
    assert found(db, "regio-secretaris") == ["contact:els-bakker"]


def test_a_renamed_organisation_is_found_at_its_contact_persons(with_contacts: Database) -> None:
    with with_contacts.write() as session:
        session.execute(
            update(Stakeholder).where(Stakeholder.slug == "pnh").values(name="Gewest Kennemerland")
        )
    assert found(with_contacts, "Kennemerland Vries") == ["contact:jan-de-vries"]
    assert found(with_contacts, "Vries Noord-Holland") == []


def test_contact_persons_meet_the_type_and_theme_filters_and_no_others(
    with_contacts: Database,
) -> None:
    db = with_contacts
    assert set(found(db, "Vries OR Bakker", types=("contact",))) == {
        "contact:els-bakker", "contact:jan-de-vries"
    }  # fmt: skip
    # The portfolio: Jan has mobiliteit, Els none.
    assert found(db, "Vries OR Bakker", themes=("mobiliteit",)) == ["contact:jan-de-vries"]
    # Contact persons have no kind, dossier or period: such a filter leaves them out.
    assert found(db, "Vries OR Bakker", kinds=(ItemKind.MEETING,)) == ["item:kabelbaan"]
    assert found(db, "Bakker", dossier="spoor") == []
    assert found(db, "Bakker", first=date(2026, 1, 1)) == []


def test_the_api_the_page_and_the_command_line_find_contact_persons(
    with_contacts: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from scheduler.cli import main

    with with_contacts.write() as session:
        _, api = tokens.create(session, STAFF, scope="api-read", today=NOW.date())
        _, login = tokens.create(session, STAFF, scope="login", today=NOW.date())
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(Settings(database_url=with_contacts.url), run_jobs=False)) as http,
    ):
        answer = http.get(
            "/api/v1/search", params={"q": "Bakker", "type": "contact"},
            headers={"authorization": f"Bearer {api}"},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert [(h["type"], h["url"]) for h in answer.json()["hits"]] == [
            ("contact", "/contacts/els-bakker")
        ]
        assert http.get(f"/login/{login}", follow_redirects=False).status_code == 303
        page = http.get("/zoeken", params={"q": "Bakker", "type": "contact"})
        assert page.status_code == 200
        assert "Contactpersoon" in page.text and 'href="/contacts/els-bakker"' in page.text
        assert '<option value="contact" selected>' in page.text
    monkeypatch.setenv("LOBBY_DATABASE_URL", with_contacts.url)
    with pytest.raises(SystemExit) as exited:
        main(["search", "Bakker", "--type", "contact", "--json"])
    assert exited.value.code in (0, None)
    assert [h["key"] for h in json.loads(capsys.readouterr().out)["hits"]] == ["els-bakker"]


# ---------------------------------------------------------------- in a real browser


def test_the_search_page_in_chromium_from_the_menu_to_a_marked_hit(
    sqlite_db: Database, browser: Any
) -> None:
    # The page is the same on both databases: SQLite alone for the browser.
    filled = sqlite_db
    with time_machine.travel(NOW, tick=False):
        import_data(filled, DATA, "search data", ACTOR)
    with filled.write() as session:
        _, secret = tokens.create(session, OTHER, scope="login", today=date.today())
    with serving(filled) as base:
        page = browser.new_page()
        try:
            page.goto(f"{base}/login/{secret}")
            page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
                "link", name="Zoeken"
            ).click()
            page.wait_for_url(f"{base}/zoeken")
            field = page.get_by_label("Zoekwoorden")
            field.fill("vergaderingen")
            field.press("Enter")
            page.wait_for_url("**/zoeken?q=vergaderingen*")
            hits = page.locator("ol.hits > li")
            assert (
                page.get_by_role("heading", level=2)
                .first.inner_text()
                .endswith("resultaten voor “vergaderingen”")
            )
            assert hits.count() >= 2
            first = hits.filter(has_text="Bestuurlijk overleg spoor")
            assert first.locator("mark").first.inner_text().lower() == "vergadering"
            # A confidential item of others: not found, not counted.
            field = page.get_by_label("Zoekwoorden")
            field.fill("grondposities")
            page.get_by_role("button", name="Zoeken").click()
            page.wait_for_url("**q=grondposities*")
            assert page.get_by_text("0 resultaten voor “grondposities”").is_visible()
            assert hits.count() == 0
            # Too long: the page says so and keeps the form.
            page.goto(f"{base}/zoeken?q={'x' * 300}")
            assert "hoogstens 200 tekens" in page.get_by_role("alert").inner_text()
        finally:
            page.close()
