"""`reactivate demo`: the product on embedded services, from an empty machine.

At this stage it starts the embedded servers, migrates, generates a small data set and shows
what it created; later capabilities extend it to the full loop.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from runner.config import Settings
from runner.connections import connect, open_services
from runner.migrations import migrate
from runner.synthetic.generate import GenerationPlan, generate_data
from runner.workflows import describe_generation

DEMO_PLAN = {"companies": 3, "clients_per_company": 300, "years": 2.0, "seed": 42}

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
    echo("Next capabilities (dbt build, campaign, report) arrive with the following issues.")
