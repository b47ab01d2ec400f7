"""What each command does, as plain functions over settings: the CLI only formats results."""

import logging
from collections.abc import Sequence

from runner.config import Settings
from runner.connections import connect, open_services
from runner.dbt import DbtOutcome, run_dbt
from runner.errors import JobFailed
from runner.migrations import migrate
from runner.opt_outs import OptOut, record_opt_out
from runner.synthetic.generate import GenerationPlan, GenerationSummary, generate_data

log = logging.getLogger(__name__)


def migrate_database(settings: Settings) -> list[str]:
    """Apply pending migrations to the configured database; return the applied file names."""
    with open_services(settings, need_redis=False) as services, connect(services.postgres) as conn:
        return [f"{m.version:04d}_{m.name}" for m in migrate(conn)]


def build(settings: Settings, dbt_args: Sequence[str] = (), *, quiet: bool = True) -> DbtOutcome:
    """`dbt build` against the configured database; raise JobFailed naming the failed nodes.

    The runner's schema is migrated first: the models read its history and opt-outs as sources,
    which must exist (even empty) before the first campaign.
    """
    with open_services(settings, need_redis=False) as services:
        return build_on(services.postgres, dbt_args, quiet=quiet)


# Unit tests check the SQL, not the data: they belong to `make test` (and their fixtures assume
# the default cache layout), so the nightly build leaves them out.
_PRODUCTION_BUILD_ARGS = ("--exclude-resource-type", "unit_test")


def build_on(
    postgres, dbt_args: Sequence[str] = (), *, quiet: bool = True, dbt_vars: dict | None = None
) -> DbtOutcome:
    with connect(postgres) as conn:
        migrate(conn)
    outcome = run_dbt(
        postgres, "build", [*_PRODUCTION_BUILD_ARGS, *dbt_args], dbt_vars=dbt_vars, quiet=quiet
    )
    if not outcome.succeeded:
        details = outcome.failures or [outcome.error or "dbt reported a failure"]
        raise JobFailed("dbt build failed:\n  " + "\n  ".join(details))
    return outcome


def opt_out(settings: Settings, company_id: int, phone: str, reason: str | None) -> OptOut:
    with open_services(settings, need_redis=False) as services, connect(services.postgres) as conn:
        migrate(conn)
        return record_opt_out(conn, company_id, phone, reason)


def describe_build(outcome: DbtOutcome) -> str:
    counts = ", ".join(f"{count} {status}" for status, count in sorted(outcome.counts.items()))
    lines = [f"dbt build succeeded: {counts}"]
    lines += [f"  warning: {warning}" for warning in outcome.warnings]
    return "\n".join(lines)


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
