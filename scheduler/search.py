"""Full-text search over items, dossiers, their notes, stakeholders and contact persons, as a
reader may see it.

The index is the database's own (migration 0017): one narrow table `search_entries` with
Dutch stemming on PostgreSQL, FTS5 tables kept by triggers on SQLite. This module turns what
someone typed into a query for either (never passing their text on as query syntax), ranks,
filters, and leaves out in the query itself what the reader may not see, so that a
confidential hit is neither shown nor counted.

Order: hits with the words in their title (a contact person's or stakeholder's name) come
first, then the others, each best first (PostgreSQL's `ts_rank`, SQLite's bm25, both with
the title weighted most). On PostgreSQL a broad query (tens of thousands of hits) then ranks
only the title hits to fill its first pages, and still counts every hit exactly.

A contact person's hit holds their own fields only (name, function, notes, organisation):
never the meetings they were at, so a confidential meeting shows through no hit.

What people may type: words (all must occur), "a phrase", `-word` or `NOT word` (must not
occur), `word OR other`, and `word*` (words that start so). Everything else is read as
space: quotes left open, stray operators and signs give a sensible query, never an error
from the database.

SQLite has no Dutch stemmer: a word is looked for as a prefix of what Snowball's Dutch
stemmer keeps of it ("vergaderingen" → vergader*), which finds the same forms in most cases.

A new searchable table (item notes, documents) needs one migration (see 0017) and one
`Source` in SOURCES below, with its permission rule and the filters it can meet in `_where`
(SQLite) and `_entry_where` (PostgreSQL).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, reduce
from typing import Any, Final, Literal

import snowballstemmer  # type: ignore[import-untyped]
from markupsafe import Markup, escape
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    column,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy import table as table_clause
from sqlalchemy import text as sql_text
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.expression import TableClause

from scheduler import catalog, clock, dossiers
from scheduler.errors import ValidationError
from scheduler.models import (
    AgendaItem,
    Confidentiality,
    ContactPerson,
    Dossier,
    DossierNote,
    ItemKind,
    Person,
    Stakeholder,
    contact_person_themes,
    dossier_themes,
    item_dossiers,
    item_participants,
    item_themes,
)
from scheduler.texts import Lang, text

# The database-side objects of the index, which the ORM does not map (test_models skips them).
ENTRIES_TABLE: Final = "search_entries"  # PostgreSQL
MAX_LENGTH: Final = 200  # characters of a query
MAX_WORDS: Final = 12
MAX_LIMIT: Final = 100

HitType = Literal["item", "dossier", "note", "stakeholder", "contact"]
HIT_TYPES: Final[tuple[HitType, ...]] = ("item", "dossier", "note", "stakeholder", "contact")

# Around the words found, in the snippets the databases make; never in stored text (control
# characters), so the HTML built from them is ours alone.
_START, _STOP = "\x02", "\x03"
_HEADLINE = ", ".join(
    (f"StartSel={_START}", f"StopSel={_STOP}", "MaxWords=30", "MinWords=12", "MaxFragments=2",
     'FragmentDelimiter=" … "'),
)  # fmt: skip


@dataclass(frozen=True)
class Source:
    """One searchable table: its FTS5 columns (SQLite) in the migration's order with their
    ranking weights, the columns a snippet is cut from, and its title (hits in it first)."""

    type: HitType
    table: Table
    fts_weights: tuple[float, ...]
    snippet_columns: tuple[str, ...]
    head: str | None = None

    @property
    def fts(self) -> str:
        return f"{self.table.name}_fts"


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


# Weights A, B, C, D of PostgreSQL's ranking as SQLite bm25 column weights.
_A, _B, _C, _D = 10.0, 4.0, 2.0, 1.0
SOURCES: Final[dict[HitType, Source]] = {
    "item": Source(
        "item", _table(AgendaItem), (_A, _B, _B, _C, _C, _D),
        ("goal", "message", "description", "outcome", "location"), "title",
    ),
    "dossier": Source("dossier", _table(Dossier), (_A, _B, _B), ("goal", "ask"), "title"),
    "note": Source("note", _table(DossierNote), (_B,), ("text",)),
    "stakeholder": Source(
        "stakeholder", _table(Stakeholder), (_A, _B), ("description",), "name"
    ),
    # FTS5 columns name, function, organisation, notes (a table with its own copy of them).
    "contact": Source(
        "contact", _table(ContactPerson), (_A, _B, _C, _C), ("function", "notes"), "name"
    ),
}  # fmt: skip
_MODELS: Final[dict[str, Any]] = {
    "item": AgendaItem, "dossier": Dossier, "note": DossierNote, "stakeholder": Stakeholder,
    "contact": ContactPerson,
}  # fmt: skip
SEARCHABLE_TABLES: Final = frozenset(source.table.name for source in SOURCES.values())


class Everyone:
    """The reader at the command line: the operator, who reads the database anyway."""


EVERYTHING: Final = Everyone()
Reader = Person | Everyone


# ---------------------------------------------------------------- what was typed


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    prefix: bool = False  # `word*`


@dataclass(frozen=True)
class Clause:
    """Terms of which one must occur (or, negated, none may)."""

    terms: tuple[Term, ...]
    negated: bool = False


@dataclass(frozen=True)
class Query:
    text: str
    clauses: tuple[Clause, ...]


_TOKEN = re.compile(
    r'(?P<neg>-|\bNOT\s+)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\W_]+(?:[-\'’.][^\W_]+)*)(?P<star>\*)?)'
)
_WORD = re.compile(r"[^\W_]+")


def parse(typed: str, lang: Lang = "en") -> Query:
    """What someone typed as a query, or a ValidationError (field `q`) that says what to
    change: nothing to look for, too long, too many words, or only words to leave out."""
    stripped = " ".join(typed.split())
    if not stripped:
        raise ValidationError(text("search_empty", lang), field="q")
    if len(stripped) > MAX_LENGTH:
        raise ValidationError(
            text("search_too_long", lang, limit=str(MAX_LENGTH), length=str(len(stripped))),
            field="q",
        )
    clauses: list[Clause] = []
    join_next = False
    for match in _TOKEN.finditer(stripped):
        raw = match.group("word")
        if raw in ("OR", "AND") and not match.group("neg"):
            join_next = raw == "OR" and bool(clauses) and not clauses[-1].negated
            continue
        words = tuple(w.lower() for w in _WORD.findall(match.group("phrase") or raw or ""))
        if not words:
            continue
        term = Term(words, prefix=bool(match.group("star")) and len(words) == 1)
        negated = bool(match.group("neg"))
        if join_next and not negated:
            clauses[-1] = Clause((*clauses[-1].terms, term))
        else:
            clauses.append(Clause((term,), negated))
        join_next = False
    if not clauses:
        raise ValidationError(text("search_no_words", lang), field="q")
    if sum(len(t.words) for c in clauses for t in c.terms) > MAX_WORDS:
        raise ValidationError(text("search_too_many_words", lang, limit=str(MAX_WORDS)), field="q")
    if all(clause.negated for clause in clauses):
        raise ValidationError(text("search_only_excluded", lang), field="q")
    return Query(stripped, tuple(clauses))


@cache
def _stemmer() -> Any:
    # The Porter-style Dutch stemmer (PostgreSQL's 'dutch' is the same algorithm): it mostly
    # cuts endings off, so what it keeps is a prefix of the word. The newer 'dutch' of
    # Snowball 3 also removes prefixes ("gemeente" → "meen"), no use for prefix matching.
    return snowballstemmer.stemmer("dutch_porter")


def _stem_prefix(word: str) -> str | None:
    """What an FTS5 prefix query may look for to find the word's other forms, or None for
    the word alone."""
    if len(word) < 3:
        return None  # "de" as a prefix finds nearly everything
    stem: str = _stemmer().stemWord(word)
    # A stem that is not a prefix (a vowel undoubled: "spoor" → "spor") would find other
    # words ("spo…"): then words that start with the whole word.
    return stem if word.startswith(stem) and len(stem) >= 3 else word


def _fts5_term(term: Term) -> str:
    quoted = '"' + " ".join(term.words) + '"'
    if term.prefix:
        return quoted + " *"
    if len(term.words) == 1:
        stem = _stem_prefix(term.words[0])
        if stem is not None:
            return f'"{stem}" *'
    return quoted


def fts5_query(query: Query) -> str:
    """The query in FTS5's syntax; every word is quoted, so none is read as an operator."""

    def clause(c: Clause) -> str:
        alternatives = [_fts5_term(t) for t in c.terms]
        return alternatives[0] if len(alternatives) == 1 else f"({' OR '.join(alternatives)})"

    wanted = " AND ".join(clause(c) for c in query.clauses if not c.negated)
    unwanted = "".join(f" NOT {clause(c)}" for c in query.clauses if c.negated)
    return f"({wanted}){unwanted}" if unwanted else wanted


_DUTCH: ColumnElement[Any] = literal_column("'dutch'::regconfig")


def _tsquery_term(term: Term) -> ColumnElement[Any]:
    if term.prefix:
        # Its one word is letters and digits only: safe inside the quotes of to_tsquery.
        return func.to_tsquery(_DUTCH, literal(f"'{term.words[0]}':*", String))
    if len(term.words) > 1:
        return func.phraseto_tsquery(_DUTCH, literal(" ".join(term.words), String))
    return func.plainto_tsquery(_DUTCH, literal(term.words[0], String))


def tsquery(query: Query) -> ColumnElement[Any]:
    """The query as a PostgreSQL tsquery, built by functions from bound values. A stop word
    ("de", "het") gives an empty part, which the others absorb."""
    parts = []
    for clause in query.clauses:
        either = reduce(func.tsquery_or, [_tsquery_term(t) for t in clause.terms])
        parts.append(func.tsquery_not(either) if clause.negated else either)
    return reduce(func.tsquery_and, parts)


# ---------------------------------------------------------------- filters and hits


@dataclass(frozen=True)
class Filters:
    """Filters a hit must meet; a kind of hit that cannot meet one is left out (a theme
    filter leaves out stakeholders, which have no themes; contact persons meet it by their
    portfolio)."""

    themes: tuple[str, ...] = ()
    kinds: tuple[ItemKind, ...] = ()  # of items; given, only items
    first: date | None = None  # the period, in the home zone, both days included
    last: date | None = None
    dossier: str | None = None
    types: tuple[HitType, ...] = ()  # none: all

    def allows(self, hit_type: HitType) -> bool:
        if self.types and hit_type not in self.types:
            return False
        if self.kinds and hit_type != "item":
            return False
        if self.themes and hit_type == "stakeholder":
            return False
        if (self.first or self.last) and hit_type in ("dossier", "stakeholder", "contact"):
            return False
        return not (self.dossier and hit_type in ("stakeholder", "contact"))


@dataclass(frozen=True)
class Hit:
    type: HitType
    key: str  # an item's uid, a dossier's, stakeholder's or contact's slug, a note's dossier slug
    title: str
    snippet: str  # plain text
    snippet_html: Markup  # escaped, the words found in <mark>
    rank: float
    url: str  # a path on the site
    when: datetime | None = None  # an item's start, a note's time of writing
    kind: str | None = None  # an item's kind
    confidential: bool = False  # the reader takes part in it (others never see it)
    note_id: int | None = None


@dataclass(frozen=True)
class Results:
    query: str
    hits: list[Hit]
    total: int  # every hit the reader may see, not only this page
    limit: int
    offset: int
    counts: dict[str, int] = field(default_factory=dict)  # per type

    def as_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "counts": self.counts,
            "limit": self.limit,
            "offset": self.offset,
            "hits": [
                {
                    "type": hit.type,
                    "key": hit.key,
                    "title": hit.title,
                    "url": hit.url,
                    "snippet": hit.snippet,
                    "snippet_html": str(hit.snippet_html),
                    "rank": round(hit.rank, 6),
                    "when": hit.when.isoformat() if hit.when else None,
                    "kind": hit.kind,
                    "confidential": hit.confidential,
                    "note_id": hit.note_id,
                }
                for hit in self.hits
            ],
        }


def search(
    session: Session,
    typed: str,
    reader: Reader,
    filters: Filters = Filters(),
    *,
    home_zone: str = "Europe/Amsterdam",
    limit: int = 20,
    offset: int = 0,
    lang: Lang = "en",
) -> Results:
    """The hits for `typed` that `reader` may see, best first; `total` counts only those."""
    query = parse(typed, lang)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit: from 1 to {MAX_LIMIT}", field="limit")
    if offset < 0:
        raise ValidationError("offset: 0 or more", field="offset")
    if filters.first and filters.last and filters.last < filters.first:
        raise ValidationError(text("search_period_reversed", lang), field="to")
    theme_ids = [t.id for t in catalog.themes(session, filters.themes, field="theme")]
    dossier_id = dossiers.find_dossier(session, filters.dossier).id if filters.dossier else None
    context = _Context(
        postgres=session.get_bind().dialect.name == "postgresql",
        query=query,
        reader=reader,
        filters=filters,
        theme_ids=theme_ids,
        dossier_id=dossier_id,
        period=_period(filters, home_zone),
    )
    kinds = [source.type for source in SOURCES.values() if filters.allows(source.type)]
    if not kinds:
        return Results(query.text, [], 0, limit, offset)
    if context.postgres:
        page, counts = _postgres_page(session, context, kinds, limit, offset)
    else:
        page, counts = _sqlite_page(session, context, kinds, limit, offset)
    counts = {name: n for name, n in counts.items() if n}
    hits = _hits(session, context, page)
    return Results(query.text, hits, sum(counts.values()), limit, offset, counts)


_Page = list[tuple[str, int, float]]  # (type, row id, rank), best first


def _sqlite_page(
    session: Session, context: _Context, kinds: list[HitType], limit: int, offset: int
) -> tuple[_Page, dict[str, int]]:
    """One pass: the page and, beside each of its rows, the counts over all matches (window
    aggregates), so the matches are found and ranked once."""
    matches = union_all(*[_branch(SOURCES[kind], context) for kind in kinds]).subquery("matches")
    per_type = [
        func.sum(case((matches.c.type == name, 1), else_=0)).over().label(f"n_{name}")
        for name in HIT_TYPES
    ]
    page = session.execute(
        select(matches.c.type, matches.c.id, matches.c.rank, *per_type)
        .order_by(matches.c.titled.desc(), matches.c.rank.desc(), matches.c.type, matches.c.id)
        .limit(limit)
        .offset(offset)
    ).all()
    counts: dict[str, int]
    if page:
        counts = {name: int(page[0]._mapping[f"n_{name}"] or 0) for name in HIT_TYPES}
    elif offset:  # past the last page: the counts still say how many there are
        counts = {
            row.type: int(row.n)
            for row in session.execute(
                select(matches.c.type, func.count().label("n")).group_by(matches.c.type)
            )
        }
    else:
        counts = {}
    return [(row.type, row.id, float(row.rank)) for row in page], counts


_ENTRIES = table_clause(
    ENTRIES_TABLE,
    column("kind", String),
    column("row_id", Integer),
    column("confidential", Boolean),
    column("owner_id", Integer),
    column("head"),
    column("body"),
)


def _postgres_page(
    session: Session, context: _Context, kinds: list[HitType], limit: int, offset: int
) -> tuple[_Page, dict[str, int]]:
    """The counts and the page: first the hits with the words in their title (their own
    GIN index finds them, so a broad query ranks some thousands, not every match), then,
    once those run out, the others.

    1. One scan of the narrow entries counts every match the reader may see, per type.
    2. The page's part among the title hits, ranked, with how many title hits there are.
    3. The page's part among the other hits, ranked (only on pages past the title hits)."""
    # JIT compiling pays off for long reports, not for queries of some tens of ms; nor do
    # parallel workers, whose start costs more than they save and which take cores from the
    # requests beside this one (measured: 13 % faster without, on a busy 2-core machine).
    session.execute(sql_text("SET LOCAL jit = off"))
    session.execute(sql_text("SET LOCAL max_parallel_workers_per_gather = 0"))
    entries = _ENTRIES.c
    found = tsquery(context.query)
    matching = [entries.body.op("@@")(found), *_entries_visible(context, kinds)]
    titled = entries.head.op("@@")(found)
    counts: dict[str, int] = {
        kind: int(n)
        for kind, n in session.execute(
            select(entries.kind, func.count()).where(*matching).group_by(entries.kind)
        )
    }
    total = sum(counts.values())
    if not total:
        return [], counts
    rank = func.ts_rank(entries.body, found, 1)  # 1: divided by 1 + log(length)

    def ranked(tier: ColumnElement[bool], count: int, skip: int) -> list[Any]:
        return list(
            session.execute(
                select(entries.kind, entries.row_id, rank, func.count().over())
                .select_from(_ENTRIES)
                .where(*matching, tier)
                .order_by(rank.desc(), entries.kind, entries.row_id)
                .limit(count)
                .offset(skip)
            )
        )

    rows = ranked(titled, limit, offset)
    if rows:
        in_titles = int(rows[0][3])
    elif offset:  # past the title hits: how many there are, to know where the others start
        in_titles = int(session.scalar(select(func.count()).where(*matching, titled)) or 0)
    else:
        in_titles = 0
    if len(rows) < limit and offset + len(rows) < total:
        rows += ranked(not_(titled), limit - len(rows), max(0, offset - in_titles))
    return [(kind, row_id, float(score)) for kind, row_id, score, _ in rows], counts


def _entries_visible(context: _Context, kinds: list[HitType]) -> list[ColumnElement[bool]]:
    """What of search_entries the reader may see and the filters let through. Only items
    are ever confidential, so the permission needs no kind; the kinds are named only when
    a filter leaves some out or applies to some (fewer tests per match otherwise)."""
    entries = _ENTRIES.c
    conditions: list[ColumnElement[bool]] = []
    if not isinstance(context.reader, Everyone):
        mine = select(item_participants.c.item_id).where(
            item_participants.c.person_id == context.reader.id
        )
        conditions.append(
            or_(
                not_(entries.confidential),
                entries.owner_id == context.reader.id,
                entries.row_id.in_(mine),
            )
        )
    per_kind = {kind: _entry_where(kind, context) for kind in kinds}
    if len(kinds) < len(HIT_TYPES) or any(per_kind.values()):
        conditions.append(
            or_(*[and_(entries.kind == kind, *where) for kind, where in per_kind.items()])
        )
    return conditions


@dataclass(frozen=True)
class _Context:
    postgres: bool
    query: Query
    reader: Reader
    filters: Filters
    theme_ids: list[int]
    dossier_id: int | None
    period: tuple[datetime | None, datetime | None]


def _period(filters: Filters, home_zone: str) -> tuple[datetime | None, datetime | None]:
    zone = clock.zone(home_zone)
    start = clock.local_midnight(filters.first, zone) if filters.first else None
    end = (
        clock.local_midnight(date.fromordinal(filters.last.toordinal() + 1), zone)
        if filters.last
        else None
    )
    return start, end


def _branch(source: Source, context: _Context) -> Select[Any]:
    """SQLite: (type, id, rank) of each row of `source` that matches and that the reader may
    see."""
    table = source.table
    fts: ColumnElement[Any] = literal_column(source.fts)
    weights = [literal(w, Float) for w in source.fts_weights]
    rowid: ColumnElement[Any] = literal_column(f"{source.fts}.rowid")
    wanted = fts5_query(context.query)
    # As on PostgreSQL, hits with the words in their title first: a tier above any rank.
    titled: ColumnElement[Any] = literal(0)
    if source.head is not None:
        in_title: Select[Any] = (
            select(literal_column("rowid"))
            .select_from(_fts_table(source))
            .where(fts.op("MATCH")(bindparam(f"t_{source.type}", f"{source.head} : ({wanted})")))
        )
        titled = case((table.c.id.in_(in_title), 1), else_=0)
    query = (
        select(
            literal(source.type, String).label("type"),
            table.c.id,
            (-func.bm25(fts, *weights)).label("rank"),
            titled.label("titled"),
        )
        .select_from(table.join(_fts_table(source), rowid == table.c.id))
        .where(fts.op("MATCH")(bindparam(f"q_{source.type}", wanted)))
    )
    return query.where(*_where(source, context))


def _fts_table(source: Source) -> TableClause:
    return table_clause(source.fts)


def _where(source: Source, context: _Context) -> list[ColumnElement[bool]]:
    """The reader's permission and the filters, for one kind of hit."""
    filters, (start, end) = context.filters, context.period
    if source.type == "item":
        conditions = [_may_see_item(context.reader)]
        if filters.kinds:
            conditions.append(AgendaItem.kind.in_(filters.kinds))
        if context.theme_ids:
            conditions.append(
                exists().where(
                    item_themes.c.item_id == AgendaItem.id,
                    item_themes.c.theme_id.in_(context.theme_ids),
                )
            )
        if context.dossier_id is not None:
            conditions.append(
                exists().where(
                    item_dossiers.c.item_id == AgendaItem.id,
                    item_dossiers.c.dossier_id == context.dossier_id,
                )
            )
        # An item (a series: from its first start to its last end) that overlaps the period.
        if end is not None:
            conditions.append(AgendaItem.starts_at < end)
        if start is not None:
            conditions.append(
                or_(AgendaItem.last_ends_at.is_(None), AgendaItem.last_ends_at > start)
            )
        return conditions
    if source.type in ("dossier", "note"):
        dossier_id = Dossier.id if source.type == "dossier" else DossierNote.dossier_id
        conditions = []
        if context.theme_ids:
            conditions.append(
                exists().where(
                    dossier_themes.c.dossier_id == dossier_id,
                    dossier_themes.c.theme_id.in_(context.theme_ids),
                )
            )
        if context.dossier_id is not None:
            conditions.append(dossier_id == context.dossier_id)
        if source.type == "note" and start is not None:
            conditions.append(DossierNote.written_at >= start)
        if source.type == "note" and end is not None:
            conditions.append(DossierNote.written_at < end)
        return conditions
    if source.type == "contact" and context.theme_ids:
        return [_in_portfolio(ContactPerson.id, context.theme_ids)]
    # Stakeholders and contact persons: every signed-in reader sees them.
    return []


def _in_portfolio(
    row_id: ColumnElement[int] | InstrumentedAttribute[int], theme_ids: list[int]
) -> ColumnElement[bool]:
    return row_id.in_(
        select(contact_person_themes.c.contact_person_id).where(
            contact_person_themes.c.theme_id.in_(theme_ids)
        )
    )


def _entry_where(kind: HitType, context: _Context) -> list[ColumnElement[bool]]:
    """PostgreSQL: the filters for entries of one kind, as conditions on the entry (its row
    id in a set: hashed once, not looked up per match)."""
    entries, filters, (start, end) = _ENTRIES.c, context.filters, context.period
    row_id: ColumnElement[int] = entries.row_id
    conditions: list[ColumnElement[bool]] = []
    if kind == "item":
        if context.theme_ids:
            conditions.append(
                row_id.in_(
                    select(item_themes.c.item_id).where(
                        item_themes.c.theme_id.in_(context.theme_ids)
                    )
                )
            )
        if context.dossier_id is not None:
            conditions.append(
                row_id.in_(
                    select(item_dossiers.c.item_id).where(
                        item_dossiers.c.dossier_id == context.dossier_id
                    )
                )
            )
        on_items: list[ColumnElement[bool]] = []
        if filters.kinds:
            on_items.append(AgendaItem.kind.in_(filters.kinds))
        if end is not None:
            on_items.append(AgendaItem.starts_at < end)
        if start is not None:
            on_items.append(or_(AgendaItem.last_ends_at.is_(None), AgendaItem.last_ends_at > start))
        if on_items:
            conditions.append(row_id.in_(select(AgendaItem.id).where(*on_items)))
        return conditions
    if kind == "dossier":
        if context.theme_ids:
            conditions.append(row_id.in_(_dossiers_on(context.theme_ids)))
        if context.dossier_id is not None:
            conditions.append(row_id == context.dossier_id)
        return conditions
    if kind == "note":
        on_notes: list[ColumnElement[bool]] = []
        if context.theme_ids:
            on_notes.append(DossierNote.dossier_id.in_(_dossiers_on(context.theme_ids)))
        if context.dossier_id is not None:
            on_notes.append(DossierNote.dossier_id == context.dossier_id)
        if start is not None:
            on_notes.append(DossierNote.written_at >= start)
        if end is not None:
            on_notes.append(DossierNote.written_at < end)
        if on_notes:
            conditions.append(row_id.in_(select(DossierNote.id).where(*on_notes)))
        return conditions
    if kind == "contact" and context.theme_ids:
        return [_in_portfolio(row_id, context.theme_ids)]
    return []


def _dossiers_on(theme_ids: list[int]) -> Select[tuple[int]]:
    return select(dossier_themes.c.dossier_id).where(dossier_themes.c.theme_id.in_(theme_ids))


def _may_see_item(reader: Reader) -> ColumnElement[bool]:
    """permissions.may_see as SQL: a confidential item only for its owner and participants
    (admins included: a hit would show its content)."""
    if isinstance(reader, Everyone):
        return true()
    return or_(
        AgendaItem.confidentiality != Confidentiality.CONFIDENTIAL,
        AgendaItem.owner_id == reader.id,
        exists().where(
            item_participants.c.item_id == AgendaItem.id,
            item_participants.c.person_id == reader.id,
        ),
    )


# ---------------------------------------------------------------- the hits on one page


def _hits(session: Session, context: _Context, page: list[tuple[str, int, float]]) -> list[Hit]:
    wanted: dict[str, list[int]] = {}
    for hit_type, row_id, _ in page:
        wanted.setdefault(hit_type, []).append(row_id)
    snippets = {
        (hit_type, row_id): snippet
        for hit_type, ids in wanted.items()
        for row_id, snippet in _snippets(session, SOURCES[hit_type], context, ids).items()  # type: ignore[index]
    }
    rows: dict[tuple[str, int], Any] = {}
    for hit_type, ids in wanted.items():
        table = SOURCES[hit_type].table  # type: ignore[index]
        model = _MODELS[hit_type]
        found = session.scalars(select(model).where(table.c.id.in_(ids)))
        rows |= {(hit_type, row.id): row for row in found}
    return [
        _hit(hit_type, rows[(hit_type, row_id)], snippets.get((hit_type, row_id), ""), rank)  # type: ignore[arg-type]
        for hit_type, row_id, rank in page
    ]


def _hit(hit_type: HitType, row: Any, marked: str, rank: float) -> Hit:
    plain, html = marked.replace(_START, "").replace(_STOP, ""), highlighted(marked)
    if hit_type == "item":
        item: AgendaItem = row
        return Hit(
            "item", item.uid, item.title, plain, html, rank, f"/items/{item.uid}",
            when=item.starts_at, kind=item.kind.value,
            confidential=item.confidentiality == Confidentiality.CONFIDENTIAL,
        )  # fmt: skip
    if hit_type == "dossier":
        dossier: Dossier = row
        return Hit(
            "dossier", dossier.slug, dossier.title, plain, html, rank, f"/dossiers/{dossier.slug}"
        )
    if hit_type == "note":
        note: DossierNote = row
        return Hit(
            "note", note.dossier.slug, note.dossier.title, plain, html, rank,
            f"/dossiers/{note.dossier.slug}", when=note.written_at, note_id=note.id,
        )  # fmt: skip
    if hit_type == "contact":
        contact: ContactPerson = row
        return Hit(
            "contact", contact.slug, f"{contact.name} ({contact.stakeholder.name})", plain, html,
            rank, f"/contacts/{contact.slug}",
        )  # fmt: skip
    stakeholder: Stakeholder = row
    return Hit(
        "stakeholder", stakeholder.slug, stakeholder.name, plain, html, rank,
        f"/agenda?stakeholder={stakeholder.slug}",
    )  # fmt: skip


def _snippets(
    session: Session, source: Source, context: _Context, ids: Sequence[int]
) -> dict[int, str]:
    """A fragment around the words found, for a page's rows only (cutting one costs more than
    finding the row)."""
    table = source.table
    if context.postgres:
        body = func.concat_ws(
            " … ", *[func.nullif(table.c[name], "") for name in source.snippet_columns]
        )
        cut = func.ts_headline(_DUTCH, body, tsquery(context.query), literal(_HEADLINE, String))
        rows = session.execute(select(table.c.id, cut).where(table.c.id.in_(ids)))
    else:
        fts: ColumnElement[Any] = literal_column(source.fts)
        rowid: ColumnElement[Any] = literal_column(f"{source.fts}.rowid")
        cut = func.snippet(fts, -1, literal(_START), literal(_STOP), literal("…"), 24)
        rows = session.execute(
            select(rowid, cut)
            .select_from(_fts_table(source))
            .where(fts.op("MATCH")(bindparam("q", fts5_query(context.query))), rowid.in_(ids))
        )
    return {int(row_id): str(snippet or "") for row_id, snippet in rows}


def highlighted(marked: str) -> Markup:
    """A snippet with the database's markers as escaped HTML, the words found in <mark>; a
    marker out of place (never expected) is dropped, so the tags always pair up."""
    parts: list[str] = []
    inside = False
    for piece in re.split(f"([{_START}{_STOP}])", marked):
        if piece == _START:
            if not inside:
                parts.append("<mark>")
                inside = True
        elif piece == _STOP:
            if inside:
                parts.append("</mark>")
                inside = False
        else:
            parts.append(str(escape(piece)))
    if inside:
        parts.append("</mark>")
    return Markup("".join(parts))
