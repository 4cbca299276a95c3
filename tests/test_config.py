"""Settings: defaults, file, environment, secrets from files, and errors naming key and source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scheduler.config import DEFAULT_CONFIG_FILE, Settings, load_settings
from scheduler.errors import ConfigError


def test_the_defaults_run_on_sqlite_in_amsterdam() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/lobby-agenda.sqlite3"
    assert (settings.timezone, settings.language, settings.port) == ("Europe/Amsterdam", "nl", 8000)
    assert settings.base_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("host", "public_url", "base_url"),
    [
        ("127.0.0.1", "", "http://127.0.0.1:8311"),
        ("0.0.0.0", "", "http://localhost:8311"),
        ("::", "", "http://localhost:8311"),
        ("::1", "", "http://[::1]:8311"),
        ("lobby.intern", "", "http://lobby.intern:8311"),
        ("0.0.0.0", "https://lobby.alkmaar.nl/", "https://lobby.alkmaar.nl"),
    ],
)
def test_links_use_the_public_url_else_the_host_and_port_a_browser_can_open(
    monkeypatch: pytest.MonkeyPatch, host: str, public_url: str, base_url: str
) -> None:
    monkeypatch.setenv("LOBBY_HOST", host)
    monkeypatch.setenv("LOBBY_PORT", "8311")
    monkeypatch.setenv("LOBBY_PUBLIC_URL", public_url)
    assert load_settings().base_url == base_url


def test_a_variable_overrides_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "other.toml"
    config.write_text('port = 9000\nlanguage = "en"\n')
    monkeypatch.setenv("LOBBY_CONFIG", str(config))
    monkeypatch.setenv("LOBBY_PORT", "9100")
    settings = load_settings()
    assert (settings.port, settings.language) == (9100, "en")


def test_a_bad_value_in_a_variable_names_the_key_and_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOBBY_PORT", "achtduizend")
    with pytest.raises(
        ConfigError, match=r"setting 'port' from environment variable LOBBY_PORT: .*'achtduizend'"
    ):
        load_settings()


def test_a_bad_value_in_the_file_names_the_key_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('timezone = "Europe/Alkmaar"\n')
    monkeypatch.setenv("LOBBY_CONFIG", str(config))
    with pytest.raises(
        ConfigError,
        match=rf"setting 'timezone' from config file {config}: unknown time zone 'Europe/Alkmaar'",
    ):
        load_settings()


def test_an_unknown_key_in_the_file_stops_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("prot = 8000\n")
    monkeypatch.setenv("LOBBY_CONFIG", str(config))
    with pytest.raises(ConfigError, match=rf"unknown setting 'prot' in config file {config}"):
        load_settings()


def test_an_unknown_lobby_variable_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOBBY_DATABSE_URL", "sqlite:///x")
    with pytest.raises(
        ConfigError, match="unknown setting in environment variable LOBBY_DATABSE_URL"
    ):
        load_settings()


def test_a_config_file_that_is_not_toml_is_refused_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('port = 8000\nhost = "x\n')
    monkeypatch.setenv("LOBBY_CONFIG", str(config))
    with pytest.raises(ConfigError, match=r"is not valid TOML: .*line 2"):
        load_settings()


def test_lobby_config_naming_a_missing_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOBBY_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing.toml, which is not a readable file"):
        load_settings()


def test_a_secret_can_come_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "db-url"
    secret.write_text("postgresql+psycopg://lobby:geheim@db/lobby\n")
    monkeypatch.setenv("LOBBY_DATABASE_URL_FILE", str(secret))
    assert load_settings().database_url == "postgresql+psycopg://lobby:geheim@db/lobby"


@pytest.mark.parametrize(
    "url",
    ["mysql://lobby:Sup3rSecret@db/lobby", "mysql://lobby:Sup3r@Secret/x@db:3306/lobby?ssl=1"],
)
def test_a_bad_database_url_is_quoted_without_its_password(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("LOBBY_DATABASE_URL", url)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert "setting 'database_url' from environment variable LOBBY_DATABASE_URL" in str(
        refused.value
    )
    assert "mysql://lobby:***@" in str(refused.value) and "Secret" not in str(refused.value)


def test_a_bad_secret_setting_is_never_quoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "lobby.toml"
    config.write_text('smtp_password = ["Sup3rSecret"]\n')
    monkeypatch.setenv("LOBBY_CONFIG", str(config))
    with pytest.raises(ConfigError, match="setting 'smtp_password'") as refused:
        load_settings()
    assert "Sup3rSecret" not in str(refused.value) and "not shown" in str(refused.value)


def test_a_secret_file_that_cannot_be_read_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOBBY_DATABASE_URL_FILE", str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match=r"cannot read LOBBY_DATABASE_URL_FILE="):
        load_settings()


def test_every_setting_is_listed_in_the_config_file_with_its_default() -> None:
    import tomllib

    listed = tomllib.loads(DEFAULT_CONFIG_FILE.read_text())
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    assert listed == defaults


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (DEFAULT_CONFIG_FILE.parent.parent / "README.md").read_text()
    missing = [
        name
        for name in Settings.model_fields
        if f"`{name}`" not in readme or f"LOBBY_{name.upper()}" not in readme
    ]
    assert missing == []


def test_closing_days_come_from_the_file_or_a_variable_and_join_the_recess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    config = tmp_path / "closed.toml"
    config.write_text(
        'closing_days = [2027-12-27, "2027-12-28"]\nrecess = ["2027-07-05/2027-07-06"]\n'
    )
    monkeypatch.setenv("LOBBY_CONFIG", str(config))
    settings = load_settings()
    assert settings.workday_calendar == "termijnenwet"
    assert settings.closed_days == {
        date(2027, 12, 27), date(2027, 12, 28), date(2027, 7, 5), date(2027, 7, 6)
    }  # fmt: skip
    monkeypatch.setenv("LOBBY_CLOSING_DAYS", '["2028-05-26"]')
    assert load_settings().closing_days == [date(2028, 5, 26)]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "LOBBY_CLOSING_DAYS",
            '["27-12-2027"]',
            r"setting 'closing_days' from environment variable LOBBY_CLOSING_DAYS: '27-12-2027' is not a date: write YYYY-MM-DD",
        ),
        (
            "LOBBY_WORKDAY_CALENDAR",
            "holidays",
            r"setting 'workday_calendar' from environment variable LOBBY_WORKDAY_CALENDAR: .*'termijnenwet'",
        ),
    ],
)
def test_a_bad_closing_day_or_calendar_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_a_default_reminder_further_than_a_year_ahead_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOBBY_REMINDERS_MEETING", '["P7D", "P60W"]')
    with pytest.raises(
        ConfigError,
        match=r"setting 'reminders_meeting' from environment variable LOBBY_REMINDERS_MEETING: 'P60W' lies too far from its moment",
    ):
        load_settings()


@pytest.mark.parametrize(
    ("value", "trusted"),
    [
        ("", []),
        ("*", ["*"]),
        ("10.0.0.2", ["10.0.0.2"]),
        (" 10.0.0.2, 172.18.0.0/16 ,::1", ["10.0.0.2", "172.18.0.0/16", "::1"]),
        ('["10.0.0.2", "fd00::/8"]', ["10.0.0.2", "fd00::/8"]),
    ],
)
def test_trusted_proxies_come_as_a_json_list_or_separated_by_commas(
    monkeypatch: pytest.MonkeyPatch, value: str, trusted: list[str]
) -> None:
    assert load_settings().trusted_proxies == []  # by default nobody is trusted
    monkeypatch.setenv("LOBBY_TRUSTED_PROXIES", value)
    assert load_settings().trusted_proxies == trusted


def test_trusted_proxies_come_from_the_config_file_as_a_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "proxied.toml"
    config.write_text('trusted_proxies = ["10.0.0.2", "2001:db8::/32"]\n')
    monkeypatch.setenv("LOBBY_CONFIG", str(config))
    assert load_settings().trusted_proxies == ["10.0.0.2", "2001:db8::/32"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "proxy.intern",
            r"'proxy.intern' is not an IP address or network \(CIDR\), such as 10.0.0.2",
        ),
        ("10.0.0.300", r"'10.0.0.300' is not an IP address or network"),
        ("10.0.0.1/8", r"'10.0.0.1/8' is not a network: write 10.0.0.0/8"),
        ("10.0.0.0/33", r"'10.0.0.0/33' is not an IP address or network"),
        ("*,10.0.0.2", r'"\*" trusts every peer: write it alone'),
        ('["10.0.0.2"', r"write a JSON list or addresses separated by commas"),
        ("[1, 2]", r'write a list of addresses or networks, such as \["10.0.0.2"\]'),
    ],
)
def test_a_bad_trusted_proxy_is_one_line_naming_the_setting_and_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("LOBBY_TRUSTED_PROXIES", value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    error = str(refused.value)
    assert "\n" not in error
    assert error.startswith(
        "bad value for setting 'trusted_proxies' from environment variable LOBBY_TRUSTED_PROXIES: "
    )
    assert re.search(message, error), error


def test_a_bad_trusted_proxy_in_the_config_file_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "proxied.toml"
    config.write_text('trusted_proxies = "nginx"\n')
    monkeypatch.setenv("LOBBY_CONFIG", str(config))
    with pytest.raises(
        ConfigError,
        match=rf"setting 'trusted_proxies' from config file {re.escape(str(config))}: 'nginx' is not an IP address",
    ):
        load_settings()
