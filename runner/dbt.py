"""Run dbt in-process against the project's profile and the configured database.

dbt reads its connection from `profiles.yml.example` (the PG* variables); we pass the
resolved settings through those variables so the demo's embedded server and a configured one
look the same to dbt. No `dbt deps`: the project uses no packages.
"""

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

from runner.config import PostgresSettings
from runner.connections import postgres_environment
from runner.dbt_connections import connections_kept_open
from runner.dbt_scheduling import critical_path_first, recorded_seconds

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_TARGET_DIR = DBT_PROJECT_DIR / "target"
PROFILE_TEMPLATE = PROJECT_ROOT / "profiles.yml.example"
FAILED_STATUSES = ("error", "fail", "runtime error")
# "Now" for the build's date logic (macro now_or_as_of). Always set, empty for the real now, so
# a value left in an operator's shell never pins a nightly build.
AS_OF_VARIABLE = "REACTIVATION_AS_OF"
# dbt's own file log (dbt_project/logs/dbt.log). dbt formats every event of a build for it,
# each SQL statement and connection included, whatever its level: 0.4 s of a 4 s nightly
# build. Off unless the operator asks for it.
LOG_FILE_LEVEL_VARIABLE = "DBT_LOG_LEVEL_FILE"
# dbt writes its 1.4 MB manifest.json twice a build (0.4 s of a nightly build) for nothing the
# runner reads. Only the commands whose output is the manifest keep it; the others write
# run_results.json alone, the operator's record of what each node did and took.
MANIFEST_COMMANDS = ("docs generate", "parse")
# A quiet run (the nightly's build) sets up no dbt console log at all: with --quiet alone dbt
# still formats and scrubs each of a build's 1,700 info events, then drops it (0.2 s of the
# one Python thread a nightly build's two dbt threads share). Its failures come back in the
# outcome, which the runner reports.
QUIET_ARGS = ("--quiet", "--log-level", "none")
RUN_RESULTS_PATH = DBT_TARGET_DIR / "run_results.json"


@dataclass
class DbtOutcome:
    succeeded: bool
    counts: dict[str, int] = field(default_factory=dict)  # status -> nodes
    failures: list[str] = field(default_factory=list)  # "model.x.y: message"
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def run_dbt(
    postgres: PostgresSettings,
    command: str,
    args: Sequence[str] = (),
    *,
    dbt_vars: dict | None = None,
    as_of: str | None = None,
    quiet: bool = True,
) -> DbtOutcome:
    """`dbt <command> <args>` on this project; never raises for a failing node.

    `as_of` (ISO timestamp) pins "now" for the models' date logic.
    """
    from dbt.cli.main import dbtRunner  # heavy import, only when dbt is really needed

    variables = {**postgres_environment(postgres), AS_OF_VARIABLE: as_of or ""}
    writes_manifest = command in MANIFEST_COMMANDS
    with _profiles_dir() as profiles_dir, _environment(variables):
        cli_args = [
            *command.split(),  # "build", or "docs generate"
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(profiles_dir),
            *(QUIET_ARGS if quiet else ()),
            *([] if os.environ.get(LOG_FILE_LEVEL_VARIABLE) else ["--log-level-file", "none"]),
            *([] if writes_manifest else ["--no-write-json"]),
            *([f"--vars={_yaml(dbt_vars)}"] if dbt_vars else []),
            *args,
        ]
        # dbt prints its progress to stdout; ours is for data, so it goes to stderr.
        with (
            redirect_stdout(sys.stderr),
            critical_path_first(recorded_seconds(RUN_RESULTS_PATH)),
            connections_kept_open(),
        ):
            result = dbtRunner().invoke(cli_args)
    if not writes_manifest and hasattr(result.result, "write"):
        result.result.write(str(RUN_RESULTS_PATH))
    return _outcome(result)


def _outcome(result) -> DbtOutcome:
    outcome = DbtOutcome(succeeded=bool(result.success))
    if result.exception is not None:
        # dbt's first line names only the kind ("Compilation Error"); the next ones say what.
        lines = [line.strip() for line in str(result.exception).splitlines() if line.strip()]
        outcome.error = ": ".join(lines)[:400] or type(result.exception).__name__
    for node_result in getattr(result.result, "results", None) or []:
        status = str(node_result.status).lower()
        outcome.counts[status] = outcome.counts.get(status, 0) + 1
        message = " ".join((node_result.message or status).split())
        line = f"{_unique_id(node_result)}: {message[:400]}"
        if status in FAILED_STATUSES:
            outcome.failures.append(line)
        elif status == "warn":
            outcome.warnings.append(line)
    return outcome


def _unique_id(node_result) -> str:
    # A build's results carry their node; run-operation's carry only its unique_id.
    node = getattr(node_result, "node", None)
    return getattr(node, "unique_id", None) or getattr(node_result, "unique_id", "unknown node")


@contextmanager
def _profiles_dir() -> Iterator[Path]:
    """DBT_PROFILES_DIR when the operator set one, else the project's example profile."""
    configured = os.environ.get("DBT_PROFILES_DIR")
    if configured:
        yield Path(configured)
        return
    with tempfile.TemporaryDirectory(prefix="reactivation-profile-") as directory:
        shutil.copyfile(PROFILE_TEMPLATE, Path(directory) / "profiles.yml")
        yield Path(directory)


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _yaml(values: dict) -> str:
    # dbt takes --vars as YAML; JSON is valid YAML and quotes strings safely.
    return json.dumps(values)
