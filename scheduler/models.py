"""The domain model as SQLAlchemy 2 typed tables (vocabulary: DESIGN.md §2).

Every instant is stored as aware UTC through `UtcDateTime`, which refuses naive values.
An all-day item is stored as the UTC instants of local midnight in its own zone (start
inclusive, end exclusive), so one pair of columns serves timed and all-day items alike.
"""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from scheduler.clock import now_utc


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; a naive value is refused before it reaches the database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: store aware UTC only")
        utc = value.astimezone(UTC)
        # SQLite has no time zone type: keep a naive UTC value there, read back as UTC below.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UtcDateTimeList(TypeDecorator[list[datetime]]):
    """A list of aware instants (RDATE, EXDATE), stored as JSON ISO strings in UTC."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: list[datetime] | None, dialect: Dialect) -> str:
        moments = []
        for moment in value or []:
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"naive datetime {moment.isoformat()} refused in a date list")
            moments.append(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        return json.dumps(sorted(set(moments)))

    def process_result_value(self, value: str | None, dialect: Dialect) -> list[datetime]:
        if not value:
            return []
        return [datetime.fromisoformat(text) for text in json.loads(value)]


def _enum(kind: type[enum.Enum]) -> Enum:
    return Enum(
        kind,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
        name=kind.__name__.lower(),
    )


class ItemKind(enum.StrEnum):
    MEETING = "meeting"
    NETWORKING = "networking"
    DECISION = "decision"
    DEADLINE = "deadline"


class NudgeKind(enum.StrEnum):
    """Mail that asks someone to act, besides the reminders of an item's occurrences."""

    OUTCOME = "outcome"  # an item took place, and nobody recorded what came of it
    FOLLOW_UP = "follow-up"  # a follow-up action nears its due date
    EVALUATION = "evaluation"  # a partnership nears its evaluation date
    PREPARATION = "preparation"  # a step of a preparation chain nears its due date
    CHAIN_CANCELLED = "chain-cancelled"  # the occurrence a preparation chain led up to is off
    CONTACT_GAP = "contact-gap"  # a dossier's target was not spoken to for too long
    OVERLAP = "overlap"  # a colleague meets the same partner in the same week


class OptOut(enum.StrEnum):
    """What a person may turn reminders off for: an item kind or a kind of nudge."""

    MEETING = ItemKind.MEETING.value
    NETWORKING = ItemKind.NETWORKING.value
    DECISION = ItemKind.DECISION.value
    DEADLINE = ItemKind.DEADLINE.value
    OUTCOME = NudgeKind.OUTCOME.value
    FOLLOW_UP = NudgeKind.FOLLOW_UP.value
    EVALUATION = NudgeKind.EVALUATION.value
    PREPARATION = NudgeKind.PREPARATION.value
    CONTACT_GAP = NudgeKind.CONTACT_GAP.value
    OVERLAP = NudgeKind.OVERLAP.value


class DigestFrequency(enum.StrEnum):
    NONE = "none"
    DAILY = "daily"
    WEEKLY = "weekly"


class DigestScope(enum.StrEnum):
    ALL = "all"  # the whole agenda (as far as the person may see it)
    FOLLOWED = (
        "followed"  # the person's own items and those of the themes and stakeholders they follow
    )


class ItemStatus(enum.StrEnum):
    IDEA = "idea"
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    DONE = "done"
    CANCELLED = "cancelled"


class Confidentiality(enum.StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"


class Role(enum.StrEnum):
    GESPREKSPARTNER = "gesprekspartner"
    BELANGENBEHARTIGER = "belangenbehartiger"
    KENNISPARTNER = "kennispartner"
    AANJAGER = "aanjager"


class StakeholderKind(enum.StrEnum):
    GEMEENTE = "gemeente"
    REGIO = "regio"
    PROVINCIE = "provincie"
    RIJK = "rijk"
    EU = "eu"  # EU institutions: the Commission, Parliament, Committee of the Regions
    KENNISINSTELLING = "kennisinstelling"
    ONDERWIJS = "onderwijs"
    BEDRIJF = "bedrijf"
    MAATSCHAPPELIJK = "maatschappelijk"
    OVERIG = "overig"


class Level(enum.StrEnum):
    LOKAAL = "lokaal"
    REGIONAAL = "regionaal"
    BOVENREGIONAAL = "bovenregionaal"


class PartnershipKind(enum.StrEnum):
    STRATEGISCH = "strategisch"
    UITVOEREND = "uitvoerend"


class PersonRole(enum.StrEnum):
    LOBBYIST = "lobbyist"
    STAFF = "staff"
    MANAGER = "manager"
    ADMIN = "admin"


class DossierStatus(enum.StrEnum):
    VERKENNING = "verkenning"
    ACTIEF = "actief"
    BESLUIT_GENOMEN = "besluit-genomen"
    GEREALISEERD = "gerealiseerd"
    GESTOPT = "gestopt"


class DossierRole(enum.StrEnum):
    """Our part in a dossier's coalition."""

    AANJAGER = "aanjager"
    PARTNER = "partner"
    VOLGER = "volger"


class Priority(enum.StrEnum):
    HOOG = "hoog"
    MIDDEL = "middel"
    LAAG = "laag"


class Language(enum.StrEnum):
    NL = "nl"
    EN = "en"


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime()}  # noqa: RUF012 - SQLAlchemy reads it once


def _link(name: str, left: str, right: str) -> Table:
    """An association table between two tables, deleted with either side."""
    return Table(
        name,
        Base.metadata,
        Column(f"{left}_id", ForeignKey(f"{left}s.id", ondelete="CASCADE"), primary_key=True),
        Column(f"{right}_id", ForeignKey(f"{right}s.id", ondelete="CASCADE"), primary_key=True),
    )


item_themes = _link("item_themes", "item", "theme")
item_stakeholders = _link("item_stakeholders", "item", "stakeholder")
item_participants = _link("item_participants", "item", "person")
# A reader's own items, looked up by person (search's permission check, migration 0017).
Index("ix_item_participants_person_id", item_participants.c.person_id)
partnership_themes = _link("partnership_themes", "partnership", "theme")
partnership_members = _link("partnership_members", "partnership", "stakeholder")
person_themes = _link("person_themes", "person", "theme")
person_stakeholders = _link("person_stakeholders", "person", "stakeholder")
item_dossiers = _link("item_dossiers", "item", "dossier")
dossier_themes = _link("dossier_themes", "dossier", "theme")
dossier_coalition = _link("dossier_coalition", "dossier", "stakeholder")
item_contacts = _link("item_contacts", "item", "contact_person")
contact_person_themes = _link("contact_person_themes", "contact_person", "theme")


class Theme(Base):
    """A theme, with its focus for the period ("focus en sturing"): how much it weighs, our
    role at each level, the strategic choice in a sentence and the alderman who holds it."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[Priority | None] = mapped_column(_enum(Priority))  # None: not chosen yet
    # Level value → Role value ({"regionaal": "aanjager"}), checked by the services; one JSON
    # column rather than a column per level, each with a CHECK of the same enum's name.
    roles: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    strategic_choice: Mapped[str] = mapped_column(Text, default="", server_default="")
    portfolio_holder: Mapped[str] = mapped_column(String(200), default="", server_default="")


class Stakeholder(Base):
    __tablename__ = "stakeholders"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[StakeholderKind] = mapped_column(_enum(StakeholderKind))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(500), default="")


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # A short list validated by the services; JSON keeps it one column on both databases.
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[Language] = mapped_column(_enum(Language), default=Language.NL)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Reminders for items on the themes and stakeholders this person follows, too.
    follow_reminders: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # OptOut values: item kinds and nudges this person wants no reminders for (cancellation
    # notices still come).
    reminders_off: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # The digest of the upcoming agenda: how often, on which weekday (0 = Monday; weekly
    # only) and at what local time ("07:30", in the person's zone), about what.
    digest: Mapped[DigestFrequency] = mapped_column(
        _enum(DigestFrequency), default=DigestFrequency.NONE, server_default="none"
    )
    digest_day: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    digest_time: Mapped[str] = mapped_column(String(5), default="07:30", server_default="07:30")
    digest_scope: Mapped[DigestScope] = mapped_column(
        _enum(DigestScope), default=DigestScope.ALL, server_default="all"
    )
    themes: Mapped[list[Theme]] = relationship(secondary=person_themes, order_by=Theme.slug)
    stakeholders: Mapped[list[Stakeholder]] = relationship(
        secondary=person_stakeholders, order_by=Stakeholder.slug
    )


class ContactPerson(Base):
    """Someone we speak to at a stakeholder (a gedeputeerde, a regio-secretaris): personal
    data of an outsider, so it can be erased (`scheduler.contacts.erase`). One who moves on
    gets a `left_on` date and keeps their history."""

    __tablename__ = "contact_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    function: Mapped[str] = mapped_column(String(200), default="")
    stakeholder_id: Mapped[int] = mapped_column(
        ForeignKey("stakeholders.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # The colleague who owns the relationship.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    left_on: Mapped[date | None] = mapped_column(Date)  # None: still there
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)
    stakeholder: Mapped[Stakeholder] = relationship()
    owner: Mapped[Person | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=contact_person_themes, order_by=Theme.slug)

    @property
    def active(self) -> bool:
        return self.left_on is None


class ContactChange(Base):
    """One field of one contact person changed: who, when, through which channel. When the
    person is erased, the values go and one row says that (and by whom) without them."""

    __tablename__ = "contact_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the record of an erasure outlives the erased person.
    contact_id: Mapped[int] = mapped_column(Integer, index=True)
    changed_at: Mapped[datetime] = mapped_column(default=now_utc)
    changed_by: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(20))
    field: Mapped[str] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class Partnership(Base):
    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[Level] = mapped_column(_enum(Level))
    kind: Mapped[PartnershipKind] = mapped_column(_enum(PartnershipKind))
    role: Mapped[Role | None] = mapped_column(_enum(Role))
    description: Mapped[str] = mapped_column(Text, default="")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    started_on: Mapped[date | None] = mapped_column(Date)
    next_evaluation_on: Mapped[date | None] = mapped_column(Date)
    contact: Mapped[Person | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=partnership_themes, order_by=Theme.slug)
    members: Mapped[list[Stakeholder]] = relationship(
        secondary=partnership_members, order_by=Stakeholder.slug
    )


class Dossier(Base):
    """A goal of the lobby strategy pursued over months (lobbydossier): what we want, what we
    ask of whom, with which partners; agenda items link to it."""

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    goal: Mapped[str] = mapped_column(Text, default="")
    ask: Mapped[str] = mapped_column(Text, default="")
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    role: Mapped[DossierRole | None] = mapped_column(_enum(DossierRole))
    status: Mapped[DossierStatus] = mapped_column(
        _enum(DossierStatus), default=DossierStatus.VERKENNING
    )
    horizon_on: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.MIDDEL)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)
    lead: Mapped[Person | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=dossier_themes, order_by=Theme.slug)
    coalition: Mapped[list[Stakeholder]] = relationship(
        secondary=dossier_coalition, order_by=Stakeholder.slug
    )
    targets: Mapped[list[DossierTarget]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="DossierTarget.id"
    )
    notes: Mapped[list[DossierNote]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="DossierNote.id"
    )


class DossierTarget(Base):
    """A stakeholder a dossier wants to move, and how often we should speak to them."""

    __tablename__ = "dossier_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    stakeholder_id: Mapped[int] = mapped_column(ForeignKey("stakeholders.id", ondelete="CASCADE"))
    contact_every: Mapped[str] = mapped_column(String(20), default="")  # "P6W"; "": no target
    dossier: Mapped[Dossier] = relationship(back_populates="targets")
    stakeholder: Mapped[Stakeholder] = relationship()

    __table_args__ = (UniqueConstraint("dossier_id", "stakeholder_id"),)


class DossierNote(Base):
    """One entry of a dossier's progress log; a status change is logged as a note too."""

    __tablename__ = "dossier_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    written_at: Mapped[datetime] = mapped_column(default=now_utc)
    written_by: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(Text)
    status_from: Mapped[str] = mapped_column(String(24), default="")
    status_to: Mapped[str] = mapped_column(String(24), default="")
    dossier: Mapped[Dossier] = relationship(back_populates="notes")


class AgendaItem(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64))
    rrule: Mapped[str | None] = mapped_column(String(500))
    rdates: Mapped[list[datetime]] = mapped_column(UtcDateTimeList, default=list)
    exdates: Mapped[list[datetime]] = mapped_column(UtcDateTimeList, default=list)
    location: Mapped[str] = mapped_column(String(500), default="")
    online_url: Mapped[str] = mapped_column(String(1000), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    goal: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[Role | None] = mapped_column(_enum(Role))
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus), default=ItemStatus.PLANNED)
    confidentiality: Mapped[Confidentiality] = mapped_column(
        _enum(Confidentiality), default=Confidentiality.INTERNAL
    )
    reminders: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Open-government publication: the revision someone reviewed for the open agenda (any
    # later change needs a new review), by whom, and what they redacted, field → reason.
    reviewed_revision: Mapped[int | None] = mapped_column(Integer)
    reviewed_by: Mapped[str] = mapped_column(String(320), default="", server_default="")
    redactions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    # When the last occurrence ends (None: a series without end); kept by the agenda service
    # so that "what still matters" is a plain query for feeds, reminders and digests.
    last_ends_at: Mapped[datetime | None] = mapped_column(index=True)
    # The agenda data version of the item's last change (set in db.py with the version itself):
    # feeds ask "what changed since version N" instead of reading every item again.
    changed_version: Mapped[int] = mapped_column(Integer, default=0, index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)
    # The outside calendar this item comes from (None: our own): its feed-owned fields are
    # read-only here. Removing the source makes the item an ordinary one.
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("calendar_sources.id", ondelete="SET NULL"), index=True
    )

    owner: Mapped[Person | None] = relationship()
    source: Mapped[CalendarSource | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=item_themes, order_by=Theme.slug)
    stakeholders: Mapped[list[Stakeholder]] = relationship(
        secondary=item_stakeholders, order_by=Stakeholder.slug
    )
    participants: Mapped[list[Person]] = relationship(
        secondary=item_participants, order_by=Person.email
    )
    overrides: Mapped[list[OccurrenceOverride]] = relationship(
        back_populates="item",
        cascade="all, delete-orphan",
        order_by="OccurrenceOverride.recurrence_id",
    )
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="FollowUp.id"
    )
    dossiers: Mapped[list[Dossier]] = relationship(secondary=item_dossiers, order_by=Dossier.slug)
    # The contact persons met (beside our participants).
    contacts: Mapped[list[ContactPerson]] = relationship(
        secondary=item_contacts, order_by=ContactPerson.slug
    )

    __table_args__ = (Index("ix_items_window", "starts_at", "ends_at"),)


class OccurrenceOverride(Base):
    """One occurrence of a recurring item that was moved or cancelled (RFC 5545 RECURRENCE-ID)."""

    __tablename__ = "occurrence_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    recurrence_id: Mapped[datetime]
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    title: Mapped[str | None] = mapped_column(String(300))
    location: Mapped[str | None] = mapped_column(String(500))
    # When this occurrence was last changed: a cancellation stays in feeds for a while after it.
    changed_at: Mapped[datetime] = mapped_column(default=now_utc)
    item: Mapped[AgendaItem] = relationship(back_populates="overrides")

    __table_args__ = (UniqueConstraint("item_id", "recurrence_id"),)


class FollowUp(Base):
    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    item: Mapped[AgendaItem] = relationship(back_populates="follow_ups")
    owner: Mapped[Person | None] = relationship()


class PreparationChain(Base):
    """The steps that lead up to one occurrence of an item (a decision moment's lobby window),
    made from a template in the settings. The tasks keep their offsets, not dates: their due
    dates follow the occurrence wherever it moves."""

    __tablename__ = "preparation_chains"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    # The occurrence's original start (RECURRENCE-ID, ISO UTC); "" for a one-off item.
    occurrence: Mapped[str] = mapped_column(String(40), default="")
    template: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    created_by: Mapped[str] = mapped_column(String(320))
    # Set by the planner when the occurrence is cancelled or gone (cleared if it returns).
    cancelled_at: Mapped[datetime | None]
    item: Mapped[AgendaItem] = relationship()
    owner: Mapped[Person | None] = relationship()
    tasks: Mapped[list[PreparationTask]] = relationship(
        back_populates="chain", cascade="all, delete-orphan", order_by="PreparationTask.position"
    )

    __table_args__ = (UniqueConstraint("item_id", "occurrence", "template"),)


class PreparationTask(Base):
    """One step of a preparation chain: what, by whom, how long before (or after) the
    occurrence, and whether it is done."""

    __tablename__ = "preparation_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(
        ForeignKey("preparation_chains.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    offset: Mapped[str] = mapped_column(String(20))  # as reminder offsets: P21D, 10WD, +P2D
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None]
    done_by: Mapped[str] = mapped_column(String(320), default="")
    # What ticks the step off by itself besides a person: "document" (a document attached to
    # the item, e.g. the position paper), as its template step says; "": nothing.
    ticked_by: Mapped[str] = mapped_column(String(20), default="", server_default="")
    chain: Mapped[PreparationChain] = relationship(back_populates="tasks")
    owner: Mapped[Person | None] = relationship()


class ItemNote(Base):
    """A note on an item (what was said at a meeting), in markdown, shown sanitized. Who
    wrote it and when; each change goes into the item's history (ItemChange, field "note")."""

    __tablename__ = "item_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(default=now_utc)
    written_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    item: Mapped[AgendaItem] = relationship()


class Document(Base):
    """A file attached to an item or a dossier (a position paper, a presentation, a letter).
    The file lives in the files directory under `stored_name`, a random name of ours: the
    uploader's `name` is for display only and never reaches the file system."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    dossier_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))  # sniffed from the bytes
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(default=now_utc)
    item: Mapped[AgendaItem | None] = relationship()
    dossier: Mapped[Dossier | None] = relationship()

    # Exactly one of item and dossier.
    __table_args__ = (
        CheckConstraint("(item_id IS NULL) <> (dossier_id IS NULL)", name="one_owner"),
    )


class ItemChange(Base):
    """One field of one item changed in one revision: who, when, through which channel."""

    __tablename__ = "item_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the history outlives a deleted item (open-government requests).
    item_uid: Mapped[str] = mapped_column(String(200), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(default=now_utc)
    changed_by: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(20))
    field: Mapped[str] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class Heartbeat(Base):
    """The last sign of life of each running service process (one row per process)."""

    __tablename__ = "heartbeats"

    instance: Mapped[str] = mapped_column(String(120), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]


class FeedToken(Base):
    """A secret that opens one person's calendar feeds; only its hash is stored."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200), default="")
    scope: Mapped[str] = mapped_column(
        String(100), default="all"
    )  # all | me | theme:S | stakeholder:S
    alarms: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    expires_on: Mapped[date | None] = mapped_column(Date)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    last_user_agent: Mapped[str] = mapped_column(String(300), default="")
    person: Mapped[Person] = relationship()


class WebSession(Base):
    """A signed-in browser: the cookie holds a secret, the table only its hash."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    person: Mapped[Person] = relationship()


class LoginLink(Base):
    """A one-time sign-in link sent by email: valid for minutes, used once; hash only."""

    __tablename__ = "login_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RateBucket(Base):
    """One client's token bucket of a rate limit (scheduler.throttle). No row is a full
    bucket: the nightly prune (`retention`) deletes the ones that have filled up again."""

    __tablename__ = "rate_buckets"

    # The limit's name and a hash of the client address: bounded, and no addresses at rest.
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(index=True)


class DataVersion(Base):
    """Counters raised by every committed change (see db.py); feeds key their caches on them.

    `agenda` counts changes to items; `catalog` changes to what items show of themes,
    stakeholders and people. One row, id 1.
    """

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda: Mapped[int] = mapped_column(Integer, default=0)
    catalog: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(default=now_utc)


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # a transient error; retried at next_attempt_at
    DEAD = "dead"  # a permanent error, or too many attempts
    EXPIRED = "expired"  # fell due too long ago (downtime) to still be useful
    CANCELLED = "cancelled"  # its occurrence was cancelled, or the person may no longer see it


class Delivery(Base):
    """One email in the outbox, unique by `key`. A finished row is deleted only by the prune
    (`retention`), when configured, once its key can no longer be planned again."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), index=True
    )
    item_uid: Mapped[str] = mapped_column(String(200), default="")
    occurrence_id: Mapped[datetime | None]  # the occurrence's original start (RECURRENCE-ID)
    occurrence_start: Mapped[datetime | None]  # where it is now (moved occurrences move)
    offset: Mapped[str] = mapped_column(String(20), default="")
    # What a nudge is about besides an item: a follow_ups.id or a partnerships.id (by kind).
    subject_id: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(320))
    due_at: Mapped[datetime]
    state: Mapped[DeliveryState] = mapped_column(
        _enum(DeliveryState), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    # Until when it may still go out (a digest: while its period lasts); None: due_at plus
    # the outbox's grace.
    expires_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str] = mapped_column(String(120), default="")
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str] = mapped_column(String(300), default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    __table_args__ = (Index("ix_deliveries_due", "state", "next_attempt_at"),)


# An outside calendar is "failing" (flagged on /feeds and in digests) after this many
# consecutive failed fetches.
SOURCE_FAILING_AFTER = 3


class SourceOutcome(enum.StrEnum):
    CHANGED = "changed"  # items were added, changed or cancelled
    UNCHANGED = "unchanged"  # fetched and read, nothing to change
    NOT_MODIFIED = "not-modified"  # the server answered 304
    FAILED = "failed"  # nothing about the items changed


class CalendarSource(Base):
    """An outside calendar (an iCalendar URL) whose events become read-only agenda items."""

    __tablename__ = "calendar_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind), default=ItemKind.DECISION)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    stakeholder_id: Mapped[int | None] = mapped_column(
        ForeignKey("stakeholders.id", ondelete="SET NULL")
    )
    interval: Mapped[str] = mapped_column(String(40), default="PT1H")  # ISO 8601 duration
    # What the server said last time, sent back as If-None-Match and If-Modified-Since.
    etag: Mapped[str] = mapped_column(String(500), default="")
    last_modified: Mapped[str] = mapped_column(String(100), default="")
    next_fetch_at: Mapped[datetime] = mapped_column(default=now_utc)
    # A fetch in progress: claimed by one process (compare-and-set) until the lease runs out.
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str] = mapped_column(String(120), default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    theme: Mapped[Theme | None] = relationship()
    stakeholder: Mapped[Stakeholder | None] = relationship()

    # Ids are never reused (SQLite would reuse the highest after a delete): change notices are
    # keyed by run id, and a removed source's runs go with it.
    __table_args__ = ({"sqlite_autoincrement": True},)

    @property
    def failing(self) -> bool:
        return self.failures >= SOURCE_FAILING_AFTER


class SourceRun(Base):
    """One fetch of an outside calendar: its outcome and what it changed (for the mail)."""

    __tablename__ = "source_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_sources.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    outcome: Mapped[SourceOutcome] = mapped_column(_enum(SourceOutcome))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    # [{"uid", "title", "change": added|moved|cancelled, "old_start", "new_start"}] (UTC ISO)
    changes: Mapped[list[dict[str, str | None]]] = mapped_column(JSON, default=list)

    __table_args__ = ({"sqlite_autoincrement": True},)


class PruneRun(Base):
    """One run of the prune (`retention`): who ran it, when, and what it deleted. Kept (a
    row or two a day) as the record of what went, and for /metrics across replicas."""

    __tablename__ = "prune_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_by: Mapped[str] = mapped_column(String(320))  # a process (host:pid) or cli:<os user>
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]  # None: still running, or the process died
    complete: Mapped[bool] = mapped_column(Boolean, default=False)  # False: stopped early
    # Rows deleted so far by table, raised with each batch's delete (in its transaction).
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Each rule's cutoff (UTC ISO): rows older than this went.
    cutoffs: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
