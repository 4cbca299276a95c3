"""Domain errors: every message says what was wrong and, where it helps, how to fix it.

The edges (CLI, HTTP) turn these into one line or one JSON answer, each in one place.
Each class subclasses the nearest builtin and carries the HTTP status it maps to.

The message is English (for logs, the CLI and the JSON API). An error a person may meet on a
page also carries a `key` and its `params`: `texts.say_error` tells it in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class LobbyError(Exception):
    """Base of all errors a user can act on."""

    status: int = 400

    def __init__(
        self, message: str, *, field: str | None = None, key: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.message = message
        self.field = field
        self.key = key
        self.params = {name: str(value) for name, value in (params or {}).items()}

    def __str__(self) -> str:
        return self.message


class BadValue(ValueError):
    """A value a record's validator refuses, with the key and params of its message (pydantic
    wraps a ValueError; `schemas.parse` takes the key back out)."""

    def __init__(self, message: str, *, key: str, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = {name: str(value) for name, value in params.items()}


class ConfigError(LobbyError, ValueError):
    """A setting is unknown or has a bad value; names the key and where it came from."""


class ValidationError(LobbyError, ValueError):
    """One value is not acceptable; `field` names it."""

    status = 422


class BadParameter(LobbyError, ValueError):
    """A query parameter has a value we do not know; the message lists the allowed ones."""

    status = 400


class SignInRequired(LobbyError):
    """A page for signed-in people, asked for without a (live) session."""

    status = 401

    def __init__(self, message: str = "sign in with your personal link first") -> None:
        super().__init__(message, key="sign_in_required")


class NotFound(LobbyError, LookupError):
    status = 404


class Conflict(LobbyError):
    status = 409


class Forbidden(LobbyError, PermissionError):
    status = 403


class PreconditionFailed(LobbyError):
    """An update based on a stale version (If-Match no longer matches): nothing changed."""

    status = 412


class PreconditionRequired(LobbyError):
    """An update without If-Match: it could overwrite someone else's change unseen."""

    status = 428


class TooLarge(LobbyError, ValueError):
    """An upload over the size limit: refused while it streamed in, nothing kept."""

    status = 413


class Gone(LobbyError, LookupError):
    """Something that existed is no longer valid (a revoked or expired token)."""

    status = 410


class DatabaseUnavailable(LobbyError, ConnectionError):
    status = 503


class MigrationFailed(LobbyError, RuntimeError):
    """A migration would leave the database inconsistent: it was rolled back."""

    status = 500


class ReadOnly(LobbyError):
    """A change to what an outside calendar owns: it changes there, not here."""

    status = 409


class FetchFailed(LobbyError, ConnectionError):
    """An outside calendar could not be fetched (network, timeout, HTTP error, too large)."""

    status = 502

    def __init__(
        self, message: str, *, http_status: int | None = None, key: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message, key=key, params=params)
        self.http_status = http_status


class ImportFileError(LobbyError, ValueError):
    """A whole file cannot be read (size, encoding, syntax)."""


@dataclass(frozen=True)
class Problem:
    """One error in an import file, located by file, line and field."""

    source: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class ImportRejected(LobbyError, ValueError):
    """An import found problems; nothing was changed."""

    status = 422

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        shown = "\n".join(str(p) for p in problems[:50])
        more = f"\n… and {count - 50} more" if count > 50 else ""
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"import refused, nothing changed ({count} {noun}):\n{shown}{more}")
