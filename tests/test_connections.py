"""Configured servers win over embedded ones; unreachable ones fail in one clear line."""

from dataclasses import replace

import pytest

from runner.config import load_settings
from runner.connections import mask_url, open_services
from runner.errors import ConfigurationError
from tests.support import run_cli, service_environment


def test_configured_servers_are_used_instead_of_embedded(services, database, tmp_path):
    environ = {
        "PGHOST": database.host,
        "PGPORT": str(database.port),
        "PGUSER": database.user,
        "PGPASSWORD": database.password,
        "PGDATABASE": database.dbname,
        "REDIS_URL": services.redis_url,
        # If anything tried to go embedded it would create this directory.
        "REACTIVATION_EMBEDDED_DIR": str(tmp_path / "must-stay-empty"),
    }

    with open_services(load_settings(environ), allow_embedded=True) as opened:
        assert opened.embedded is False
        assert opened.postgres == database
        assert opened.redis_url == services.redis_url
    assert not (tmp_path / "must-stay-empty").exists()


def test_commands_other_than_demo_refuse_to_go_embedded():
    with (
        pytest.raises(ConfigurationError, match="PGHOST is not set"),
        open_services(load_settings({})),
    ):
        pass


def test_missing_redis_is_named(database):
    settings = replace(load_settings({}), postgres=database)

    with pytest.raises(ConfigurationError, match="REDIS_URL is not set"), open_services(settings):
        pass


def test_unreachable_redis_is_named(database):
    settings = replace(
        load_settings({}), postgres=database, redis_url="redis://:secret@127.0.0.1:1/0"
    )

    with pytest.raises(ConfigurationError, match="REDIS_URL") as raised, open_services(settings):
        pass
    assert "secret" not in str(raised.value)


def test_bad_pghost_gives_one_line_and_exit_2(database):
    env = service_environment(database)
    env.update(PGHOST="127.0.0.1", PGPORT="1")

    result = run_cli("db", "migrate", env=env)

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "PGHOST=127.0.0.1" in lines[0]
    assert "Traceback" not in result.stderr


def test_unset_pghost_tells_what_to_set():
    env = service_environment(None)

    result = run_cli("generate-data", env=env)

    assert result.returncode == 2
    assert "PGHOST is not set" in result.stderr


def test_mask_url_hides_only_the_password():
    assert mask_url("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert mask_url("unix:///tmp/redis.sock") == "unix:///tmp/redis.sock"
