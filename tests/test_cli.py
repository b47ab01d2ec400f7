"""The `reactivate` command line: every command answers --help with an example."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from runner.cli import cli
from tests.support import PROJECT_ROOT, run_cli, service_environment

COMMANDS = [
    ["db", "migrate"],
    ["generate-data"],
    ["build"],
    ["run"],
    ["nightly"],
    ["report"],
    ["contexts", "replay"],
    ["contexts", "refresh"],
    ["docs"],
    ["opt-out"],
    ["doctor"],
    ["demo"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_contract_command_answers_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])

    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_unknown_option_is_a_usage_error():
    result = CliRunner().invoke(cli, ["generate-data", "--companies", "zero"])

    assert result.exit_code == 2


def test_db_migrate_reports_what_it_applied_then_that_it_is_current(database):
    env = service_environment(database)

    first = run_cli("db", "migrate", env=env)
    second = run_cli("db", "migrate", env=env)

    assert first.returncode == 0, first.stderr
    assert "applied 0001_reactivation_schema" in first.stdout
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "schema reactivation is up to date"


def test_generate_data_writes_the_configured_database(database):
    env = service_environment(database)

    result = run_cli(
        "generate-data",
        "--companies",
        "2",
        "--clients-per-company",
        "30",
        "--years",
        "1",
        "--seed",
        "3",
        "--as-of",
        "2026-11-24",
        env=env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-2:] == ["generated salon 1 of 2", "generated salon 2 of 2"]
    assert result.stdout.startswith("generated 2 salons")
    assert "60 clients" in result.stdout


def test_version_names_the_package_version():
    from importlib.metadata import version

    result = CliRunner().invoke(cli, ["--version"])

    assert result.exit_code == 0
    assert result.output == f"reactivate, version {version('salon-reactivation')}\n"


def test_a_dotenv_file_is_read_and_the_environment_wins(database, tmp_path):
    env = service_environment(database)
    # The file names the test database; PGDATABASE in the environment points elsewhere.
    (tmp_path / ".env").write_text(
        f"PGHOST={database.host}\nPGPORT={database.port}\nPGUSER={database.user}\n"
        f"PGDATABASE=does_not_exist\n"
    )
    for name in ("PGHOST", "PGPORT", "PGUSER"):
        env.pop(name)

    from_file = run_cli("db", "migrate", env=env, cwd=tmp_path)
    named = run_cli("--env-file", str(tmp_path / ".env"), "db", "migrate", env=env)
    env.pop("PGDATABASE")
    wrong_database = run_cli("db", "migrate", env=env, cwd=tmp_path)

    assert from_file.returncode == 0, from_file.stderr
    assert "applied 0001_reactivation_schema" in from_file.stdout
    assert named.returncode == 0 and "up to date" in named.stdout
    assert wrong_database.returncode == 2 and "does_not_exist" in wrong_database.stderr


def test_the_command_line_leaves_the_gemini_sdk_until_a_campaign_uses_it():
    """google-genai takes 0.6 s to import: a build, report or dry run without a key skips it."""
    probe = "import sys, runner.cli, runner.workflows; print('google.genai' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )

    assert result.stdout.strip() == "False"
