"""Sending ready messages: over SMTP (one connection for a batch), or to .eml files.

The mailer knows messages, not agenda items. Its errors say whether retrying can help.
Every message gets its `Date` here, as it is handed to the server (see `Mailer.send`).
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import EmailPolicy
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

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
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str = ""
    password: str = ""
    timeout: float = 30
    mail_dir: str = "var/mail"
    connections: int = 1  # how many the outbox sends over at once


@dataclass(frozen=True)
class Flattened:
    """A composed message as it goes on the wire, but for its `Date` (added when sent).

    The outbox composes a batch, then sends it: flattened as soon as it is composed, a
    message waiting for its turn is a few objects rather than the message's tree of parts
    and parsed headers (a hundred objects and more), which the garbage collector would
    otherwise walk through again and again in a burst."""

    sender: str
    recipients: tuple[str, ...]
    message_id: str
    data: bytes
    policy: EmailPolicy  # the message's own: it makes and folds the Date

    @classmethod
    def of(cls, message: EmailMessage) -> Flattened:
        """`message` (undated: see `Mailer.send`) flattened in its own policy; its envelope
        is its own From and To."""
        if "Date" in message:
            raise ValueError("a message is dated when it is sent, not before")
        assert isinstance(message.policy, EmailPolicy)  # an EmailMessage's
        return cls(
            sender=message["From"].addresses[0].addr_spec,
            recipients=tuple(address.addr_spec for address in message["To"].addresses),
            message_id=str(message["Message-ID"]),
            data=message.as_bytes(),  # the composer's policy: CRLF, as SMTP carries it
            policy=message.policy,
        )

    def dated(self, moment: datetime) -> bytes:
        """The message with a Date header of `moment` (its first header: their order carries
        no meaning, RFC 5322, 3.6), made and folded by the message's own policy."""
        return _date_line(self.policy, moment) + self.data


@lru_cache(maxsize=4)
def _date_line(policy: EmailPolicy, moment: datetime) -> bytes:
    """A Date header as written: made once for all the messages sent within a second."""
    return policy.fold_binary("Date", policy.header_factory("Date", moment))


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
        self, message: EmailMessage | Flattened, *,
        before_final_dot: Callable[[], None] | None = None,
    ) -> None:  # fmt: skip
        """Send one message. `before_final_dot` runs once the server holds the whole message
        but before it may deliver it: if it raises, the transaction is aborted (the
        connection closed) and its exception passes through.

        The message is dated now, not when it was composed: RFC 5322's Date is the moment it
        was "ready to enter the mail delivery system", and a message sent again (after a
        crash, or a retry) enters it again; its Message-ID stays the same. The envelope
        is the message's own From and To."""
        flat = message if isinstance(message, Flattened) else Flattened.of(message)
        data = flat.dated(clock.now_utc().replace(microsecond=0))
        sender, recipients = flat.sender, list(flat.recipients)
        if not self.settings.host:
            if before_final_dot is not None:
                before_final_dot()
            self._write_file(flat.message_id, recipients, data)
            return
        try:
            smtp = self._connection()
            smtp.before_final_dot = before_final_dot
            refused = smtp.sendmail(sender, recipients, data)
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

    def _write_file(self, message_id: str, recipients: list[str], data: bytes) -> None:
        folder = Path(self.settings.mail_dir)
        folder.mkdir(parents=True, exist_ok=True)
        name = message_id.strip("<>").split("@")[0] or "message"
        path = folder / f"{name}.eml"
        path.write_bytes(data)
        log.info("mail to %s written to %s (no smtp_host set)", ", ".join(recipients), path)

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
