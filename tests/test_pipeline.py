"""The dbt pipeline end to end on generated data, in both layouts of the bot's tables (the
migration file's and production's): staging, visits, intervals, candidates."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from runner.connections import connect
from runner.dbt import DBT_PROJECT_DIR, DBT_TARGET_DIR, RUN_RESULTS_PATH, run_dbt
from runner.synthetic.generate import GenerationPlan, generate_data
from tests.support import build_pipeline, fresh_database

AS_OF = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
PLAN = GenerationPlan(companies=4, clients_per_company=150, years=2, seed=11, as_of=AS_OF)

# Every well-formed record element in the cache, with the row it came from.
CACHE_ELEMENTS = """
select c.company_id, c.cache_key, c.cached_at, e.element
from public.appointments_cache c
cross join lateral jsonb_array_elements(
    case jsonb_typeof(c.appointments)
        when 'array' then c.appointments
        when 'object' then coalesce(c.appointments -> 'data', jsonb_build_array(c.appointments))
        else '[]' end) as e(element)
where jsonb_typeof(e.element) = 'object' and e.element ->> 'id' ~ '^[0-9]+$'
    and pg_input_is_valid(e.element ->> 'datetime', 'timestamptz')
    and jsonb_typeof(e.element -> 'services') = 'array'
    and jsonb_typeof(e.element -> 'client') in ('object', 'null')
"""

TRUE_VISIT_DAYS = """
select v.company_id, v.yclients_client_id, (v.visited_at at time zone c.timezone)::date
from synthetic.visits v join analytics.stg_yclients__companies c using (company_id)
"""

BUILT_VISIT_DAYS = """
select company_id, client_id, visit_date
from analytics.int_visits_deduplicated where visit_date is not null
"""


def _rows(conn, statement, params=None):
    return conn.execute(statement, params).fetchall()


def _one(conn, statement, params=None):
    return conn.execute(statement, params).fetchone()[0]


@pytest.fixture(scope="module", params=["seed", "production"])
def built(services, request):
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, replace(PLAN, layout=request.param))
        outcome = build_pipeline(database, as_of=AS_OF.isoformat())
        yield database, conn, outcome


def _seed_layout_only(conn):
    if _one(conn, "select to_regclass('public.appointments_cache') is not null") and not _one(
        conn,
        "select exists (select from information_schema.columns"
        " where table_name = 'appointments_cache' and column_name = 'cache_key')",
    ):
        pytest.skip("the production cache holds one row per record: no copies to choose from")


def test_dbt_unit_tests_of_the_boundary_logic_pass(built):
    database, conn, _ = built
    _seed_layout_only(conn)  # the unit tests mock every input: once is enough

    outcome = run_dbt(database, "test", ["--select", "test_type:unit"])

    assert outcome.failures == []
    assert outcome.succeeded
    assert outcome.counts.get("pass", 0) >= 11


def test_dbt_docs_generate_describes_every_model(built):
    database, conn, _ = built
    _seed_layout_only(conn)

    outcome = run_dbt(database, "docs generate")

    assert outcome.succeeded, outcome.error
    catalog = json.loads((DBT_PROJECT_DIR / "target" / "catalog.json").read_text())
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert models
    assert [m["name"] for m in models if not m["description"].strip()] == []
    assert "model.reactivation.reactivation_candidates" in catalog["nodes"]


def test_the_marts_carry_their_yaml_descriptions_as_comments(built):
    # Analysts reading the marts in psql see what the YAML says each table and column is
    # (macros/column_comments.sql puts the column descriptions on; dbt the table's).
    _, conn, _ = built
    marts = yaml.safe_load((DBT_PROJECT_DIR / "models/marts/_marts__models.yml").read_text())
    expected, found = {}, {}
    for model in marts["models"]:
        table = f"analytics.{model['name']}"
        expected[(model["name"], None)] = " ".join(model["description"].split())
        found[(model["name"], None)] = _one(conn, "select obj_description(%s::regclass)", (table,))
        for column in model.get("columns", []):
            if column.get("description"):
                key = (model["name"], column["name"])
                expected[key] = " ".join(column["description"].split())
                found[key] = _one(
                    conn,
                    "select col_description(attrelid, attnum) from pg_attribute"
                    " where attrelid = %s::regclass and attname = %s",
                    (table, column["name"]),
                )
    assert len(expected) > len(marts["models"])  # columns are documented too
    assert {key: " ".join((text or "").split()) for key, text in found.items()} == expected


def test_build_succeeds_and_warns_about_quarantined_records(built):
    _, conn, outcome = built
    planted = _one(conn, "select count(*) from synthetic.malformed_records")

    assert outcome.succeeded
    # A full build stages everything at once: the warning counts every planted defect.
    assert any(
        "assert_no_quarantined_records" in warning and f"Got {planted} results" in warning
        for warning in outcome.warnings
    )
    assert _one(conn, "select count(*) from analytics.stg_yclients__quarantined_records") == planted
    reasons = {
        r
        for (r,) in _rows(
            conn,
            "select distinct quarantine_reason from analytics.stg_yclients__quarantined_records",
        )
    }
    planted_kinds = {
        d for (d,) in _rows(conn, "select distinct defect from synthetic.malformed_records")
    }
    assert reasons == planted_kinds


def test_each_record_is_staged_once_in_its_newest_version(built):
    _, conn, _ = built
    _seed_layout_only(conn)
    distinct_records = _one(
        conn, f"select count(distinct (company_id, element ->> 'id')) from ({CACHE_ELEMENTS}) x"
    )
    assert _one(conn, "select count(*) from analytics.stg_yclients__records") == distinct_records

    newest = f"""
        select distinct on (company_id, element ->> 'id')
            company_id, (element ->> 'id')::bigint as record_id,
            coalesce(element ->> 'attendance', element ->> 'visit_attendance')::int as attendance,
            coalesce((element ->> 'deleted')::boolean, false) as is_deleted
        from ({CACHE_ELEMENTS}) x
        order by company_id, element ->> 'id', cached_at desc,
            (element ->> 'last_change_date')::timestamptz desc
    """
    mismatched = _one(
        conn,
        f"""
        select count(*) from ({newest}) n
        join analytics.stg_yclients__records s using (company_id, record_id)
        where (s.attendance, s.is_deleted) is distinct from (n.attendance, n.is_deleted)
    """,
    )
    disagreeing_copies = _one(
        conn,
        f"""
        select count(*) from (
            select 1 from ({CACHE_ELEMENTS}) x group by company_id, element ->> 'id'
            having count(distinct element ->> 'attendance') > 1) d
    """,
    )
    assert disagreeing_copies > 0  # the data really has stale copies to choose between
    assert mismatched == 0


def test_phones_and_offsets_are_typed(built):
    _, conn, _ = built
    bad_phones = _one(
        conn,
        "select count(*) from analytics.stg_yclients__records where client_phone !~ '^7[0-9]{10}$'",
    )
    assert bad_phones == 0
    wrong_clock = _one(
        conn,
        """
        select count(*) from analytics.stg_yclients__records r
        join analytics.stg_yclients__companies c using (company_id)
        where (r.starts_at at time zone c.timezone)::date <> r.start_date
    """,
    )
    assert wrong_clock == 0


def test_visits_match_the_ground_truth_exactly(built):
    _, conn, _ = built
    truth = set(_rows(conn, TRUE_VISIT_DAYS))
    built_days = set(_rows(conn, BUILT_VISIT_DAYS))

    assert len(truth) > 1000
    assert built_days == truth
    from_bookings = _one(
        conn, "select count(*) from analytics.int_visits_deduplicated where has_bot_booking"
    )
    assert from_bookings > 0


def test_every_client_with_a_visit_gets_exactly_one_interval(built):
    _, conn, _ = built
    with_visits = _one(
        conn,
        """
        select count(distinct (v.company_id, v.client_id))
        from analytics.int_visits_deduplicated v
        join analytics.stg_yclients__clients c using (company_id, client_id)
        where v.visit_date is not null
    """,
    )
    tiers = dict(
        _rows(conn, "select interval_tier, count(*) from analytics.client_intervals group by 1")
    )

    assert sum(tiers.values()) == with_visits
    assert {"personal", "service"} <= set(tiers)
    assert (
        _one(
            conn,
            "select count(*) from analytics.client_intervals"
            " where interval_days is null or interval_days <= 0",
        )
        == 0
    )


def test_personal_intervals_are_close_to_the_true_rhythm(built):
    _, conn, _ = built
    share_within_5, median_error = _rows(
        conn,
        """
        select avg((abs(i.interval_days - r.true_interval_days) <= 5)::int),
            percentile_cont(0.5) within group (order by abs(i.interval_days - r.true_interval_days))
        from analytics.client_intervals i
        join synthetic.client_rhythms r
            on r.company_id = i.company_id and r.yclients_client_id = i.client_id
        where i.interval_tier = 'personal' and i.last_service_id = r.favourite_yclients_service_id
    """,
    )[0]

    assert share_within_5 >= 0.8
    assert median_error <= 3


def test_candidates_respect_every_guard(built):
    _, conn, _ = built
    assert _one(conn, "select count(*) from analytics.reactivation_candidates") > 20
    violations = _one(
        conn,
        """
        select count(*) from analytics.reactivation_candidates k
        join synthetic.client_rhythms t
            on t.company_id = k.company_id and t.yclients_client_id = k.client_id
        join analytics.stg_yclients__clients c
            on c.company_id = k.company_id and c.client_id = k.client_id
        where c.is_deleted or c.is_blacklisted
            or k.days_since_last_visit < k.interval_days
            or k.days_since_last_visit > 365
            or exists (select from analytics.stg_yclients__bookings b
                       where b.company_id = k.company_id
                         and (b.client_id = k.client_id or b.phone = k.phone)
                         and b.status in ('pending', 'confirmed', 'active') and b.starts_at > %s)
            or exists (select from analytics.stg_yclients__records r
                       where r.company_id = k.company_id
                         and r.client_id = k.client_id
                         and r.starts_at > %s and not r.is_deleted and r.attendance in (0, 2))
    """,
        (AS_OF, AS_OF),
    )
    assert violations == 0
    arms = dict(
        _rows(conn, "select arm, count(*) from analytics.reactivation_candidates group by 1")
    )
    assert set(arms) == {"holdout", "control", "waterfall_template", "waterfall_ai"}
    reasons = _rows(conn, "select reason from analytics.reactivation_candidates limit 5")
    assert all(reason.startswith("последний визит ") for (reason,) in reasons)


def test_a_second_build_without_new_data_changes_nothing(built):
    database, conn, _ = built
    # One labelled query per relation: a UNION ALL of them returns its rows in no set order
    # under a parallel plan, which once made this test compare the same hashes shuffled.
    relations = {
        "staged records": "select company_id, record_key, staged_at"
        " from analytics.stg_yclients__cache_records",
        "visits": "select company_id, client_id, visit_date, processed_at"
        " from analytics.int_visits_deduplicated",
        "intervals": "select * from analytics.client_intervals",
        "candidates": "select * from analytics.reactivation_candidates",
    }

    def fingerprint():
        return {
            name: _rows(
                conn, f"select md5(string_agg(t::text, '|' order by t::text)) from ({sql}) t"
            )
            for name, sql in relations.items()
        }

    before = fingerprint()

    build_pipeline(database, as_of=AS_OF.isoformat())

    assert fingerprint() == before


def test_a_new_as_of_dates_the_build_without_parsing_the_project_again(services, monkeypatch):
    """The runner pins "now" through REACTIVATION_AS_OF; each night's value is new, and an
    environment variable read at parse time would make dbt parse its users again each time."""
    tiny = replace(PLAN, companies=1, clients_per_company=20, layout="production")
    log_file = DBT_PROJECT_DIR / "logs" / "dbt.log"
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, tiny)
        monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
        logged_before = log_file.stat().st_size if log_file.exists() else 0
        build_pipeline(database, as_of=AS_OF.isoformat())
        # dbt's file log is off by default (it costs every build); the operator's setting
        # turns it on, and it says what dbt parsed.
        assert (log_file.stat().st_size if log_file.exists() else 0) == logged_before
        monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
        later = AS_OF + timedelta(days=3)

        build_pipeline(database, as_of=later.isoformat())

        # dbt rotates its log as it grows: the last invocation may begin in the previous file.
        logs = [DBT_PROJECT_DIR / "logs" / name for name in ("dbt.log.1", "dbt.log")]
        log = "".join(path.read_text(encoding="utf-8") for path in logs if path.exists())
        last_invocation = log[log.rindex("Running with dbt") :]
        assert "Partial parsing: updated file" not in last_invocation
        assert "Unable to do partial parsing" not in last_invocation
        assert _one(conn, "select max(built_at) from analytics.salons") == later


def test_a_build_records_its_run_results_but_leaves_dbt_manifest_alone(services):
    """dbt's manifest is 1.4 MB written twice a build for nothing the runner reads; the run
    results are the operator's record of each node's outcome and time."""
    tiny = replace(PLAN, companies=1, clients_per_company=20, layout="production")
    manifest = DBT_TARGET_DIR / "manifest.json"
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, tiny)
        manifest.unlink(missing_ok=True)
        RUN_RESULTS_PATH.unlink(missing_ok=True)

        outcome = build_pipeline(database, as_of=AS_OF.isoformat())

    assert not manifest.exists()
    recorded = json.loads(RUN_RESULTS_PATH.read_text())["results"]
    assert len(recorded) == sum(outcome.counts.values())
    assert {
        "model.reactivation.reactivation_candidates",
        "test.reactivation.assert_no_quarantined_records",
    } <= {result["unique_id"] for result in recorded}


def test_an_operation_reports_its_outcome_like_a_build(database):
    """run-operation's results name their node differently from a build's."""
    ran = run_dbt(database, "run-operation", ["create_statistics_functions"])
    failed = run_dbt(database, "run-operation", ["no_such_macro"])

    assert ran.succeeded
    assert ran.counts == {"success": 1}
    assert not failed.succeeded
    assert "no_such_macro" in (failed.error or "") + " ".join(failed.failures)


def test_every_visited_client_has_a_stable_arm_from_company_client_and_salt(built):
    _, conn, _ = built
    arms = dict(
        _rows(
            conn, "select (company_id, client_id)::text, arm from analytics.experiment_assignments"
        )
    )
    expected = dict(
        _rows(
            conn,
            """
        select (v.company_id, v.client_id)::text, a.arm
        from analytics.int_clients_last_visited v
        cross join lateral (
            select ('x' || substr(md5(v.company_id || ':' || v.client_id || ':reactivation-2026'),
                                  1, 8))::bit(32)::bigint / 4294967296.0 as bucket) h
        join (select arm, sum(weight) over (order by arm) - weight as lo,
                     sum(weight) over (order by arm) as hi
              from analytics.experiment_arms) a on h.bucket >= a.lo and h.bucket < a.hi
    """,
        )
    )
    assert arms == expected
    assert len(arms) == _one(conn, "select count(*) from analytics.int_clients_last_visited")
    mismatched = _one(
        conn,
        """
        select count(*) from analytics.reactivation_candidates k
        join analytics.experiment_assignments a using (company_id, client_id)
        where (k.arm, k.message_kind) is distinct from (a.arm, a.message_kind)
        """,
    )
    assert mismatched == 0


# Upper 5 % and 0.1 % points of the chi-square distribution (any statistics table).
CHI_SQUARE_TABLE = [
    (1, 3.841459, 0.05),
    (2, 5.991465, 0.05),
    (3, 7.814728, 0.05),
    (4, 9.487729, 0.05),
    (5, 11.070498, 0.05),
    (6, 12.591587, 0.05),
    (3, 16.266236, 0.001),
    (2, 13.815511, 0.001),
]


def test_the_sample_ratio_functions_chi_square_tail_matches_the_table(built):
    _, conn, _ = built
    for df, x, tail in CHI_SQUARE_TABLE:
        value = _one(conn, "select analytics.chi_square_upper_tail(%s, %s)", (x, df))
        assert value == pytest.approx(tail, rel=1e-5), (df, x)
    assert _one(conn, "select analytics.chi_square_upper_tail(0, 3)") == 1.0
