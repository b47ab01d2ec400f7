"""Reading today's candidates of one salon from the mart, and refusing a stale mart."""

from dataclasses import dataclass, replace
from datetime import date, datetime

import psycopg
from psycopg.rows import class_row

from runner.errors import ConfigurationError, JobFailed

CANDIDATES = """
select company_id, client_id, phone, client_name, arm, message_kind, interval_days, interval_tier,
    interval_source, days_since_last_visit, last_service_id, last_service_title,
    last_visit_date, confidence::float as confidence, priority, reason
from analytics.reactivation_candidates
where company_id = %(company_id)s
order by priority, client_id
limit %(limit)s
"""

# The runner reads salons from the build's mart (either layout of the bot's tables), never
# from the bot's tables themselves.
SALONS = """
select company_id, salon_name, timezone, is_live, skip_reason,
    extract(epoch from built_at - newest_source_at)::float8 / 3600 as source_lag_hours
from analytics.salons
"""
SALON = SALONS + "where company_id = %(company_id)s"
ALL_SALONS = SALONS + "order by company_id"

# The mart's age: how long ago the build computed today's candidates.
FRESHNESS = """
select
    max(selected_at) as built_at,
    extract(epoch from now() - max(selected_at))::float8 / 3600 as age_hours
from analytics.reactivation_candidates
"""
NOT_BUILT = "{table} does not exist: run `reactivate build` first"


# What an arm sends (experiment_arms.message_kind): nothing, or a model's text.
HELD_OUT = "none"
AI = "ai"


@dataclass(frozen=True)
class Candidate:
    company_id: int
    client_id: int
    phone: str
    client_name: str | None
    arm: str
    message_kind: str  # experiment_arms.message_kind: none, plain_template, service_template, ai
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

    @property
    def is_held_out(self) -> bool:
        """The arm sends nothing: the client is recorded as held out, never messaged."""
        return self.message_kind == HELD_OUT

    @property
    def wants_ai_text(self) -> bool:
        return self.message_kind == AI


@dataclass(frozen=True)
class Salon:
    company_id: int
    name: str | None
    timezone: str
    is_live: bool
    skip_reason: str | None = None  # why the runner does not run it; None when live
    source_lag_hours: float | None = None  # the bot's newest data, hours before the build


def load_salon(conn: psycopg.Connection, company_id: int) -> Salon:
    try:
        row = conn.execute(SALON, {"company_id": company_id}).fetchone()
    except psycopg.errors.UndefinedTable:
        raise JobFailed(NOT_BUILT.format(table="analytics.salons")) from None
    if row is None:
        raise ConfigurationError(
            f"--company {company_id}: no such salon in the bot's companies table "
            "(the YClients salon id, e.g. 962302)"
        )
    return Salon(*row)


def all_salons(conn: psycopg.Connection) -> list[Salon]:
    try:
        return [Salon(*row) for row in conn.execute(ALL_SALONS)]
    except psycopg.errors.UndefinedTable:
        raise JobFailed(NOT_BUILT.format(table="analytics.salons")) from None


def salons_to_run(
    conn: psycopg.Connection, max_source_lag_hours: float
) -> tuple[list[int], list[Salon]]:
    """(the live salons with fresh data, the others with why they are skipped)."""
    live, skipped = [], []
    for salon in all_salons(conn):
        reason = salon.skip_reason or stale_source_reason(salon, max_source_lag_hours)
        if reason:
            skipped.append(replace(salon, skip_reason=reason))
        else:
            live.append(salon.company_id)
    return live, skipped


def stale_source_reason(salon: Salon, max_source_lag_hours: float) -> str | None:
    """Why the build's view of this salon is too old to act on, if it is: the bot's sync
    stopped writing, so a client who booked since would still be messaged."""
    if salon.source_lag_hours is None or salon.source_lag_hours <= max_source_lag_hours:
        return None
    return (
        f"the bot's newest data was {salon.source_lag_hours:.1f} h old at the build (limit "
        f"REACTIVATION_MAX_SOURCE_LAG_HOURS={max_source_lag_hours:g}): is its sync running?"
    )


def load_candidates(
    conn: psycopg.Connection, company_id: int, limit: int | None
) -> list[Candidate]:
    with conn.cursor(row_factory=class_row(Candidate)) as cursor:
        return cursor.execute(CANDIDATES, {"company_id": company_id, "limit": limit}).fetchall()


def check_mart_fresh(conn: psycopg.Connection, max_age_hours: float) -> datetime | None:
    """Raise JobFailed when the mart is too old to act on; return when it was built.

    Candidates are a snapshot: a client who booked after the build is still in it. The claim
    re-checks the bot's bookings, but only a fresh build sees records that arrived since.
    """
    try:
        built_at, age_hours = conn.execute(FRESHNESS).fetchone()
    except psycopg.errors.UndefinedTable:
        raise JobFailed(NOT_BUILT.format(table="analytics.reactivation_candidates")) from None
    if built_at is None:
        return None  # an empty mart: nothing to send, nothing stale
    if age_hours > max_age_hours:
        raise JobFailed(
            f"the candidate mart was built {age_hours:.1f} h ago (limit "
            f"REACTIVATION_MART_MAX_AGE_HOURS={max_age_hours:g}): run `reactivate build` first"
        )
    return built_at
