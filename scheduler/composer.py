"""Composing a mail: a person, a template and what it says, made into a standard `EmailMessage`.

Every kind of mail (reminders, nudges, digests, change notices, sign-in links) is composed
here, from `templates/email/<template>.subject.txt`, `.txt` and `.html` in the person's
language: one `text/plain` and one `text/html` alternative, `.ics` files as `text/calendar`
attachments. The message is the email package's own (`policy` below); the mailer dates it
when it hands it to the server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email import policy as policies
from email.header import Header
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage, MIMEPart
from email.policy import Policy
from functools import lru_cache
from typing import Any

from scheduler.models import Person
from scheduler.rendering import render
from scheduler.texts import Lang


class _Subject(UnstructuredHeader, BaseHeader):
    """A subject with non-ASCII text is written as encoded words by `email.header.Header`.

    The policy's own folder (CPython 3.11) leaves the blank before an encoded word that it
    moves to the next line at the end of the line above, and folding adds one: the reader
    sees two blanks ("Mobiliteit  – di 8 dec"). `Header` encodes the whole text instead, in
    words of at most 75 characters on lines of at most 76 (RFC 2047, 2), which unfold to
    the text as written."""

    def fold(self, *, policy: Policy) -> str:
        if str(self).isascii():
            return super().fold(policy=policy)
        # Folded once per line end: the recipients of an occurrence share one subject header
        # (see _shared), and Header's folding tries every split point in turn.
        folded: dict[str, str] = self.__dict__.setdefault("_folded", {})
        if policy.linesep not in folded:
            words = Header(str(self), "utf-8", header_name=self.name)
            # 75 without the blank that starts a continuation line (Header does not count it)
            lines = words.encode(linesep=policy.linesep, maxlinelen=_EW_LINE - 1)
            folded[policy.linesep] = f"{self.name}: {lines}{policy.linesep}"
        return folded[policy.linesep]


_EW_LINE = 76


class _Registry(HeaderRegistry):
    """The standard registry, making each header class once: it builds a new class (with
    `type()`) for every header it makes, a tenth of composing a reminder."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        if key not in self._made:
            self._made[key] = super().__getitem__(name)
        return self._made[key]


_HEADERS = _Registry()
_HEADERS.map_to_type("subject", _Subject)
# RFC 5322 with CRLF line ends, as SMTP carries it. `cte_type="7bit"`: bodies and headers
# are encoded (quoted-printable, or base64 where shorter; encoded words) so that any server
# takes them, also one that does not offer 8BITMIME (SMTP's own default is 8bit bodies).
POLICY = policies.SMTP.clone(cte_type="7bit", header_factory=_HEADERS)


@dataclass(frozen=True)
class Attachment:
    """A text file carried along, e.g. an occurrence's `.ics` (`subtype` of `text/`)."""

    data: str
    subtype: str
    filename: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Letterhead:
    """Who mail comes from, and the service's addresses that every message names."""

    sender: str  # "Lobbyagenda <lobby-agenda@example.nl>"
    domain: str  # of Message-IDs
    base_url: str  # where a person changes which mail they get: {base_url}/me


def language_of(person: Person) -> Lang:
    return "en" if person.language.value == "en" else "nl"


def compose(
    template: str, person: Person, context: Mapping[str, Any], *, letterhead: Letterhead,
    message_id: str, lang: Lang | None = None, key: str = "", can_turn_off: bool = True,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:  # fmt: skip
    """The mail `template` says to `person` (in their language unless `lang` is given).

    `message_id`: see `message_id()` (from the outbox key, so that a message sent again is
    recognisable as the same). `key`: the outbox key, in a header of our own for support.
    `can_turn_off`: a kind the person can turn off on their own page; the message then
    names that page in `List-Unsubscribe` (RFC 2369; a link, not RFC 8058's one click).
    No `Date`: the mailer stamps the moment it hands the message to the server.
    """
    lang = lang or language_of(person)
    message = EmailMessage(policy=POLICY)
    subject = one_line(render(f"email/{template}.subject.txt", lang, **context))
    message["Subject"] = _shared("Subject", subject)
    message["From"] = _shared("From", letterhead.sender)
    message["To"] = Address(one_line(person.name), addr_spec=person.email)
    message["Message-ID"] = message_id
    # RFC 3834: no out-of-office replies, please
    message["Auto-Submitted"] = _shared("Auto-Submitted", "auto-generated")
    if can_turn_off:
        message["List-Unsubscribe"] = _shared("List-Unsubscribe", f"<{letterhead.base_url}/me>")
    if key:
        message["X-Lobby-Agenda-Delivery"] = key
    message.set_content(render(f"email/{template}.txt", lang, **context))
    message.add_alternative(render(f"email/{template}.html", lang, **context), subtype="html")
    if attachments:
        message.make_mixed()
        for attachment in attachments:
            message.attach(_part(attachment))  # type: ignore[arg-type]  # any part will do
    return message


@lru_cache(maxsize=1024)
def _shared(name: str, value: str) -> Any:
    """A header made once for every message that carries it (one sender, the subject of an
    occurrence for each of its recipients): header objects are immutable."""
    return POLICY.header_factory(name, value)


@lru_cache(maxsize=256)
def _part(attachment: Attachment) -> MIMEPart:
    """One part per distinct attachment, shared by the messages that carry it (an occurrence's
    .ics goes to each of its recipients): encoded once; flattening leaves a part unchanged."""
    part = MIMEPart(policy=POLICY)
    part.set_content(
        attachment.data, subtype=attachment.subtype, disposition="attachment",
        filename=attachment.filename, params=dict(attachment.params),
    )  # fmt: skip
    return part


def message_id(key: str, domain: str) -> str:
    """A Message-ID derived from an outbox key: the same for every attempt at one delivery."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def one_line(value: str) -> str:
    """Header-safe: CR, LF and other line breaks never reach a header."""
    return " ".join(value.split())
