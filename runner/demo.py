"""`reactivate demo`: the whole product on embedded services, from an empty machine.

Embedded Postgres and Redis → migrate → a few synthetic salons → build → a live campaign for
every salon (to a local message sink unless WHATSAPP_API_URL is set; contexts into the real
Redis) → two simulated weeks in which clients reply and book back → build → the A/B report,
on screen and as an HTML page. Running it again starts the demo world afresh.
"""

import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from runner.candidates import salons_to_run
from runner.config import PostgresSettings, Settings, parse_send_days, parse_send_window
from runner.connections import connect, open_services
from runner.demo_gateway import message_sink
from runner.display import print_report, print_summary
from runner.migrations import migrate
from runner.phones import mask_phone
from runner.report import load_report
from runner.report_html import render_html
from runner.simulation import simulate_following_weeks
from runner.synthetic.generate import GenerationPlan, generate_data
from runner.workflows import build_on, describe_build, describe_generation, run_salons

DEMO_PLAN = {"companies": 3, "clients_per_company": 400, "years": 2.0, "seed": 42}
REPORT_FILE = Path("reactivation-demo-report.html")

# Only ever run after generate-data accepted the database as synthetic: wipes the demo's
# campaign history and marts so a second demo starts from the same place as the first.
RESET_DEMO_WORLD = """
drop schema if exists analytics cascade;
truncate reactivation.client_contact_claims, reactivation.client_reactivation_history,
    reactivation.campaign_runs, reactivation.opt_outs restart identity cascade
"""

_CANDIDATES = """
select k.company_id, count(*) as candidates,
    count(*) filter (where k.message_kind = 'none') as held_out,
    string_agg(distinct k.interval_tier, ', ') as tiers
from analytics.reactivation_candidates as k
group by k.company_id
order by k.company_id
"""

_SAMPLE_REASONS = """
select k.company_id, k.client_name, k.arm, k.reason
from analytics.reactivation_candidates as k
where k.priority <= 2
order by k.company_id, k.priority
"""

# After the build, through its views: the same query on either layout.
_CREATED = """
select c.company_id, c.salon_name, c.timezone,
    (select count(*) from analytics.stg_yclients__services s where s.company_id = c.company_id),
    (select count(*) from analytics.stg_yclients__clients cl where cl.company_id = c.company_id),
    (select count(*) from analytics.stg_yclients__records r where r.company_id = c.company_id),
    (select count(*) from analytics.stg_yclients__visit_history h
        where h.company_id = c.company_id)
from analytics.salons as c
order by c.company_id
"""
LAYOUT_NOTES = {
    "production": "the bot's production layout, as salons run it: companies.company_id, "
    "clients.visit_history, one cache row per record, bookings in wall time",
    "seed": "the bot's migration-file layout: a TTL cache of records keyed by date",
}


def run_demo(settings: Settings, echo: Callable[[str], None], layout: str = "production") -> None:
    with ExitStack() as stack:
        services = stack.enter_context(open_services(settings, allow_embedded=True))
        where = "embedded" if services.embedded else "configured"
        echo(f"Postgres ({where}): {services.postgres.host} database {services.postgres.dbname}")
        echo(f"Redis ({where}): {services.redis_url}")
        conn = stack.enter_context(connect(services.postgres))
        applied = migrate(conn)
        echo(f"schema reactivation: {len(applied)} migration(s) applied")

        echo(f"\n== 1. Salon data (synthetic, in {LAYOUT_NOTES[layout]})")
        plan = GenerationPlan(
            as_of=datetime.now(UTC).replace(microsecond=0), layout=layout, **DEMO_PLAN
        )
        generated = generate_data(conn, plan)
        echo(describe_generation(generated))
        conn.execute(RESET_DEMO_WORLD)
        conn.commit()

        echo("\n== 2. Build: visits, return intervals, today's candidates")
        first_build = build_on(services.postgres)
        echo(describe_build(first_build))
        for row in conn.execute(_CREATED):
            company_id, name, timezone, services_count, clients, records, history = row
            echo(
                f"  {company_id} {name} ({timezone}): {services_count} services, "
                f"{clients} clients, {records} cached records, {history} visit-history entries"
            )
        if any("assert_no_quarantined_records" in w for w in first_build.warnings):
            echo(
                f"  (expected: the generator planted {generated.malformed_records} malformed "
                "records, as a real cache has them; each is kept with its reason in "
                "analytics.stg_yclients__quarantined_records, and the rest build as usual)"
            )
        for company_id, candidates, held_out, tiers in conn.execute(_CANDIDATES):
            echo(
                f"  {company_id}: {candidates} clients due today ({held_out} held out);"
                f" intervals from: {tiers}"
            )
        echo("Top candidates and why:")
        for company_id, name, arm, reason in conn.execute(_SAMPLE_REASONS):
            echo(f"  {company_id} {name or '(без имени)'} [{arm}]: {reason}")
        conn.commit()

        echo("\n== 3. Live campaign for every salon")
        campaign_settings = _demo_campaign_settings(settings)
        if settings.whatsapp_api_url:
            echo(f"Sending through the gateway at WHATSAPP_API_URL={settings.whatsapp_api_url}")
            sink = None
        else:
            sink = stack.enter_context(message_sink())
            campaign_settings = replace(campaign_settings, whatsapp_api_url=sink.url)
            echo(
                "WHATSAPP_API_URL is not set: messages go to a local sink that records them "
                "(nothing reaches WhatsApp); dialog contexts go to the real Redis."
            )
        echo(
            "Demo settings: sending hours, caps and pacing are lifted so the run finishes now; "
            + (
                "Gemini writes the AI arm."
                if settings.gemini_api_key
                else "no GEMINI_API_KEY, so every arm uses templates (reason no_api_key)."
            )
        )
        with connect(services.postgres, autocommit=True) as reader:
            salons, _ = salons_to_run(reader, campaign_settings.max_source_lag_hours)
        summaries = run_salons(
            campaign_settings, services, salons, live=True, stop=threading.Event()
        )
        print_summary(summaries)
        if sink is not None:
            echo("Sample messages:")
            for message in sink.messages[:4]:
                echo(f"  {mask_phone(message['phone'])}: {message['message']}")

        echo("\n== 4. Two weeks later (simulated): replies and bookings reach the bot's tables")
        weeks = simulate_following_weeks(conn, seed=DEMO_PLAN["seed"])
        echo(
            f"  {weeks.bookings} bookings written to the cache, {weeks.replies} replies "
            f"({weeks.stop_replies} asking us to stop) in the bot's message log"
        )
        outcome = build_on(services.postgres, as_of=weeks.until.isoformat())
        echo(describe_build(outcome))

        echo("\n== 5. The A/B report")
        with connect(services.postgres, autocommit=True) as reader:
            report = load_report(reader, None)
        print_report(report, "en")
        REPORT_FILE.write_text(render_html(report, "ru"), encoding="utf-8")
        echo(f"\nHTML report (Russian, for the salon owner): {REPORT_FILE.resolve()}")
        echo(_handover(settings, services.postgres, salons[0] if salons else None))


def _handover(settings: Settings, postgres: PostgresSettings, company_id: int | None) -> str:
    """The demo's world outlives it: the servers stop, their data stays for `--embedded`."""
    company = company_id or "ID"
    return f"""
The demo's world stays in {settings.embedded_dir}/ (its servers start again on demand):
  reactivate --embedded report --lang ru    # the A/B report (--format json|csv, --html FILE)
  reactivate --embedded run --company {company}  # a dry run: today's messages, nothing sent
  reactivate --embedded build               # the dbt pipeline again
  reactivate --embedded doctor              # what a real setup still needs
  make docs                                 # dbt docs of this database
  psql -h {postgres.host} -U {postgres.user} {postgres.dbname}   # SQL on the marts"""


def _demo_campaign_settings(settings: Settings) -> Settings:
    return replace(
        settings,
        send_window=parse_send_window("00:00-24:00"),
        send_days=parse_send_days("mon-sun"),
        min_gap_seconds=0.0,
        daily_cap=10_000,
        hourly_cap=10_000,
    )
