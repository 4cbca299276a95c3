"""Logging to stderr: readable lines by default, JSON lines with LOBBY_LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else was passed with `extra=` and is shown.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


# A URL's password: `scheme://user:PASSWORD@host`. Greedy up to the last "@" before a blank or
# quote, so that a password typed with a raw "@" or "/" in it is hidden whole (at worst, with
# some of what follows it). The placeholder of our own hints (`USER:PASSWORD@HOST`) stays.
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/?#@\s]*):(?!PASSWORD@)[^\s'\"]*@")


def mask_secrets(text: str) -> str:
    """`mysql://lobby:Sup3rSecret@db/lobby` → `mysql://lobby:***@db/lobby`, wherever it
    occurs in `text`: applied to every log line and every error the CLI prints, since a
    setting's value (a database URL) reaches messages that never meant to show it."""
    return _URL_PASSWORD.sub(r"\1:***@", text)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(self._json(record))

    def _json(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the moment of logging, not when configured."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass  # StreamHandler.__init__ assigns it; the property always answers sys.stderr


# Paths that carry a secret: a feed link's token, a sign-in link's token.
_SECRET_IN_PATH = re.compile(r"^(/feeds|/login)/(?!public\.ics)[^/?#]+")


def redact_path(path: str) -> str:
    """`/feeds/SECRET/me.ics` → `/feeds/***/me.ics`: no token reaches a log line."""
    return _SECRET_IN_PATH.sub(r"\1/***", path)


class RedactSecrets(logging.Filter):
    """For uvicorn's access log, whose arguments are (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            args[2] = redact_path(str(args[2]))
            record.args = tuple(args)
        return True


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Send all logs (ours, uvicorn's, APScheduler's) to stderr in one format."""
    handler = _StderrHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            TextFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())
    # Alembic narrates every step at INFO; `Database.upgrade` logs the one line that matters.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # APScheduler narrates every job added and run at INFO; `jobs` logs what matters.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
