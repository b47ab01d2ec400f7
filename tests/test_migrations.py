"""`db migrate`: versioned, recorded, idempotent, and safe when two processes race."""

import threading

import pytest

from runner.connections import connect
from runner.errors import JobFailed
from runner.migrations import available_migrations, migrate

RUNNER_TABLES = {"campaign_runs", "client_reactivation_history", "opt_outs", "schema_migrations"}


def _tables(conn):
    rows = conn.execute(
        "select table_name from information_schema.tables where table_schema = 'reactivation'"
    ).fetchall()
    return {name for (name,) in rows}


def test_migrate_creates_the_runner_schema_and_records_versions(conn):
    applied = migrate(conn)

    assert [m.version for m in applied] == [m.version for m in available_migrations()]
    assert _tables(conn) >= RUNNER_TABLES
    recorded = conn.execute("select version from reactivation.schema_migrations").fetchall()
    assert sorted(v for (v,) in recorded) == [m.version for m in available_migrations()]


def test_migrate_twice_applies_nothing_the_second_time(conn):
    migrate(conn)
    conn.execute("insert into reactivation.opt_outs (company_id, phone) values (1, '79000000001')")

    assert migrate(conn) == []
    assert conn.execute("select count(*) from reactivation.opt_outs").fetchone() == (1,)


def test_concurrent_migrations_apply_each_file_once(database):
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def migrate_in_own_connection():
        with connect(database) as own:
            barrier.wait()
            try:
                outcomes.append(len(migrate(own)))
            except Exception as error:  # recorded, asserted below
                outcomes.append(error)

    workers = [threading.Thread(target=migrate_in_own_connection) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    assert sorted(outcomes) == [0, 0, 0, len(available_migrations())]
    with connect(database) as check:
        counts = check.execute(
            "select count(*), count(distinct version) from reactivation.schema_migrations"
        ).fetchone()
    assert counts == (len(available_migrations()),) * 2


def test_an_applied_migration_that_was_edited_is_refused(conn):
    migrate(conn)
    conn.execute("update reactivation.schema_migrations set checksum = 'edited' where version = 1")

    with pytest.raises(JobFailed, match="changed after it was applied"):
        migrate(conn)
