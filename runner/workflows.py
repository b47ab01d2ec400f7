"""What each command does, as plain functions over settings: the CLI only formats results."""

import logging

from runner.config import Settings
from runner.connections import connect, open_services
from runner.migrations import migrate
from runner.synthetic.generate import GenerationPlan, GenerationSummary, generate_data

log = logging.getLogger(__name__)


def migrate_database(settings: Settings) -> list[str]:
    """Apply pending migrations to the configured database; return the applied file names."""
    with open_services(settings, need_redis=False) as services, connect(services.postgres) as conn:
        return [f"{m.version:04d}_{m.name}" for m in migrate(conn)]


def generate(settings: Settings, plan: GenerationPlan) -> GenerationSummary:
    with open_services(settings, need_redis=False) as services, connect(services.postgres) as conn:
        return generate_data(conn, plan, on_salon=_log_salon_progress)


def describe_generation(summary: GenerationSummary) -> str:
    return (
        f"generated {summary.companies} salons, {summary.services} services, "
        f"{summary.clients} clients, {summary.records} records in {summary.cache_rows} "
        f"cache rows ({summary.malformed_records} malformed), {summary.bookings} bot bookings "
        f"in {summary.seconds:.1f} s"
    )


def _log_salon_progress(done: int, total: int) -> None:
    log.info("generated salon %d of %d", done, total)
