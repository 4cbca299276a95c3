"""Settings: `config/lobby-agenda.toml`, overridden by `LOBBY_*` variables, validated once.

Sources, strongest first: `LOBBY_<KEY>`; `LOBBY_<KEY>_FILE` (a file holding the value, for
secrets); the TOML file named by `LOBBY_CONFIG` (default `config/lobby-agenda.toml`); the
defaults below. Every key of the model is listed, with its default and a comment, in
`config/lobby-agenda.toml`; a test keeps the two in step.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from scheduler import clock
from scheduler.errors import ConfigError
from scheduler.logs import mask_secrets
from scheduler.offsets import (
    days_of,
    normalize_offsets,
    parse_length,
    parse_offset,
    parse_period,
)

ENV_PREFIX = "LOBBY_"
# Variables with our prefix that are not settings: the config file's path and the test suite's.
NON_SETTING_VARIABLES = ("LOBBY_CONFIG",)
NON_SETTING_PREFIXES = ("LOBBY_TEST_",)
# Settings whose whole value is a secret: an error about one never quotes it.
SECRET_SETTINGS = frozenset({"smtp_password", "oidc_client_secret"})


def project_home() -> Path:
    """The folder holding `config/` and `templates/`: the source tree, else the working dir."""
    source_tree = Path(__file__).resolve().parent.parent
    return source_tree if (source_tree / "config").is_dir() else Path.cwd()


DEFAULT_CONFIG_FILE = project_home() / "config" / "lobby-agenda.toml"


# The shortest retention of the audit trail, when one is set (0 keeps it forever).
AUDIT_RETENTION_MIN_DAYS = 365
# The shortest retention of finished outbox rows, when one is set: longer than the planners
# look back for a delivery they could plan again (an outcome nudge: up to 90 days after an
# item ended, plus 14 days to catch up), so that a deleted row's mail is never planned twice.
MAIL_RETENTION_MIN_DAYS = 120


# Settings that are TOML tables ([chains.NAME]); every other key is flat.
TABLES = ("chains",)
_EMAIL = r"^[^@\s]+@[^@\s]+$"
_SLUG = r"^[a-z0-9][a-z0-9-]{0,79}$"


class ChainStep(BaseModel):
    """One step of a preparation chain template: what, when relative to the occurrence (an
    offset as for reminders), and whose task it is by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: str
    task: str = Field(min_length=1, max_length=300)
    # "owner": the chain's owner; "participant": the item's first participant other than the
    # owner (else the owner); or a person's email address.
    owner: str = "owner"
    # "document": attaching a document to the item ticks the step off (the position paper);
    # "" (the default): only a person does.
    ticked_by: Literal["", "document"] = ""

    @field_validator("when")
    @classmethod
    def _offset(cls, value: str) -> str:
        return parse_offset(value, field="chains").text

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if value in ("owner", "participant") or re.match(_EMAIL, value):
            return value
        raise ValueError(f'a step\'s owner is "owner", "participant" or an email, not {value!r}')


class ChainTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    steps: list[ChainStep] = Field(min_length=1, max_length=30)


DEFAULT_CHAINS: dict[str, Any] = {
    "lobbyvenster": {
        "name": "Lobbyvenster",
        "steps": [
            {
                "when": "P21D",
                "task": "Positiepaper gereed",
                "owner": "owner",
                "ticked_by": "document",
            },
            {"when": "P10D", "task": "Bilateraal overleg met de stakeholder", "owner": "owner"},
            {"when": "P2D", "task": "Kernboodschap afgestemd", "owner": "participant"},
            {"when": "+P2D", "task": "Debriefing en uitkomst vastgelegd", "owner": "owner"},
        ],
    },
    "consultatie": {
        "name": "Consultatiereactie",
        "steps": [
            {"when": "10WD", "task": "Concept-reactie geschreven", "owner": "owner"},
            {
                "when": "5WD",
                "task": "Reactie afgestemd met de portefeuillehouder",
                "owner": "owner",
            },
            {"when": "1WD", "task": "Reactie ingediend", "owner": "owner"},
        ],
    },
}


class Settings(BaseSettings):
    """Every setting the service reads. Keep `config/lobby-agenda.toml` and the README in step."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    database_url: str = "sqlite:///var/lobby-agenda.sqlite3"
    database_busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    timezone: str = "Europe/Amsterdam"
    language: Literal["nl", "en"] = "nl"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Reverse proxies whose X-Forwarded-For names the client (rate limits count per client):
    # addresses or networks, or "*" for every peer; empty: the connection's peer is the client.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    public_url: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    heartbeat_seconds: int = Field(default=60, ge=1, le=86_400)
    default_duration_minutes: int = Field(default=60, ge=0, le=24 * 60)
    import_max_mb: int = Field(default=20, ge=1, le=1024)
    # Documents attached to items and dossiers: where their files live, and the largest one.
    files_dir: str = "var/files"
    max_upload_mb: int = Field(default=20, ge=1, le=1024)
    calendar_domain: str = Field(default="lobby-agenda.local", pattern=r"^[A-Za-z0-9.-]+$")
    feed_refresh: str = "PT1H"
    feed_past_days: int = Field(default=90, ge=0, le=3650)
    feed_cancelled_retention_days: int = Field(default=14, ge=0, le=365)
    feed_confidential: Literal["busy", "omit"] = "busy"
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: int = Field(default=30, ge=1, le=600)
    smtp_connections: int = Field(default=2, ge=1, le=8)
    mail_from: str = "Lobbyagenda <lobby-agenda@localhost>"
    mail_dir: str = "var/mail"
    reminders_meeting: list[str] = ["P7D", "P1D"]
    reminders_networking: list[str] = ["P2D"]
    reminders_decision: list[str] = ["P14D", "P3D"]
    reminders_deadline: list[str] = ["P5D", "P1D"]
    reminders_follow_up: list[str] = ["1WD"]
    reminders_evaluation: list[str] = ["P14D"]
    outcome_reminder_days: int = Field(default=3, ge=0, le=90)  # 0: no outcome reminders
    recess: list[str] = []  # periods FIRST/LAST that working-day offsets skip
    # Which days count as working days for offsets such as 5WD: the only calendar so far is
    # the Algemene termijnenwet's (see scheduler.offsets); the setting names it on purpose.
    workday_calendar: Literal["termijnenwet"] = "termijnenwet"
    closing_days: list[date] = []  # municipal closing days, skipped like the calendar's
    reminders_preparation: list[str] = ["2WD"]
    chains: dict[str, ChainTemplate] = Field(default=DEFAULT_CHAINS, validate_default=True)
    overlap_window: str = "week"
    oidc_issuer: str = ""  # empty: no single sign-on; sign-in by email link only
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid email profile"
    oidc_email_claim: str = "email"
    digest_days: int = Field(default=14, ge=1, le=90)
    digest_skip_empty: bool = True
    reminder_horizon_days: int = Field(default=35, ge=1, le=400)
    reminder_grace_hours: int = Field(default=12, ge=0, le=24 * 14)
    reminder_max_attempts: int = Field(default=8, ge=1, le=100)
    dispatch_interval_seconds: int = Field(default=30, ge=1, le=3600)
    source_timeout_seconds: int = Field(default=20, ge=1, le=300)
    source_max_kb: int = Field(default=10_240, ge=1, le=1_048_576)
    # Retention (see scheduler.retention): days to keep rows before the daily prune deletes
    # them; 0 keeps them forever. The audit trail and the outbox are kept unless configured.
    audit_retention_days: int = Field(default=0, ge=0, le=36_500)
    sent_mail_retention_days: int = Field(default=0, ge=0, le=36_500)
    unsent_mail_retention_days: int = Field(default=0, ge=0, le=36_500)
    source_run_retention_days: int = Field(default=90, ge=0, le=36_500)
    sign_in_retention_days: int = Field(default=30, ge=0, le=36_500)
    heartbeat_retention_days: int = Field(default=7, ge=0, le=36_500)
    # Contact persons who left (their `left_on`), erased with their data after this many days.
    contact_person_retention_days: int = Field(default=0, ge=0, le=36_500)

    @field_validator(
        "reminders_meeting",
        "reminders_networking",
        "reminders_decision",
        "reminders_deadline",
        "reminders_follow_up",
        "reminders_evaluation",
        "reminders_preparation",
    )
    @classmethod
    def _offsets(cls, value: list[str]) -> list[str]:
        return normalize_offsets(value)

    @field_validator("audit_retention_days")
    @classmethod
    def _audit_retention(cls, value: int) -> int:
        return _retention(value, AUDIT_RETENTION_MIN_DAYS, "a Woo request reads a year back")

    @field_validator("sent_mail_retention_days", "unsent_mail_retention_days")
    @classmethod
    def _mail_retention(cls, value: int) -> int:
        return _retention(value, MAIL_RETENTION_MIN_DAYS, "planning looks back that far")

    @field_validator("recess")
    @classmethod
    def _periods(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_period(text)
        return value

    @field_validator("closing_days", mode="before")
    @classmethod
    def _days(cls, value: object) -> object:
        # TOML gives dates; the environment (JSON) gives strings: read those with a message
        # that says how to write one.
        if not isinstance(value, list):
            raise ValueError('write a list of dates, such as ["2027-12-24", "2027-12-31"]')
        return [_day(text) if isinstance(text, str) else text for text in value]

    @field_validator("overlap_window")
    @classmethod
    def _overlap_window(cls, value: str) -> str:
        if value in ("week", "off"):
            return value
        return parse_length(value, field="overlap_window", example="P3D").text

    @field_validator("chains")
    @classmethod
    def _chain_names(cls, value: dict[str, ChainTemplate]) -> dict[str, ChainTemplate]:
        for slug in value:
            if not re.match(_SLUG, slug):
                raise ValueError(
                    f"chain {slug!r}: name templates in lower case, such as lobbyvenster"
                )
        return value

    @field_validator("feed_refresh")
    @classmethod
    def _iso_duration(cls, value: str) -> str:
        offset = parse_offset(value, field="feed_refresh")
        if offset.duration is None or offset.after or offset.duration.total_seconds() < 60:
            raise ValueError("use an ISO 8601 duration of at least a minute, such as PT1H")
        return offset.text

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        clock.zone(value)  # raises with a message naming the zone
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("use sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> list[str]:
        # The variable may hold a JSON list, like every list setting, or the form uvicorn's
        # FORWARDED_ALLOW_IPS takes: "*" or addresses separated by commas.
        if isinstance(value, str):
            text = value.strip()
            try:
                value = json.loads(text) if text.startswith("[") else text.split(",")
            except json.JSONDecodeError:
                raise ValueError("write a JSON list or addresses separated by commas") from None
        if not isinstance(value, list) or not all(isinstance(one, str) for one in value):
            raise ValueError('write a list of addresses or networks, such as ["10.0.0.2"]')
        proxies = [_proxy(one) for one in value if one.strip()]
        if "*" in proxies and len(proxies) > 1:
            raise ValueError('"*" trusts every peer: write it alone')
        return proxies

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def closed_days(self) -> frozenset[date]:
        """Days working-day offsets skip besides weekends and the `workday_calendar`'s:
        the closing days and the days of the recess periods."""
        return days_of(self.recess) | frozenset(self.closing_days)

    @property
    def base_url(self) -> str:
        """Where people reach the service; every link (CLI, mail, pages, feeds) and the
        start-up line use it: `public_url`, else the host and port `serve` listens on."""
        return self.public_url or f"http://{_link_host(self.host)}:{self.port}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file's values arrive as init arguments, so they rank below the environment.
        return (env_settings, _SecretFileSource(settings_cls), init_settings)


# Addresses that mean "listen on every interface" (the container's LOBBY_HOST=0.0.0.0): no
# browser opens them as a host, while the service answers on loopback.
_EVERY_INTERFACE = frozenset({"", "0.0.0.0", "::", "[::]"})


def _link_host(host: str) -> str:
    """The listening address as a link's host: loopback for every interface, an IPv6
    address in brackets (RFC 3986, 3.2.2)."""
    if host in _EVERY_INTERFACE:
        return "localhost"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _proxy(text: str) -> str:
    """A trusted proxy as uvicorn compares it with a peer: "*", an address or a network."""
    text = text.strip()
    if text == "*":
        return text
    try:
        if "/" in text:
            return str(ipaddress.ip_network(text))
        return str(ipaddress.ip_address(text))
    except ValueError as exc:
        if "host bits set" in str(exc):
            network = ipaddress.ip_network(text, strict=False)
            raise ValueError(f"{text!r} is not a network: write {network}") from None
        raise ValueError(
            f"{text!r} is not an IP address or network (CIDR), such as 10.0.0.2 or 10.0.0.0/24;"
            " a host name cannot be compared with the address a request comes from"
        ) from None


def _retention(days: int, shortest: int, why: str) -> int:
    if 0 < days < shortest:
        raise ValueError(f"0 keeps them forever; otherwise at least {shortest} days ({why})")
    return days


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD, such as 2027-12-24") from None


class _SecretFileSource(PydanticBaseSettingsSource):
    """`LOBBY_<KEY>_FILE=/run/secrets/x` reads the value of `<key>` from that file."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        path = os.environ.get(_env_name(field_name) + "_FILE")
        if not path:
            return None, field_name, False
        try:
            return Path(path).read_text(encoding="utf-8").strip(), field_name, False
        except OSError as exc:
            raise ConfigError(
                f"setting {field_name!r}: cannot read {_env_name(field_name)}_FILE={path}: "
                f"{exc.strerror}"
            ) from exc

    def __call__(self) -> dict[str, Any]:
        values = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                values[key] = value
        return values


def _env_name(key: str) -> str:
    return ENV_PREFIX + key.upper()


def _source_of(key: str, config_file: Path | None) -> str:
    if _env_name(key) in os.environ:
        return f"environment variable {_env_name(key)}"
    if _env_name(key) + "_FILE" in os.environ:
        return f"file named by {_env_name(key)}_FILE"
    return f"config file {config_file}" if config_file else "defaults"


def _config_file() -> Path | None:
    named = os.environ.get("LOBBY_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"LOBBY_CONFIG names {path}, which is not a readable file")
        return path
    # Without LOBBY_CONFIG the default file is optional: the defaults then apply.
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text") from exc
    nested = [k for k, value in data.items() if isinstance(value, dict) and k not in TABLES]
    if nested:
        raise ConfigError(f"unknown setting [{nested[0]}] in config file {path}: keys are flat")
    return data


def _check_environment() -> None:
    known = {_env_name(key) for key in Settings.model_fields}
    known |= {name + "_FILE" for name in known} | set(NON_SETTING_VARIABLES)
    for name in sorted(os.environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper.startswith(NON_SETTING_PREFIXES):
            continue
        if upper not in known:
            raise ConfigError(
                f"unknown setting in environment variable {name}; "
                "the settings are listed in config/lobby-agenda.toml"
            )


def load_settings() -> Settings:
    """Read and validate all settings, or raise one ConfigError naming key and source."""
    config_file = _config_file()
    file_values = _read_toml(config_file) if config_file else {}
    _check_environment()
    try:
        return Settings(**file_values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, config_file)) from exc


def _describe(exc: ValidationError, config_file: Path | None) -> str:
    lines = []
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else "?"
        if error["type"] == "extra_forbidden":
            lines.append(f"unknown setting {key!r} in config file {config_file}")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(
            f"bad value for setting {key!r} from {_source_of(key, config_file)}: {message} "
            f"(got {_shown(key, error.get('input'))})"
        )
    return "; ".join(lines)


def _shown(key: str, value: object) -> str:
    """A bad value as the error quotes it: a password or secret never, a URL's password not."""
    if key in SECRET_SETTINGS:
        return "a value, not shown"
    return mask_secrets(repr(value))


@cache
def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    return load_settings()
