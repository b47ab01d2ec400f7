"""Write a deterministic synthetic data set (bot tables plus ground truth) into Postgres.

The same seed and `as_of` give the same rows, byte for byte: each salon draws from its own
random stream seeded by (seed, salon number), and every id is derived, never a sequence.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from runner.bot_tables import PRODUCTION_TABLES, create_bot_tables
from runner.errors import ConfigurationError
from runner.sql import sql_file
from runner.synthetic.cache import CacheLayout, lay_out_cache
from runner.synthetic.copying import copy_rows as _copy
from runner.synthetic.production import (
    SYNC_HOUR_LAG,
    VISIT_HISTORY_DAYS,
    write_production_salon,
)
from runner.synthetic.records import BOOKINGS_KEPT_DAYS, kept_bot_bookings, service_cost
from runner.synthetic.salon import Appointment, Salon, simulate_salon

FRESH_BOOKINGS_PER_SALON = (1, 3)  # made through the bot after the last cache fetch

STAMP_ROWS = (
    "update public.companies set created_at = %(created)s, updated_at = %(updated)s",
    "update public.services set created_at = %(created)s, updated_at = %(updated)s",
    "update public.clients set created_at = %(created)s, updated_at = %(updated)s",
    "update public.bookings set updated_at = %(updated)s",
)
ANALYZE_TABLES = (
    "analyze public.companies, public.services, public.clients, public.bookings, "
    "public.appointments_cache, synthetic.client_rhythms, synthetic.visits"
)
COPY_SERVICES = (
    "copy public.services (id, company_id, yclients_service_id, title, category_id, "
    "category_name, price_min, price_max, duration, repeat_visit_days_step) from stdin"
)
COPY_SERVICE_RHYTHMS = (
    "copy synthetic.service_rhythms (company_id, yclients_service_id, title, "
    "typical_interval_days) from stdin"
)
COPY_CLIENTS = (
    "copy public.clients (id, company_id, yclients_client_id, phone, name, visits_count, "
    "last_visit_date, first_visit_date, tags, is_deleted, blacklisted) from stdin"
)
COPY_CLIENT_RHYTHMS = (
    "copy synthetic.client_rhythms (company_id, client_id, yclients_client_id, phone, "
    "segment, gender, favourite_yclients_service_id, true_interval_days, prior_log_mean, "
    "prior_log_sd, gap_log_sd, skip_probability, is_churned, churned_at, visit_count, "
    "last_visit_at) from stdin"
)
COPY_VISITS = (
    "copy synthetic.visits (company_id, yclients_record_id, yclients_client_id, "
    "yclients_service_ids, source, visited_at) from stdin"
)
COPY_BOOKINGS = (
    "copy public.bookings (company_id, yclients_booking_id, client_id, service_id, staff_id, "
    "datetime, duration, status, cost, created_at) from stdin"
)
COPY_CACHE_ROWS = (
    "copy public.appointments_cache (company_id, cache_key, appointments, cached_at, "
    "expires_at) from stdin"
)
COPY_MALFORMED = "copy synthetic.malformed_records (company_id, cache_key, defect) from stdin"


@dataclass(frozen=True)
class GenerationPlan:
    companies: int
    clients_per_company: int
    years: float
    seed: int
    as_of: datetime  # aware; "now" in the generated world
    layout: str = "seed"  # the bot's tables: "seed" (migration file) or "production"

    @property
    def history_start(self) -> datetime:
        return self.as_of - timedelta(days=round(365 * self.years))


@dataclass
class GenerationSummary:
    companies: int = 0
    services: int = 0
    clients: int = 0
    records: int = 0
    cache_rows: int = 0
    bookings: int = 0
    malformed_records: int = 0
    seconds: float = 0.0
    layout: str = "seed"


def generate_data(
    conn: psycopg.Connection,
    plan: GenerationPlan,
    on_salon: Callable[[int, int], None] | None = None,
) -> GenerationSummary:
    """Replace the synthetic data set in the connected database; return what was written."""
    started = time.perf_counter()
    summary = GenerationSummary(layout=plan.layout)
    with conn.transaction():
        _prepare(conn, plan.layout)
        # Records fetched before the midpoint of history come in the older API shape.
        legacy_api_before = plan.history_start + (plan.as_of - plan.history_start) / 2
        for index in range(plan.companies):
            rng = random.Random(f"{plan.seed}:{index}")
            salon = simulate_salon(
                rng, index, plan.clients_per_company, plan.history_start, plan.as_of
            )
            _add_fresh_bot_bookings(rng, salon, plan.as_of)
            if plan.layout == "production":
                _write_production_salon(conn, rng, salon, plan, summary)
            else:
                layout = lay_out_cache(rng, salon, plan.as_of, legacy_api_before)
                _write_salon(conn, salon, layout, plan, summary)
            if on_salon:
                on_salon(index + 1, plan.companies)
        conn.execute(
            "insert into synthetic.datasets (seed, companies, clients_per_company, years,"
            " record_count, cache_row_count, as_of) values (%s, %s, %s, %s, %s, %s, %s)",
            (
                plan.seed,
                plan.companies,
                plan.clients_per_company,
                plan.years,
                summary.records,
                summary.cache_rows,
                plan.as_of,
            ),
        )
        # Row timestamps from the generated world, not the wall clock: same seed, same rows.
        # (The production writer sets its own, in the bot's UTC clock without a zone.)
        if plan.layout == "seed":
            for statement in STAMP_ROWS:
                conn.execute(statement, {"created": plan.history_start, "updated": plan.as_of})
        # Only our tables: a database-wide ANALYZE also takes locks on shared catalogs.
        conn.execute(ANALYZE_TABLES)
    summary.seconds = time.perf_counter() - started
    return summary


def _prepare(conn: psycopg.Connection, layout: str) -> None:
    """Create the bot tables in `layout` and the ground-truth tables; refuse to overwrite a
    real salon database. A database generate-data wrote before is replaced whole, whatever
    layout it had, and what dbt staged from it goes too: the incremental models keep every
    record they saw, and records of a world that no longer exists would stay in them."""
    holds_data = _has_rows(conn, "public.companies")
    if holds_data and not _has_rows(conn, "synthetic.datasets"):
        raise ConfigurationError(
            "this database already holds salon data that generate-data did not write; "
            "point PGDATABASE at an empty database for synthetic data"
        )
    # Every bot table of either layout: a generated database is wiped whole.
    for table in PRODUCTION_TABLES:
        conn.execute(f"drop table if exists public.{table} cascade")
    conn.execute("drop schema if exists synthetic cascade")
    conn.execute("drop schema if exists analytics cascade")
    create_bot_tables(conn, layout)
    conn.execute(sql_file("synthetic_schema.sql"))


def _has_rows(conn: psycopg.Connection, table: str) -> bool:
    if conn.execute("select to_regclass(%s)", (table,)).fetchone()[0] is None:
        return False
    return conn.execute(f"select exists (select from {table})").fetchone()[0]


def _add_fresh_bot_bookings(rng: random.Random, salon: Salon, as_of: datetime) -> None:
    """Future bookings made minutes ago through the bot: in `bookings`, not yet in the cache."""
    regulars = [client for client in salon.clients if client.segment in ("loyal", "occasional")]
    next_id = 400_000_000 + salon.index * 2_000_000 + len(salon.appointments)
    for client in rng.sample(regulars, min(len(regulars), rng.randint(*FRESH_BOOKINGS_PER_SALON))):
        start = (as_of + timedelta(days=rng.randint(1, 10))).replace(
            minute=0, second=0, microsecond=0
        )
        salon.appointments.append(
            Appointment(
                client,
                client.favourite_staff,
                [client.favourite],
                start,
                as_of - timedelta(minutes=rng.uniform(5, 50)),
                2,
                deleted=False,
                is_bot=True,
                is_true_visit=False,
                record_id=next_id,
                comment="Записан через AI администратора",
            )
        )
        next_id += 1


def _write_salon(
    conn: psycopg.Connection,
    salon: Salon,
    layout: CacheLayout,
    plan: GenerationPlan,
    summary: GenerationSummary,
) -> None:
    conn.execute(
        "insert into public.companies (id, name, yclients_company_id, phone, timezone, settings)"
        " values (%s, %s, %s, %s, %s, %s)",
        (
            salon.company_id,
            salon.name,
            salon.company_id,
            f"7495{salon.company_id:07d}",
            salon.timezone.key,
            psycopg.types.json.Jsonb({"kind": salon.kind}),
        ),
    )
    with conn.cursor() as cursor:
        _copy(
            cursor,
            COPY_SERVICES,
            [
                (
                    service.service_id,
                    salon.company_id,
                    service.yclients_service_id,
                    service.spec.title,
                    hash_category(service.spec.category),
                    service.spec.category,
                    service.spec.price_min,
                    service.spec.price_max,
                    service.spec.duration_minutes,
                    service.repeat_visit_days_step,
                )
                for service in salon.services
            ],
        )
        _copy(cursor, COPY_CLIENTS, _client_rows(salon))
        _write_truth(
            cursor,
            salon,
            lambda appointment: (
                "booking" if appointment.record_id in layout.missing_record_ids else "record"
            ),
        )
        bookings = _booking_rows(salon, plan.as_of)
        _copy(cursor, COPY_BOOKINGS, bookings)
        _copy(
            cursor,
            COPY_CACHE_ROWS,
            [
                (
                    row.company_id,
                    row.cache_key,
                    row.appointments_json,
                    row.cached_at,
                    row.expires_at,
                )
                for row in layout.rows
            ],
        )
        _copy(
            cursor,
            COPY_MALFORMED,
            [(row.company_id, row.cache_key, row.defect) for row in layout.malformed],
        )
    summary.companies += 1
    summary.services += len(salon.services)
    summary.clients += len(salon.clients)
    summary.records += len(salon.appointments) - len(layout.missing_record_ids)
    summary.cache_rows += len(layout.rows)
    summary.bookings += len(bookings)
    summary.malformed_records += len(layout.malformed)


def _write_production_salon(
    conn: psycopg.Connection,
    rng: random.Random,
    salon: Salon,
    plan: GenerationPlan,
    summary: GenerationSummary,
) -> None:
    synced_at = plan.as_of - SYNC_HOUR_LAG
    history_from = plan.as_of - timedelta(days=VISIT_HISTORY_DAYS)
    kept_from = plan.as_of - timedelta(days=BOOKINGS_KEPT_DAYS)

    def visible_as(appointment: Appointment) -> str | None:
        # A visit the bot can know of: settled before the nightly sync and inside its two
        # years, or a bot booking of the last week marked completed.
        settled_at = appointment.start_at + timedelta(hours=1)
        if appointment.start_at >= history_from and settled_at <= synced_at:
            return "history"
        if appointment.is_bot and appointment.start_at >= kept_from:
            return "booking"
        return None

    with conn.cursor() as cursor:
        counts = write_production_salon(cursor, rng, salon, plan.as_of, plan.history_start)
        _write_truth(cursor, salon, visible_as)
        _copy(cursor, COPY_MALFORMED, counts.malformed)
    summary.companies += 1
    summary.services += len(salon.services)
    summary.clients += len(salon.clients)
    summary.records += counts.history_entries
    summary.cache_rows += counts.cache_rows
    summary.bookings += counts.bookings
    summary.malformed_records += len(counts.malformed)


def _write_truth(
    cursor: psycopg.Cursor, salon: Salon, visible_as: Callable[[Appointment], str | None]
) -> None:
    """Ground truth: each service's and client's true rhythm, and every visit the bot's
    tables let one see, with the source that shows it."""
    _copy(
        cursor,
        COPY_SERVICE_RHYTHMS,
        [
            (
                salon.company_id,
                service.yclients_service_id,
                service.spec.title,
                round(service.typical_days, 2),
            )
            for service in salon.services
        ],
    )
    _copy(cursor, COPY_CLIENT_RHYTHMS, _truth_rows(salon))
    visits = []
    for appointment in salon.appointments:
        if not (appointment.is_true_visit and appointment.client):
            continue
        source = visible_as(appointment)
        if source:
            visits.append(
                (
                    salon.company_id,
                    appointment.record_id,
                    appointment.client.yclients_client_id,
                    [service.yclients_service_id for service in appointment.services],
                    source,
                    appointment.start_at,
                )
            )
    _copy(cursor, COPY_VISITS, visits)


def hash_category(category: str) -> int:
    """A stable small id per category name (Python's hash() is salted per process)."""
    return sum(ord(char) * (index + 1) for index, char in enumerate(category)) % 10_000


def _client_rows(salon: Salon) -> list[tuple]:
    by_client: dict[int, list[Appointment]] = {}
    for appointment in salon.appointments:
        if appointment.client:
            by_client.setdefault(appointment.client.client_id, []).append(appointment)
    rows = []
    for client in salon.clients:
        # Like the bot's own columns: every record counts, no-shows and cancellations included.
        appointments = by_client.get(client.client_id, [])
        days = [a.start_at.astimezone(salon.timezone).date() for a in appointments]
        tags = ["whatsapp"] if any(a.is_bot for a in appointments) else []
        rows.append(
            (
                client.client_id,
                salon.company_id,
                client.yclients_client_id,
                client.phone,
                f"{client.first_name} {client.surname}".strip() or None,
                len(appointments),
                max(days, default=None),
                min(days, default=None),
                tags,
                client.is_deleted,
                client.blacklisted,
            )
        )
    return rows


def _truth_rows(salon: Salon) -> list[tuple]:
    visits: dict[int, list[Appointment]] = {}
    for appointment in salon.appointments:
        if appointment.is_true_visit and appointment.client:
            visits.setdefault(appointment.client.client_id, []).append(appointment)
    return [
        (
            salon.company_id,
            client.client_id,
            client.yclients_client_id,
            client.phone,
            client.segment,
            client.gender,
            client.favourite.yclients_service_id,
            client.true_interval_days,
            client.prior_log_mean,
            client.prior_log_sd,
            client.gap_log_sd,
            client.skip_probability,
            client.churned_at is not None,
            client.churned_at,
            len(visits.get(client.client_id, [])),
            max((a.start_at for a in visits.get(client.client_id, [])), default=None),
        )
        for client in salon.clients
    ]


def _booking_rows(salon: Salon, as_of: datetime) -> list[tuple]:
    rows = []
    for appointment in kept_bot_bookings(salon, as_of):
        if appointment.deleted:
            status = "cancelled"
        else:
            status = {1: "completed", -1: "no_show", 2: "confirmed"}.get(
                appointment.attendance, "pending"
            )
        services = appointment.services
        rows.append(
            (
                salon.company_id,
                appointment.record_id,
                appointment.client.client_id,
                services[0].yclients_service_id if services else None,
                appointment.staff.staff_id,
                appointment.start_at,
                sum(s.spec.duration_minutes for s in services) or 60,
                status,
                sum(service_cost(s, appointment.record_id) for s in services),
                appointment.created_at,
            )
        )
    return rows
