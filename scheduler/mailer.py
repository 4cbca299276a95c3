"""Sending ready messages: over SMTP (one connection for a batch), or to .eml files.

The mailer knows messages, not agenda items. Its errors say whether retrying can help.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)


class SendError(Exception):
    """A message could not be sent; `permanent` when retrying will not help (SMTP 5xx)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str = ""
    password: str = ""
    timeout: float = 30
    mail_dir: str = "var/mail"


class Mailer:
    """`with Mailer(settings) as mailer: mailer.send(message)` — one connection per batch."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        if not self.settings.host:
            self._write_file(message)
            return
        try:
            smtp = self._connection()
            refused = smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            self.close()  # the connection may be in any state now
            permanent = 500 <= exc.smtp_code < 600
            raise SendError(
                f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}", permanent=permanent
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()]
            permanent = all(500 <= code < 600 for code in codes)
            raise SendError(f"recipients refused: {exc.recipients}", permanent=permanent) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            self.close()
            raise SendError(
                f"SMTP unavailable: {exc or type(exc).__name__}", permanent=False
            ) from exc
        if refused:
            raise SendError(f"recipients refused: {refused}", permanent=True)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        conf = self.settings
        if conf.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                conf.host, conf.port, timeout=conf.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(conf.host, conf.port, timeout=conf.timeout)
            if conf.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if conf.username:
            smtp.login(conf.username, conf.password)
        self._smtp = smtp
        return smtp

    def _write_file(self, message: EmailMessage) -> None:
        folder = Path(self.settings.mail_dir)
        folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").split("@")[0] or "message"
        path = folder / f"{name}.eml"
        path.write_bytes(bytes(message))
        log.info("mail to %s written to %s (no smtp_host set)", message["To"], path)

    def close(self) -> None:
        if self._smtp is None:
            return
        with contextlib.suppress(smtplib.SMTPException, OSError):  # a broken one: nothing to tell
            self._smtp.quit()
        self._smtp = None


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value
