"""The embedded servers are real: they start, serve, keep data across runs and stop."""

import psycopg
import pytest
import redis

from runner.connections import redis_client
from runner.embedded import (
    EMBEDDED_DATABASE,
    EMBEDDED_SERVER_SETTINGS,
    embedded_postgres,
    embedded_redis,
)


def _query(target, statement):
    with psycopg.connect(
        host=target.host, port=target.port, user=target.user, dbname=target.dbname, autocommit=True
    ) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else None


def test_embedded_postgres_serves_and_keeps_data_across_runs(tmp_path):
    with embedded_postgres(tmp_path) as target:
        assert target.dbname == EMBEDDED_DATABASE
        assert _query(target, "select current_setting('server_version_num')::int / 10000") == [
            (16,)
        ]
        _query(target, "create table kept (value text)")
        _query(target, "insert into kept values ('still here')")
        socket_dir = target.host

    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", connect_timeout=2)

    with embedded_postgres(tmp_path) as target:
        assert _query(target, "select value from kept") == [("still here",)]


def test_embedded_postgres_starts_with_our_settings_from_its_first_run(tmp_path):
    # A new data directory: the first start must already serve with minimal WAL, which a
    # postmaster setting only takes after a restart.
    with embedded_postgres(tmp_path) as target:
        rows = _query(
            target,
            "select name, setting, pending_restart from pg_settings"
            " where name in ('wal_level', 'max_wal_senders')",
        )
    assert {name: (setting, pending) for name, setting, pending in rows} == {
        name: (value, False) for name, value in EMBEDDED_SERVER_SETTINGS.items()
    }
    assert EMBEDDED_SERVER_SETTINGS["wal_level"] == "minimal"


def test_embedded_redis_serves_and_stops(tmp_path):
    with embedded_redis(tmp_path) as url:
        client = redis_client(url)
        client.set("greeting", "привет")
        assert client.get("greeting") == "привет"
        client.close()

    stopped = redis_client(url)
    with pytest.raises(redis.ConnectionError):
        stopped.ping()

    with embedded_redis(tmp_path) as url:
        client = redis_client(url)
        assert client.get("greeting") == "привет"  # the dump was saved at shutdown
        client.close()
