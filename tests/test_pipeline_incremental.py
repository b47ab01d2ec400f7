"""The nightly life of the pipeline: expired cache rows, re-fetched records, new days,
opt-outs and the cooldown, and the bot's one-row-per-record cache layout."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from runner.connections import connect
from runner.dbt import DBT_PROJECT_DIR, run_dbt
from runner.synthetic.generate import GenerationPlan, generate_data
from runner.workflows import build_on
from tests.support import build_pipeline, fresh_database

AS_OF = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
NEXT_DAY = AS_OF + timedelta(days=1)
SMALL = GenerationPlan(companies=2, clients_per_company=80, years=1, seed=5, as_of=AS_OF)

STAGED_RECORD_JSON = """
select e.element
from public.appointments_cache c
cross join lateral jsonb_array_elements(
    case jsonb_typeof(c.appointments) when 'array' then c.appointments
        when 'object' then coalesce(c.appointments -> 'data', jsonb_build_array(c.appointments))
        else '[]' end) as e(element)
where c.company_id = %s and e.element ->> 'id' = %s::text
order by c.cached_at desc
limit 1
"""


def _one(conn, statement, params=None):
    return conn.execute(statement, params).fetchone()[0]


@pytest.fixture
def small_built(services):
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, SMALL)
        build_pipeline(database, as_of=AS_OF.isoformat())
        yield database, conn


def _refetch(conn, company_id, record_id, cached_at, **changes) -> dict:
    """The bot re-fetches a record into a new cache row, with some fields changed."""
    record = _one(conn, STAGED_RECORD_JSON, (company_id, record_id))
    record.update(changes)
    conn.execute(
        "insert into public.appointments_cache (company_id, cache_key, appointments, cached_at,"
        " expires_at) values (%s, %s, %s, %s, %s)",
        (
            company_id,
            f"refetch_{record_id}",
            json.dumps([record], ensure_ascii=False),
            cached_at,
            cached_at + timedelta(days=3),
        ),
    )
    return record


def test_history_survives_expiry_and_changed_records_are_updated(small_built):
    database, conn = small_built
    visits_before = _one(
        conn, "select count(*) from analytics.int_visits_deduplicated where visit_date is not null"
    )
    records_before = _one(conn, "select count(*) from analytics.stg_yclients__records")
    # Given: a client's attended visit, cancelled after the fact...
    company_id, cancelled_id, cancelled_client, cancelled_day = conn.execute("""
        select company_id, record_id, client_id, start_date from analytics.stg_yclients__records
        where attendance = 1 and not is_deleted and client_id is not null
        order by record_id limit 1
    """).fetchone()
    # ...a past record still "waiting" that turns out to have been a visit...
    waiting = conn.execute(
        """
        select r.company_id, r.record_id, r.client_id, r.start_date
        from analytics.stg_yclients__records r
        where r.attendance = 0 and not r.is_deleted and r.client_id is not null
            and r.starts_at < %s
            and not exists (select from analytics.int_visits_deduplicated v
                where v.company_id = r.company_id and v.client_id = r.client_id
                and v.visit_date = r.start_date)
        order by r.record_id limit 1
    """,
        (AS_OF,),
    ).fetchone()
    # ...and the bot's cleanup deleting every expired cache row.
    deleted_rows = conn.execute(
        "delete from public.appointments_cache where expires_at < %s", (NEXT_DAY,)
    ).rowcount
    assert deleted_rows > 0
    _refetch(
        conn,
        company_id,
        cancelled_id,
        NEXT_DAY,
        deleted=True,
        attendance=0,
        last_change_date=NEXT_DAY.strftime("%Y-%m-%dT%H:%M:%S+0000"),
    )
    if waiting:
        _refetch(
            conn,
            waiting[0],
            waiting[1],
            NEXT_DAY,
            attendance=1,
            visit_attendance=1,
            last_change_date=NEXT_DAY.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        )

    # When: the next night's build.
    build_pipeline(database, as_of=NEXT_DAY.isoformat())

    # Then: nothing staged was lost or doubled, and the changes landed.
    assert _one(conn, "select count(*) from analytics.stg_yclients__records") == records_before
    assert (
        _one(
            conn,
            "select count(*) - count(distinct (company_id, record_key))"
            " from analytics.stg_yclients__cache_records",
        )
        == 0
    )
    assert _one(
        conn,
        "select is_deleted from analytics.stg_yclients__records"
        " where company_id = %s and record_id = %s",
        (company_id, cancelled_id),
    )
    cancelled_visit = _one(
        conn,
        """
        select count(*) from analytics.int_visits_deduplicated
        where company_id = %s and client_id = %s and visit_date = %s
    """,
        (company_id, cancelled_client, cancelled_day),
    )
    assert cancelled_visit == 0
    expected_visits = visits_before - 1 + (1 if waiting else 0)
    assert (
        _one(
            conn,
            "select count(*) from analytics.int_visits_deduplicated where visit_date is not null",
        )
        == expected_visits
    )
    assert (
        _one(
            conn,
            "select count(*) - count(distinct (company_id, client_id,"
            " visit_date)) from analytics.int_visits_deduplicated",
        )
        == 0
    )
    if waiting:
        assert (
            _one(
                conn,
                """
            select count(*) from analytics.int_visits_deduplicated
            where company_id = %s and client_id = %s and visit_date = %s
        """,
                (waiting[0], waiting[2], waiting[3]),
            )
            == 1
        )


def test_an_older_copy_read_again_never_overwrites_a_newer_one(small_built):
    database, conn = small_built
    company_id, record_id, cache_key, staged_cached_at = conn.execute("""
        select company_id, record_id, cache_key, source_cached_at
        from analytics.stg_yclients__records
        where attendance = 1 and not is_deleted order by source_cached_at desc limit 1
    """).fetchone()
    # Given: a stale copy (still "confirmed") in a row fetched an hour before the staged one,
    # and the row holding the newer copy already deleted by the bot's cleanup...
    _refetch(conn, company_id, record_id, staged_cached_at - timedelta(hours=1), attendance=2)
    conn.execute(
        "delete from public.appointments_cache where company_id = %s and cache_key = %s",
        (company_id, cache_key),
    )

    # When: a build whose lookback reads the stale row again.
    build_pipeline(database, as_of=AS_OF.isoformat(), cache_lookback_hours=72)

    # Then: the staged newer version stands.
    assert (
        _one(
            conn,
            "select attendance from analytics.stg_yclients__records"
            " where company_id = %s and record_id = %s",
            (company_id, record_id),
        )
        == 1
    )


def test_opt_outs_and_recent_contacts_leave_the_candidates(small_built):
    database, conn = small_built
    opted, contacted, held_out = (
        row[0]
        for row in conn.execute(
            "select client_id from analytics.reactivation_candidates order by priority limit 3"
        ).fetchall()
    )
    conn.execute(
        "insert into reactivation.opt_outs (company_id, phone, reason)"
        " select company_id, phone, 'не пишите' from analytics.reactivation_candidates"
        " where client_id = %s",
        (opted,),
    )
    for client_id, status, days_ago in ((contacted, "sent", 29), (held_out, "holdout", 3)):
        conn.execute(
            """
            insert into reactivation.client_reactivation_history
                (company_id, client_id, phone, arm, status, claimed_at, sent_at)
            select company_id, client_id, phone, arm, %s, %s, %s
            from analytics.reactivation_candidates where client_id = %s
        """,
            (
                status,
                AS_OF - timedelta(days=days_ago),
                AS_OF - timedelta(days=days_ago) if status == "sent" else None,
                client_id,
            ),
        )

    build_pipeline(database, as_of=AS_OF.isoformat())

    remaining = {
        c for (c,) in conn.execute("select client_id from analytics.reactivation_candidates")
    }
    assert not {opted, contacted, held_out} & remaining


def test_a_contact_older_than_the_cooldown_no_longer_blocks(small_built):
    database, conn = small_built
    client_id = _one(
        conn, "select client_id from analytics.reactivation_candidates order by priority limit 1"
    )
    conn.execute(
        """
        insert into reactivation.client_reactivation_history
            (company_id, client_id, phone, arm, status, claimed_at, sent_at)
        select company_id, client_id, phone, arm, 'sent', %s, %s
        from analytics.reactivation_candidates where client_id = %s
    """,
        (AS_OF - timedelta(days=30, minutes=1), AS_OF - timedelta(days=30, minutes=1), client_id),
    )

    build_pipeline(database, as_of=AS_OF.isoformat())

    assert (
        _one(
            conn,
            "select count(*) from analytics.reactivation_candidates where client_id = %s",
            (client_id,),
        )
        == 1
    )


def test_the_bots_one_row_per_record_layout_builds_the_same_records(services):
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, SMALL)
        build_pipeline(database, as_of=AS_OF.isoformat())
        expected = set(
            conn.execute(
                "select company_id, record_id, attendance, is_deleted, starts_at, client_phone"
                " from analytics.stg_yclients__records"
            ).fetchall()
        )
        # The live bot's layout: one row per record, the record in raw_data.
        conn.execute("""
            create table public.appointments_cache_by_record as
            select distinct on (r.company_id, r.record_id)
                r.record_id as yclients_record_id, r.company_id,
                e.element as raw_data, c.cached_at as updated_at
            from analytics.stg_yclients__records r
            join public.appointments_cache c
                on c.company_id = r.company_id and c.cache_key = r.cache_key
            cross join lateral jsonb_array_elements(
                case jsonb_typeof(c.appointments) when 'array' then c.appointments
                    when 'object' then coalesce(c.appointments -> 'data',
                                                jsonb_build_array(c.appointments))
                    else '[]' end) as e(element)
            where e.element ->> 'id' = r.record_id::text
            order by r.company_id, r.record_id, c.cached_at desc
        """)
        conn.execute("drop schema analytics cascade")
        conn.execute("alter table public.appointments_cache rename to appointments_cache_ttl")
        conn.execute("alter table public.appointments_cache_by_record rename to appointments_cache")

        # Recognised from its columns: no setting.
        build_pipeline(database, as_of=AS_OF.isoformat())

        actual = set(
            conn.execute(
                "select company_id, record_id, attendance, is_deleted, starts_at, client_phone"
                " from analytics.stg_yclients__records"
            ).fetchall()
        )
        assert actual == expected


LAST_ANALYZED = """
select coalesce(last_analyze, last_autoanalyze) from pg_stat_all_tables
where relid = 'analytics.stg_yclients__cache_records'::regclass
"""


def _models_no_model_reads(database) -> set[str]:
    # A build writes no manifest (runner/dbt.py); `dbt parse` does.
    assert run_dbt(database, "parse").succeeded
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    read = {parent for node in models for parent in node["depends_on"]["nodes"]}
    return {node["name"] for node in models if node["unique_id"] not in read}


def test_the_nightly_run_checks_and_samples_only_what_changed(small_built):
    database, conn = small_built
    # Every table a later model plans on has statistics; a mart no model reads is left to
    # autovacuum.
    never_analyzed = {
        name
        for (name,) in conn.execute("""
        select c.relname from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_stat_all_tables s on s.relid = c.oid
        where n.nspname = 'analytics' and c.relkind = 'r'
            and coalesce(s.last_analyze, s.last_autoanalyze) is null
    """)
    }
    leaf_models = _models_no_model_reads(database)
    assert never_analyzed <= leaf_models
    assert "client_intervals" not in leaf_models
    analyzed_at = _one(conn, LAST_ANALYZED)
    # Given: one record re-fetched with an attendance code YClients does not use.
    company_id, record_id = conn.execute(
        "select company_id, record_id from analytics.stg_yclients__records"
        " order by record_id limit 1"
    ).fetchone()
    _refetch(conn, company_id, record_id, NEXT_DAY, attendance=5)

    # When: the next night's build.
    outcome = build_pipeline(database, as_of=NEXT_DAY.isoformat())

    # Then: the tests of the newest batch saw it (and no malformed element in it: the full
    # build's quarantine is not counted again), and one changed row of thousands did not make
    # the build sample the staged table again.
    assert any("accepted_values_stg_yclients__records_attendance" in w for w in outcome.warnings)
    assert not any("assert_no_quarantined_records" in w for w in outcome.warnings)
    assert _one(conn, LAST_ANALYZED) == analyzed_at


def test_a_top_level_scalar_in_the_cache_is_quarantined_and_null_holds_nothing(small_built):
    database, conn = small_built
    company_id = _one(conn, "select min(company_id) from analytics.salons")
    for key, body in (
        ("scalar_string", '"record unavailable"'),
        ("scalar_number", "42"),
        ("scalar_boolean", "true"),
        ("scalar_null", "null"),
    ):
        conn.execute(
            "insert into public.appointments_cache (company_id, cache_key, appointments,"
            " cached_at, expires_at) values (%s, %s, %s::jsonb, %s, %s)",
            (company_id, key, body, NEXT_DAY, NEXT_DAY + timedelta(days=3)),
        )

    build_pipeline(database, as_of=NEXT_DAY.isoformat())

    quarantined = conn.execute(
        "select split_part(record_key, ':', 2), quarantine_reason, raw_record::text"
        " from analytics.stg_yclients__cache_records"
        " where record_key like 'quarantine:scalar_%%' order by 1"
    ).fetchall()
    assert quarantined == [
        ("scalar_boolean", "not_an_object", "true"),
        ("scalar_number", "not_an_object", "42"),
        ("scalar_string", "not_an_object", '"record unavailable"'),
    ]


def test_hostile_cache_json_is_quarantined_and_good_records_are_untouched(small_built):
    database, conn = small_built
    company_id, record_id = conn.execute(
        "select company_id, record_id from analytics.stg_yclients__records"
        " order by record_id limit 1"
    ).fetchone()
    good_before = conn.execute(
        "select count(*), sum(hashtext(record_id::text || attendance || is_deleted::text))"
        " from analytics.stg_yclients__records where record_id <> %s",
        (record_id,),
    ).fetchone()
    template = _one(conn, STAGED_RECORD_JSON, (company_id, record_id))
    deep = "[" * 5000 + "]" * 5000
    hostile = [
        dict(template, id=991_000_001, comment="x" * 1_000_000),  # a 1 MB string: staged
        dict(template, id=991_000_002, datetime="2026-02-30T10:00:00+03:00"),
        dict(template, id=991_000_003, services="Стрижка"),
        dict(template, id=991_000_004, client=["Иванова"]),
        dict(template, id=991_000_005, attendance="пришла"),
        dict(template, id=991_000_006, services="DEEP"),
    ]
    # Nesting 5,000 deep (written as text: Python's json stops at about 1,000 levels).
    day = json.dumps(hostile, ensure_ascii=False).replace('"DEEP"', deep)
    rows = [("hostile_day", day), ("hostile_deep", deep)]
    # The same record in two rows fetched at the same moment, with conflicting content.
    for key, attendance in (("dup_a", 1), ("dup_b", -1)):
        rows.append((key, json.dumps([dict(template, id=991_000_007, attendance=attendance)])))
    for key, body in rows:
        conn.execute(
            "insert into public.appointments_cache (company_id, cache_key, appointments,"
            " cached_at, expires_at) values (%s, %s, %s::jsonb, %s, %s)",
            (company_id, key, body, NEXT_DAY, NEXT_DAY + timedelta(days=3)),
        )

    outcome = build_pipeline(database, as_of=NEXT_DAY.isoformat())

    assert outcome.succeeded
    reasons = dict(
        conn.execute(
            "select coalesce(raw_record ->> 'id', split_part(record_key, ':', 2)),"
            " quarantine_reason from analytics.stg_yclients__quarantined_records"
            " where record_key like 'quarantine:hostile%%'"
        ).fetchall()
    )
    assert reasons == {
        "991000002": "invalid_datetime",
        "991000003": "services_not_array",
        "991000004": "client_not_object",
        "991000005": "invalid_attendance",
        "hostile_deep": "not_an_object",
    }
    staged = dict(
        conn.execute(
            "select record_id, attendance from analytics.stg_yclients__records"
            " where record_id in (991000001, 991000006, 991000007)"
        ).fetchall()
    )
    # One copy of the conflicting record wins, by the fixed tie-break (the later cache key).
    assert staged == {
        991000001: template["attendance"],
        991000006: template["attendance"],
        991000007: -1,
    }
    assert (
        conn.execute(
            "select count(*), sum(hashtext(record_id::text || attendance || is_deleted::text))"
            " from analytics.stg_yclients__records where record_id <> %s and record_id < 991000000",
            (record_id,),
        ).fetchone()
        == good_before
    )


ASSIGNMENTS = """
select company_id, client_id, arm, assigned_at from analytics.experiment_assignments order by 1, 2
"""


def test_assignments_survive_a_full_refresh_and_a_new_salt_assigns_again(small_built):
    database, conn = small_built
    before = conn.execute(ASSIGNMENTS).fetchall()
    assert {row[3] for row in before} == {AS_OF}

    build_on(database, ["--full-refresh"], as_of=NEXT_DAY.isoformat())

    assert conn.execute(ASSIGNMENTS).fetchall() == before  # the experiment's record is kept

    build_pipeline(database, as_of=NEXT_DAY.isoformat(), experiment_salt="next-experiment")

    after = {(c, k): (arm, at) for c, k, arm, at in conn.execute(ASSIGNMENTS).fetchall()}
    assert after.keys() == {row[:2] for row in before}
    moved = sum(after[row[:2]][0] != row[2] for row in before)
    assert moved > len(before) / 2  # a new salt reshuffles about three in four
    assert {at for _, at in after.values()} == {NEXT_DAY}  # a new experiment: all assigned again
