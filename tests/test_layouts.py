"""The bot's production layout, on tables created from its own schema snapshot: the salon id,
live salons, visits from every source counted once, guards, replies and outcomes."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from psycopg.types.json import Jsonb

from runner.connections import connect
from runner.synthetic.generate import GenerationPlan, generate_data
from tests.support import build_pipeline, fresh_database, run_cli, service_environment

AS_OF = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
# The world is generated as of now: `nightly` builds on the real clock, and would refuse a
# world whose bot data stopped days ago.
NOW = datetime.now(UTC).replace(microsecond=0)
PLAN = GenerationPlan(3, 60, 1.0, 5, NOW, layout="production")


def _one(conn, statement, params=None):
    return conn.execute(statement, params).fetchone()[0]


@pytest.fixture
def production(services):
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, PLAN)
        yield database, conn


def _a_client(conn):
    return conn.execute(
        "select company_id, yclients_id, phone from public.clients order by yclients_id limit 1"
    ).fetchone()


def test_the_salon_id_is_company_id_and_only_live_salons_are_run(production, services):
    database, conn = production
    salons = [c for (c,) in conn.execute("select company_id from public.companies order by 1")]
    conn.execute(
        "update public.companies set integration_status = 'frozen' where company_id = %s",
        (salons[0],),
    )
    conn.execute(
        "update public.companies set timezone = 'Mars/Olympus' where company_id = %s",
        (salons[1],),
    )

    outcome = build_pipeline(database)

    assert outcome.succeeded
    assert any("is_timezone_valid" in warning for warning in outcome.warnings)
    rows = conn.execute(
        "select company_id, timezone, is_live, skip_reason from analytics.salons order by 1"
    ).fetchall()
    assert [row[0] for row in rows] == salons  # never the internal companies.id
    assert rows[0][2:] == (False, "integration_status is frozen")
    assert rows[1][1:3] == ("Europe/Moscow", True)  # the unknown zone falls back, still runs
    marts = {
        c
        for (c,) in conn.execute(
            "select distinct company_id from analytics.client_intervals"
            " union select distinct company_id from analytics.reactivation_candidates"
        )
    }
    assert marts <= set(salons) and salons[1] in marts

    env = service_environment(database, services.redis_url)
    env["REACTIVATION_SEND_WINDOW"] = "00:00-24:00"
    env["REACTIVATION_SEND_DAYS"] = "mon-sun"
    result = run_cli("nightly", env=env)
    assert f"skipped salon {salons[0]}" in result.stderr and "frozen" in result.stderr
    assert f"salon {salons[1]}" in result.stdout


def test_one_visit_seen_in_every_source_counts_once_and_a_no_show_never(production):
    database, conn = production
    company_id, client_id, phone = _a_client(conn)
    title = _one(conn, "select title from public.services where company_id = %s", (company_id,))
    day = "2026-11-10 12:00:00"
    entries = [
        {
            "date": day,
            "services": [title.upper()],
            "cost": 1000,
            "status": "attended",
            "attendance": 1,
        },
        {
            "date": "2026-11-12 12:00:00",
            "services": [title],
            "cost": 1000,
            "status": "not_attended",
            "attendance": -1,
        },
        {
            "date": "2026-11-14 12:00:00",
            "services": ["Неизвестная услуга"],
            "cost": 500,
            "status": "attended",
            "attendance": 1,
        },
    ]
    conn.execute(
        "update public.clients set visit_history = %s where yclients_id = %s",
        (Jsonb(entries), client_id),
    )
    conn.execute(
        "insert into public.bookings (yclients_record_id, company_id, client_phone,"
        " client_yclients_id, services, datetime, status, cost, created_at, updated_at)"
        " values (777000001, %s, %s, %s, array[%s], %s, 'completed', 1000, %s, %s)",
        (
            company_id,
            phone,
            client_id,
            title,
            day,
            AS_OF.replace(tzinfo=None),
            AS_OF.replace(tzinfo=None),
        ),
    )
    conn.execute(
        "insert into public.appointments_cache (yclients_record_id, company_id, raw_data)"
        " values (777000001, %s, %s)",
        (
            company_id,
            Jsonb(
                {
                    "id": 777000001,
                    "datetime": "2026-11-10T12:00:00+03:00",
                    "attendance": 1,
                    "services": [],
                    "client": {"id": client_id},
                }
            ),
        ),
    )

    build_pipeline(database, as_of=AS_OF.isoformat())

    days = conn.execute(
        "select visit_date::text, main_service_id is not null"
        " from analytics.int_visits_deduplicated"
        " where company_id = %s and client_id = %s and visit_date >= '2026-11-01'"
        " order by visit_date",
        (company_id, client_id),
    ).fetchall()
    assert days == [("2026-11-10", True), ("2026-11-14", False)]


def test_an_unreadable_production_record_is_quarantined_and_a_bad_amount_is_no_amount(production):
    """raw_data may be SQL null (the column allows it), JSON null or a scalar; a history
    entry's cost may be text no amount is made of. Neither stops the salon's build."""
    database, conn = production
    company_id, client_id, _ = _a_client(conn)
    unreadable = ((777000011, None), (777000012, Jsonb(None)), (777000013, Jsonb(42)))
    for record_id, raw_data in unreadable:
        conn.execute(
            "insert into public.appointments_cache (yclients_record_id, company_id, raw_data,"
            " updated_at) values (%s, %s, %s, %s)",
            (record_id, company_id, raw_data, NOW),
        )
    costs = ["1500.50", "NaN", "-Infinity", "1e3", "две тысячи"]
    entries = [
        {"date": f"2026-10-{day:02d} 12:00:00", "services": [], "cost": cost, "attendance": 1}
        for day, cost in zip(range(1, 6), costs, strict=True)
    ]
    conn.execute(
        "update public.clients set visit_history = %s where yclients_id = %s",
        (Jsonb(entries), client_id),
    )

    build_pipeline(database, as_of=AS_OF.isoformat())

    quarantined = conn.execute(
        "select record_key, quarantine_reason from analytics.stg_yclients__quarantined_records"
        " where record_key like 'quarantine:77700001_:%%' order by 1"
    ).fetchall()
    assert quarantined == [
        (f"quarantine:{record_id}:1", "not_an_object")
        for record_id in (777000011, 777000012, 777000013)
    ]
    staged_costs = conn.execute(
        "select cost from analytics.stg_yclients__visit_history"
        " where company_id = %s and client_id = %s and start_date < '2026-10-06'"
        " order by start_date",
        (company_id, client_id),
    ).fetchall()
    assert [cost for (cost,) in staged_costs] == [
        Decimal("1500.50"),
        None,
        None,
        Decimal("1000"),
        None,
    ]


def test_a_day_gone_from_a_resynced_visit_history_is_no_visit_unless_it_slid_out(production):
    """The sync sends two years: a day it stops sending inside them was deleted or moved in
    YClients; one older than that only slid out of the window, and still happened. A history
    the sync now sends empty is no exception."""
    database, conn = production
    company_id, client_id, _ = _a_client(conn)
    # A second client whose every day is inside the window.
    other_id = _one(
        conn,
        "select yclients_id from public.clients where company_id = %s and yclients_id > %s"
        " order by yclients_id limit 1",
        (company_id, client_id),
    )

    def entry(days_ago):
        date = (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%d 12:00:00")
        return {"date": date, "services": [], "cost": 1000, "status": "attended", "attendance": 1}

    def sync(client, entries, at):
        conn.execute(
            "update public.clients set visit_history = %s, last_sync_at = %s, updated_at = %s"
            " where company_id = %s and yclients_id = %s",
            (Jsonb(entries), at, at, company_id, client),
        )

    def history_days(client=client_id):
        return conn.execute(
            "select visit_date::text, revenue from analytics.int_visits_deduplicated"
            " where company_id = %s and client_id = %s order by visit_date",
            (company_id, client),
        ).fetchall()

    def staged(client):
        return conn.execute(
            "select count(*), max(staged_at) from analytics.stg_yclients__visit_history"
            " where company_id = %s and client_id = %s",
            (company_id, client),
        ).fetchone()

    slid_out, deleted, kept, other_day = entry(800), entry(100), entry(40), entry(200)
    # Later than every other client's sync, so the next build reads these rows again.
    first_sync = (NOW + timedelta(days=1)).replace(tzinfo=None)
    sync(client_id, [slid_out, deleted, kept], first_sync)
    sync(other_id, [other_day], first_sync)
    build_pipeline(database, as_of=NOW.isoformat())
    assert [day for day, _ in history_days()] == [e["date"][:10] for e in (slid_out, deleted, kept)]
    assert (other_day["date"][:10], 1000) in history_days(other_id)

    sync(client_id, [kept], first_sync + timedelta(days=1))
    build_pipeline(database, as_of=(NOW + timedelta(days=1)).isoformat())

    assert history_days() == [(slid_out["date"][:10], 1000), (kept["date"][:10], 1000)]
    assert staged(client_id)[0] == 2

    # Emptied: the days inside the window go, the one that slid out stays.
    for client in (client_id, other_id):
        sync(client, [], first_sync + timedelta(days=2))
    build_pipeline(database, as_of=(NOW + timedelta(days=2)).isoformat())
    assert history_days() == [(slid_out["date"][:10], 1000)]
    assert other_day["date"][:10] not in [day for day, _ in history_days(other_id)]
    emptied = {client: staged(client)[1] for client in (client_id, other_id)}

    # An empty history unchanged since is not read again.
    for client in (client_id, other_id):
        sync(client, [], first_sync + timedelta(days=3))
    build_pipeline(database, as_of=(NOW + timedelta(days=3)).isoformat())
    assert history_days() == [(slid_out["date"][:10], 1000)]
    assert {client: staged(client)[1] for client in (client_id, other_id)} == emptied


def test_a_production_booking_converts_and_an_incoming_stop_opts_out(production, services):
    database, conn = production
    company_id, client_id, phone = _a_client(conn)
    # On the world's own clock (NOW): a message on a fixed earlier day meets the client's own
    # generated records created since, and one of them converts it first.
    build_pipeline(database, as_of=NOW.isoformat())
    env = service_environment(database, services.redis_url)
    assert run_cli("db", "migrate", env=env).returncode == 0
    conn.execute(
        "insert into reactivation.client_reactivation_history"
        " (company_id, client_id, phone, arm, status, claimed_at, sent_at, message_source)"
        " values (%s, %s, %s, 'control', 'sent', %s, %s, 'template')",
        (company_id, client_id, phone, NOW, NOW),
    )
    booked = (NOW + timedelta(days=2)).replace(tzinfo=None)
    conn.execute(
        "insert into public.bookings (yclients_record_id, company_id, client_phone,"
        " client_yclients_id, datetime, status, cost, created_at, updated_at)"
        " values (777000002, %s, %s, %s, %s, 'active', 2500, %s,"
        " now() at time zone 'UTC')",  # the bot's sync writes it now, in its UTC clock
        (company_id, phone, client_id, booked + timedelta(days=3), booked),
    )
    conn.execute(
        "insert into public.messages (company_id, client_phone, direction, content, created_at)"
        " values (%s, %s, 'incoming', 'Не пишите мне больше', %s)",
        (company_id, phone, (NOW + timedelta(hours=3)).replace(tzinfo=None)),
    )

    build_pipeline(database, as_of=(NOW + timedelta(days=8)).isoformat())

    converted, source, replied = conn.execute(
        "select converted, converting_booking_source, reply_class"
        " from analytics.reactivation_outcomes where client_id = %s",
        (client_id,),
    ).fetchone()
    assert (converted, source, replied) == (True, "bot", "negative")
    assert (
        _one(
            conn,
            "select opt_out_source from analytics.int_opt_outs_unioned where phone = %s",
            (phone,),
        )
        == "reply"
    )


@pytest.mark.parametrize(
    ("layout", "drops", "logged"),
    [
        (
            "seed",
            (
                "alter table public.services drop column repeat_visit_days_step",
                "alter table public.clients drop column blacklisted",
                "alter table public.clients drop column is_deleted",
            ),
            (
                "Source services has no column repeat_visit_days_step",
                "Source clients has no column blacklisted",
                "Source clients has no column is_deleted",
            ),
        ),
        (
            "production",
            (
                "alter table public.clients drop column visit_history",
                "alter table public.clients drop column blacklisted",
                "drop table public.messages",
            ),
            (
                "Source clients has no column visit_history",
                "Source clients has no column blacklisted",
                "Source messages is absent",
            ),
        ),
    ],
)
def test_a_missing_optional_column_is_one_log_line_not_an_error(services, layout, drops, logged):
    # A fixed as-of: with visit_history gone, a production world's visits are its few attended
    # cache records and completed bookings, and a world generated at some hours has none.
    plan = GenerationPlan(2, 40, 1.0, 9, AS_OF, layout=layout)
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, plan)
        for statement in drops:
            conn.execute(statement)

        result = run_cli("build", env=service_environment(database))

        assert result.returncode == 0, result.stderr[-3000:]
        for line in logged:
            assert line in result.stderr
        assert _one(conn, "select count(*) from analytics.client_intervals") > 0
        assert (
            _one(conn, "select count(*) from analytics.stg_yclients__clients where is_blacklisted")
            == 0
        )


def test_the_layout_is_read_from_the_catalog_whatever_dbts_relation_cache_holds(
    services, monkeypatch
):
    """dbt marks a schema cached as soon as the first of its relations is added, so a thread
    could list the bot's schema while another was still filling it in and see part of it.
    Here every listing of `public` returns part of it, as that thread saw it."""
    from dbt.adapters.base.impl import BaseAdapter

    from runner.dbt import run_dbt
    from runner.migrations import migrate

    listed = BaseAdapter.list_relations

    def partly_filled(adapter, database, schema):
        relations = listed(adapter, database, schema)
        return relations[:1] if schema.lower() == "public" else relations

    monkeypatch.setattr(BaseAdapter, "list_relations", partly_filled)
    plan = GenerationPlan(1, 20, 1.0, 3, AS_OF, layout="production")
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        migrate(conn)
        generate_data(conn, plan)

        outcome = run_dbt(
            database, "run", ["--select", "stg_yclients__companies", "stg_yclients__cache_records"]
        )

        assert outcome.succeeded, outcome.failures or outcome.error
        assert _one(conn, "select count(*) from analytics.stg_yclients__companies") == 1
        assert _one(conn, "select count(*) from analytics.stg_yclients__cache_records") > 0
