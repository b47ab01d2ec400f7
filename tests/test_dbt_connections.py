"""dbt keeps one PostgreSQL session per thread for a build, reset between nodes."""

from datetime import UTC, datetime

import psycopg2
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from runner.connections import connect
from runner.dbt_connections import reset_session
from runner.synthetic.generate import GenerationPlan, generate_data
from tests.support import build_pipeline, fresh_database

AS_OF = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
TINY = GenerationPlan(
    companies=1, clients_per_company=20, years=1, seed=3, as_of=AS_OF, layout="production"
)

SESSIONS = "select sessions from pg_stat_database where datname = current_database()"


def _sessions(conn) -> int:
    conn.execute("select pg_stat_clear_snapshot()")
    return conn.execute(SESSIONS).fetchone()[0]


def test_a_build_opens_a_session_per_thread_not_one_per_node(services):
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, TINY)
        before = _sessions(conn)

        outcome = build_pipeline(database, as_of=AS_OF.isoformat())

        opened = _sessions(conn) - before
    assert sum(outcome.counts.values()) > 60
    # The runner's migration session, dbt's main thread and its two worker threads.
    assert opened <= 5, f"{opened} sessions for one build"


def test_a_session_kept_for_the_next_node_is_reset_as_a_new_one_would_be(database):
    handle = psycopg2.connect(
        host=database.host,
        port=database.port,
        user=database.user,
        password=database.password,
        dbname=database.dbname,
    )
    try:
        with handle.cursor() as cursor:
            cursor.execute("show work_mem")
            (default_work_mem,) = cursor.fetchone()
            # What a node could leave behind: a setting, a temp table, an open transaction.
            cursor.execute("set work_mem = '77MB'")
            cursor.execute("create temp table left_behind (id integer)")
            cursor.execute("insert into left_behind values (1)")

        reset_session(handle)

        assert handle.get_transaction_status() == TRANSACTION_STATUS_IDLE
        with handle.cursor() as cursor:
            cursor.execute("show work_mem")
            assert cursor.fetchone() == (default_work_mem,)
            cursor.execute("select to_regclass('pg_temp.left_behind')")
            assert cursor.fetchone() == (None,)
    finally:
        handle.close()
