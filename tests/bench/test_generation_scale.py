"""Scale of `generate-data`: about a million records, timed and sized. Run by `make bench`."""

from datetime import UTC, datetime

import pytest

from runner.connections import connect
from runner.synthetic.generate import GenerationPlan, generate_data
from tests.support import fresh_database

pytestmark = pytest.mark.bench

SCALE = GenerationPlan(
    companies=100,
    clients_per_company=1000,
    years=2,
    seed=7,
    as_of=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
)


def test_generate_about_a_million_records(services):
    with fresh_database(services) as database, connect(database) as conn:
        summary = generate_data(conn, SCALE)
        size = conn.execute(
            "select pg_size_pretty(pg_total_relation_size('public.appointments_cache'))"
        ).fetchone()[0]

    print(
        f"\n[bench] generate-data 100 salons x 1000 clients x 2 years: "
        f"{summary.records:,} records in {summary.cache_rows:,} cache rows, "
        f"{summary.seconds:.1f} s ({summary.records / summary.seconds:,.0f} records/s), "
        f"appointments_cache {size}"
    )
    assert summary.records > 900_000
