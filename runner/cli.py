"""`reactivate`: the operator's command line. Each command parses, calls one function, prints.

Exit codes: 0 success, 1 the job failed, 2 bad usage or configuration.
"""

import logging
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import click
import psycopg

from runner import demo, workflows
from runner.bot_tables import LAYOUTS
from runner.campaign import send_failure
from runner.config import Settings, load_settings, read_environment
from runner.display import CampaignDisplay, print_report, print_summary
from runner.doctor import run_checks
from runner.errors import ConfigurationError, JobFailed, first_line
from runner.phones import mask_phone, parse_operator_phone
from runner.redaction import RedactingFilter, remember_secrets
from runner.report import as_csv, as_json
from runner.report_html import render_html
from runner.synthetic.generate import GenerationPlan

EXIT_FAILED = 1
EXIT_USAGE = 2
TEST_PHONE_DEFAULT_LIMIT = 3  # a smoke test needs a few messages, not a whole campaign


class _ReactivateGroup(click.Group):
    """Turns our two failure kinds into one stderr line and a meaningful exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigurationError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(EXIT_USAGE)
        except JobFailed as error:
            click.echo(f"failed: {error}", err=True)
            ctx.exit(EXIT_FAILED)
        except psycopg.OperationalError as error:
            # The server went away under a command: one line, not a traceback.
            click.echo(f"failed: lost the connection to Postgres: {first_line(error)}", err=True)
            ctx.exit(EXIT_FAILED)


company_option = click.option(
    "--company", "company_id", type=int, required=True, help="YClients company id of the salon."
)
live_option = click.option(
    "--live", is_flag=True, help="Really send. Without it nothing is sent (dry run)."
)


@click.group(cls=_ReactivateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="salon-reactivation", prog_name="reactivate")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
@click.option(
    "--embedded",
    is_flag=True,
    help="Without PG*/REDIS_URL, use the embedded servers under REACTIVATION_EMBEDDED_DIR "
    "(default .embedded): the world `reactivate demo` left.",
)
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read settings from this file (default: ./.env when present). Variables already set "
    "in the environment win.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, embedded: bool, env_file: Path | None) -> None:
    """Bring back salon clients who drifted away, and measure whether it works.

    \b
    Examples:
      reactivate db migrate && reactivate build && reactivate nightly --live
      reactivate --embedded report        # after `reactivate demo`: its data
    """
    ctx.obj = {"embedded": embedded, "env_file": env_file}
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())


@cli.group()
def db() -> None:
    """The runner-owned schema `reactivation`."""


@db.command("migrate")
def db_migrate() -> None:
    """Create or upgrade the `reactivation` schema; safe to repeat and to run concurrently.

    \b
    Example:
      PGHOST=db.local PGDATABASE=bot reactivate db migrate
    """
    applied = workflows.migrate_database(_settings())
    if applied:
        for name in applied:
            click.echo(f"applied {name}")
    else:
        click.echo("schema reactivation is up to date")


@cli.command("generate-data")
@click.option("--companies", default=3, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--clients-per-company", default=300, show_default=True, type=click.IntRange(1, 1_000_000)
)
@click.option("--years", default=2.0, show_default=True, type=click.FloatRange(0.1, 10))
@click.option("--seed", default=42, show_default=True, type=int)
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="'Now' of the generated world, UTC (default: the current time).",
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="seed",
    show_default=True,
    help="The bot's tables: seed = the migration file's layout; production = the tables "
    "salons run (visit_history, one cache row per record, bookings in wall time).",
)
def generate_data(
    companies: int,
    clients_per_company: int,
    years: float,
    seed: int,
    as_of: datetime | None,
    layout: str,
) -> None:
    """Write realistic synthetic salons (and their ground truth) into the configured database.

    Deterministic: the same --seed and --as-of give the same rows. Refuses a database that
    holds salon data it did not generate; one it generated is replaced whole, in either layout.

    \b
    Example:
      reactivate generate-data --companies 100 --clients-per-company 1000 --years 2
      reactivate generate-data --layout production
    """
    plan = GenerationPlan(companies, clients_per_company, years, seed, _as_of(as_of), layout)
    summary = workflows.generate(_settings(), plan, on_salon=_salon_progress)
    click.echo(workflows.describe_generation(summary))


def _salon_progress(done: int, total: int) -> None:
    # About ten lines on stderr however many salons: long work shows it is moving.
    if done == total or done % max(1, total // 10) == 0:
        click.echo(f"generated salon {done} of {total}", err=True)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def build(dbt_args: tuple[str, ...]) -> None:
    """`dbt build` of the project with its profile; extra arguments go to dbt.

    Migrates the runner's schema first (the models read it). dbt's progress goes to stderr.
    Exits 1 naming the failed nodes.

    \b
    Example:
      reactivate build -- --select marts
    """
    outcome = workflows.build(_settings(), dbt_args, quiet=False)
    click.echo(workflows.describe_build(outcome))


@cli.command()
def docs() -> None:
    """Generate the dbt docs (models, columns, tests, lineage) from the configured database.

    The catalog lists the tables the database holds, so build first. Writes
    dbt_project/target/index.html.

    \b
    Example (the demo's database):
      reactivate demo && reactivate --embedded docs
    """
    index, nodes = workflows.generate_docs(_settings())
    click.echo(f"dbt docs: {nodes} tables and views in the catalog, {index}")


@cli.command()
@company_option
@click.option("--limit", type=click.IntRange(min=1), help="At most this many clients.")
@live_option
@click.option(
    "--test-phone",
    help="Smoke test: send every message to this one number (the salon's test phone); "
    "no real client is claimed or recorded.",
)
def run(company_id: int, limit: int | None, live: bool, test_phone: str | None) -> None:
    """One campaign for one salon; a dry run unless --live.

    A dry run prints the messages it would send and sends nothing. Refuses a candidate mart
    older than the last build window (exit 1). SIGTERM/SIGINT finish the client in flight.

    \b
    Examples:
      reactivate run --company 962302 --limit 10
      reactivate run --company 962302 --limit 3 --live --test-phone "+7 900 000-00-01"
    """
    phone = None
    if test_phone is not None:
        phone = parse_operator_phone(test_phone, option="--test-phone")
        limit = limit or TEST_PHONE_DEFAULT_LIMIT
    with CampaignDisplay(live=live) as display:
        summary = workflows.run_salon(
            _settings(),
            company_id,
            limit=limit,
            live=live,
            test_phone=phone,
            on_event=display.on_event,
            on_start=display.on_start,
        )
    print_summary([summary])
    _exit_for([summary])


@cli.command()
@live_option
@click.pass_context
def nightly(ctx: click.Context, live: bool) -> None:
    """Build, then run every live salon; never sends if the build failed.

    Salons the bot does not run (integration_status other than active) or whose data the bot
    stopped syncing are listed with the reason and skipped.

    Exits 1 if the build or any salon's run failed, or a run was aborted.

    \b
    Example (cron, every day at 10:05):
      5 10 * * *  cd /srv/reactivation && .venv/bin/reactivate nightly --live
    """
    verbose = ctx.find_root().params.get("verbose", False)
    with CampaignDisplay(live=live) as display:
        outcome, summaries, refreshed, skipped = workflows.nightly(
            _settings(),
            live=live,
            quiet=not verbose,
            on_event=display.on_event,
            on_start=display.on_start,
        )
    click.echo(workflows.describe_build(outcome), err=True)
    for salon in skipped:
        click.echo(
            f"skipped salon {salon.company_id} ({salon.name}): {salon.skip_reason}", err=True
        )
    if refreshed is not None:
        click.echo(workflows.describe_refresh(refreshed), err=True)
    print_summary(summaries)
    _exit_for(summaries)


def _exit_for(summaries) -> None:
    """Exit 1 when a run stopped early or failed, or its sends failed (campaign.send_failure)."""
    bad = []
    for summary in summaries:
        if summary.status in ("aborted", "failed", "interrupted"):
            why = summary.failure or summary.stop_reason
            bad.append(f"salon {summary.company_id} {summary.status} ({why})")
        elif failure := send_failure(summary):
            bad.append(f"salon {summary.company_id}: {failure}")
    if bad:
        raise JobFailed(", ".join(bad))


@cli.command()
@click.option("--company", "company_id", type=int, help="One salon (default: all salons pooled).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write a self-contained HTML page here.",
)
@click.option(
    "--lang",
    type=click.Choice(["ru", "en"]),
    default="ru",
    show_default=True,
    help="Language of the table and the HTML page.",
)
def report(company_id: int | None, output_format: str, html_file: str | None, lang: str) -> None:
    """A/B conversion report: each arm against the holdout, with 95% intervals.

    \b
    Examples:
      reactivate report
      reactivate report --company 962302 --format csv > ab.csv
      reactivate report --html report.html --lang en
    """
    loaded = workflows.load_ab_report(_settings(), company_id)
    if output_format == "json":
        click.echo(as_json(loaded))
    elif output_format == "csv":
        click.echo(as_csv(loaded), nl=False)
    else:
        print_report(loaded, lang)
    if html_file:
        Path(html_file).write_text(render_html(loaded, lang), encoding="utf-8")
        click.echo(f"HTML report written to {html_file}", err=True)


@cli.group()
def contexts() -> None:
    """Dialog contexts left for the bot in Redis."""


@contexts.command("replay")
def contexts_replay() -> None:
    """Push contexts parked in Postgres while Redis was down, if still inside the reply window.

    \b
    Example:
      reactivate contexts replay
    """
    summary = workflows.replay_contexts(_settings())
    click.echo(
        f"contexts replayed: {summary.replayed}, expired (past the reply window): "
        f"{summary.expired}, failed: {summary.failed}"
    )
    if summary.failed:
        raise JobFailed("some contexts could not be written to Redis; run replay again later")


@contexts.command("refresh")
def contexts_refresh() -> None:
    """Keep every unanswered context alive for its whole reply window.

    The bot cuts the context's TTL to 24 h on each update (its reminders too) and drops it when
    that runs out. This extends each open context to the time its window has left, writes one
    again when it was dropped although the client neither replied nor booked, and leaves alone
    every dialog the bot has moved on from. Safe to repeat; one line of counts.

    \b
    Example (cron, hourly):
      17 * * * *  cd /srv/reactivation && .venv/bin/reactivate contexts refresh
    """
    counts = workflows.refresh_contexts(_settings())
    click.echo(workflows.describe_refresh(counts))
    if counts["failed"]:
        raise JobFailed("some contexts could not be written to Redis; run refresh again later")


@cli.command("opt-out")
@company_option
@click.option("--phone", required=True, help="The client's phone in any common format.")
@click.option("--reason", help="Why, in the client's or operator's words.")
def opt_out(company_id: int, phone: str, reason: str | None) -> None:
    """Record that a client must not be messaged again by this salon.

    \b
    Example:
      reactivate opt-out --company 962302 --phone "+7 916 150-22-39" --reason "просил не писать"
    """
    recorded = workflows.opt_out(_settings(), company_id, phone, reason)
    state = "opted out" if recorded.is_new else "already opted out"
    click.echo(f"{mask_phone(recorded.phone)} {state} of salon {recorded.company_id}")


@cli.command("doctor")
def doctor_command() -> None:
    """Check each configured service and say plainly what is wrong.

    \b
    Exits 1 when a check fails.

    \b
    Example:
      reactivate doctor
    """
    checks = run_checks(_settings())
    for check in checks:
        click.echo(f"{check.label:<4} {check.name}: {check.detail}")
    if any(not check.ok for check in checks):
        raise JobFailed("some checks failed (see above)")


@cli.command("demo")
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="production",
    show_default=True,
    help="The layout of the bot's tables to run on: production is what salons have.",
)
def demo_command(layout: str) -> None:
    """The whole loop on embedded Postgres and Redis (no setup needed).

    \b
    Example:
      reactivate demo
      reactivate demo --layout seed
    """
    demo.run_demo(_settings(), echo=click.echo, layout=layout)


def _settings() -> Settings:
    """The settings every command runs with: the environment (and env file) plus root flags."""
    options = click.get_current_context().find_root().obj or {}
    settings = load_settings(read_environment(options.get("env_file")))
    remember_secrets(
        settings.gemini_api_key,
        settings.sentry_dsn,
        settings.postgres.password if settings.postgres else None,
    )
    return replace(settings, allow_embedded=True) if options.get("embedded") else settings


def _as_of(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    return value.replace(tzinfo=UTC)


def main() -> None:
    cli(prog_name="reactivate")
