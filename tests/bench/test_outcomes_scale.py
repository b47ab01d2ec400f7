"""Outcome measurement as history grows. Run by `make bench`.

20 salons x 1,000 clients; every client due on each of several past "campaign days" is
recorded as messaged or held out (history written as the runner would), bookings simulated,
then: the full build of the outcome marts, and the nightly incremental build after one more
campaign day. Reports both times from dbt's own timing.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest

from runner.connections import connect
from runner.dbt import DBT_PROJECT_DIR
from runner.simulation import simulate_following_weeks
from runner.synthetic.generate import GenerationPlan, generate_data
from tests.support import build_pipeline, fresh_database

pytestmark = pytest.mark.bench

AS_OF = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PLAN = GenerationPlan(companies=20, clients_per_company=1000, years=2, seed=5, as_of=AS_OF)

# One campaign day: every client not contacted in the last 30 days gets a history row, as if
# the runner had claimed them that day (status by arm).
CAMPAIGN_DAY = """
insert into reactivation.client_reactivation_history
    (company_id, client_id, phone, arm, status, interval_tier, message_source, message_text,
     claimed_at, sent_at, updated_at)
select c.company_id, c.client_id, c.phone, c.arm,
    case when c.arm = 'holdout' then 'holdout' else 'sent' end,
    c.interval_tier,
    case when c.arm = 'holdout' then null else 'template' end,
    case when c.arm = 'holdout' then null else 'Здравствуйте! Записать вас?' end,
    %(day)s, case when c.arm = 'holdout' then null else %(day)s::timestamptz end, %(day)s
from analytics.reactivation_candidates c
where (c.company_id * 31 + c.client_id) %% %(share)s = 0
"""


# The nightly increment: one more campaign day for a twentieth of the clients already measured.
ONE_MORE_DAY = """
insert into reactivation.client_reactivation_history
    (company_id, client_id, phone, arm, status, interval_tier, message_source, message_text,
     claimed_at, sent_at, updated_at)
select h.company_id, h.client_id, h.phone, h.arm, h.status, h.interval_tier, h.message_source,
    h.message_text, %(day)s, case when h.sent_at is not null then %(day)s::timestamptz end,
    %(day)s
from reactivation.client_reactivation_history as h
where h.history_id %% 20 = 0
"""


def _model_seconds(name: str) -> float:
    results = json.loads((DBT_PROJECT_DIR / "target" / "run_results.json").read_text())
    return next(
        r["execution_time"] for r in results["results"] if r["unique_id"].endswith(f".{name}")
    )


def test_outcomes_stay_fast_as_history_grows(services):
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, PLAN)
        build_pipeline(database, as_of=AS_OF.isoformat())
        for days_ago in range(60, 0, -6):
            conn.execute(CAMPAIGN_DAY, {"day": AS_OF - timedelta(days=days_ago), "share": 1})
        simulate_following_weeks(conn, seed=1)
        rows = conn.execute("select count(*) from reactivation.client_reactivation_history")
        history = rows.fetchone()[0]

        build_pipeline(database, as_of=AS_OF.isoformat())
        full = _model_seconds("reactivation_outcomes")

        added = conn.execute(ONE_MORE_DAY, {"day": AS_OF}).rowcount
        build_pipeline(database, as_of=(AS_OF + timedelta(hours=12)).isoformat())
        incremental = _model_seconds("reactivation_outcomes")
        measured = conn.execute("select count(*) from analytics.reactivation_outcomes")

        print(
            f"\n[bench] outcomes over {history:,} history rows "
            f"(+{added:,} on one more campaign day, {measured.fetchone()[0]:,} measured):"
            f"\n  full build of reactivation_outcomes: {full:.2f} s"
            f"\n  incremental after one more campaign day: {incremental:.2f} s"
            f" ({incremental / full:.2f} of the full)"
        )
        assert added > 0
