"""A salon with today's candidates, and a campaign wired to real Postgres and Redis plus local
Gemini and gateway servers. The candidate rows go into a table with the mart's contract columns,
so these tests exercise the runner without a dbt build (tests/test_campaign_e2e.py does both)."""

import csv
import threading
import uuid
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime

import psycopg

from runner.adapters.gemini import RetryPolicy
from runner.campaign import CampaignRequest, Outreach, run_campaign
from runner.candidates import load_salon
from runner.composition import campaign_adapters, outreach_from
from runner.config import Settings, parse_send_days, parse_send_window
from runner.connections import Services
from runner.dbt import DBT_PROJECT_DIR
from runner.migrations import migrate
from runner.sql import sql_file
from tests.support import settings_for_tests

COMPANY = 962302
# Tuesday 07:00 UTC = 10:00 in Moscow: inside the default sending hours.
OPEN_HOUR = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)

CANDIDATES_DDL = """
create schema if not exists analytics;
create table analytics.reactivation_candidates (
    company_id integer, client_id integer, yclients_client_id bigint, last_service_id bigint,
    phone text, client_name text, arm text, message_kind text, timing_rule text,
    interval_tier text, interval_source text,
    last_service_title text, reason text, interval_days integer, days_since_last_visit integer,
    visit_count integer, priority integer, confidence numeric(4, 3), overdue_ratio numeric(10, 3),
    arm_bucket double precision, last_visit_date date, due_date date, selected_at timestamptz
);
-- The two other marts the runner reads, in their contract's shape (dbt builds the real ones:
-- tests/test_layouts.py runs the runner on them in both layouts).
create table analytics.salons (
    company_id integer, salon_name text, timezone text, configured_timezone text,
    is_timezone_valid boolean, integration_status text, is_live boolean, skip_reason text,
    newest_source_at timestamptz, built_at timestamptz
);
create view analytics.bookings_ahead as
select company_id, client_id, null::text as phone, yclients_booking_id as booking_id, status,
    datetime as starts_at
from public.bookings
where status in ('pending', 'confirmed', 'active') and datetime > now()
"""

INSERT_CANDIDATE = """
insert into analytics.reactivation_candidates (
    company_id, client_id, yclients_client_id, last_service_id, phone, client_name, arm,
    message_kind, timing_rule, interval_tier, interval_source, last_service_title, reason,
    interval_days,
    days_since_last_visit, visit_count, priority, confidence, overdue_ratio, arm_bucket,
    last_visit_date, due_date, selected_at
) values (
    %(company_id)s, %(client_id)s, %(client_id)s, 501, %(phone)s, %(name)s, %(arm)s,
    %(message_kind)s, %(timing_rule)s, 'personal', 'personal', 'Стрижка мужская',
    'последний визит 40 дн. назад', 30, 40, 5,
    %(priority)s, 0.8, 1.333, 0.5, %(last_visit)s, %(last_visit)s, now()
)
"""

# What each arm sends and how it is timed, from the build's one list of arms.
with (DBT_PROJECT_DIR / "seeds/experiment_arms.csv").open(encoding="utf-8") as _seed:
    SEEDED_ARMS = {
        row["arm"]: {"message_kind": row["message_kind"], "timing_rule": row["timing_rule"]}
        for row in csv.DictReader(_seed)
    }

NAMES = ("Анна", "ПЕТРОВА МАРИЯ", None, "Игорь", "Клиент", "Olga")


def prepare_salon(conn: psycopg.Connection, timezone: str = "Europe/Moscow") -> None:
    conn.execute(sql_file("bot_schema.sql"))
    conn.commit()
    migrate(conn)
    create_runner_marts(conn)
    add_salon(conn, COMPANY, timezone)


def create_runner_marts(conn: psycopg.Connection) -> None:
    conn.execute(CANDIDATES_DDL)


def add_salon(conn, company_id: int, timezone: str, integration_status: str = "active") -> None:
    conn.execute(
        "insert into public.companies (id, name, timezone) values (%s, %s, %s)",
        (company_id, "Барбершоп Борода", timezone),
    )
    conn.execute(
        "insert into analytics.salons values (%s, %s, %s, %s, true, %s, %s, null, now(), now())",
        (
            company_id,
            "Барбершоп Борода",
            timezone,
            timezone,
            integration_status,
            integration_status == "active",
        ),
    )


def add_candidates(conn, count: int, arms=("control",), company_id: int = COMPANY, first: int = 1):
    for offset in range(count):
        client_id = first + offset
        conn.execute(
            INSERT_CANDIDATE,
            {
                "company_id": company_id,
                "client_id": client_id,
                "phone": f"791623{client_id:05d}",
                "name": NAMES[client_id % len(NAMES)],
                "arm": arms[offset % len(arms)],
                **SEEDED_ARMS[arms[offset % len(arms)]],
                "priority": client_id,
                "last_visit": date(2026, 10, 15),
            },
        )


def campaign_settings(**overrides) -> Settings:
    """Always open, no pacing, generous caps, fast retries: each test narrows what it checks."""
    base = replace(
        settings_for_tests(),
        gemini_api_key=None,
        send_window=parse_send_window("00:00-24:00"),
        send_days=parse_send_days("mon-sun"),
        min_gap_seconds=0.0,
        daily_cap=1000,
        hourly_cap=1000,
        breaker_failures=5,
        send_timeout_seconds=2.0,
        gemini_timeout_seconds=5.0,
    )
    return replace(base, **overrides)


@contextmanager
def outreach(
    database,
    redis_url: str,
    *,
    settings: Settings,
    gateway_url: str | None,
    gemini_url: str | None = None,
    context_redis_url: str | None = None,
    now=None,
    stop: threading.Event | None = None,
    events: list | None = None,
):
    """The campaign as the composition root wires it, on these servers; gateway_url None = a
    dry run. Each test gets a Gemini limit of its own and fast retries."""
    if gemini_url:
        settings = replace(
            settings,
            gemini_api_key="test-key",
            gemini_model="test-model",
            gemini_base_url=gemini_url,
        )
    settings = replace(settings, whatsapp_api_url=gateway_url)
    services = Services(postgres=database, redis_url=redis_url, embedded=True)
    with campaign_adapters(
        settings,
        services,
        live=gateway_url is not None,
        limit_name=f"gemini-{uuid.uuid4().hex}",
        retry_policy=RetryPolicy(attempts=3, base_delay_seconds=0.05, max_delay_seconds=2),
        context_redis_url=context_redis_url,
    ) as adapters:
        yield outreach_from(
            adapters,
            settings,
            services,
            stop=stop or threading.Event(),
            now=now or (lambda: OPEN_HOUR),
            on_event=(events.append if events is not None else (lambda outcome: None)),
        )


def run_once(out: Outreach, *, live=True, limit=None, test_phone=None, company_id=COMPANY):
    salon = load_salon(out.conn, company_id)
    return run_campaign(out, CampaignRequest(salon, limit=limit, live=live, test_phone=test_phone))


def history_rows(conn, columns="client_id, status") -> list[tuple]:
    return conn.execute(
        f"select {columns} from reactivation.client_reactivation_history order by history_id"
    ).fetchall()


def live_run(database, services, gateway, *, gemini=None, settings=None, **kwargs):
    """One live campaign of the default salon through these local servers."""
    with outreach(
        database,
        services.redis_url,
        settings=settings or campaign_settings(),
        gateway_url=gateway.url,
        gemini_url=gemini.url if gemini else None,
        **kwargs,
    ) as out:
        return run_once(out)
