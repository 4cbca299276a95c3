"""Composing a mail: a person, a template and what it says, made into a standard `EmailMessage`.

Every kind of mail (reminders, nudges, digests, change notices, sign-in links) is composed
here, from `templates/email/<template>.subject.txt`, `.txt` and `.html` in the person's
language: one `text/plain` and one `text/html` alternative, `.ics` files as `text/calendar`
attachments. The message is the email package's own (`POLICY` below); the outbox flattens
it as soon as it is composed, and the mailer dates it when it hands it to the server.

Composing is made fast enough for a burst of 10,000 reminders with the package's own means:
header objects that messages share, made and folded once (the registry's `base_class` and
a factory that keeps them); one part per distinct attachment; boundaries set when the
message is composed (see `_BOUNDARIES`).
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


class _Header(BaseHeader):
    """The last base of every header class (the registry's `base_class`): a header folds
    once for each policy it is written in. Header objects cannot change, and those that
    messages share (see `_Registry`) are written into each of them."""

    def fold(self, *, policy: Policy) -> str:
        # By the policy's settings, not the policy: the generator writes each part in a
        # copy of its own (`Policy.clone`), alike in all settings.
        settings = frozenset(vars(policy).items())
        folded: dict[frozenset[tuple[str, object]], str] = self.__dict__.setdefault("_folded", {})
        if settings not in folded:
            folded[settings] = self._fold(policy)
        return folded[settings]

    def _fold(self, policy: Policy) -> str:
        return super().fold(policy=policy)


class _Subject(UnstructuredHeader, _Header):
    """A subject with non-ASCII text too long for one line is written as encoded words by
    `email.header.Header`.

    The policy's own folder (CPython 3.11) leaves the blank before an encoded word that it
    moves to the next line at the end of the line above, and folding adds one: the reader
    sees two blanks ("Mobiliteit  – di 8 dec"). `Header` encodes the whole text instead, in
    words of at most 75 characters on lines of at most 76 (RFC 2047, 2), which unfold to
    the text as written. (It tries every length of each line, in a tenth of a millisecond
    or more: a subject that fits on one line of 76 is left to the policy.)"""

    def _fold(self, policy: Policy) -> str:
        folded = super()._fold(policy)
        line = folded.removesuffix(policy.linesep)
        # RFC 2047, 2: a line with encoded words has at most 76 characters
        if str(self).isascii() or (policy.linesep not in line and len(line) <= _EW_LINE):
            return folded
        words = Header(str(self), "utf-8", header_name=self.name)
        # 75 without the blank that starts a continuation line (Header does not count it)
        lines = words.encode(linesep=policy.linesep, maxlinelen=_EW_LINE - 1)
        return f"{self.name}: {lines}{policy.linesep}"


_EW_LINE = 76


class _Registry(HeaderRegistry):
    """The standard registry, but each header class is made once (the standard one builds a
    new class with `type()` for every header it makes), and a header that many messages
    carry alike (`_ALIKE`: a sender, a subject, the parts' Content-Type and
    Content-Transfer-Encoding) is parsed once for all of them. Composing a message makes
    some twenty headers, most of them alike. (Kept, a header of one message's own would
    only make garbage that lives long.)"""

    def __init__(self) -> None:
        super().__init__(base_class=_Header)
        self._made: dict[str, type[BaseHeader]] = {}
        self._parsed = lru_cache(maxsize=1024)(super().__call__)

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        if key not in self._made:
            self._made[key] = super().__getitem__(name)
        return self._made[key]

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if isinstance(value, str) and name.lower() in _ALIKE:
            return self._parsed(name, value)
        return super().__call__(name, value)


_ALIKE = frozenset({
    "from", "to", "subject", "auto-submitted", "list-unsubscribe", "mime-version",
    "content-type", "content-transfer-encoding", "content-disposition",
})  # fmt: skip


_HEADERS = _Registry()
_HEADERS.map_to_type("subject", _Subject)
# RFC 5322 with CRLF line ends, as SMTP carries it. `cte_type="7bit"`: bodies and headers
# are encoded (text quoted-printable, attachments base64, see `_CTE`; encoded words) so that
# any server takes them, also one that does not offer 8BITMIME (SMTP's own default is 8bit).
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
    message["Subject"] = subject
    message["From"] = letterhead.sender
    message["To"] = _mailbox(person.name, person.email)
    message["Message-ID"] = message_id
    # RFC 3834: no out-of-office replies, please
    message["Auto-Submitted"] = "auto-generated"
    if can_turn_off:
        message["List-Unsubscribe"] = f"<{letterhead.base_url}/me>"
    if key:
        message["X-Lobby-Agenda-Delivery"] = key
    message.set_content(render(f"email/{template}.txt", lang, **context), cte=_CTE)
    message.make_alternative(boundary=_BOUNDARIES["alternative"])
    message.add_alternative(
        render(f"email/{template}.html", lang, **context), subtype="html", cte=_CTE
    )
    if attachments:
        message.make_mixed(boundary=_BOUNDARIES["mixed"])
        for attachment in attachments:
            message.attach(_part(attachment))  # type: ignore[arg-type]  # any part will do
    return message


# The text parts are quoted-printable, which never writes "=_" (an "=" becomes "=3D"), the
# attachments base64, which has no "_"; each boundary has "=_", so no part can hold a
# boundary line (RFC 2045, 6.7; RFC 2046, 5.1.1) and the boundaries can be the same in
# every message (neither begins the other). Otherwise the generator draws one for each
# multipart as it writes it and searches the parts for it, with a regular expression
# compiled for that boundary: a fifth of writing a reminder.
_CTE = "quoted-printable"
_BOUNDARIES = {"alternative": "=_lobby-agenda-alternative", "mixed": "=_lobby-agenda-mixed"}


@lru_cache(maxsize=256)
def _part(attachment: Attachment) -> MIMEPart:
    """One part per distinct attachment, shared by the messages that carry it (an occurrence's
    .ics goes to each of its recipients): encoded once; flattening leaves a part unchanged."""
    part = MIMEPart(policy=POLICY)
    part.set_content(
        attachment.data, subtype=attachment.subtype, disposition="attachment",
        filename=attachment.filename, params=dict(attachment.params), cte="base64",
    )  # fmt: skip
    return part


@lru_cache(maxsize=1024)
def _mailbox(name: str, email: str) -> str:
    """A person as To names them (`Address` checks the address and quotes the name), as text:
    a header given as text is parsed once for all of a person's mail (see `_Registry`)."""
    return str(Address(one_line(name), addr_spec=email))


def message_id(key: str, domain: str) -> str:
    """A Message-ID derived from an outbox key: the same for every attempt at one delivery."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def one_line(value: str) -> str:
    """Header-safe: CR, LF and other line breaks never reach a header."""
    return " ".join(value.split())
