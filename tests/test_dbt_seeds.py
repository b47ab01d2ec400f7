"""The seeds load when their files change, not on every build; their tests run with them."""

import json
import threading
from datetime import UTC, datetime

import pytest

from runner.connections import connect
from runner.dbt import RUN_RESULTS_PATH
from runner.dbt_seeds import record_loaded_seeds, seed_fingerprint, seed_names
from runner.errors import JobFailed
from runner.migrations import migrate
from runner.synthetic.generate import GenerationPlan, generate_data
from runner.workflows import build_on
from tests.support import build_pipeline

AS_OF = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
TINY = GenerationPlan(companies=1, clients_per_company=20, years=1, seed=3, as_of=AS_OF)
SEEDS = {f"seed.reactivation.{name}" for name in seed_names()}


def _built() -> set[str]:
    """The unique ids of the last build's nodes."""
    return {result["unique_id"] for result in json.loads(RUN_RESULTS_PATH.read_text())["results"]}


def _is_seed_test(unique_id: str) -> bool:
    return unique_id.startswith("test.") and any(
        f"_{name}_" in unique_id and "relationships" not in unique_id for name in seed_names()
    )


def test_a_second_build_leaves_unchanged_seeds_and_only_their_tests_out(database):
    with connect(database, autocommit=True) as conn:
        generate_data(conn, TINY)

        build_pipeline(database, as_of=AS_OF.isoformat())
        first = _built()
        build_pipeline(database, as_of=AS_OF.isoformat())
        second = _built()
        arms = conn.execute("select count(*) from analytics.experiment_arms").fetchone()

    assert first >= SEEDS
    seed_tests = {unique_id for unique_id in first if _is_seed_test(unique_id)}
    assert len(seed_tests) >= 10
    assert second == first - SEEDS - seed_tests
    # A model's arm must still be a seeded arm: the tests that join a model to a seed run.
    assert any(
        "relationships" in unique_id and "experiment_arms" in unique_id for unique_id in second
    )
    assert arms[0] > 0


@pytest.mark.parametrize(
    "change",
    [
        # An edited seed file, macro or project file: another fingerprint.
        "update reactivation.loaded_seeds set fingerprint = 'an earlier version of the files'",
        # Someone dropped a seed's table.
        "drop table analytics.industry_intervals cascade",
    ],
)
def test_seeds_load_again_when_their_files_or_tables_changed(database, change):
    with connect(database, autocommit=True) as conn:
        generate_data(conn, TINY)
        build_pipeline(database, as_of=AS_OF.isoformat())
        conn.execute(change)

        build_pipeline(database, as_of=AS_OF.isoformat())
        recorded = conn.execute("select fingerprint from reactivation.loaded_seeds").fetchall()

    assert _built() >= SEEDS
    assert recorded == [(seed_fingerprint(),)]


def test_a_failed_build_records_no_seeds_and_operator_arguments_load_them(database):
    with connect(database, autocommit=True) as conn:
        generate_data(conn, TINY)
        conn.execute("alter table public.companies rename to companies_elsewhere")
        with pytest.raises(JobFailed):
            build_pipeline(database, as_of=AS_OF.isoformat())
        # The seeds loaded, but the build failed: the next build loads them again.
        assert conn.execute("select count(*) from reactivation.loaded_seeds").fetchone() == (0,)
        conn.execute("alter table public.companies_elsewhere rename to companies")
        build_pipeline(database, as_of=AS_OF.isoformat())

        # The operator's own dbt arguments get dbt's own behaviour: the seeds load.
        build_on(database, ["--exclude", "ab_conversion_breakdown"], as_of=AS_OF.isoformat())

    assert _built() >= SEEDS


def test_two_builds_recording_the_same_seeds_at_once_both_succeed(database):
    errors: list[Exception] = []

    def record_in_second_session():
        try:
            with connect(database, autocommit=True) as second:
                record_loaded_seeds(second, "the same files")
        except Exception as error:  # the test reports it
            errors.append(error)

    with connect(database, autocommit=True) as conn:
        migrate(conn)
        record_loaded_seeds(conn, "files of an earlier version")
        conn.autocommit = False
        with conn.transaction():
            record_loaded_seeds(conn, "the same files")
            second = threading.Thread(target=record_in_second_session)
            second.start()
            second.join(timeout=0.5)  # waits on the first build's uncommitted row
            assert second.is_alive()
        second.join(timeout=10)
        recorded = conn.execute("select fingerprint from reactivation.loaded_seeds").fetchall()

    assert not second.is_alive()
    assert errors == []
    assert recorded == [("the same files",)]
