"""Reading today's candidates of one salon from the mart, and refusing a stale mart."""

from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg.rows import class_row

from runner.errors import ConfigurationError, JobFailed

CANDIDATES = """
select company_id, client_id, phone, client_name, arm, interval_days, interval_tier,
    interval_source, days_since_last_visit, last_service_id, last_service_title,
    last_visit_date, confidence::float as confidence, priority, reason
from analytics.reactivation_candidates
where company_id = %(company_id)s
order by priority, client_id
limit %(limit)s
"""

SALON = """
select id, name, coalesce(timezone, 'Europe/Moscow'), is_active
from public.companies where id = %(company_id)s
"""

ACTIVE_SALONS = "select id from public.companies where is_active order by id"

# The mart's age, and how far the bot's cache has moved on since it was built, in hours.
FRESHNESS = """
with built as (
    select max(selected_at) as built_at from analytics.reactivation_candidates
)
select
    built.built_at,
    extract(epoch from now() - built.built_at)::float8 / 3600 as age_hours,
    extract(epoch from (select max(cached_at) from public.appointments_cache) - built.built_at)
        ::float8 / 3600 as cache_lead_hours
from built
"""


@dataclass(frozen=True)
class Candidate:
    company_id: int
    client_id: int
    phone: str
    client_name: str | None
    arm: str
    interval_days: int
    interval_tier: str
    interval_source: str | None
    days_since_last_visit: int
    last_service_id: int | None
    last_service_title: str | None
    last_visit_date: date | None
    confidence: float | None
    priority: int
    reason: str


@dataclass(frozen=True)
class Salon:
    company_id: int
    name: str | None
    timezone: str
    is_active: bool


def load_salon(conn: psycopg.Connection, company_id: int) -> Salon:
    row = conn.execute(SALON, {"company_id": company_id}).fetchone()
    if row is None:
        raise ConfigurationError(f"--company {company_id}: no such salon in public.companies")
    return Salon(*row)


def active_salons(conn: psycopg.Connection) -> list[int]:
    return [company_id for (company_id,) in conn.execute(ACTIVE_SALONS)]


def load_candidates(
    conn: psycopg.Connection, company_id: int, limit: int | None
) -> list[Candidate]:
    with conn.cursor(row_factory=class_row(Candidate)) as cursor:
        return cursor.execute(CANDIDATES, {"company_id": company_id, "limit": limit}).fetchall()


def check_mart_fresh(
    conn: psycopg.Connection, max_age_hours: float, max_cache_lead_hours: float
) -> datetime | None:
    """Raise JobFailed when the mart is too old to act on; return when it was built.

    Candidates are a snapshot: a client who booked after the build is still in it. The claim
    re-checks the bot's bookings, but only a fresh build sees records that arrived in the cache.
    """
    try:
        built_at, age_hours, lead_hours = conn.execute(FRESHNESS).fetchone()
    except psycopg.errors.UndefinedTable:
        raise JobFailed(
            "analytics.reactivation_candidates does not exist: run `reactivate build` first"
        ) from None
    if built_at is None:
        return None  # an empty mart: nothing to send, nothing stale
    if age_hours > max_age_hours:
        raise JobFailed(
            f"the candidate mart was built {age_hours:.1f} h ago (limit "
            f"REACTIVATION_MART_MAX_AGE_HOURS={max_age_hours:g}): run `reactivate build` first"
        )
    if lead_hours is not None and lead_hours > max_cache_lead_hours:
        raise JobFailed(
            f"the bot's cache has data {lead_hours:.1f} h newer than the candidate mart "
            f"(limit REACTIVATION_MART_MAX_CACHE_LEAD_HOURS={max_cache_lead_hours:g}): "
            "run `reactivate build` first"
        )
    return built_at
