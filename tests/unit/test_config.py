"""Settings and load_settings: defaults, NEWSBOT_* overrides, .env, one-line errors, secrets.

tests/conftest.py removes every NEWSBOT_* variable and runs each test in its own tmp_path, so
the working directory's .env is whatever the test writes there.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsbot.config import DEFAULT_DATABASE_URL, Settings, load_settings
from newsbot.errors import ConfigError

TELEGRAM_TOKEN = "123456:AAH-telegram-secret-value"
SLACK_BOT_TOKEN = "xoxb-slack-secret-value"
SLACK_SIGNING_SECRET = "signing-secret-value"


def with_secrets() -> Settings:
    return load_settings(
        telegram_token=TELEGRAM_TOKEN,
        slack_bot_token=SLACK_BOT_TOKEN,
        slack_signing_secret=SLACK_SIGNING_SECRET,
    )


# --- defaults and overrides ----------------------------------------------------------------


def test_defaults_are_a_local_sqlite_file_and_korean_time() -> None:
    settings = load_settings()

    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///./newsbot.db"
    assert settings.timezone == "Asia/Seoul"
    assert settings.zone == ZoneInfo("Asia/Seoul")
    assert settings.log_level == "INFO"
    assert settings.debug is False
    assert settings.telegram_token is None
    assert settings.slack_bot_token is None
    assert settings.slack_signing_secret is None


def test_newsbot_environment_variables_override_the_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", "sqlite:///./other.db")
    monkeypatch.setenv("NEWSBOT_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("NEWSBOT_FEED_CONCURRENCY", "2")
    monkeypatch.setenv("NEWSBOT_DEBUG", "true")

    settings = load_settings()

    assert settings.database_url == "sqlite:///./other.db"
    assert settings.zone == ZoneInfo("Europe/Berlin")
    assert settings.feed_concurrency == 2
    assert settings.debug is True


def test_variables_without_the_prefix_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    settings = load_settings()
    assert (settings.timezone, settings.database_url) == ("Asia/Seoul", DEFAULT_DATABASE_URL)


def test_the_log_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_LOG_LEVEL", "warning")
    assert load_settings().log_level == "WARNING"


def test_a_dot_env_file_in_the_working_directory_is_read() -> None:
    Path(".env").write_text(
        "NEWSBOT_TIMEZONE=Asia/Tokyo\nNEWSBOT_TELEGRAM_TOKEN=from-dot-env\n", encoding="utf-8"
    )

    settings = load_settings()

    assert settings.timezone == "Asia/Tokyo"
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == "from-dot-env"


def test_the_environment_beats_the_dot_env_file(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("NEWSBOT_TIMEZONE=Asia/Tokyo\n", encoding="utf-8")
    monkeypatch.setenv("NEWSBOT_TIMEZONE", "Europe/Berlin")
    assert load_settings().timezone == "Europe/Berlin"


def test_keyword_overrides_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_TIMEZONE", "Europe/Berlin")
    assert load_settings(timezone="UTC").timezone == "UTC"


# --- one-line errors -----------------------------------------------------------------------


def test_an_unknown_time_zone_names_the_variable_and_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSBOT_TIMEZONE", "Seoul/Gangnam")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert message.startswith("NEWSBOT_TIMEZONE='Seoul/Gangnam': ")
    assert "expected an IANA name" in message
    assert "\n" not in message


def test_a_time_zone_from_the_dot_env_file_is_checked_too() -> None:
    Path(".env").write_text("NEWSBOT_TIMEZONE=KST\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^NEWSBOT_TIMEZONE='KST': "):
        load_settings()


def test_an_unknown_log_level_names_the_variable_and_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSBOT_LOG_LEVEL", "LOUD")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert str(caught.value) == "NEWSBOT_LOG_LEVEL='LOUD': unknown log level 'LOUD'"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NEWSBOT_DATABASE_URL", "newsbot.db"),
        ("NEWSBOT_HTTP_TIMEOUT", "-1"),
        ("NEWSBOT_FEED_CONCURRENCY", "0"),
        ("NEWSBOT_DEBUG", "maybe"),
        ("NEWSBOT_TIMEZONE", "Asia/Seoul\nNEWSBOT_DEBUG=true"),
    ],
)
def test_every_bad_value_is_one_line_naming_the_variable_and_value(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert message.startswith(f"{variable}={value!r}: ")
    assert "\n" not in message


# --- secrets -------------------------------------------------------------------------------


def test_secrets_never_appear_in_repr_str_or_json() -> None:
    settings = with_secrets()

    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        for secret in (TELEGRAM_TOKEN, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET):
            assert secret not in shown


def test_secrets_are_still_available_to_the_code_that_needs_them() -> None:
    settings = with_secrets()
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == TELEGRAM_TOKEN


def test_secrets_from_the_environment_are_masked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_SLACK_SIGNING_SECRET", SLACK_SIGNING_SECRET)
    settings = load_settings()
    assert SLACK_SIGNING_SECRET not in repr(settings)
    assert SLACK_SIGNING_SECRET not in settings.model_dump_json()


@pytest.mark.parametrize(
    ("field", "variable"),
    [
        ("telegram_token", "NEWSBOT_TELEGRAM_TOKEN"),
        ("slack_bot_token", "NEWSBOT_SLACK_BOT_TOKEN"),
        ("slack_signing_secret", "NEWSBOT_SLACK_SIGNING_SECRET"),
    ],
)
def test_a_bad_secret_value_is_masked_in_the_error(field: str, variable: str) -> None:
    bad = ["987654:AAH-leaked-secret"]  # not a string: the value cannot work

    with pytest.raises(ConfigError) as caught:
        load_settings(**{field: bad})

    message = str(caught.value)
    assert message.startswith(f"{variable}=***: ")
    assert "987654" not in message
    assert "leaked" not in message


def test_an_error_in_another_setting_does_not_show_the_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSBOT_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("NEWSBOT_TIMEZONE", "Nowhere/Special")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert TELEGRAM_TOKEN not in str(caught.value)


def test_a_database_password_never_appears_in_repr_str_or_json() -> None:
    settings = load_settings(database_url="postgresql://newsbot:db-pass-secret@127.0.0.1/newsbot")

    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert "db-pass-secret" not in shown


def test_a_database_password_never_appears_in_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", "postgresql//newsbot:db-pass-secret@db/newsbot")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert str(caught.value).startswith("NEWSBOT_DATABASE_URL=")
    assert "db-pass-secret" not in str(caught.value)


# --- Slack readers and the HTTP server ------------------------------------------------------


def test_a_bad_http_listen_address_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_HTTP_LISTEN", "8080")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert str(caught.value).startswith("NEWSBOT_HTTP_LISTEN='8080': ")


def test_a_bad_worker_listen_address_names_its_own_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSBOT_WORKER_HTTP_LISTEN", "localhost")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert str(caught.value).startswith("NEWSBOT_WORKER_HTTP_LISTEN='localhost': ")


def test_a_worker_may_ask_for_any_free_port_and_has_no_server_unless_asked() -> None:
    assert load_settings(worker_http_listen="127.0.0.1:0").worker_http_listen == "127.0.0.1:0"
    assert load_settings().worker_http_listen is None


def test_a_bot_token_given_as_the_app_token_is_refused_masked() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(slack_bot_token="xoxb-1", slack_app_token="xoxb-leaked-secret")

    message = str(caught.value)
    assert message.startswith("NEWSBOT_SLACK_APP_TOKEN=***: ")
    assert "xapp-" in message and "leaked" not in message


def test_socket_mode_needs_the_bot_token_too() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(slack_app_token="xapp-1-secret-app-token")

    assert "NEWSBOT_SLACK_BOT_TOKEN" in str(caught.value)
    assert "secret-app-token" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "hours"), [("24h", 24), ("90m", 1.5), ("P2D", 48), ("PT36H", 36), ("7200", 2)]
)
def test_how_long_a_message_may_wait_reads_as_operators_write_it(value: str, hours: float) -> None:
    assert load_settings(
        _env_file=None, headline_max_age=value
    ).headline_max_age.total_seconds() == (hours * 3600)


@pytest.mark.parametrize(
    ("value", "says"), [("30m", "at least an hour"), ("a day", "expected a duration")]
)
def test_a_max_age_that_cannot_work_is_one_line_naming_the_setting(value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=rf"^NEWSBOT_URGENT_MAX_AGE='{value}': .*{says}"):
        load_settings(_env_file=None, urgent_max_age=value)


# --- the CMS push API ----------------------------------------------------------------------


def test_the_cms_api_is_off_until_its_token_is_set() -> None:
    assert load_settings(_env_file=None).api_token is None


def test_a_short_api_token_is_refused_masked() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, api_token="short-leak")

    message = str(caught.value)
    assert message.startswith("NEWSBOT_API_TOKEN=***: ")
    assert "at least 16 printable characters" in message
    assert "leak" not in message and "\n" not in message


def test_an_api_token_never_appears_in_repr_or_json() -> None:
    token = "cms-token-0123456789abcdef"
    settings = load_settings(_env_file=None, api_token=token)

    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert token not in shown


@pytest.mark.parametrize(("variable", "value"), [("API_MAX_BYTES", "0"), ("API_PER_MINUTE", "-1")])
def test_api_limits_that_cannot_work_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(f"NEWSBOT_{variable}", value)

    with pytest.raises(ConfigError, match=rf"^NEWSBOT_{variable}='{value}': "):
        load_settings(_env_file=None)
