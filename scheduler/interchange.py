"""YAML and CSV import and export.

An import is all-or-nothing: every record is checked, then everything is applied in one
transaction; any problem rolls it all back and is reported with file, line and field.
The YAML format is documented in the README; CSV files carry agenda items, one per row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import yaml
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler import agenda, catalog, clock, contacts, dossiers, ics_reader
from scheduler.db import Database
from scheduler.errors import ImportFileError, ImportRejected, LobbyError, Problem
from scheduler.schemas import (
    ContactPersonIn,
    DossierIn,
    ItemIn,
    PartnershipIn,
    PersonIn,
    Record,
    StakeholderIn,
    ThemeIn,
)

# Sections in the order they are applied: later ones refer to earlier ones.
SECTIONS: dict[str, tuple[type[Record], str]] = {
    "themes": (ThemeIn, "slug"),
    "stakeholders": (StakeholderIn, "slug"),
    "people": (PersonIn, "email"),
    "partnerships": (PartnershipIn, "slug"),
    "dossiers": (DossierIn, "slug"),
    "contacts": (ContactPersonIn, "slug"),
    "items": (ItemIn, "uid"),
}
CSV_COLUMNS = [
    "uid", "title", "kind", "start", "end", "timezone", "rrule", "rdates", "exdates",
    "location", "online_url", "description", "themes", "stakeholders", "owner",
    "participants", "goal", "message", "role", "status", "confidentiality", "reminders", "outcome",
    "dossiers", "contacts",
]  # fmt: skip
# An empty CSV cell clears these fields; for the others it means "not given".
CSV_CLEARABLE = frozenset(CSV_COLUMNS) - {
    "uid",
    "title",
    "kind",
    "start",
    "end",
    "timezone",
    "status",
    "confidentiality",
}
_MAX_NODES = 5_000_000  # guards against YAML alias bombs
Progress = Callable[[int, int], None]


@dataclass
class Entry:
    """One record of an import file, with where it stands."""

    section: str
    index: int
    data: dict[str, Any]
    line: int
    field_lines: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the reader chose, worth telling

    @property
    def path(self) -> str:
        return f"{self.section}[{self.index}]"

    def problem(self, source: str, message: str, field_name: str | None = None) -> Problem:
        top = (field_name or "").split(".")[0]
        line = self.field_lines.get(top, self.line)
        where = f"{self.path}.{field_name}" if field_name else self.path
        return Problem(source, line, where, message)


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, outcome: str) -> None:
        per = self.counts.setdefault(section, {"created": 0, "updated": 0, "unchanged": 0})
        per[outcome] += 1


class _DryRunDone(Exception):
    """Raised inside the transaction of a dry run so that it rolls back."""


# ---------------------------------------------------------------- reading files


def read_text(path: Path, max_bytes: int) -> str:
    """The file as text, refusing what is too large or not UTF-8."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror}") from exc
    if size > max_bytes:
        raise ImportFileError(
            f"{path}: {size / 1e6:.1f} MB is over the import limit of {max_bytes / 1e6:.0f} MB "
            "(setting import_max_mb); split the file"
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from exc


def read_entries(path: Path, max_bytes: int, ics: ics_reader.Options | None = None) -> list[Entry]:
    """The records of a `.yaml`, `.csv` or `.ics` file (`ics`: what an iCalendar file's
    items get besides what the file says: kind, themes, stakeholders, zone)."""
    text = read_text(path, max_bytes)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _yaml_entries(text, str(path))
    if suffix == ".csv":
        return _csv_entries(text, str(path))
    if suffix in (".ics", ".ical", ".ifb"):
        found = ics_reader.read(text, str(path), ics or ics_reader.Options())
        return [
            Entry("items", index, item.data, item.line, item.field_lines, item.notes)
            for index, item in enumerate(found)
        ]
    raise ImportFileError(f"{path}: unknown file type {suffix!r}; use .yaml, .yml, .csv or .ics")


class _YamlReader:
    """Turns a composed YAML tree into plain values (all scalars as text) with line numbers."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes = 0
        self.problems: list[Problem] = []

    def value(self, node: yaml.Node) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise ImportFileError(f"{self.source}: too many values (over {_MAX_NODES:,})")
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node)[0]
        if isinstance(node, yaml.SequenceNode):
            return [self.value(child) for child in node.value]
        assert isinstance(node, yaml.ScalarNode)
        text = str(node.value)
        if node.tag == "tag:yaml.org,2002:null" or (node.style is None and text in ("", "~")):
            return None
        return text

    def mapping(self, node: yaml.MappingNode) -> tuple[dict[str, Any], dict[str, int]]:
        values: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in values:
                self.problems.append(
                    Problem(
                        self.source, line, key, f"key {key!r} given twice (also line {lines[key]})"
                    )
                )
            values[key] = self.value(value_node)
            lines[key] = line
        return values, lines


def _yaml_entries(text: str, source: str) -> list[Entry]:
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ImportFileError(f"{source}{line}: not valid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise ImportFileError(f"{source}: not valid YAML: {exc}") from exc
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise ImportFileError(f"{source}:1: expected sections such as 'themes:' and 'items:'")
    reader = _YamlReader(source)
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for key_node, section_node in root.value:
        section = str(key_node.value)
        line = key_node.start_mark.line + 1
        if section in seen:
            problem = f"section given twice (also line {seen[section]}): merge them"
            reader.problems.append(Problem(source, line, section, problem))
            continue
        seen[section] = line
        if section not in SECTIONS:
            known = ", ".join(SECTIONS)
            reader.problems.append(Problem(source, line, section, f"unknown section; use {known}"))
            continue
        if section_node.tag == "tag:yaml.org,2002:null":
            continue
        if not isinstance(section_node, yaml.SequenceNode):
            reader.problems.append(Problem(source, line, section, "expected a list of records"))
            continue
        for index, child in enumerate(section_node.value):
            where = child.start_mark.line + 1
            if not isinstance(child, yaml.MappingNode):
                reader.problems.append(
                    Problem(source, where, f"{section}[{index}]", "expected a record (key: value)")
                )
                continue
            data, lines = reader.mapping(child)
            entries.append(Entry(section, index, data, where, lines))
    if reader.problems:
        raise ImportRejected(reader.problems)
    return entries


def _csv_entries(text: str, source: str) -> list[Entry]:
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, restkey="\0extra")
    header = [name.strip() for name in reader.fieldnames or []]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    missing = [name for name in ("title", "kind", "start") if name not in header]
    problems = [Problem(source, 1, name, "unknown column") for name in unknown]
    problems += [Problem(source, 1, name, "required column is missing") for name in missing]
    if problems:
        raise ImportRejected(problems)
    reader.fieldnames = header
    entries = []
    try:
        for index, row in enumerate(reader):
            line = reader.line_num
            if "\0extra" in row or None in row.values():
                problems.append(
                    Problem(source, line, f"items[{index}]", f"expected {len(header)} cells")
                )
                continue
            data = {k: v for k, v in row.items() if v.strip() or k in CSV_CLEARABLE}
            entries.append(Entry("items", index, data, line))
    except csv.Error as exc:
        raise ImportFileError(f"{source}:{reader.line_num}: not valid CSV: {exc}") from exc
    if problems:
        raise ImportRejected(problems)
    return entries


# ---------------------------------------------------------------- checking and applying


def _parse(entries: list[Entry], source: str) -> tuple[list[tuple[Entry, Record]], list[Problem]]:
    """Check each record's own fields and find duplicate keys within the file."""
    parsed: list[tuple[Entry, Record]] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for entry in entries:
        model, key_name = SECTIONS[entry.section]
        try:
            record = model.model_validate(entry.data)
        except pydantic.ValidationError as exc:
            problems.extend(_pydantic_problems(entry, exc, source))
            continue
        key = getattr(record, key_name)
        if key is not None:
            if (entry.section, key) in seen:
                first = seen[(entry.section, key)]
                problems.append(
                    entry.problem(source, f"{key!r} also appears on line {first}", key_name)
                )
            seen[(entry.section, key)] = entry.field_lines.get(key_name, entry.line)
        parsed.append((entry, record))
    return parsed, problems


def _pydantic_problems(
    entry: Entry, exc: pydantic.ValidationError, source: str
) -> Iterator[Problem]:
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "required field is missing"
        yield entry.problem(source, message, path)


def _apply(
    session: Session, entry: Entry, record: Record, actor: agenda.Actor, defaults: agenda.Defaults
) -> str:
    if isinstance(record, ThemeIn):
        return catalog.save_theme(session, record)
    if isinstance(record, StakeholderIn):
        return catalog.save_stakeholder(session, record)
    if isinstance(record, PersonIn):
        return catalog.save_person(session, record)
    if isinstance(record, PartnershipIn):
        return catalog.save_partnership(session, record)
    if isinstance(record, DossierIn):
        return dossiers.save(session, record, actor, clock.now_utc())
    if isinstance(record, ContactPersonIn):
        return contacts.save(session, record, actor, clock.now_utc())
    assert isinstance(record, ItemIn)
    return agenda.save_item(session, record, actor, defaults)[0]


def import_file(
    db: Database,
    path: Path,
    actor: agenda.Actor,
    *,
    max_bytes: int = 20_000_000,
    ics: ics_reader.Options | None = None,
    **options: Any,
) -> ImportReport:
    """Import `path` whole or not at all (options as for `import_entries`)."""
    return import_entries(db, read_entries(path, max_bytes, ics), str(path), actor, **options)


def import_data(
    db: Database,
    data: dict[str, list[dict[str, Any]]],
    source: str,
    actor: agenda.Actor,
    **options: Any,
) -> ImportReport:
    """Import records already in memory, in the file format (used for the demo data)."""
    entries = [
        Entry(section, index, record, 0)
        for section, records in data.items()
        for index, record in enumerate(records)
    ]
    return import_entries(db, entries, source, actor, **options)


def import_entries(
    db: Database,
    entries: list[Entry],
    source: str,
    actor: agenda.Actor,
    *,
    defaults: agenda.Defaults = agenda.Defaults(),
    dry_run: bool = False,
    keep_existing_items: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check all entries, then apply them in one transaction; with `dry_run`, change nothing."""
    parsed = _checked(entries, source)
    report = ImportReport(source, dry_run, notes=[n for e in entries for n in e.notes])
    try:
        with db.write() as session:
            problems = _apply_all(
                session, parsed, report, actor, defaults, keep_existing_items, progress, source
            )
            if problems:
                raise ImportRejected(problems)
            if dry_run:
                raise _DryRunDone
    except _DryRunDone:
        pass
    return report


def import_in(
    session: Session,
    entries: list[Entry],
    source: str,
    actor: agenda.Actor,
    *,
    defaults: agenda.Defaults = agenda.Defaults(),
) -> ImportReport:
    """As `import_entries`, inside the caller's transaction (which rolls back on
    ImportRejected): for work that must commit together with the import (outside calendars)."""
    parsed = _checked(entries, source)
    report = ImportReport(source, dry_run=False)
    problems = _apply_all(session, parsed, report, actor, defaults, False, None, source)
    if problems:
        raise ImportRejected(problems)
    return report


def _checked(entries: list[Entry], source: str) -> list[tuple[Entry, Record]]:
    parsed, problems = _parse(entries, source)
    if problems:
        raise ImportRejected(problems)
    order = list(SECTIONS)
    parsed.sort(key=lambda pair: (order.index(pair[0].section), pair[0].index))
    return parsed


def _apply_all(
    session: Session,
    parsed: list[tuple[Entry, Record]],
    report: ImportReport,
    actor: agenda.Actor,
    defaults: agenda.Defaults,
    keep_existing_items: bool,
    progress: Progress | None,
    source: str,
) -> list[Problem]:
    problems: list[Problem] = []
    existing_uids = agenda.existing_uids(session) if keep_existing_items else set()
    for done, (entry, record) in enumerate(parsed, start=1):
        if progress:
            progress(done, len(parsed))
        if isinstance(record, ItemIn) and record.uid in existing_uids:
            report.add(entry.section, "unchanged")
            continue
        try:
            with session.begin_nested():
                report.add(entry.section, _apply(session, entry, record, actor, defaults))
        except LobbyError as exc:
            problems.append(entry.problem(source, exc.message, exc.field))
        except IntegrityError as exc:
            problems.append(entry.problem(source, f"refused by the database: {exc.orig}"))
    return problems


# ---------------------------------------------------------------- export


def _compact(values: dict[str, Any], keep: tuple[str, ...]) -> dict[str, Any]:
    """Leave out empty values, which an import reads as their defaults anyway."""
    return {k: v for k, v in values.items() if k in keep or v not in (None, "", [], {})}


def export_data(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Everything, in the import format."""
    return {
        "themes": [
            _compact(catalog.describe_theme(t), ("slug", "name"))
            for t in catalog.all_themes(session)
        ],
        "stakeholders": [
            _compact(catalog.describe_stakeholder(s), ("slug",))
            for s in catalog.all_stakeholders(session)
        ],
        "people": [
            _compact(catalog.describe_person(p), ("email", "roles"))
            for p in catalog.all_people(session)
        ],
        "partnerships": [
            _compact(catalog.describe_partnership(p), ("slug",))
            for p in catalog.all_partnerships(session)
        ],
        "dossiers": [
            _compact(dossiers.describe(d), ("slug", "title", "status"))
            for d in dossiers.all_dossiers(session)
        ],
        "contacts": [
            _compact(contacts.describe(c), ("slug", "name", "stakeholder"))
            for c in contacts.listing(session)
        ],
        "items": [
            _compact(agenda.describe_item(item), ("uid", "title", "kind", "start", "end", "status"))
            for item in agenda.all_items(session)
        ],
    }


def export_yaml(session: Session) -> str:
    return yaml.safe_dump(export_data(session), sort_keys=False, allow_unicode=True, width=100)


def export_csv(session: Session) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(
        buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for item in agenda.all_items(session):
        row = agenda.describe_item(item)
        for name, value in row.items():
            if isinstance(value, list):
                row[name] = ", ".join(str(v) for v in value)
            elif value is None:
                row[name] = ""
        writer.writerow(row)
    return buffer.getvalue()
