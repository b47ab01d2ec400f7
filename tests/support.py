"""Helpers the tests share: fresh databases and the real CLI in a child process."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from psycopg import sql

from runner.config import PostgresSettings, Settings, load_settings
from runner.connections import Services, connect, postgres_environment, with_database
from runner.dbt import DbtOutcome

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Tests keep their embedded servers apart from the demo's data.
TEST_EMBEDDED_DIR = PROJECT_ROOT / ".embedded" / "tests"
SERVICE_VARIABLES = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "REDIS_URL")


def settings_for_tests() -> Settings:
    """The environment's settings; embedded data under .embedded/tests unless told otherwise."""
    settings = load_settings()
    if "REACTIVATION_EMBEDDED_DIR" not in os.environ:
        settings = replace(settings, embedded_dir=TEST_EMBEDDED_DIR)
    return settings


@contextmanager
def fresh_database(services: Services) -> Iterator[PostgresSettings]:
    """A new, empty database on the test server, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with connect(services.postgres, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield with_database(services.postgres, name)
    finally:
        with connect(services.postgres, autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def service_environment(
    postgres: PostgresSettings | None,
    redis_url: str | None = None,
) -> dict:
    """An environment for a child `reactivate` that points at exactly these servers (or none)."""
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    if postgres:
        env.update(postgres_environment(postgres))
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


# A campaign that may send at any hour, with no pacing or caps in the way and no Gemini key:
# each test adds what it checks.
OPEN_AND_UNPACED = {
    "REACTIVATION_SEND_WINDOW": "00:00-24:00",
    "REACTIVATION_SEND_DAYS": "mon-sun",
    "REACTIVATION_MIN_GAP_SECONDS": "0",
    "REACTIVATION_HOURLY_CAP": "1000",
    "REACTIVATION_DAILY_CAP": "1000",
    "GEMINI_API_KEY": "",
}


def campaign_environment(postgres: PostgresSettings, redis_url: str, **extra: str) -> dict:
    """service_environment for a campaign command, open and unpaced, plus `extra`."""
    return service_environment(postgres, redis_url) | OPEN_AND_UNPACED | extra


def run_cli(*args: str, env: dict, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    """The real command in a child process, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def start_live_run(company_id: int, env: dict) -> subprocess.Popen:
    """`reactivate run --company N --live` started in a child process, for a test to signal,
    kill or race; read it with communicate()."""
    return subprocess.Popen(
        [sys.executable, "-m", "runner", "run", "--company", str(company_id), "--live"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_requests(service, count: int, seconds: float = 20) -> None:
    """Until a fake service has received `count` requests, or `seconds` passed."""
    deadline = time.monotonic() + seconds
    while len(service.requests) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def build_pipeline(database: PostgresSettings, as_of: str | None = None, **dbt_vars) -> DbtOutcome:
    """`reactivate build` in-process against one test database; raises if the build fails."""
    from runner.workflows import build_on

    return build_on(database, as_of=as_of, dbt_vars=dbt_vars or None)
