"""Notes on items: what was said at a meeting, in markdown, by whom and when.

A note's changes go into the item's history (the audit trail: `ItemChange`, field "note",
the old and the new text), without a new revision of the item: its own fields did not
change. Markdown is rendered by markdown-it-py without raw HTML, and the HTML it makes is
cleaned again by nh3 (Ammonia) with a short allow-list: a note never carries a script, an
event handler or a javascript: link onto a page, whatever its text.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import nh3
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.agenda import Actor
from scheduler.errors import Forbidden, NotFound, ValidationError
from scheduler.models import AgendaItem, ItemChange, ItemNote, Person
from scheduler.permissions import may_contribute, may_edit

MAX_LENGTH = 20_000  # a page of minutes is a few thousand characters

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)
_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}


def render(text: str) -> str:
    """A note's markdown as HTML that is safe to put on a page as it is."""
    return nh3.clean(
        _MARKDOWN.render(text),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def _checked(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError("a note needs some text", field="text", key="note_empty")
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            f"a note is at most {MAX_LENGTH} characters long (this one has {len(text)})",
            field="text", key="note_too_long", params={"max": MAX_LENGTH},
        )  # fmt: skip
    return text


def notes_of(session: Session, item: AgendaItem) -> list[ItemNote]:
    """The item's notes, oldest first."""
    query = select(ItemNote).where(ItemNote.item_id == item.id)
    return list(session.scalars(query.order_by(ItemNote.written_at, ItemNote.id)))


def find(session: Session, item: AgendaItem, note_id: int) -> ItemNote:
    note = session.get(ItemNote, note_id)
    if note is None or note.item_id != item.id:
        raise NotFound(f"{item.uid} has no note {note_id}", field="note")
    return note


def check_add(item: AgendaItem, person: Person) -> None:
    if not may_contribute(item, person):
        raise Forbidden(
            f"you may not add notes to {item.uid}: those who may change it and its participants do",
            field="uid",
        )


def may_change(note: ItemNote, person: Person) -> bool:
    """Its author (while they may still add notes to the item), or who may change the item."""
    item = note.item
    return may_edit(item, person) or (
        note.written_by == person.email and may_contribute(item, person)
    )


def check_change(note: ItemNote, person: Person) -> None:
    if not may_change(note, person):
        raise Forbidden(
            f"you may not change note {note.id}: its author and those who may change "
            f"{note.item.uid} do",
            field="note",
        )


def add(session: Session, item: AgendaItem, text: str, actor: Actor, now: datetime) -> ItemNote:
    note = ItemNote(item=item, text=_checked(text), written_at=now, written_by=actor.who)
    session.add(note)
    session.flush()
    _record(session, note, actor, now, None, note.text)
    return note


def edit(session: Session, note: ItemNote, text: str, actor: Actor, now: datetime) -> bool:
    """Change a note's text; False when it stays the same (nothing is recorded)."""
    text = _checked(text)
    if text == note.text:
        return False
    old, note.text = note.text, text
    note.updated_at, note.updated_by = now, actor.who
    _record(session, note, actor, now, old, text)
    session.flush()
    return True


def remove(session: Session, note: ItemNote, actor: Actor, now: datetime) -> None:
    _record(session, note, actor, now, note.text, None)
    session.delete(note)
    session.flush()


def _record(
    session: Session, note: ItemNote, actor: Actor, now: datetime, old: str | None,
    new: str | None,
) -> None:  # fmt: skip
    """Into the item's history: the note by its number, the text before and after."""
    session.add(
        ItemChange(
            item_uid=note.item.uid, revision=note.item.revision, changed_at=now,
            changed_by=actor.who, channel=actor.channel, field=f"note {note.id}",
            old_value=None if old is None else json.dumps(old, ensure_ascii=False),
            new_value=None if new is None else json.dumps(new, ensure_ascii=False),
        )
    )  # fmt: skip


def describe(note: ItemNote) -> dict[str, Any]:
    """The note as plain data (CLI --json and the API)."""
    return {
        "id": note.id,
        "item": note.item.uid,
        "text": note.text,
        "written_at": note.written_at.isoformat(),
        "written_by": note.written_by,
        "updated_at": note.updated_at.isoformat() if note.updated_at else None,
        "updated_by": note.updated_by or None,
    }
