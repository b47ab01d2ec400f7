"""What each command does, as plain functions over settings: the CLI only formats results."""

import json
import logging
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from runner.alerts import configure_alerts
from runner.campaign import CampaignRequest, RunSummary, run_campaign
from runner.candidates import (
    check_mart_fresh,
    load_salon,
    salons_to_run,
    stale_source_reason,
)
from runner.composition import campaign_adapters, context_store, needs_redis, outreach_from
from runner.config import Settings
from runner.connections import connect, connection_lost, open_services
from runner.contexts import ReplaySummary, refresh_open_contexts, replay_parked_contexts
from runner.dbt import DBT_TARGET_DIR, FAILED_STATUSES, DbtOutcome, run_dbt
from runner.dbt_seeds import LEAVE_SEEDS_OUT, record_loaded_seeds, seed_fingerprint, seeds_loaded
from runner.errors import JobFailed
from runner.migrations import migrate
from runner.opt_outs import OptOut, record_opt_out, sync_reply_opt_outs
from runner.report import Report, load_report
from runner.signals import stop_on_signals
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
    postgres,
    dbt_args: Sequence[str] = (),
    *,
    quiet: bool = True,
    as_of: str | None = None,
    dbt_vars: dict | None = None,
) -> DbtOutcome:
    fingerprint = seed_fingerprint()
    with connect(postgres) as conn:
        migrate(conn)
        # An operator's own dbt arguments get dbt's own behaviour, seeds included.
        seeds_unchanged = not dbt_args and seeds_loaded(conn, fingerprint)
    outcome = run_dbt(
        postgres,
        "build",
        [*_PRODUCTION_BUILD_ARGS, *(LEAVE_SEEDS_OUT if seeds_unchanged else ()), *dbt_args],
        dbt_vars=dbt_vars,
        as_of=as_of,
        quiet=quiet,
    )
    if not outcome.succeeded:
        details = outcome.failures or [outcome.error or "dbt reported a failure"]
        raise JobFailed("dbt build failed:\n  " + "\n  ".join(details))
    if not dbt_args and not seeds_unchanged:
        # Only after the whole build passed: a seed whose tests failed loads again next time.
        with connect(postgres) as conn:
            record_loaded_seeds(conn, fingerprint)
    return outcome


def generate_docs(settings: Settings) -> tuple[Path, int]:
    """`reactivate docs`: dbt's docs site; returns its index page and the catalog's node count."""
    with open_services(settings, need_redis=False) as services:
        outcome = run_dbt(services.postgres, "docs generate")
    if not outcome.succeeded:
        raise JobFailed(f"dbt docs generate failed: {outcome.error or 'see the log above'}")
    catalog = json.loads((DBT_TARGET_DIR / "catalog.json").read_text(encoding="utf-8"))
    nodes = len(catalog.get("nodes", {}))
    if not nodes:
        raise JobFailed(
            "the catalog is empty: the database holds no built models; run `reactivate build` "
            "(or `reactivate demo`, then `reactivate --embedded docs`)"
        )
    return DBT_TARGET_DIR / "index.html", nodes


def opt_out(settings: Settings, company_id: int, phone: str, reason: str | None) -> OptOut:
    with open_services(settings, need_redis=False) as services, connect(services.postgres) as conn:
        migrate(conn)
        load_salon(conn, company_id)  # refuses a salon that does not exist
        return record_opt_out(conn, company_id, phone, reason)


# dbt's own summary line ("Done. PASS=101 WARN=1 ERROR=0 SKIP=0 NO-OP=0 TOTAL=102"): models
# that ran ('success') and tests that held ('pass') are both PASS there.
_DBT_SUMMARY = {
    "PASS": ("success", "pass"),
    "WARN": ("warn",),
    "ERROR": FAILED_STATUSES,
    "SKIP": ("skipped",),
    "NO-OP": ("no-op",),
}


def describe_build(outcome: DbtOutcome) -> str:
    totals = {
        label: sum(outcome.counts.get(status, 0) for status in statuses)
        for label, statuses in _DBT_SUMMARY.items()
    }
    counts = " ".join(f"{label}={count}" for label, count in totals.items())
    lines = [f"dbt build succeeded: {counts} TOTAL={sum(outcome.counts.values())}"]
    lines += [f"  warning: {warning}" for warning in outcome.warnings]
    return "\n".join(lines)


def generate(settings: Settings, plan: GenerationPlan, on_salon=None) -> GenerationSummary:
    """`reactivate generate-data`; `on_salon(done, total)` after each salon is written."""
    with open_services(settings, need_redis=False) as services, connect(services.postgres) as conn:
        return generate_data(conn, plan, on_salon=on_salon or _log_salon_progress)


def describe_generation(summary: GenerationSummary) -> str:
    return (
        f"generated {summary.companies} salons, {summary.services} services, "
        f"{summary.clients} clients, {summary.records} records in {summary.cache_rows} "
        f"cache rows ({summary.malformed_records} malformed), {summary.bookings} bot bookings "
        f"in {summary.seconds:.1f} s ({summary.layout} layout)"
    )


def _log_salon_progress(done: int, total: int) -> None:
    log.info("generated salon %d of %d", done, total)


def run_salon(
    settings: Settings,
    company_id: int,
    *,
    limit: int | None,
    live: bool,
    test_phone: str | None = None,
    on_event=None,
    on_start=None,
) -> RunSummary:
    """`reactivate run`: one salon's campaign (a dry run unless live)."""
    with (
        open_services(settings, need_redis=needs_redis(settings, live)) as services,
        stop_on_signals() as stop,
    ):
        return run_salons(
            settings,
            services,
            [company_id],
            limit=limit,
            live=live,
            test_phone=test_phone,
            stop=stop,
            on_event=on_event,
            on_start=on_start,
        )[0]


def nightly(settings: Settings, *, live: bool, quiet: bool = True, on_event=None, on_start=None):
    """`reactivate nightly`: build, then every live salon; no campaign after a failed build.

    Returns the build's outcome, the runs, the refreshed dialog contexts (a live nightly
    refreshes them; None in a dry run) and the salons skipped, each with its skip_reason.
    """
    with (
        open_services(settings, need_redis=needs_redis(settings, live)) as services,
        stop_on_signals() as stop,
    ):
        outcome = build_on(services.postgres, quiet=quiet)  # raises JobFailed: nothing is sent
        with connect(services.postgres, autocommit=True) as conn:
            salons, skipped = salons_to_run(conn, settings.max_source_lag_hours)
        for salon in skipped:
            log.warning("salon %s skipped: %s", salon.company_id, salon.skip_reason)
        summaries = run_salons(
            settings, services, salons, live=live, stop=stop, on_event=on_event, on_start=on_start
        )
        # The bot cut earlier contexts to 24 h; an hourly cron does this between nights.
        refreshed = refresh_on(settings, services) if live else None
        return outcome, summaries, refreshed, skipped


def run_salons(
    settings: Settings,
    services,
    company_ids: list[int],
    *,
    live: bool,
    stop,
    limit: int | None = None,
    test_phone: str | None = None,
    on_event=None,
    on_start=None,
) -> list[RunSummary]:
    """Campaigns for these salons, one after another, on one set of adapters."""
    configure_alerts(settings.sentry_dsn)
    summaries = []
    with campaign_adapters(settings, services, live=live) as adapters:
        conn = adapters["conn"]
        migrate(conn)  # the campaign writes columns the latest migrations add
        if live:
            synced = sync_reply_opt_outs(conn)
            if synced:
                log.warning("%d client(s) asked to stop in a reply: recorded as opt-outs", synced)
        check_mart_fresh(conn, settings.mart_max_age_hours)
        outreach = outreach_from(
            adapters,
            settings,
            services,
            stop=stop,
            on_event=on_event or (lambda outcome: None),
            on_start=on_start or (lambda company_id, candidates: None),
        )
        for position, company_id in enumerate(company_ids):
            if stop.is_set():
                break
            if connection_lost(conn):
                left = ", ".join(str(c) for c in company_ids[position:])
                log.error("lost the connection to Postgres: salon(s) %s not run", left)
                break
            salon = load_salon(conn, company_id)
            refused = salon.skip_reason or stale_source_reason(salon, settings.max_source_lag_hours)
            if refused:
                raise JobFailed(f"salon {company_id} is not run: {refused}")
            request = CampaignRequest(salon, limit=limit, live=live, test_phone=test_phone)
            # A salon's failure is recorded in its run and alerted; the next salon still runs.
            summaries.append(run_campaign(outreach, request))
    return summaries


def replay_contexts(settings: Settings) -> ReplaySummary:
    """`reactivate contexts replay`: push parked contexts still inside the reply window."""
    with open_services(settings) as services, ExitStack() as stack:
        conn = stack.enter_context(connect(services.postgres, autocommit=True))
        migrate(conn)
        store = context_store(settings, services, stack)
        return replay_parked_contexts(conn, store)


def refresh_contexts(settings: Settings) -> Counter:
    """`reactivate contexts refresh`: keep unanswered contexts alive for their whole window."""
    with open_services(settings) as services:
        return refresh_on(settings, services)


def refresh_on(settings: Settings, services) -> Counter:
    with ExitStack() as stack:
        conn = stack.enter_context(connect(services.postgres, autocommit=True))
        migrate(conn)
        return refresh_open_contexts(conn, context_store(settings, services, stack))


def describe_refresh(counts: Counter) -> str:
    order = ("extended", "restored", "kept", "replied", "answered", "moved_on", "failed")
    return "contexts refreshed: " + ", ".join(f"{name} {counts[name]}" for name in order)


def load_ab_report(settings: Settings, company_id: int | None) -> Report:
    """`reactivate report`: the A/B marts for one salon or all salons pooled."""
    with (
        open_services(settings, need_redis=False) as services,
        connect(services.postgres, autocommit=True) as conn,
    ):
        if company_id is not None:
            load_salon(conn, company_id)  # refuses a salon that does not exist
        return load_report(conn, company_id)
