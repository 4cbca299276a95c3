"""Sending ready messages: over SMTP (one connection for a batch), or to .eml files.

The mailer knows messages, not agenda items. Its errors say whether retrying can help.
Every message gets its `Date` here, as it is handed to the server (see `Mailer.send`).
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import itertools
import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast, overload

from scheduler import clock

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger(__name__)


class SendError(Exception):
    """A message could not be sent. `permanent`: retrying will not help (SMTP 5xx);
    `unreachable`: the server itself cannot be reached, so neither can the next message;
    `answered`: the server said no (without it, the connection failed: if that happened after
    the final dot, the server may have taken the message all the same)."""

    def __init__(
        self, message: str, *, permanent: bool, unreachable: bool = False, answered: bool = True
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.unreachable = unreachable
        self.answered = answered


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the wire: composed and flattened before the SMTP exchange, so that
    composing the next one can overlap with sending this one."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes
    message_id: str

    def parsed(self) -> EmailMessage:
        """The message as a mail client reads it (previews, tests)."""
        local = self.data.replace(b"\r\n", b"\n")  # as stored on disk, the way clients read it
        message = message_from_bytes(local, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass(frozen=True)
class Attachment:
    data: str
    subtype: str  # of text/…
    filename: str
    params: tuple[tuple[str, str], ...] = ()


class _QuotedPrintable(Charset):
    """utf-8 bodies in quoted-printable, encoded by `binascii` (C): the email package's own
    encoder is a Python loop over every character (a fifth of composing a reminder). Same
    decoded text; the bytes differ at most where a soft line break falls, and a line of
    a lone "." comes out as "=2E". `binascii` can leave a line of 77 characters (when it
    encodes a blank that ends a full line); such a body is encoded the email package's way.
    """

    @overload
    def body_encode(self, string: None) -> None: ...
    @overload
    def body_encode(self, string: str | bytes) -> str: ...
    def body_encode(self, string: str | bytes | None) -> str | None:
        if string is None or not string:
            return super().body_encode(string)
        data = string.encode(self.output_charset or "utf-8") if isinstance(string, str) else string
        # Line ends as the email package's encoder reads them: CRLF, CR and LF each end a line.
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        encoded = binascii.b2a_qp(data, istext=True).decode("ascii")
        if max(map(len, encoded.split("\n"))) > _QP_LINE:  # RFC 2045, 6.7 (5)
            return super().body_encode(string)
        return encoded


_QP_LINE = 76


# Readable in any client's "show source", safe over any server (no 8BITMIME needed).
_UTF8 = _QuotedPrintable("utf-8")
_UTF8.body_encoding = QP


class _Wire(Compat32):
    """compat32 with CRLF line ends, for SMTP.

    A header that fits on its line and is plain printable ASCII is written as it is: the
    same bytes compat32's folding gives for it, without the `Header` object that folding
    builds for every line (a third of composing a reminder went there). Anything else (long,
    non-ASCII, a `Header`) is folded and encoded as before.
    """

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str) and _as_is(name, value, self.max_line_length or 0):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


def _as_is(name: str, value: str, max_length: int) -> bool:
    """Whether folding would leave `name: value` untouched: it fits, and has no character
    (non-ASCII, control, leading or trailing blank) that folding encodes or rearranges."""
    return (
        len(name) + 2 + len(value) <= max_length
        and value.isascii()
        and value.isprintable()
        and value == value.strip()
    )


_WIRE = _Wire(linesep="\r\n")


def compose(
    *, sender: str, to: tuple[str, str], subject: str, message_id: str, text: str, html: str,
    headers: dict[str, str] | None = None, attachments: tuple[Attachment, ...] = (),
) -> Outgoing:  # fmt: skip
    """A text + HTML message with optional text attachments, flattened for SMTP.

    Built with the stdlib's compat32 MIME classes: the same structure as EmailMessage gives,
    at a third of the cost (its header parsing dominated a burst of reminders). Header
    values never carry line breaks: callers pass single lines; CR/LF would be refused here.
    """
    for value in (subject, to[0], *(headers or {}).values()):
        if "\r" in value or "\n" in value:
            raise ValueError(f"line break in a header value: {value!r}")
    if any(name.lower() == "date" for name in headers or {}):
        raise ValueError("a Date header is the mailer's: it stamps the moment of sending")
    # Boundaries of our own: "=_" never occurs in quoted-printable text, so no search of the
    # content for a safe one is needed (the email package's way, a regex per part).
    token = hashlib.sha256(message_id.encode()).hexdigest()[:24]
    body = MIMEMultipart("alternative", boundary=f"=_a{token}")
    body.attach(_text_part(text, "plain"))
    body.attach(_text_part(html, "html"))
    message: MIMEBase = body
    if attachments:
        message = MIMEMultipart("mixed", boundary=f"=_m{token}")
        message.attach(body)
        for attachment in attachments:
            message.attach(_attachment_part(attachment))
    # compat32 takes a Header (encoded words, folded); typeshed types the value as str only.
    message["Subject"] = subject if subject.isascii() else cast("str", _subject_header(subject))
    message["From"] = sender
    message["To"] = formataddr(to)
    message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    return Outgoing(
        sender=_envelope_sender(sender),
        recipients=(to[1],),
        data=message.as_bytes(policy=_WIRE),
        message_id=message_id,
    )


def _text_part(content: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    del part["MIME-Version"]  # only the top level carries it
    part.set_payload(content if content.endswith("\n") else content + "\n", _UTF8)
    return part


@lru_cache(maxsize=16)
def _envelope_sender(sender: str) -> str:
    """The address alone, for MAIL FROM: parsed once (the email package's parser is slow,
    and one sender sends them all)."""
    return parseaddr(sender)[1]


@lru_cache(maxsize=256)
def _attachment_part(attachment: Attachment) -> MIMENonMultipart:
    """One part per distinct attachment, shared by the messages that carry it (an occurrence's
    .ics goes to each of its recipients): encoded once, then only flattened, which leaves a
    part unchanged."""
    part = _text_part(attachment.data, attachment.subtype)
    for name, value in attachment.params:
        part.set_param(name, value)
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part


class _HeaderCharset(Charset):
    """utf-8 in headers (RFC 2047 encoded words). A value that fits in one encoded word is
    encoded at once: to find where to split, the email package encodes each prefix of the
    value in turn (quadratic), and for a value that fits, what it finds is that one word."""

    def header_encode_lines(self, string: str, maxlengths: Iterator[int]) -> list[str | None]:
        first = next(maxlengths)
        word = self.header_encode(string)  # the whole value, as the email package encodes it
        if len(word) <= first:
            return [word]
        return super().header_encode_lines(string, itertools.chain([first], maxlengths))


_HEADER_UTF8 = _HeaderCharset("utf-8")


class _SharedHeader(Header):
    """A utf-8 `Header` that keeps its encoded form: one serves every message with the same
    subject (the recipients of an occurrence), and encoding it is then done once."""

    def __init__(self, text: str) -> None:
        super().__init__(text, _HEADER_UTF8)
        self._encoded: dict[tuple[str, int | None, str], str] = {}

    def encode(
        self, splitchars: str = ";, \t", maxlinelen: int | None = None, linesep: str = "\n"
    ) -> str:
        key = (splitchars, maxlinelen, linesep)
        if key not in self._encoded:
            self._encoded[key] = super().encode(splitchars, maxlinelen, linesep)
        return self._encoded[key]


@lru_cache(maxsize=1024)
def _subject_header(subject: str) -> _SharedHeader:
    return _SharedHeader(subject)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str = ""
    password: str = ""
    timeout: float = 30
    mail_dir: str = "var/mail"
    connections: int = 1  # how many the outbox sends over at once


def dated(data: bytes, moment: datetime) -> bytes:
    """A flattened message with a `Date` header (RFC 5322, 3.6.1) of `moment`, to the second.
    Put first: header order carries no meaning, and the flattened bytes stay as they are."""
    stamp = format_datetime(moment.replace(microsecond=0))
    return b"Date: " + stamp.encode("ascii") + b"\r\n" + data


class _SMTP(smtplib.SMTP):
    """SMTP's DATA with a hook between the message and the final "." that ends it.

    A server delivers a message only once it has that final dot; a connection lost before it
    aborts the transaction (RFC 5321, 4.1.1.4). Recording "sent" in the hook, before the
    dot, means a crash can no longer make a message go out twice: before the record the
    server discards it, after the record it is ours to deliver. What remains is the instant
    between the record and the dot leaving (a crash there loses that one message).
    """

    before_final_dot: Callable[[], None] | None = None

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        content = msg.encode("ascii") if isinstance(msg, str) else bytes(msg)
        content = re.sub(rb"(?m)^\.", b"..", content)  # dot-stuffing (RFC 5321, 4.5.2)
        self.send(content if content.endswith(b"\r\n") else content + b"\r\n")
        if self.before_final_dot is not None:
            self.before_final_dot()
        self.send(b".\r\n")
        return self.getreply()


class _SMTPS(_SMTP, smtplib.SMTP_SSL):
    pass


class Mailer:
    """`with Mailer(settings) as mailer: mailer.send(message)` — one connection per batch."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: _SMTP | _SMTPS | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def send(
        self, message: Outgoing, *, before_final_dot: Callable[[], None] | None = None
    ) -> None:
        """Send one message. `before_final_dot` runs once the server holds the whole message
        but before it may deliver it: if it raises, the transaction is aborted (the
        connection closed) and its exception passes through.

        The message is dated now, not when it was composed: RFC 5322's Date is the moment it
        was "ready to enter the mail delivery system", and a message sent again (after a
        crash, or a retry) enters it again; its Message-ID stays the same."""
        data = dated(message.data, clock.now_utc())
        if not self.settings.host:
            if before_final_dot is not None:
                before_final_dot()
            self._write_file(message, data)
            return
        try:
            smtp = self._connection()
            smtp.before_final_dot = before_final_dot
            refused = smtp.sendmail(message.sender, list(message.recipients), data)
        except smtplib.SMTPResponseException as exc:
            self.close()  # the connection may be in any state now
            permanent = 500 <= exc.smtp_code < 600
            raise SendError(
                f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}",
                permanent=permanent,
                unreachable=exc.smtp_code == 421,  # "service not available"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()]
            permanent = all(500 <= code < 600 for code in codes)
            raise SendError(f"recipients refused: {exc.recipients}", permanent=permanent) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            self.close()
            raise SendError(
                f"SMTP unavailable: {exc or type(exc).__name__}",
                permanent=False, unreachable=True, answered=False,
            ) from exc  # fmt: skip
        except BaseException:
            self._abort()  # the hook failed: the server must never see the final dot
            raise
        finally:
            if self._smtp is not None:
                self._smtp.before_final_dot = None
        if refused:
            raise SendError(f"recipients refused: {refused}", permanent=True)

    def _connection(self) -> _SMTP | _SMTPS:
        if self._smtp is not None:
            return self._smtp
        conf = self.settings
        if conf.security == "tls":
            smtp: _SMTP | _SMTPS = _SMTPS(
                conf.host, conf.port, timeout=conf.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = _SMTP(conf.host, conf.port, timeout=conf.timeout)
        # The final dot goes out as a small write of its own: without this, Nagle's algorithm
        # holds it until the server's delayed ACK (some 40 ms a message).
        if smtp.sock is not None:
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if conf.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if conf.username:
            smtp.login(conf.username, conf.password)
        self._smtp = smtp
        return smtp

    def _write_file(self, message: Outgoing, data: bytes) -> None:
        folder = Path(self.settings.mail_dir)
        folder.mkdir(parents=True, exist_ok=True)
        name = message.message_id.strip("<>").split("@")[0] or "message"
        path = folder / f"{name}.eml"
        path.write_bytes(data)
        log.info("mail to %s written to %s (no smtp_host set)", ", ".join(message.recipients), path)

    def _abort(self) -> None:
        """Drop the connection without QUIT (mid-DATA, QUIT would be read as message text)."""
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        with contextlib.suppress(smtplib.SMTPException, OSError):  # a broken one: nothing to tell
            self._smtp.quit()
        self._smtp = None


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value
