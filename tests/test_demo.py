"""`reactivate demo` from nothing: embedded servers, schema, data, and a second run works."""

from runner.migrations import available_migrations
from tests.support import run_cli, service_environment


def test_demo_runs_on_embedded_services_twice(tmp_path):
    env = service_environment(None)
    env["REACTIVATION_EMBEDDED_DIR"] = str(tmp_path / "embedded")

    first = run_cli("demo", env=env)
    second = run_cli("demo", env=env)

    assert first.returncode == 0, first.stderr
    assert "Postgres (embedded)" in first.stdout
    assert f"{len(available_migrations())} migration(s) applied" in first.stdout
    assert "generated 3 salons" in first.stdout
    assert "dbt build succeeded" in first.stdout
    assert "clients due today" in first.stdout
    assert "последний визит" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "0 migration(s) applied" in second.stdout
    assert "Traceback" not in first.stderr + second.stderr
