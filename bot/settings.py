"""Typed, frozen settings: a TOML file for the shape, the environment for secrets.

Why pydantic: SQLModel already brings it, and its errors name the exact key and what was
expected, which is what an operator needs when Roost refuses to start. Values are never echoed
back in errors, so a secret pasted into the wrong key cannot leak into a log.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)

DEFAULT_FUNCTIONS = (
    "engineering",
    "product",
    "design",
    "data",
    "sales",
    "marketing",
    "operations",
    "people",
    "finance",
    "other",
)
DEFAULT_SENIORITIES = ("student", "junior", "mid", "senior", "lead", "executive")

# Settings read from the environment: (section, key) -> variable. The database URL may also be
# written in the file (a SQLite path is no secret); tokens may not.
ENVIRONMENT = {
    ("database", "url"): "ROOST_DATABASE_URL",
    ("telegram", "token"): "ROOST_TELEGRAM_TOKEN",
    ("telegram", "webhook_secret"): "ROOST_TELEGRAM_WEBHOOK_SECRET",
    ("slack", "bot_token"): "ROOST_SLACK_BOT_TOKEN",
    ("slack", "signing_secret"): "ROOST_SLACK_SIGNING_SECRET",
    ("slack", "app_token"): "ROOST_SLACK_APP_TOKEN",
    ("discord", "token"): "ROOST_DISCORD_TOKEN",
    ("pipeline", "ats_token"): "ROOST_ATS_TOKEN",
}
ENV_ONLY = set(ENVIRONMENT) - {("database", "url")}
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram's setWebhook accepts
WEBHOOK_PORTS = (80, 88, 443, 8443)  # the only ports Telegram sends webhooks to


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the file and the key."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CommunitySettings(_Section):
    name: str = "Talent Community"
    timezone: str = "UTC"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class DatabaseSettings(_Section):
    url: SecretStr = SecretStr("sqlite+aiosqlite:///roost.db")
    echo: bool = False


class WebSettings(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    public_url: str = "http://127.0.0.1:8080"


class RoleSettings(_Section):
    """Who holds a role: `platform:user_id` entries, or platform role names such as a Discord
    role, a Slack user group or `telegram:group_admin`, as the adapter reports them."""

    admin: tuple[str, ...] = ()
    hr: tuple[str, ...] = ()
    employee: tuple[str, ...] = ()


def _fits_a_button(choice: str) -> str:
    """A choice rides on its button (`form.answer|CHOICE`), which Telegram caps at 64 bytes."""
    if len(choice.encode()) > 52:
        raise ValueError(f"{choice[:20]!r} is too long for a button: 52 bytes at most")
    return choice


Choice = Annotated[str, Field(min_length=1), AfterValidator(_fits_a_button)]


class OnboardingSettings(_Section):
    functions: tuple[Choice, ...] = Field(DEFAULT_FUNCTIONS, min_length=2)
    seniorities: tuple[Choice, ...] = Field(DEFAULT_SENIORITIES, min_length=2)
    privacy_version: str = "2026-11"
    consent_version: str = "2026-11"


class LimitSettings(_Section):
    commands_per_minute: int = Field(20, ge=1)


class OutboxSettings(_Section):
    frequency_cap: int = Field(3, ge=0)  # unsolicited DMs per member per window
    cap_days: int = Field(7, ge=1)
    batch: int = Field(50, ge=1, le=1000)  # rows a worker claims at once
    concurrency: int = Field(8, ge=1, le=100)  # sends in flight per platform
    max_attempts: int = Field(5, ge=1)  # for 5xx and network failures, with backoff
    poll_seconds: float = Field(1.0, gt=0)  # how often idle workers look for new rows


class ContentSettings(_Section):
    page_chars: int = Field(1200, ge=200, le=3500)  # long bodies are read page by page
    teaser_chars: int = Field(200, ge=40)
    misfire_grace_seconds: int = Field(3600, ge=0)  # a push missed while down is sent this late
    low_open_rate: float = Field(0.3, ge=0, le=1)  # the article's hint: open low, finish high
    high_finish_rate: float = Field(0.6, ge=0, le=1)


class ProcessSettings(_Section):
    # Of several Roost processes on one database, one holds each singleton duty (the
    # scheduler, each platform's inbound connection) for this long at a time, renewing it at
    # a third; a delivery worker's presence lasts as long. A killed holder's duty is taken
    # over, and its claimed rows recovered, within about 4/3 of it.
    lease_seconds: float = Field(15.0, ge=1, le=600)


class PipelineSettings(_Section):
    redeem_per_minute: int = Field(10, ge=1)  # code tries per member: a brute-force guard
    redeem_per_day: int = Field(50, ge=1)
    referral_active_after_days: int = Field(7, ge=0)  # a referral qualifies on activity after
    referral_burst: int = Field(10, ge=2)  # joins through one referral code within an hour
    not_for_me_days: int = Field(180, ge=0)  # "not for me" to a function rests it this long
    not_now_days: int = Field(90, ge=1)  # "not now", for timing, comes back this much later
    active_days: int = Field(30, ge=1)  # "active" in the source report: seen within this
    ats_token: SecretStr | None = None  # $ROOST_ATS_TOKEN for POST /api/applications
    # Jobs imported daily (and on /jobs import) from an ATS's public job board: open there,
    # open here; gone there, closed here.
    greenhouse_board: str = ""  # the board token in boards.greenhouse.io/<token>
    lever_site: str = ""  # the site name in jobs.lever.co/<site>
    greenhouse_api: str = "https://boards-api.greenhouse.io"
    lever_api: str = "https://api.lever.co"


class PrivacySettings(_Section):
    """How long Roost may keep people (the notice's version is `[onboarding] privacy_version`)."""

    consent_months: int = Field(12, ge=1, le=120)  # a consent lapses unless renewed
    retention_months: int = Field(24, ge=1, le=120)  # after the last activity, data is purged
    notice_days: int = Field(14, ge=1, le=90)  # asked to renew, or warned, this long before
    notice_url: str = ""  # where the privacy notice is read (shown with every renewal)


class EngagementSettings(_Section):
    event_reminders_hours: tuple[float, ...] = (24, 1)  # before an event, to its registrants
    # A member's engagement: points per fact in the last `window_days`, full for a week, half
    # to a month, a quarter after; the levels start at these scores.
    window_days: int = Field(90, ge=7, le=730)
    levels: dict[str, int] = {"champion": 30, "engaged": 10, "participant": 3, "observer": 1}
    link_minutes: int = Field(10, ge=1, le=1440)  # how long a /link code works


class DutySettings(_Section):
    """When each daily duty runs (its name → an hour in the community's timezone); a duty not
    named keeps the hour its feature gives it."""

    hours: dict[str, Annotated[int, Field(ge=0, le=23)]] = {}


class ConsoleSettings(_Section):
    enabled: bool | Literal["auto"] = "auto"
    user: str = Field("guest", pattern=r"^[A-Za-z0-9_.-]{1,32}$")


class TelegramSettings(_Section):
    token: SecretStr | None = None  # $ROOST_TELEGRAM_TOKEN
    webhook_secret: SecretStr | None = None  # $ROOST_TELEGRAM_WEBHOOK_SECRET
    api_url: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    poll_timeout: int = Field(10, ge=0, le=50)
    request_timeout: float = Field(10.0, gt=0)
    max_retries: int = Field(5, ge=0)
    pace: bool = True  # keep under Telegram's limits; off only to measure Roost's own overhead
    community_chat_id: int | None = None
    webhook_path: str = Field("/telegram/webhook", pattern=r"^/[A-Za-z0-9/_-]*$")


class SlackSettings(_Section):
    bot_token: SecretStr | None = None  # $ROOST_SLACK_BOT_TOKEN (xoxb-…)
    signing_secret: SecretStr | None = None  # $ROOST_SLACK_SIGNING_SECRET (HTTP mode)
    app_token: SecretStr | None = None  # $ROOST_SLACK_APP_TOKEN (xapp-…, Socket Mode)
    mode: Literal["http", "socket"] = "socket"
    api_url: str = "https://slack.com/api/"
    command: str = Field("/roost", pattern=r"^/[a-z0-9_-]{1,31}$")
    events_path: str = Field("/slack/events", pattern=r"^/[A-Za-z0-9/_-]*$")
    community_channel: str | None = None
    max_retries: int = Field(5, ge=0)
    rate_window: float = Field(60.0, gt=0)  # Slack's rate-limit minute; only tests shorten it


class DiscordSettings(_Section):
    token: SecretStr | None = None  # $ROOST_DISCORD_TOKEN
    guild_id: int | None = None  # the community server; commands are registered there
    channel_id: int | None = None  # where community invites lead
    api_url: str = "https://discord.com"
    gateway_url: str = "wss://gateway.discord.gg"


class Settings(_Section):
    community: CommunitySettings = CommunitySettings()
    database: DatabaseSettings = DatabaseSettings()
    web: WebSettings = WebSettings()
    roles: RoleSettings = RoleSettings()
    onboarding: OnboardingSettings = OnboardingSettings()
    limits: LimitSettings = LimitSettings()
    console: ConsoleSettings = ConsoleSettings()
    outbox: OutboxSettings = OutboxSettings()
    content: ContentSettings = ContentSettings()
    processes: ProcessSettings = ProcessSettings()
    pipeline: PipelineSettings = PipelineSettings()
    engagement: EngagementSettings = EngagementSettings()
    privacy: PrivacySettings = PrivacySettings()
    duties: DutySettings = DutySettings()
    telegram: TelegramSettings = TelegramSettings()
    slack: SlackSettings = SlackSettings()
    discord: DiscordSettings = DiscordSettings()

    @model_validator(mode="after")
    def _webhooks_need_secrets(self) -> Settings:
        telegram = self.telegram
        if telegram.mode == "webhook" and telegram.token:
            if not telegram.webhook_secret:
                raise ValueError("telegram.mode = 'webhook' needs $ROOST_TELEGRAM_WEBHOOK_SECRET")
            if not WEBHOOK_SECRET.fullmatch(telegram.webhook_secret.get_secret_value()):
                raise ValueError(
                    "$ROOST_TELEGRAM_WEBHOOK_SECRET: Telegram takes 1 to 256 characters of "
                    "A-Z, a-z, 0-9, _ and - only"
                )
            if not self.web.enabled:
                raise ValueError("telegram.mode = 'webhook' needs [web] enabled = true")
            if not self.web.public_url.startswith("https://"):
                raise ValueError(
                    "[web] public_url: telegram.mode = 'webhook' needs an https:// address "
                    "(Telegram sends webhooks over HTTPS only; put Roost behind one)"
                )
            port = urlsplit(self.web.public_url).port or 443
            if port not in WEBHOOK_PORTS:
                raise ValueError(
                    f"[web] public_url: Telegram sends webhooks only to ports 80, 88, 443 or "
                    f"8443, not {port} (put a TLS proxy on one of them in front of Roost)"
                )
        if self.discord.token and self.discord.guild_id is None:
            raise ValueError("[discord] guild_id is needed when $ROOST_DISCORD_TOKEN is set")
        slack = self.slack
        if slack.bot_token and slack.mode == "http" and not slack.signing_secret:
            raise ValueError("slack.mode = 'http' needs $ROOST_SLACK_SIGNING_SECRET")
        if slack.bot_token and slack.mode == "socket" and not slack.app_token:
            raise ValueError("slack.mode = 'socket' needs $ROOST_SLACK_APP_TOKEN")
        return self

    def platforms_configured(self) -> tuple[str, ...]:
        """Chat platforms with credentials."""
        configured = {
            "telegram": self.telegram.token,
            "slack": self.slack.bot_token,
            "discord": self.discord.token,
        }
        return tuple(name for name, token in configured.items() if token)

    def console_enabled(self) -> bool:
        if self.console.enabled == "auto":
            return not self.platforms_configured()
        return self.console.enabled


def load_settings(path: str | Path | None, environ: Mapping[str, str]) -> Settings:
    """Read `path` (or $ROOST_CONFIG; none means defaults) and the secrets in `environ`."""
    source = path or environ.get("ROOST_CONFIG")
    name = str(source) if source else "<defaults>"
    raw: dict[str, Any] = {}
    if source:
        try:
            raw = tomllib.loads(Path(source).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{name}: no such file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{name}: not valid TOML ({exc})") from None
    for section, key in ENV_ONLY:
        if isinstance(raw.get(section), dict) and key in raw[section]:
            variable = ENVIRONMENT[section, key]
            raise ConfigError(f"{name}: [{section}] {key}: set ${variable} instead of the file")
    for (section, key), variable in ENVIRONMENT.items():
        if environ.get(variable):
            raw.setdefault(section, {})
            if isinstance(raw[section], dict):
                raw[section][key] = environ[variable]
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(name, exc)) from None


def _describe(name: str, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            message = "unknown setting"
        else:
            message = error["msg"].removeprefix("Value error, ")
            message = message[:1].lower() + message[1:]
        where = (
            f" [{error['loc'][0]}] {loc}:" if len(error["loc"]) > 1 else f" {loc}:" if loc else ""
        )
        problems.append(f"{name}:{where} {message}")
    return "\n".join(problems)
