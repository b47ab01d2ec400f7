"""The synthetic data set: deterministic, and it contains every kind of mess the models meet."""

from datetime import UTC, datetime

import pytest

from runner.connections import connect
from runner.errors import ConfigurationError
from runner.synthetic.generate import GenerationPlan, generate_data
from tests.support import fresh_database

AS_OF = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
PLAN = GenerationPlan(companies=4, clients_per_company=150, years=2, seed=7, as_of=AS_OF)

TABLES = (
    "public.companies",
    "public.services",
    "public.clients",
    "public.bookings",
    "public.appointments_cache",
    "synthetic.client_rhythms",
    "synthetic.visits",
    "synthetic.malformed_records",
    "synthetic.service_rhythms",
)


@pytest.fixture(scope="module")
def generated(services):
    with fresh_database(services) as database, connect(database) as conn:
        summary = generate_data(conn, PLAN)
        conn.autocommit = True  # one failing assertion query must not poison the others
        yield conn, summary


def _one(conn, statement, params=None):
    return conn.execute(statement, params).fetchone()[0]


def _fingerprint(conn) -> dict[str, str]:
    return {
        table: _one(
            conn,
            f"select md5(coalesce(string_agg(t::text, '|' order by t::text), ''))"
            f" from {table} as t",
        )
        for table in TABLES
    }


def test_same_seed_gives_identical_rows_and_another_seed_does_not(generated, services):
    conn, _ = generated
    with fresh_database(services) as again, connect(again) as other:
        generate_data(other, PLAN)
        assert _fingerprint(other) == _fingerprint(conn)
        generate_data(other, GenerationPlan(4, 150, 2, seed=8, as_of=AS_OF))
        assert (
            _fingerprint(other)["public.appointments_cache"]
            != (_fingerprint(conn)["public.appointments_cache"])
        )


def test_regenerating_replaces_the_data_set_instead_of_adding_to_it(services):
    small = GenerationPlan(2, 20, 1, seed=1, as_of=AS_OF)
    with fresh_database(services) as database, connect(database) as conn:
        first = generate_data(conn, small)
        generate_data(conn, small)
        assert _one(conn, "select count(*) from public.clients") == first.clients
        assert _one(conn, "select count(*) from synthetic.datasets") == 1


def test_refuses_a_database_holding_real_salon_data(conn):
    generate_data(conn, GenerationPlan(1, 5, 1, seed=1, as_of=AS_OF))
    conn.execute("drop schema synthetic cascade")  # as if the bot's own data were here
    conn.commit()

    with pytest.raises(ConfigurationError, match="did not write"):
        generate_data(conn, GenerationPlan(1, 5, 1, seed=1, as_of=AS_OF))


def test_salons_have_their_own_timezones_and_a_tricky_catalogue(generated):
    conn, summary = generated
    assert summary.companies == 4
    assert _one(conn, "select count(distinct timezone) from public.companies") >= 2
    titles = {title for (title,) in conn.execute("select title from public.services")}
    for expected in (
        "Мужская стрижка",
        "МУЖСКАЯ СТРИЖКА",
        "Женская стрижка",
        "Маникюр с покрытием гель-лак",
        "Маникюр классический",
        "Педикюр",
        "Наращивание ногтей",
        "Эпиляция ног полностью",
        "Ламинирование ресниц",
        "Стрижка + моделирование бороды",
    ):
        assert expected in titles
    assert (
        _one(conn, "select count(*) from public.services where repeat_visit_days_step is not null")
        > 0
    )


def test_clients_follow_their_segments(generated):
    conn, _ = generated
    segments = dict(
        conn.execute(
            "select segment, count(*) from synthetic.client_rhythms group by segment"
        ).fetchall()
    )
    assert set(segments) == {"loyal", "occasional", "churned", "new"}
    assert _one(
        conn,
        "select bool_and(visit_count <= 1) from synthetic.client_rhythms where segment = 'new'",
    )
    assert (
        _one(conn, "select avg(visit_count) from synthetic.client_rhythms where segment = 'loyal'")
        > 10
    )
    assert (
        _one(
            conn,
            "select count(*) from synthetic.client_rhythms r"
            " join synthetic.visits v using (company_id, yclients_client_id)"
            " where r.is_churned and v.visited_at > r.churned_at",
        )
        == 0
    )
    assert _one(conn, "select bool_and(true_interval_days > 0) from synthetic.client_rhythms")
    assert (
        _one(
            conn,
            "select count(*) from public.clients c where not exists (select from"
            " synthetic.visits v where v.company_id = c.company_id"
            " and v.yclients_client_id = c.yclients_client_id)",
        )
        > 0
    )
    assert _one(
        conn,
        "select count(*) filter (where is_deleted) > 0"
        " and count(*) filter (where blacklisted) > 0 from public.clients",
    )


# Every record element of every cache row, whatever the shape of the value.
RECORDS = """
with cache_values as (
    select company_id, cache_key, cached_at,
        case jsonb_typeof(appointments)
            when 'array' then appointments
            when 'object' then
                case when appointments ? 'data' then appointments -> 'data'
                else jsonb_build_array(appointments) end
            else '[]'::jsonb
        end as elements
    from public.appointments_cache
)
select company_id, cache_key, cached_at, element
from cache_values, jsonb_array_elements(elements) as element
"""


def _count_records(conn, condition: str) -> int:
    return _one(conn, f"select count(*) from ({RECORDS}) r where {condition}")


@pytest.mark.parametrize(
    ("kind", "condition"),
    [
        ("came", "r.element ->> 'attendance' = '1'"),
        ("no-show", "r.element ->> 'attendance' = '-1'"),
        ("waiting", "r.element ->> 'attendance' = '0'"),
        ("confirmed", "r.element ->> 'attendance' = '2'"),
        ("deleted", "r.element ->> 'deleted' = 'true'"),
        (
            "deleted key left out (older API)",
            "jsonb_typeof(r.element) = 'object' and not r.element ? 'deleted' and r.element ? 'id'",
        ),
        ("visit_id as number", "jsonb_typeof(r.element -> 'visit_id') = 'number'"),
        ("visit_id as string", "jsonb_typeof(r.element -> 'visit_id') = 'string'"),
        (
            "multi-service",
            "case jsonb_typeof(r.element -> 'services') when 'array'"
            " then jsonb_array_length(r.element -> 'services') > 1 end",
        ),
        ("no services", "r.element -> 'services' = '[]'::jsonb and r.element ? 'staff'"),
        ("client null", "jsonb_typeof(r.element -> 'client') = 'null' and r.element ? 'staff'"),
        ("phone +7", "r.element -> 'client' ->> 'phone' like '+7%'"),
        ("phone 8...", "r.element -> 'client' ->> 'phone' ~ '^8[0-9]{10}$'"),
        ("phone bare digits", "r.element -> 'client' ->> 'phone' ~ '^7[0-9]{10}$'"),
        ("phone ten digits", "r.element -> 'client' ->> 'phone' ~ '^9[0-9]{9}$'"),
        ("phone as number", "jsonb_typeof(r.element -> 'client' -> 'phone') = 'number'"),
        ("offset without colon", "r.element ->> 'create_date' ~ '[+-][0-9]{4}$'"),
        ("offset with colon", "r.element ->> 'datetime' ~ '[+-][0-9]{2}:[0-9]{2}$'"),
        ("bot-made", "r.element ->> 'comment' like '%AI администратора%'"),
    ],
)
def test_cache_holds_each_kind_of_record(generated, kind, condition):
    conn, _ = generated
    assert _count_records(conn, condition) > 0, kind


def test_records_repeat_under_date_and_staff_keys_and_can_disagree(generated):
    conn, _ = generated
    assert (
        _one(
            conn,
            "select count(*) from public.appointments_cache"
            " where cache_key ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'",
        )
        > 0
    )
    assert (
        _one(
            conn,
            "select count(*) from public.appointments_cache"
            " where cache_key ~ '^[0-9]+_[0-9]{4}-[0-9]{2}-[0-9]{2}$'",
        )
        > 0
    )
    repeated = f"""
        select r.company_id, r.element ->> 'id' as record_id,
            count(*) as copies, count(distinct r.element ->> 'attendance') as attendances,
            count(distinct r.cached_at) as fetches
        from ({RECORDS}) r
        where jsonb_typeof(r.element) = 'object'
        group by 1, 2
    """
    assert _one(conn, f"select count(*) from ({repeated}) x where copies >= 2") > 0
    assert (
        _one(conn, f"select count(*) from ({repeated}) x where attendances > 1 and fetches > 1") > 0
    )


def test_cache_values_come_in_every_shape(generated):
    conn, _ = generated
    shapes = dict(
        conn.execute("""
        select case
            when jsonb_typeof(appointments) = 'array' and appointments = '[]' then 'empty'
            when jsonb_typeof(appointments) = 'array' then 'array'
            when appointments ? 'data' then 'envelope'
            when jsonb_typeof(appointments) = 'object' then 'single'
            else jsonb_typeof(appointments) end, count(*)
        from public.appointments_cache group by 1
    """).fetchall()
    )
    assert {"array", "envelope", "single", "null"} <= set(shapes)
    assert (
        _one(conn, "select count(*) from public.appointments_cache where expires_at < %s", (AS_OF,))
        > 0
    )
    assert _one(conn, "select bool_and(cached_at <= %s) from public.appointments_cache", (AS_OF,))


def test_malformed_records_are_planted_and_recorded(generated):
    conn, summary = generated
    planted = _one(conn, "select count(*) from synthetic.malformed_records")
    assert planted == summary.malformed_records > 0
    broken = _count_records(
        conn,
        """
        jsonb_typeof(r.element) <> 'object' or not r.element ? 'id'
        or r.element ->> 'id' !~ '^[0-9]+$'
        or r.element ->> 'datetime' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T'
        or jsonb_typeof(r.element -> 'services') <> 'array'
        or jsonb_typeof(r.element -> 'client') not in ('object', 'null')
    """,
    )
    assert broken == planted


def test_bot_bookings_partly_duplicate_cached_records(generated):
    conn, _ = generated
    in_cache = f"""
        select count(*) from public.bookings b where {{}} exists (
            select from ({RECORDS}) r where r.company_id = b.company_id
            and r.element ->> 'id' = b.yclients_booking_id::text)
    """
    assert _one(conn, in_cache.format("")) > 0
    assert _one(conn, in_cache.format("not")) > 0
    statuses = {s for (s,) in conn.execute("select distinct status from public.bookings")}
    assert {"completed", "confirmed"} <= statuses


def test_every_true_visit_is_visible_in_the_cache_or_the_bookings(generated):
    conn, _ = generated
    from_records = _one(
        conn,
        f"""
        select count(*) from synthetic.visits v where v.source = 'record' and not exists (
            select from ({RECORDS}) r where r.company_id = v.company_id
            and r.element ->> 'id' = v.yclients_record_id::text
            and r.element ->> 'attendance' = '1')
    """,
    )
    from_bookings = _one(
        conn,
        """
        select count(*) from synthetic.visits v where v.source = 'booking' and not exists (
            select from public.bookings b where b.company_id = v.company_id
            and b.yclients_booking_id = v.yclients_record_id and b.status = 'completed')
    """,
    )
    assert (from_records, from_bookings) == (0, 0)
