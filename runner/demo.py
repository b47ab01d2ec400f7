"""`reactivate demo`: the product on embedded services, from an empty machine.

Starts the embedded servers, migrates, generates a small data set, builds the dbt pipeline and
shows today's candidates; the campaign and the report join the loop as they are built.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from runner.config import Settings
from runner.connections import connect, open_services
from runner.migrations import migrate
from runner.synthetic.generate import GenerationPlan, generate_data
from runner.workflows import build_on, describe_build, describe_generation

DEMO_PLAN = {"companies": 3, "clients_per_company": 300, "years": 2.0, "seed": 42}

_CANDIDATES = """
select k.company_id, count(*) as candidates,
    count(*) filter (where k.arm = 'holdout') as held_out,
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

_CREATED = """
select c.id, c.name, c.timezone,
    (select count(*) from public.services s where s.company_id = c.id),
    (select count(*) from public.clients cl where cl.company_id = c.id),
    (select count(*) from public.appointments_cache a where a.company_id = c.id)
from public.companies as c
order by c.id
"""


def run_demo(settings: Settings, echo: Callable[[str], None]) -> None:
    with open_services(settings, allow_embedded=True) as services:
        where = "embedded" if services.embedded else "configured"
        echo(f"Postgres ({where}): {services.postgres.host} database {services.postgres.dbname}")
        echo(f"Redis ({where}): {services.redis_url}")
        with connect(services.postgres) as conn:
            applied = migrate(conn)
            echo(f"schema reactivation: {len(applied)} migration(s) applied")
            plan = GenerationPlan(as_of=datetime.now(UTC).replace(microsecond=0), **DEMO_PLAN)
            echo(describe_generation(generate_data(conn, plan)))
            for company_id, name, timezone, services_count, clients, rows in conn.execute(_CREATED):
                echo(
                    f"  {company_id} {name} ({timezone}): {services_count} services, "
                    f"{clients} clients, {rows} cache rows"
                )
            echo(describe_build(build_on(services.postgres)))
            for company_id, candidates, held_out, tiers in conn.execute(_CANDIDATES):
                echo(
                    f"  {company_id}: {candidates} clients due today ({held_out} held out);"
                    f" intervals from: {tiers}"
                )
            echo("Top candidates and why:")
            for company_id, name, arm, reason in conn.execute(_SAMPLE_REASONS):
                echo(f"  {company_id} {name or '(без имени)'} [{arm}]: {reason}")
    echo("Sending, the bot's context and the A/B report arrive with the next issues.")
