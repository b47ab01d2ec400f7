"""The loop on generated data: build, a live campaign, and history read back by the next build."""

from datetime import UTC, datetime

from runner.connections import connect
from runner.synthetic.generate import GenerationPlan, generate_data
from tests.campaign_support import campaign_settings, outreach, run_once
from tests.fakes import fake_gateway, sent_messages
from tests.support import build_pipeline, campaign_environment, run_cli


def test_history_of_a_live_run_flows_back_into_the_next_build(database, conn, services):
    # Given three salons built today
    plan = GenerationPlan(3, 120, 2.0, 5, datetime.now(UTC).replace(microsecond=0))
    with connect(database, autocommit=True) as setup:
        generate_data(setup, plan)
    build_pipeline(database)
    company_id, due, held_out = conn.execute(
        "select company_id, count(*), count(*) filter (where arm = 'holdout')"
        " from analytics.reactivation_candidates group by 1 order by 2 desc limit 1"
    ).fetchone()
    conn.commit()

    # When the salon's campaign runs live
    with (
        fake_gateway() as gateway,
        outreach(
            database, services.redis_url, settings=campaign_settings(), gateway_url=gateway.url
        ) as out,
    ):
        summary = run_once(out, company_id=company_id)

    # Then every due client was messaged or held out, once
    phones = [m["phone"] for m in sent_messages(gateway)]
    assert summary.status == "completed"
    assert len(phones) == len(set(phones)) == due - held_out == summary.counts["sent"]
    assert summary.counts["held_out"] == held_out

    # And the next build sees the history: nobody is due again inside the cooldown
    build_pipeline(database)
    (left,) = conn.execute(
        "select count(*) from analytics.reactivation_candidates where company_id = %s",
        (company_id,),
    ).fetchone()
    assert left == 0
    (recorded,) = conn.execute(
        "select count(*) from analytics.stg_reactivation__history where status in"
        " ('sent', 'holdout') and company_id = %s",
        (company_id,),
    ).fetchone()
    assert recorded == due


def test_nightly_builds_then_runs_every_active_salon(database, conn, services):
    plan = GenerationPlan(3, 80, 2.0, 9, datetime.now(UTC).replace(microsecond=0))
    with connect(database, autocommit=True) as setup:
        generate_data(setup, plan)
        inactive = setup.execute("select max(id) from public.companies").fetchone()[0]
        setup.execute("update public.companies set is_active = false where id = %s", (inactive,))

    with fake_gateway() as gateway:
        env = campaign_environment(database, services.redis_url, WHATSAPP_API_URL=gateway.url)
        result = run_cli("nightly", "--live", env=env)

    assert result.returncode == 0, result.stderr
    assert "dbt build succeeded" in result.stderr
    runs = conn.execute(
        "select company_id, status from reactivation.campaign_runs order by company_id"
    ).fetchall()
    assert len(runs) == 2 and {status for _, status in runs} == {"completed"}
    assert inactive not in {company for company, _ in runs}
    (sent,) = conn.execute(
        "select count(*) from reactivation.client_reactivation_history where status = 'sent'"
    ).fetchone()
    assert sent == len(sent_messages(gateway)) > 0
