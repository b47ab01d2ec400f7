"""Every setting, read from the environment in one place into a frozen object.

Nothing here connects to anything: `load_settings()` only parses, so a malformed value fails
fast with the variable's name, before any service is touched.
"""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values

from runner.errors import ConfigurationError

DEFAULT_GEMINI_MODEL = "gemini-3.5-flash-lite"
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HTTP = ("http", "https")


@dataclass(frozen=True)
class PostgresSettings:
    """libpq's own variable names, so psql, dbt and the runner agree on one database."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    dbname: str


@dataclass(frozen=True)
class SendWindow:
    """Local sending hours in a salon's own timezone; end 24:00 means midnight."""

    start: time
    end_minutes: int  # minutes after midnight, 1440 allowed, so "00:00-24:00" = always


@dataclass(frozen=True)
class Settings:
    postgres: PostgresSettings | None  # None: not configured (only demo/tests go embedded)
    redis_url: str | None
    gemini_api_key: str | None = field(repr=False)
    gemini_model: str
    gemini_base_url: str | None
    whatsapp_api_url: str | None
    sentry_dsn: str | None = field(repr=False)
    send_window: SendWindow
    send_days: frozenset[int]  # 0 = Monday, as datetime.weekday()
    daily_cap: int
    hourly_cap: int
    min_gap_seconds: float
    gemini_rpm: int
    batch_size: int
    reply_window_hours: int
    breaker_failures: int
    cooldown_days: int
    mart_max_age_hours: float
    max_source_lag_hours: float
    send_timeout_seconds: float
    gemini_timeout_seconds: float
    embedded_dir: Path
    # `reactivate --embedded`: without PG*/REDIS_URL, use the embedded servers (the demo's).
    allow_embedded: bool = False


def read_environment(env_file: Path | None = None) -> dict[str, str]:
    """The process environment over the values of an env file: `env_file`, else `./.env` when
    present. A variable set in the environment always wins, as it does for cron and systemd."""
    path = env_file if env_file is not None else Path(".env")
    from_file = dotenv_values(path) if path.is_file() else {}
    return {**{k: v for k, v in from_file.items() if v is not None}, **os.environ}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Parse the environment; raise ConfigurationError naming the variable at fault."""
    env = _Environment(os.environ if environ is None else environ)
    return Settings(
        postgres=_postgres_settings(env),
        redis_url=env.url("REDIS_URL", ("redis", "rediss", "unix"), "redis://127.0.0.1:6379/0"),
        gemini_api_key=env.text("GEMINI_API_KEY"),
        gemini_model=env.text("GEMINI_MODEL") or DEFAULT_GEMINI_MODEL,
        gemini_base_url=env.url("GEMINI_BASE_URL", _HTTP, "http://127.0.0.1:8089"),
        whatsapp_api_url=env.url("WHATSAPP_API_URL", _HTTP, "http://127.0.0.1:3003"),
        sentry_dsn=env.text("SENTRY_DSN"),
        send_window=parse_send_window(env.text("REACTIVATION_SEND_WINDOW") or "10:00-19:00"),
        send_days=parse_send_days(env.text("REACTIVATION_SEND_DAYS") or "mon-sat"),
        daily_cap=env.integer("REACTIVATION_DAILY_CAP", 50, minimum=0),
        hourly_cap=env.integer("REACTIVATION_HOURLY_CAP", 10, minimum=0),
        min_gap_seconds=env.number("REACTIVATION_MIN_GAP_SECONDS", 30.0, minimum=0.0),
        gemini_rpm=env.integer("REACTIVATION_GEMINI_RPM", 15, minimum=1),
        batch_size=env.integer("REACTIVATION_BATCH_SIZE", 5, minimum=1),
        reply_window_hours=env.integer("REACTIVATION_REPLY_WINDOW_HOURS", 72, minimum=1),
        breaker_failures=env.integer("REACTIVATION_BREAKER_FAILURES", 5, minimum=1),
        cooldown_days=env.integer("REACTIVATION_COOLDOWN_DAYS", 30, minimum=1),
        mart_max_age_hours=env.number("REACTIVATION_MART_MAX_AGE_HOURS", 26.0, minimum=0.1),
        max_source_lag_hours=env.number("REACTIVATION_MAX_SOURCE_LAG_HOURS", 48.0, minimum=0.0),
        send_timeout_seconds=env.number("REACTIVATION_SEND_TIMEOUT_SECONDS", 15.0, minimum=0.1),
        gemini_timeout_seconds=env.number("REACTIVATION_GEMINI_TIMEOUT_SECONDS", 30.0, minimum=0.1),
        embedded_dir=Path(env.text("REACTIVATION_EMBEDDED_DIR") or ".embedded"),
    )


def parse_send_window(value: str) -> SendWindow:
    """'10:00-19:00' -> SendWindow; '00:00-24:00' means always."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not match:
        raise ConfigurationError(
            f"REACTIVATION_SEND_WINDOW={value!r}: expected HH:MM-HH:MM, e.g. 10:00-19:00"
        )
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    end_minutes = end_h * 60 + end_m
    if start_h > 23 or start_m > 59 or end_m > 59 or end_minutes > 1440:
        raise ConfigurationError(f"REACTIVATION_SEND_WINDOW={value!r}: not a time of day")
    if end_minutes <= start_h * 60 + start_m:
        raise ConfigurationError(
            f"REACTIVATION_SEND_WINDOW={value!r}: the end must come after the start"
        )
    return SendWindow(start=time(start_h, start_m), end_minutes=end_minutes)


def parse_send_days(value: str) -> frozenset[int]:
    """'mon-sat' or 'mon,wed,fri' or 'mon-fri,sun' -> weekday numbers (Monday = 0)."""
    days: set[int] = set()
    for part in value.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in _DAY_NAMES or (last and last not in _DAY_NAMES):
            raise ConfigurationError(
                f"REACTIVATION_SEND_DAYS={value!r}: use day names mon..sun, "
                "as a range (mon-sat) or a list (mon,wed,fri)"
            )
        start = _DAY_NAMES.index(first)
        stop = _DAY_NAMES.index(last) if last else start
        span = range(start, stop + 1) if stop >= start else [*range(start, 7), *range(stop + 1)]
        days.update(span)
    return frozenset(days)


def mask_url(url: str) -> str:
    """Hide the password of a URL such as redis://:secret@host:6379/0 before it is printed."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if password is None:
        return url
    netloc = parts.netloc.replace(f":{password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _postgres_settings(env: "_Environment") -> PostgresSettings | None:
    host = env.text("PGHOST")
    if host is None:
        return None
    return PostgresSettings(
        host=host,
        port=env.integer("PGPORT", 5432, minimum=1),
        user=env.text("PGUSER") or "postgres",
        password=env.text("PGPASSWORD") or "",
        dbname=env.text("PGDATABASE") or "postgres",
    )


class _Environment:
    """Typed reads of environment variables; empty strings count as unset."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def url(self, name: str, schemes: tuple[str, ...], example: str) -> str | None:
        """A URL with one of `schemes` and a host (a unix socket needs a path): anything else
        is caught here, before a run claims a client it could never reach."""
        raw = self.text(name)
        if raw is None:
            return None
        try:
            parsed = urlsplit(raw)
            parsed.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            parsed = None
        where = parsed and (parsed.path if parsed.scheme == "unix" else parsed.hostname)
        if parsed is None or parsed.scheme not in schemes or not where:
            raise ConfigurationError(
                f"{name}={mask_url(raw)!r}: not a {'/'.join(schemes)} URL; set it like {example}"
            )
        return raw

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        return self._number(name, default, minimum, int, "a whole number")

    def number(self, name: str, default: float, *, minimum: float) -> float:
        return self._number(name, default, minimum, float, "a number")

    def _number(self, name, default, minimum, parse, expected):
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = parse(raw)
        except ValueError:
            raise ConfigurationError(f"{name}={raw!r}: expected {expected}") from None
        if value < minimum:
            raise ConfigurationError(f"{name}={raw!r}: must be at least {minimum}")
        return value
