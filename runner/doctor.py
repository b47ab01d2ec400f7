"""`reactivate doctor`: check each configured service and say plainly what is wrong."""

from contextlib import ExitStack
from dataclasses import dataclass, replace

import httpx
import psycopg

from runner.config import Settings
from runner.connections import check_redis, connect, mask_url
from runner.embedded import embedded_postgres, embedded_redis
from runner.errors import ConfigurationError
from runner.migrations import available_migrations

BOT_TABLES = ("companies", "clients", "services", "bookings", "appointments_cache")
HEALTH_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False  # not fatal: the product works, with less

    @property
    def label(self) -> str:
        if not self.ok:
            return "FAIL"
        return "WARN" if self.warning else "OK"


def run_checks(settings: Settings) -> list[Check]:
    with ExitStack() as stack:
        if settings.allow_embedded:  # `--embedded`: the demo's servers stand in for unset ones
            if settings.postgres is None:
                embedded = stack.enter_context(embedded_postgres(settings.embedded_dir))
                settings = replace(settings, postgres=embedded)
            if settings.redis_url is None:
                embedded = stack.enter_context(embedded_redis(settings.embedded_dir))
                settings = replace(settings, redis_url=embedded)
        return [
            *_postgres_checks(settings),
            _redis_check(settings),
            _gateway_check(settings),
            _gemini_check(settings),
        ]


def _postgres_checks(settings: Settings) -> list[Check]:
    if settings.postgres is None:
        return [Check("postgres", False, "PGHOST is not set (see .env.example)")]
    try:
        with connect(settings.postgres) as conn:
            version = conn.execute("show server_version").fetchone()[0]
            checks = [Check("postgres", True, f"PostgreSQL {version} at {settings.postgres.host}")]
            checks.append(_schema_check(conn))
            checks.append(_bot_tables_check(conn))
            return checks
    except ConfigurationError as error:
        return [Check("postgres", False, str(error))]


def _schema_check(conn: psycopg.Connection) -> Check:
    exists = conn.execute("select to_regclass('reactivation.schema_migrations')").fetchone()[0]
    applied = set()
    if exists:
        applied = {v for (v,) in conn.execute("select version from reactivation.schema_migrations")}
    pending = [m for m in available_migrations() if m.version not in applied]
    if pending:
        return Check(
            "schema", False, f"{len(pending)} migration(s) pending: run `reactivate db migrate`"
        )
    return Check("schema", True, f"reactivation schema at version {max(applied)}")


def _bot_tables_check(conn: psycopg.Connection) -> Check:
    missing = [
        table
        for table in BOT_TABLES
        if conn.execute("select to_regclass(%s)", (f"public.{table}",)).fetchone()[0] is None
    ]
    if missing:
        return Check("bot tables", False, "missing in public: " + ", ".join(missing))
    return Check("bot tables", True, "companies, clients, services, bookings, appointments_cache")


def _redis_check(settings: Settings) -> Check:
    if settings.redis_url is None:
        return Check("redis", False, "REDIS_URL is not set (see .env.example)")
    try:
        check_redis(settings.redis_url)
    except ConfigurationError as error:
        return Check("redis", False, str(error))
    return Check("redis", True, f"reachable at {mask_url(settings.redis_url)}")


def _gateway_check(settings: Settings) -> Check:
    if settings.whatsapp_api_url is None:
        return Check("whatsapp gateway", False, "WHATSAPP_API_URL is not set")
    url = settings.whatsapp_api_url.rstrip("/") + "/health"
    try:
        response = httpx.get(url, timeout=HEALTH_TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        return Check("whatsapp gateway", False, f"{url} did not answer: {type(error).__name__}")
    if response.status_code != 200:
        return Check(
            "whatsapp gateway",
            False,
            f"{url} answered {response.status_code}: {response.text[:200].strip()}",
        )
    if _health_body(response).get("connected") is False:
        # The bot's /health answers 200 whatever the session's state; only this field tells.
        return Check(
            "whatsapp gateway",
            False,
            f"{url} answers, but WhatsApp is logged out (connected: false): every send would "
            "fail. Re-link the salon's WhatsApp in the bot (scan its QR code), then run "
            "`reactivate doctor` again",
        )
    return Check("whatsapp gateway", True, f"{url}: {response.text[:200].strip()}")


def _health_body(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _gemini_check(settings: Settings) -> Check:
    # Presence only: a test call would spend the quota the bot shares.
    if not settings.gemini_api_key:
        return Check(
            "gemini",
            True,
            "GEMINI_API_KEY is not set: messages will use templates",
            warning=True,
        )
    return Check("gemini", True, f"key set, model {settings.gemini_model}")
