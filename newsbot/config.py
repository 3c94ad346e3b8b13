"""Settings: the one place that knows environment variable names.

Every value comes from ``NEWSBOT_*`` environment variables or a ``.env`` file in the working
directory; ``.env.example`` lists them all. Secrets are ``SecretStr`` so they never show up in a
repr, a log line or an error message.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from newsbot.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///./newsbot.db"
_UNITS = {"h": "hours", "m": "minutes", "s": "seconds"}
ALERT_PLATFORMS = ("telegram", "slack", "console")
_URL_PASSWORD = re.compile(r"(//[^/:@\s]*:)[^@/\s]*@")


def mask_url(url: str) -> str:
    """A database URL safe to print: the password replaced by ***."""
    return _URL_PASSWORD.sub(r"\1***@", url)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        env_ignore_empty=True,
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        repr=False,
        description="SQLAlchemy URL of the article store; SQLite file by default",
    )
    timezone: str = Field(default="Asia/Seoul", description="zone for display and day windows")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    debug: bool = Field(default=False, description="print tracebacks for unexpected errors")

    http_timeout: float = Field(default=10.0, gt=0, description="seconds per feed request")
    feed_fetch_deadline: float = Field(
        default=60.0, gt=0, description="seconds for a whole feed download"
    )
    http_user_agent: str = Field(default="newsbot/0.1 (+feed reader)")
    feed_max_bytes: int = Field(default=5_000_000, gt=0, description="largest feed body accepted")
    feed_default_interval: int = Field(default=300, ge=1, description="seconds between polls")
    feed_max_backoff: int = Field(default=6 * 3600, ge=1, description="longest wait after errors")
    feed_concurrency: int = Field(default=8, ge=1, description="feeds fetched at once")
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)

    telegram_token: SecretStr | None = Field(default=None, description="Bot API token")
    telegram_api_url: str | None = Field(default=None, description="Bot API base URL override")
    telegram_overall_per_second: float = Field(
        default=30.0, gt=0, description="messages a second overall (paid broadcasts: 1000)"
    )
    telegram_webhook_url: str | None = Field(
        default=None, description="public HTTPS URL Telegram posts updates to; unset: polling"
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="X-Telegram-Bot-Api-Secret-Token, required with a webhook"
    )
    telegram_webhook_listen: str = Field(
        default="0.0.0.0:8443", description="host:port the bot's webhook server listens on"
    )
    search_per_minute: int = Field(default=10, ge=1, description="searches a reader may send")
    dispatch_concurrency: int = Field(default=32, ge=1, description="sends in flight at once")
    dispatch_lease_seconds: float = Field(
        default=60.0, gt=0, description="how long a claimed delivery is reserved"
    )
    delivery_retention_days: int = Field(
        default=30,
        ge=0,
        description="days sent, failed and dropped deliveries are kept (corrections edit the "
        "copies they name); 0 keeps them forever",
    )
    slack_bot_token: SecretStr | None = Field(default=None, description="Slack bot token, xoxb-…")
    slack_signing_secret: SecretStr | None = Field(default=None)
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="Slack Web API base URL, ending in /"
    )
    slack_channel_per_second: float = Field(
        default=1.0, gt=0, description="messages a second to one Slack channel or DM"
    )
    headline_max_age: timedelta = Field(
        default=timedelta(hours=24),
        description="how long a headline may wait to be sent (an outage) before it is "
        "dropped as stale (24h, 90m, or ISO 8601 such as P1D)",
    )
    urgent_max_age: timedelta = Field(
        default=timedelta(hours=72),
        description="the same for breaking news and corrections",
    )
    digest_grace: timedelta = Field(
        default=timedelta(hours=3),
        description="how late a digest may still go after downtime (3h, 90m, 600s or "
        "seconds); older ones are dropped and counted in newsbot stats",
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="Slack app-level token, xapp-…: Socket Mode; unset: HTTP mode"
    )
    http_listen: str | None = Field(
        default=None,
        description="host:port of `newsbot run`'s one HTTP server (Slack events, the Telegram "
        "webhook, the CMS push API, /healthz, /metrics); unset: 127.0.0.1:8080, or "
        "NEWSBOT_TELEGRAM_WEBHOOK_LISTEN when a webhook is configured",
    )
    worker_http_listen: str | None = Field(
        default=None,
        description="host:port where `newsbot worker` serves /healthz and /metrics (nothing "
        "else; port 0: any free port); unset: a worker has no HTTP server",
    )
    api_token: SecretStr | None = Field(
        default=None,
        description="bearer token of the CMS push API (POST /api/articles, /api/views) on the "
        "HTTP server; unset: the API is off",
    )
    api_max_bytes: int = Field(
        default=2_000_000, gt=0, description="largest body the CMS push API accepts (413 over)"
    )
    api_per_minute: int = Field(
        default=120,
        ge=1,
        description="requests a minute the CMS push API takes per token (429 over)",
    )
    admins: str = Field(
        default="",
        description="newsroom admins without a stored role, platform:user_id separated by "
        "commas (telegram:12345,slack:U0123,console:desk)",
    )
    corrections_in_place: bool = Field(
        default=False,
        description="feed and CMS corrections edit every sent copy in place (true) rather "
        "than reply to it (false); editors' /correct always edits in place",
    )

    alert_chat: str | None = Field(
        default=None,
        description="where operators' alerts go, platform:chat_id (telegram:-1001234, "
        "slack:C0123); unset: no alerts",
    )
    alert_language: str = Field(default="ko", description="ko or en: the alerts' language")
    alert_repeat: timedelta = Field(
        default=timedelta(hours=1),
        description="how often an alert that lasts is said again (1h, 30m, or ISO 8601)",
    )
    alert_per_hour: int = Field(
        default=10,
        ge=1,
        description="alerts started or repeated in any hour, all keys together; more wait "
        "(resolutions are always sent)",
    )
    alert_feed_after: timedelta = Field(
        default=timedelta(hours=1), description="a feed failing this long is an alert"
    )
    alert_failure_rate: float = Field(
        default=0.2, gt=0, le=1, description="share of a platform's sends failing that alerts"
    )
    alert_failure_min: int = Field(
        default=20, ge=1, description="sends in the window before the failure rate counts"
    )
    alert_failure_window: timedelta = Field(
        default=timedelta(minutes=15), description="the window the failure rate is taken over"
    )
    alert_chats_gone: int = Field(
        default=20, ge=1, description="chats deactivated (blocked, kicked…) within the window"
    )
    alert_chats_gone_window: timedelta = Field(default=timedelta(minutes=10))
    alert_digest_late: timedelta = Field(
        default=timedelta(minutes=5),
        description="a digest still not queued this long after its time: the tick is missed",
    )

    alert_store_after: timedelta = Field(
        default=timedelta(seconds=30),
        description="the store away this long is an alert; outages this close together are one",
    )

    @field_validator(
        "digest_grace",
        "headline_max_age",
        "urgent_max_age",
        "alert_repeat",
        "alert_feed_after",
        "alert_failure_window",
        "alert_chats_gone_window",
        "alert_digest_late",
        "alert_store_after",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().upper().startswith("P"):  # not ISO 8601
            match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hms]?)\s*", value.lower())
            if match is None:
                raise ValueError("expected a duration such as 3h, 90m, 600s or P1D")
            number, unit = float(match[1]), match[2] or "s"
            return timedelta(**{_UNITS[unit]: number})
        return value

    @field_validator("digest_grace", "alert_store_after")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("expected a duration of 0 or more")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (expected an IANA name)") from exc
        return value

    @field_validator("delivery_retention_days")
    @classmethod
    def _keeps_a_week(cls, value: int) -> int:
        # newsbot.delivery.retention.MIN_DAYS (a test holds them equal): /subscribe sends the
        # last week's headlines a chat has not had, so a copy forgotten sooner goes again.
        if 0 < value < 7:
            raise ValueError("0 (keep forever) or at least 7 days")
        return value

    @field_validator("headline_max_age", "urgent_max_age")
    @classmethod
    def _at_least_an_hour(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=1):
            raise ValueError("at least an hour (e.g. 24h)")
        return value

    @field_validator("admins")
    @classmethod
    def _platform_users(cls, value: str) -> str:
        for entry in filter(None, (part.strip() for part in value.split(","))):
            platform, _, user = entry.partition(":")
            if not platform or not user or not platform.isalpha():
                raise ValueError(f"{entry!r} is not platform:user_id (e.g. telegram:12345)")
        return value

    @field_validator(
        "alert_repeat",
        "alert_feed_after",
        "alert_failure_window",
        "alert_chats_gone_window",
        "alert_digest_late",
    )
    @classmethod
    def _at_least_a_minute(cls, value: timedelta) -> timedelta:
        if value < timedelta(minutes=1):
            raise ValueError("at least a minute (e.g. 1h or 10m)")
        return value

    @field_validator("alert_chat")
    @classmethod
    def _platform_chat(cls, value: str | None) -> str | None:
        if value is None:
            return None
        platform, _, chat = value.strip().partition(":")
        if platform not in ALERT_PLATFORMS or not chat.strip() or any(c.isspace() for c in chat):
            raise ValueError("expected platform:chat_id, e.g. telegram:-1001234 or slack:C0123")
        return f"{platform}:{chat.strip()}"

    @field_validator("alert_language")
    @classmethod
    def _alert_language(cls, value: str) -> str:
        if value.strip().lower() not in {"ko", "en"}:
            raise ValueError("expected ko or en")
        return value.strip().lower()

    @model_validator(mode="after")
    def _alert_chat_has_a_platform(self) -> Settings:
        target = self.alert_target
        tokens = {
            "telegram": ("NEWSBOT_TELEGRAM_TOKEN", self.telegram_token),
            "slack": ("NEWSBOT_SLACK_BOT_TOKEN", self.slack_bot_token),
        }
        if target is not None and target[0] in tokens:
            variable, token = tokens[target[0]]
            if token is None:
                raise ValueError(f"NEWSBOT_ALERT_CHAT names {target[0]}: {variable} is required")
        return self

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return upper

    @field_validator("slack_api_url")
    @classmethod
    def _api_base(cls, value: str) -> str:
        # slack-sdk joins method names onto the base with urljoin: without the final slash
        # (or the /api/ path) calls would silently go to the wrong place.
        if not value.startswith(("http://", "https://")) or not value.endswith("/"):
            raise ValueError("expected an http(s) URL ending in /, e.g. https://slack.com/api/")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _secret_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and - only.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("1-256 characters of letters, digits, _ and -")
        return value

    @field_validator("telegram_webhook_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError("expected host:port, e.g. 0.0.0.0:8443")
        return value

    @field_validator("http_listen", "worker_http_listen")
    @classmethod
    def _http_host_port(cls, value: str | None) -> str | None:
        if value is not None:
            cls._host_port(value)
        return value

    @model_validator(mode="after")
    def _app_token_needs_bot_token(self) -> Settings:
        if self.slack_app_token is not None and self.slack_bot_token is None:
            raise ValueError(
                "NEWSBOT_SLACK_BOT_TOKEN (xoxb-…) is required with NEWSBOT_SLACK_APP_TOKEN"
            )
        return self

    @field_validator("api_token")
    @classmethod
    def _api_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # It guards writes to the store from the network: a short one could be guessed, and
        # a space or quote pasted with it would never match what the CMS sends.
        if value is not None and not re.fullmatch(r"[\x21-\x7e]{16,}", value.get_secret_value()):
            raise ValueError("at least 16 printable characters, no spaces")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("an app-level token starts with xapp-")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url and self.telegram_webhook_secret is None:
            raise ValueError(
                "NEWSBOT_TELEGRAM_WEBHOOK_SECRET is required with NEWSBOT_TELEGRAM_WEBHOOK_URL"
            )
        # Telegram posts to https only; plain http is let through for loopback (tests).
        allowed = ("https://", "http://127.0.0.1", "http://localhost")
        if self.telegram_webhook_url and not self.telegram_webhook_url.startswith(allowed):
            raise ValueError("NEWSBOT_TELEGRAM_WEBHOOK_URL must be an https:// URL")
        return self

    @field_validator("database_url")
    @classmethod
    def _looks_like_url(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError("not a database URL (e.g. sqlite:///./newsbot.db)")
        return value

    @field_serializer("database_url")
    def _masked(self, value: str) -> str:
        return mask_url(value)

    def __repr_args__(self):  # type: ignore[no-untyped-def]
        yield "database_url", mask_url(self.database_url)
        yield from super().__repr_args__()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def alert_target(self) -> tuple[str, str] | None:
        """``NEWSBOT_ALERT_CHAT`` as (platform, chat id); None: no alerts."""
        if self.alert_chat is None:
            return None
        platform, _, chat = self.alert_chat.partition(":")
        return platform, chat

    @property
    def admin_users(self) -> frozenset[tuple[str, str]]:
        """``NEWSBOT_ADMINS`` as (platform, user id) pairs."""
        entries = filter(None, (part.strip() for part in self.admins.split(",")))
        return frozenset((p.lower(), u.strip()) for p, _, u in (e.partition(":") for e in entries))


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation failure into one line naming key, value and need."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        if not first["loc"]:  # a rule across settings: its input is all of them, secrets too
            raise ConfigError(str(first["msg"]).removeprefix("Value error, ")) from None
        key = "NEWSBOT_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        value = first.get("input")
        if "TOKEN" in key or "SECRET" in key:
            shown = "***"
        else:
            shown = repr(mask_url(value) if isinstance(value, str) else value)
        need = str(first["msg"]).removeprefix("Value error, ")  # pydantic's wording for ours
        raise ConfigError(f"{key}={shown}: {need}") from None
