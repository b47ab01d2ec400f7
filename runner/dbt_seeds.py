"""The build's seeds are static files: loaded when they change, not every night.

dbt loads every seed again (truncate, insert) and runs each seed's tests on every build: two
seeds and 16 tests of a nightly build, for files that change only with an upgrade or an
operator's edit. A default build that succeeds records the fingerprint of the files it loaded
(reactivation.loaded_seeds). The next default build leaves the seeds and their tests out
while that fingerprint still matches and every seed table is still there; the tests that join
a model to a seed still run with the model.

An edited seed, project file or macro, a missing seed table, a build that failed, or any dbt
argument of the operator's (`--full-refresh`, `--select`) means dbt's own behaviour: the
seeds load and their tests run.
"""

import hashlib
from pathlib import Path

import psycopg

from runner.dbt import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
# What loading a seed and testing it depends on: its files, the project's seed configuration
# and the macros its tests and hooks call.
_INPUTS = (SEEDS_DIR, DBT_PROJECT_DIR / "macros", DBT_PROJECT_DIR / "dbt_project.yml")
# The schema of the project's profile (profiles.yml.example), where the runner reads the marts.
SEED_SCHEMA = "analytics"
# Cautious: a test is left out only when every node it reads is, so the tests that join a
# model to a seed (relationships to the arms) still run; dbt's default would drop them too.
LEAVE_SEEDS_OUT = ("--exclude", "resource_type:seed", "--indirect-selection", "cautious")


def seed_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in _input_files():
        digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def seed_names() -> list[str]:
    return [path.stem for path in sorted(SEEDS_DIR.glob("*.csv"))]


def seeds_loaded(conn: psycopg.Connection, fingerprint: str) -> bool:
    """Did a build load exactly these seed files, and are their tables still there?"""
    (loaded,) = conn.execute(
        """
        select
            exists (select from reactivation.loaded_seeds where fingerprint = %s)
            and bool_and(to_regclass(seed_table) is not null)
        from unnest(%s::text[]) as seed_table
        """,
        (fingerprint, [f"{SEED_SCHEMA}.{name}" for name in seed_names()]),
    ).fetchone()
    return bool(loaded)


def record_loaded_seeds(conn: psycopg.Connection, fingerprint: str) -> None:
    # Two builds finishing at once record the same files: the second only moves loaded_at.
    with conn.transaction():
        conn.execute(
            "delete from reactivation.loaded_seeds where fingerprint <> %s", (fingerprint,)
        )
        conn.execute(
            "insert into reactivation.loaded_seeds (fingerprint) values (%s)"
            " on conflict (fingerprint) do update set loaded_at = now()",
            (fingerprint,),
        )


def _input_files() -> list[Path]:
    files = []
    for entry in _INPUTS:
        files.extend(
            sorted(p for p in entry.rglob("*") if p.is_file()) if entry.is_dir() else [entry]
        )
    return files
