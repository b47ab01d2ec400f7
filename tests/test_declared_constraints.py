"""The constraints the models' YAML declares are the tables' own (macros/declared_constraints.sql):
present after a build, checked inside the model's transaction, and a violation fails the model
with PostgreSQL's message while the table of the build before stays as it was."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import yaml

from runner.connections import connect
from runner.dbt import DBT_PROJECT_DIR
from runner.errors import JobFailed
from runner.synthetic.generate import GenerationPlan, generate_data
from tests.support import build_pipeline, fresh_database

AS_OF = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
PLAN = GenerationPlan(companies=2, clients_per_company=60, years=2, seed=5, as_of=AS_OF)


def _declared_constraints() -> dict[str, dict]:
    """Per model: its not_null columns, check names and unique keys, as its YAML declares."""
    declared = {}
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models") or []:
            model_constraints = model.get("constraints") or []
            columns = model.get("columns") or []
            column_constraints = [
                (column["name"], constraint)
                for column in columns
                for constraint in column.get("constraints") or []
            ]
            if not (model_constraints or column_constraints):
                continue
            declared[model["name"]] = {
                "not_null": {name for name, c in column_constraints if c["type"] == "not_null"},
                "checks": {
                    c["name"]
                    for c in model_constraints + [c for _, c in column_constraints]
                    if c["type"] == "check"
                },
                "uniques": [
                    sorted(c["columns"]) for c in model_constraints if c["type"] == "unique"
                ]
                + [[name] for name, c in column_constraints if c["type"] == "unique"],
            }
    return declared


@pytest.fixture(scope="module", params=["seed", "production"])
def built(services, request):
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, replace(PLAN, layout=request.param))
        build_pipeline(database, as_of=AS_OF.isoformat())
        yield database, conn


def test_every_declared_constraint_is_on_its_table(built):
    _, conn = built
    declared = _declared_constraints()
    assert {"client_intervals", "reactivation_candidates", "stg_yclients__cache_records"} <= set(
        declared
    )
    for model, wanted in declared.items():
        relation = f"analytics.{model}"
        not_null = {
            name
            for (name,) in conn.execute(
                "select attname from pg_attribute where attrelid = %s::regclass"
                " and attnum > 0 and not attisdropped and attnotnull",
                (relation,),
            )
        }
        checks = {
            name
            for (name,) in conn.execute(
                "select conname from pg_constraint where conrelid = %s::regclass and contype = 'c'",
                (relation,),
            )
        }
        unique_keys = [
            sorted(columns)
            for (columns,) in conn.execute(
                "select array(select attname::text from pg_attribute"
                " where attrelid = indexes.indrelid and attnum = any(indexes.indkey))"
                " from pg_index as indexes where indrelid = %s::regclass and indisunique",
                (relation,),
            )
        ]
        assert not_null == wanted["not_null"], model
        if model not in ("reactivation_candidates", "salons"):
            # Under an enforced contract dbt names the checks itself.
            assert checks == wanted["checks"], model
        else:
            assert len(checks) == len(wanted["checks"]), model
        for key in wanted["uniques"]:
            assert key in unique_keys, (model, key)
        # One unique index per key: a configured index is not doubled by a constraint.
        assert len(unique_keys) == len({tuple(key) for key in unique_keys}), model


def test_a_second_build_only_looks_its_constraints_up(built):
    """An incremental table keeps its constraints; re-declaring them each night takes no lock."""
    database, conn = built
    before = conn.execute(
        "select oid, conname from pg_constraint"
        " where conrelid = 'analytics.stg_yclients__cache_records'::regclass order by oid"
    ).fetchall()

    build_pipeline(database, as_of=AS_OF.isoformat())

    after = conn.execute(
        "select oid, conname from pg_constraint"
        " where conrelid = 'analytics.stg_yclients__cache_records'::regclass order by oid"
    ).fetchall()
    assert after == before
    assert ("quarantine_reason_known",) in {(name,) for _, name in after}


def _fingerprint(conn, relation: str) -> str:
    return conn.execute(
        f"select md5(string_agg(t::text, '|' order by t::text)) from {relation} t"
    ).fetchone()[0]


@pytest.fixture
def production_world(services):
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, replace(PLAN, layout="production"))
        build_pipeline(database, as_of=AS_OF.isoformat())
        yield database, conn


def test_a_violation_in_a_rebuilt_table_fails_it_and_keeps_the_table_before(production_world):
    """A fault upstream (a client's service gaps stored twice) would give a client two
    intervals: the rebuilt mart fails on its unique key, and the intervals of the build before
    stay for the runner, not a table with the duplicate in it."""
    database, conn = production_world
    conn.execute(
        "insert into analytics.int_client_service_gaps_measured"
        " select * from analytics.int_client_service_gaps_measured as gaps"
        " where exists (select from analytics.client_intervals as intervals"
        "   where intervals.company_id = gaps.company_id and intervals.client_id = gaps.client_id"
        "     and intervals.last_service_id = gaps.service_id)"
        " limit 1"
    )
    before = _fingerprint(conn, "analytics.client_intervals")

    with pytest.raises(JobFailed) as failed:
        build_pipeline(database, as_of=AS_OF.isoformat())

    assert "model.reactivation.client_intervals" in str(failed.value)
    assert "Key (company_id, client_id)=" in str(failed.value)
    assert "is duplicated" in str(failed.value)
    assert _fingerprint(conn, "analytics.client_intervals") == before


@pytest.mark.parametrize(
    ("relation", "tamper", "message", "repair", "constraint_present"),
    [
        (
            "analytics.int_clients_last_visited",
            [
                "alter table analytics.int_clients_last_visited"
                " drop constraint visit_count_positive",
                "update analytics.int_clients_last_visited set visit_count = 0"
                " where (company_id, client_id) in"
                " (select company_id, client_id from analytics.int_clients_last_visited limit 1)",
            ],
            'check constraint "visit_count_positive" of relation "int_clients_last_visited"'
            " is violated by some row",
            "update analytics.int_clients_last_visited set visit_count = 1 where visit_count = 0",
            "select count(*) from pg_constraint where conname = 'visit_count_positive'"
            " and conrelid = 'analytics.int_clients_last_visited'::regclass",
        ),
        (
            "analytics.stg_yclients__cache_records",
            [
                "alter table analytics.stg_yclients__cache_records"
                " alter column record_key drop not null",
                "update analytics.stg_yclients__cache_records set record_key = null"
                " where ctid = (select ctid from analytics.stg_yclients__cache_records limit 1)",
            ],
            'column "record_key" of relation "stg_yclients__cache_records" contains null values',
            "delete from analytics.stg_yclients__cache_records where record_key is null",
            "select count(*) from pg_attribute where attname = 'record_key' and attnotnull"
            " and attrelid = 'analytics.stg_yclients__cache_records'::regclass",
        ),
    ],
    ids=["check", "not_null"],
)
def test_an_incremental_table_that_lost_a_constraint_gets_it_back_or_fails_naming_it(
    production_world, relation, tamper, message, repair, constraint_present
):
    """A constraint missing from an incremental table (dropped by hand, or declared since the
    table was built) is added by the next build; rows that break it fail the model with
    PostgreSQL's message, and nothing of that build's write to the table stays."""
    database, conn = production_world
    for statement in tamper:
        conn.execute(statement)
    before = _fingerprint(conn, relation)

    with pytest.raises(JobFailed) as failed:
        build_pipeline(database, as_of=AS_OF.isoformat())

    assert message in str(failed.value)
    assert _fingerprint(conn, relation) == before
    assert conn.execute(constraint_present).fetchone()[0] == 0

    conn.execute(repair)
    build_pipeline(database, as_of=AS_OF.isoformat())

    assert conn.execute(constraint_present).fetchone()[0] == 1
