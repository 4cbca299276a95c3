"""What the item and dossier pages show of notes and documents (their forms' routes are in
`attachments`): each note rendered from markdown and sanitized, each document with its link."""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import format_decimal
from markupsafe import Markup
from sqlalchemy.orm import Session

from scheduler import documents, notes
from scheduler.models import AgendaItem, Document, Dossier, ItemNote, Person
from scheduler.permissions import may_contribute, may_create
from scheduler.texts import Lang, Words, text


@dataclass(frozen=True)
class NoteView:
    id: int
    html: Markup  # rendered and sanitized
    text: str
    byline: str
    edited: str
    may_change: bool


@dataclass(frozen=True)
class DocumentView:
    id: int
    name: str
    link: str
    byline: str
    may_remove: bool


def size_text(size: int, lang: Lang) -> str:
    if size < 1024 * 1024:
        return f"{format_decimal(max(1, round(size / 1024)), locale=lang)} kB"
    return f"{format_decimal(round(size / (1024 * 1024), 1), locale=lang)} MB"


def _document_views(
    found: list[Document], base: str, person: Person, words: Words
) -> list[DocumentView]:
    views = []
    for d in found:
        size = size_text(d.size, words.lang)
        when = words.moment(d.uploaded_at, False)
        byline = text("document_by", words.lang, size=size, who=d.uploaded_by, when=when)
        link = f"{base}/documents/{d.id}"
        views.append(DocumentView(d.id, d.name, link, byline, documents.may_remove(d, person)))
    return views


def _note_view(note: ItemNote, person: Person, words: Words) -> NoteView:
    lang = words.lang
    written = words.moment(note.written_at, False)
    edited = (
        text("note_edited", lang, who=note.updated_by, when=words.moment(note.updated_at, False))
        if note.updated_at
        else ""
    )
    return NoteView(
        note.id,
        Markup(notes.render(note.text)),  # nh3 cleaned it: safe as it is
        note.text,
        text("note_by", lang, who=note.written_by, when=written),
        edited,
        notes.may_change(note, person),
    )


def item_context(
    session: Session, item: AgendaItem, person: Person, lang: Lang, max_upload_mb: int
) -> dict[str, object]:
    """The notes and documents of an item page (whose reader may see the item)."""
    words = Words(lang, person.timezone)
    found = documents.of_item(session, item)
    return {
        "notes": [_note_view(n, person, words) for n in notes.notes_of(session, item)],
        "documents": _document_views(found, f"/items/{item.uid}", person, words),
        "may_contribute": may_contribute(item, person),
        "max_upload_mb": max_upload_mb,
    }


def dossier_context(
    session: Session, dossier: Dossier, person: Person, lang: Lang, max_upload_mb: int
) -> dict[str, object]:
    """The documents of a dossier page (for anyone signed in; its items' documents stay on
    the items' pages, where a confidential one is kept from who may not see it)."""
    words = Words(lang, person.timezone)
    found = documents.of_dossier(session, dossier)
    return {
        "documents": _document_views(found, f"/dossiers/{dossier.slug}", person, words),
        "may_attach": may_create(person),
        "max_upload_mb": max_upload_mb,
    }
