"""Run a command with PG* pointing at a live database: the configured one, else embedded.

sqlfluff's dbt templater compiles the project, and compiling an incremental model asks the
database whether the table exists; `make lint` runs it through this so it needs no setup:

    python -m tests.with_database -- sqlfluff lint dbt_project/models --templater dbt
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from runner.connections import open_services, postgres_environment
from runner.dbt import PROFILE_TEMPLATE
from tests.support import settings_for_tests


def main(command: list[str]) -> int:
    with (
        open_services(settings_for_tests(), allow_embedded=True, need_redis=False) as services,
        tempfile.TemporaryDirectory(prefix="reactivation-profile-") as profiles_dir,
    ):
        shutil.copyfile(PROFILE_TEMPLATE, Path(profiles_dir) / "profiles.yml")
        env = {**os.environ, **postgres_environment(services.postgres)}
        env.setdefault("DBT_PROFILES_DIR", profiles_dir)
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--"]:
        arguments = arguments[1:]
    sys.exit(main(arguments))
