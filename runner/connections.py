"""The one place that decides which Postgres and Redis we talk to, and opens connections.

With `PG*` / `REDIS_URL` set, those servers are used. Without them, only the demo and the test
suite may start embedded servers; every other command stops with a message saying what to set.
A configured server that cannot be reached is a configuration problem (exit 2), reported in
one line that names the variable.
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace

import psycopg
import redis

from runner.config import PostgresSettings, Settings, mask_url
from runner.embedded import embedded_postgres, embedded_redis
from runner.errors import ConfigurationError, first_line

CONNECT_TIMEOUT_SECONDS = 5
_NOT_CONFIGURED = (
    "{variable} is not set: point it at your {what} (see .env.example), "
    "or try everything on embedded servers with `reactivate demo` (then `reactivate --embedded "
    "...` reaches the demo's data)"
)


@dataclass(frozen=True)
class Services:
    postgres: PostgresSettings
    redis_url: str | None  # None when the command asked for Postgres only
    embedded: bool


@contextmanager
def open_services(
    settings: Settings,
    *,
    allow_embedded: bool = False,
    need_redis: bool = True,
) -> Iterator[Services]:
    """Resolve and check Postgres (and Redis); start embedded ones only when allowed."""
    with ExitStack() as stack:
        postgres, redis_url, embedded = settings.postgres, settings.redis_url, False
        allow_embedded = allow_embedded or settings.allow_embedded
        if postgres is None:
            if not allow_embedded:
                raise ConfigurationError(_NOT_CONFIGURED.format(variable="PGHOST", what="Postgres"))
            postgres = stack.enter_context(embedded_postgres(settings.embedded_dir))
            embedded = True
        check_postgres(postgres)
        if need_redis:
            if redis_url is None:
                if not allow_embedded:
                    raise ConfigurationError(
                        _NOT_CONFIGURED.format(variable="REDIS_URL", what="Redis")
                    )
                redis_url = stack.enter_context(embedded_redis(settings.embedded_dir))
                embedded = True
            check_redis(redis_url)
        yield Services(postgres=postgres, redis_url=redis_url, embedded=embedded)


def connect(postgres: PostgresSettings, *, autocommit: bool = False) -> psycopg.Connection:
    """A new connection; an unreachable server becomes a one-line ConfigurationError."""
    try:
        return psycopg.connect(
            host=postgres.host,
            port=postgres.port,
            user=postgres.user,
            password=postgres.password or None,
            dbname=postgres.dbname,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="reactivation",
            autocommit=autocommit,
        )
    except psycopg.OperationalError as error:
        raise ConfigurationError(
            f"cannot reach Postgres at PGHOST={postgres.host} PGPORT={postgres.port} "
            f"PGDATABASE={postgres.dbname}: {first_line(error)}"
        ) from None


def check_postgres(postgres: PostgresSettings) -> None:
    with connect(postgres) as conn:
        conn.execute("select 1")


def redis_client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(
        redis_url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=CONNECT_TIMEOUT_SECONDS,
        decode_responses=True,
    )


def check_redis(redis_url: str) -> None:
    try:
        client = redis_client(redis_url)
    except ValueError as error:
        raise ConfigurationError(f"REDIS_URL={mask_url(redis_url)}: {error}") from None
    try:
        client.ping()
    except redis.RedisError as error:
        raise ConfigurationError(
            f"cannot reach Redis at REDIS_URL={mask_url(redis_url)}: {first_line(error)}"
        ) from None
    finally:
        client.close()


def postgres_environment(postgres: PostgresSettings) -> dict[str, str]:
    """libpq variables for child tools (dbt, psql) that must see the same database."""
    return {
        "PGHOST": postgres.host,
        "PGPORT": str(postgres.port),
        "PGUSER": postgres.user,
        "PGPASSWORD": postgres.password,
        "PGDATABASE": postgres.dbname,
    }


def with_database(postgres: PostgresSettings, dbname: str) -> PostgresSettings:
    return replace(postgres, dbname=dbname)


def connection_lost(conn: psycopg.Connection) -> bool:
    """The server went away under this connection (or it was closed): nothing more can run on it."""
    return conn.broken or conn.closed
