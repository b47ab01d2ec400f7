"""Versioned SQL migrations for the runner-owned `reactivation` schema.

Files `runner/sql/migrations/NNNN_name.sql` are applied in order, each in its own transaction,
and recorded with a checksum in `reactivation.schema_migrations`. A session-level advisory lock
serializes concurrent `db migrate` calls, so two processes starting at once apply each file
exactly once; an edited file that was already applied is refused rather than silently skipped.
"""

import hashlib
import re
from dataclasses import dataclass

import psycopg

from runner.errors import JobFailed
from runner.sql import migration_files

# Any constant works as long as every migrating process uses the same one.
_MIGRATION_LOCK_KEY = 4_242_001
_FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")

_BOOTSTRAP = """
create schema if not exists reactivation;
create table if not exists reactivation.schema_migrations (
    version integer primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available_migrations() -> list[Migration]:
    found = []
    for entry in migration_files():
        match = _FILE_NAME.fullmatch(entry.name)
        if match:
            version, name = match.groups()
            found.append(Migration(int(version), name, entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda migration: migration.version)


def migrate(conn: psycopg.Connection) -> list[Migration]:
    """Apply pending migrations; return the ones applied by this call (empty when up to date)."""
    conn.autocommit = True
    conn.execute("select pg_advisory_lock(%s)", (_MIGRATION_LOCK_KEY,))
    try:
        conn.execute(_BOOTSTRAP)
        applied = dict(
            conn.execute("select version, checksum from reactivation.schema_migrations").fetchall()
        )
        newly_applied = []
        for migration in available_migrations():
            if migration.version in applied:
                _refuse_edited(migration, applied[migration.version])
                continue
            with conn.transaction():
                conn.execute(migration.sql)
                conn.execute(
                    "insert into reactivation.schema_migrations (version, name, checksum)"
                    " values (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
            newly_applied.append(migration)
        return newly_applied
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (_MIGRATION_LOCK_KEY,))


def _refuse_edited(migration: Migration, recorded_checksum: str) -> None:
    if recorded_checksum != migration.checksum:
        raise JobFailed(
            f"migration {migration.version:04d}_{migration.name}.sql changed after it was "
            "applied; add a new migration instead of editing an applied one"
        )
