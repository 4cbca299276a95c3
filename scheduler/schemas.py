"""Input records shared by imports, the CLI and (later) the API.

Each record checks its own fields; checks that need the database (references to themes,
stakeholders, people) or several fields together (end after start) live in the services.
Wall times are kept as written (`WallTime`) and placed in the item's zone by the agenda service.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from scheduler import clock
from scheduler.errors import BadValue, ValidationError
from scheduler.models import (
    Confidentiality,
    DigestFrequency,
    DigestScope,
    DossierRole,
    DossierStatus,
    ItemKind,
    ItemStatus,
    Language,
    Level,
    OptOut,
    PartnershipKind,
    PersonRole,
    Priority,
    Role,
    StakeholderKind,
)
from scheduler.offsets import normalize_offsets, parse_length

WallTime = date | datetime  # a date means all-day; a naive datetime is a wall time in the zone
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_WALL = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?")


# Dates an agenda can mean: wider would only let arithmetic (offsets, zones) overflow.
YEARS = range(1900, 3000)


def parse_wall_time(value: Any) -> WallTime:
    """`2026-12-08` (a day), `2026-12-08T10:00` (wall time) or with an offset/Z (an instant)."""
    if isinstance(value, datetime | date):
        return check_year(value)
    text = str(value).strip()
    if not _WALL.fullmatch(text):
        raise BadValue(
            f"{text!r} is not a date (2026-12-08) or date and time (2026-12-08T10:00)",
            key="not_a_date", value=text,
        )  # fmt: skip
    try:
        found = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadValue(
            f"{text!r} is not a real date or time: {exc}", key="not_a_real_date", value=text
        ) from exc
    return check_year(found)


_Day = TypeVar("_Day", bound=date)  # a date or a datetime


def check_year(value: _Day) -> _Day:
    if value.year not in YEARS:
        raise BadValue(
            f"{value.isoformat()} lies outside the years {YEARS[0]}–{YEARS[-1]}",
            key="year_out_of_range", value=value.isoformat(), first=YEARS[0], last=YEARS[-1],
        )  # fmt: skip
    return value


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _as_list(value: Any) -> Any:
    """Lists may come as YAML lists or as comma-separated text (CSV cells, CLI options)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def check_slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise BadValue(
            f"{value!r} is not a slug: use lower-case letters, digits and hyphens",
            key="not_a_slug", value=value,
        )  # fmt: skip
    return value


def check_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise BadValue(
            f"{value!r} is not a valid email address: {exc}", key="not_an_email", value=value
        ) from exc


def check_zone(value: str) -> str:
    clock.zone(value)
    return value


Slug = Annotated[str, BeforeValidator(lambda v: check_slug(str(v).strip()))]
Email = Annotated[str, BeforeValidator(lambda v: check_email(str(v).strip()))]
Zone = Annotated[str, BeforeValidator(lambda v: check_zone(str(v).strip()))]
Text = Annotated[str, BeforeValidator(lambda v: "" if v is None else str(v))]
Wall = Annotated[WallTime, BeforeValidator(parse_wall_time)]
OptionalWall = Annotated[
    WallTime | None, BeforeValidator(lambda v: _blank_to_none(v) and parse_wall_time(v))
]
SlugList = Annotated[list[Slug], BeforeValidator(_as_list)]
EmailList = Annotated[list[Email], BeforeValidator(_as_list)]
WallList = Annotated[list[Wall], BeforeValidator(_as_list)]
OptionalDate = Annotated[
    date | None,
    BeforeValidator(_blank_to_none),
    AfterValidator(lambda v: None if v is None else check_year(v)),
]


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def parse_weekday(value: Any) -> int:
    """`monday` … `sunday` (or in Dutch, `maandag` … `zondag`): 0 … 6."""
    name = str(value).strip().lower()
    for names in (WEEKDAYS, _WEEKDAYS_NL):
        if name in names:
            return names.index(name)
    raise BadValue(f"{value!r} is not a weekday: use monday … sunday", key="not_a_weekday",
                   value=value)  # fmt: skip


def parse_digest_time(value: Any) -> str:
    """A local time `HH:MM`, not between 02:00 and 03:00: on the nights the clocks change
    that hour is missing or happens twice."""
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise BadValue(
            f"{text!r} is not a time of day: write HH:MM, such as 07:30",
            key="not_a_time", value=text,
        )  # fmt: skip
    if int(match[1]) == 2:
        raise BadValue(
            f"{text!r} falls between 02:00 and 03:00, which daylight saving time makes "
            "missing or ambiguous once a year: choose another time",
            key="time_in_clock_change", value=text,
        )  # fmt: skip
    return f"{int(match[1]):02d}:{match[2]}"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=False)


RecordT = TypeVar("RecordT", bound=Record)


def parse(model: type[RecordT], data: Any) -> RecordT:
    """Validate `data` as a `model`; the first problem becomes a ValidationError that names
    its field (`follow_ups.0.due`)."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(map(str, first["loc"])) or model.__name__
        reason = (
            "required"
            if first["type"] == "missing"
            else str(first["msg"]).removeprefix("Value error, ")
        )
        key, params = _key_of(first)
        raise ValidationError(f"{field}: {reason}", field=field, key=key, params=params) from None


def _key_of(error: Any) -> tuple[str, dict[str, object]]:
    """The message key of pydantic's first error: our own validators' (BadValue, or a
    LobbyError raised inside one), else one by pydantic's error type."""
    context = error.get("ctx") or {}
    cause: Any = context.get("error")
    if getattr(cause, "key", None):
        return cause.key, dict(cause.params)
    kind = error["type"]
    value = error.get("input")
    if kind == "missing" or (kind == "string_too_short" and not str(value or "").strip()):
        return "required", {}
    if kind == "string_too_long":
        return "too_long", {"max": context.get("max_length", "")}
    if kind == "enum":
        return "not_a_choice", {"value": value}
    if kind.startswith("date"):
        return "not_a_day", {"value": value}
    return "invalid", {"value": "" if isinstance(value, dict | list) else value}


def _level_roles(value: Any) -> Any:
    """Our role per level as a mapping (`{regionaal: aanjager}`) or `level:role` text
    (`regionaal:aanjager, bovenregionaal:gesprekspartner`, a CSV cell or a CLI option); a
    level without a role is left out."""
    if value is None:
        return {}
    if isinstance(value, str):
        pairs = [part.split(":", 1) for part in value.split(",") if part.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise BadValue(
                f"{value!r} is not a list of level:role, such as regionaal:aanjager",
                key="not_level_roles", value=value,
            )  # fmt: skip
        value = {level.strip(): role.strip() for level, role in pairs}
    if isinstance(value, dict):
        return {level: role for level, role in value.items() if _blank_to_none(role) is not None}
    return value


class ThemeIn(Record):
    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    description: Text = ""
    # The theme's focus for the period ("focus en sturing", issue 17).
    priority: Annotated[Priority | None, BeforeValidator(_blank_to_none)] = None
    roles: Annotated[dict[Level, Role], BeforeValidator(_level_roles)] = {}
    strategic_choice: Text = ""
    portfolio_holder: Text = Field("", max_length=200)  # its column's length


class StakeholderIn(Record):
    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    kind: StakeholderKind = StakeholderKind.OVERIG
    description: Text = ""
    website: Text = Field("", max_length=500)  # its column's length


class PartnershipIn(Record):
    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    level: Level
    kind: PartnershipKind
    role: Annotated[Role | None, BeforeValidator(_blank_to_none)] = None
    description: Text = ""
    themes: SlugList = []
    members: SlugList = []
    contact: Annotated[Email | None, BeforeValidator(_blank_to_none)] = None
    started_on: OptionalDate = None
    next_evaluation_on: OptionalDate = None


def check_every(value: str) -> str:
    """How often to meet a target: an ISO 8601 duration of at least a day, e.g. P6W."""
    return parse_length(value, field="contact_every").text if value else ""


def _targets(value: Any) -> Any:
    """Targets as slugs (`mra`), `slug:every` (`mra:P6W`) or mappings."""
    found = []
    for entry in _as_list(value):
        if isinstance(entry, str):
            slug, _, every = entry.partition(":")
            entry = {"stakeholder": slug.strip(), "contact_every": every.strip()}
        found.append(entry)
    return found


class DossierTargetIn(Record):
    stakeholder: Slug
    contact_every: Annotated[str, BeforeValidator(lambda v: check_every(str(v or "").strip()))] = ""


class DossierNoteIn(Record):
    """A progress note; `at` and `by` are set by the service for a new one."""

    text: str = Field(min_length=1, max_length=5000)
    at: datetime | None = None
    by: Text = ""
    status_from: Text = ""
    status_to: Text = ""


class DossierIn(Record):
    """A lobby dossier as people write it (the `dossiers` section of an import)."""

    slug: Slug
    title: str = Field(min_length=1, max_length=300)
    goal: Text = ""
    ask: Text = ""
    themes: SlugList = []
    targets: Annotated[list[DossierTargetIn], BeforeValidator(_targets)] = []
    lead: Annotated[Email | None, BeforeValidator(_blank_to_none)] = None
    coalition: SlugList = []
    role: Annotated[DossierRole | None, BeforeValidator(_blank_to_none)] = None
    status: DossierStatus = DossierStatus.VERKENNING
    horizon: OptionalDate = None
    priority: Priority = Priority.MIDDEL
    notes: list[DossierNoteIn] = []


def check_phone(value: str) -> str:
    """A telephone number as people write it: digits, spaces and + - ( ) . only."""
    if value and not re.fullmatch(r"\+?[0-9][0-9 ().-]{4,48}", value):
        raise ValueError(f"{value!r} is not a telephone number such as +31 72 548 0000")
    return value


class ContactPersonIn(Record):
    """A contact person at a stakeholder as people write it (the `contacts` section of an
    import). Fields left out keep their stored value on update."""

    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    stakeholder: Slug
    function: Text = Field("", max_length=200)
    themes: SlugList = []
    email: Annotated[Email | None, BeforeValidator(_blank_to_none)] = None
    phone: Annotated[str, BeforeValidator(lambda v: check_phone(str(v or "").strip()))] = ""
    owner: Annotated[Email | None, BeforeValidator(_blank_to_none)] = None
    notes: Text = Field("", max_length=5000)
    left_on: OptionalDate = None


class PersonIn(Record):
    email: Email
    name: str = Field(min_length=1, max_length=200)
    roles: Annotated[list[PersonRole], BeforeValidator(_as_list)] = [PersonRole.STAFF]
    language: Language = Language.NL
    timezone: Zone = "Europe/Amsterdam"
    themes: SlugList = []
    stakeholders: SlugList = []
    active: bool = True
    follow_reminders: bool = False
    reminders_off: Annotated[list[OptOut], BeforeValidator(_as_list)] = []
    # None: weekly for managers, none for others (when the person is created)
    digest: DigestFrequency | None = None
    digest_day: Annotated[int, BeforeValidator(parse_weekday)] = 0
    digest_time: Annotated[str, BeforeValidator(parse_digest_time)] = "07:30"
    digest_scope: DigestScope = DigestScope.ALL


class OverrideIn(Record):
    """A change to one occurrence of a recurring item, found by its original start."""

    recurrence_id: Wall
    cancelled: bool = False
    start: OptionalWall = None
    end: OptionalWall = None
    title: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(None, max_length=300)
    location: str | None = Field(None, max_length=500)


class FollowUpIn(Record):
    text: str = Field(min_length=1)
    owner: Annotated[Email | None, BeforeValidator(_blank_to_none)] = None
    due: OptionalDate = None
    done: bool = False


class ItemIn(Record):
    """An agenda item as people write it. Fields left out keep their stored value on update."""

    uid: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, max_length=200
    )
    title: str = Field(min_length=1, max_length=300)
    kind: ItemKind
    start: Wall
    end: OptionalWall = None
    timezone: Annotated[Zone | None, BeforeValidator(_blank_to_none)] = None
    rrule: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(None, max_length=500)
    rdates: WallList = []
    exdates: WallList = []
    occurrences: list[OverrideIn] = []
    # The lengths of their columns: longer, PostgreSQL refuses them (SQLite does not check).
    location: Text = Field("", max_length=500)
    online_url: Text = Field("", max_length=1000)
    description: Text = ""
    themes: SlugList = []
    stakeholders: SlugList = []
    owner: Annotated[Email | None, BeforeValidator(_blank_to_none)] = None
    participants: EmailList = []
    goal: Text = ""
    message: Text = ""
    role: Annotated[Role | None, BeforeValidator(_blank_to_none)] = None
    status: ItemStatus = ItemStatus.PLANNED
    confidentiality: Confidentiality = Confidentiality.INTERNAL
    reminders: Annotated[list[str], BeforeValidator(_as_list)] = []
    outcome: Text = ""
    follow_ups: list[FollowUpIn] = []
    dossiers: SlugList = []
    contacts: SlugList = []  # contact persons met

    @field_validator("uid")
    @classmethod
    def _printable_uid(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9._@:+-]+", value):
            raise BadValue(
                f"{value!r}: a uid uses letters, digits and . _ @ : + - only",
                key="not_a_uid", value=value,
            )  # fmt: skip
        return value

    @field_validator("online_url")
    @classmethod
    def _web_link(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise BadValue(f"{value!r} is not a web link (https://…)", key="not_a_link",
                           value=value)  # fmt: skip
        return value

    @field_validator("reminders")
    @classmethod
    def _offsets(cls, value: list[str]) -> list[str]:
        return normalize_offsets(value)
