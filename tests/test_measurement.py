"""The measured loop: a live campaign, two simulated weeks, outcomes, the A/B marts, the report,
on both layouts of the bot's tables (the migration file's and the production one)."""

import json
import random
from datetime import UTC, timedelta
from html.parser import HTMLParser

import pytest

from runner.bot_tables import detect_layout
from runner.claims import claim_client
from runner.connections import connect
from runner.opt_outs import sync_reply_opt_outs
from runner.simulation import BOOKING_RATE, simulate_following_weeks
from runner.synthetic.generate import GenerationPlan, generate_data
from tests.campaign_support import campaign_settings, outreach, run_once
from tests.fakes import fake_gateway
from tests.support import build_pipeline, fresh_database, run_cli, service_environment

LATE_RECORD_ID = 990_000_001


@pytest.fixture(scope="module", params=["seed", "production"])
def measured(services, request):
    """Two salons: built, campaigned live, two weeks simulated, built again as of then."""
    from datetime import datetime

    now = datetime.now(UTC).replace(microsecond=0)
    plan = GenerationPlan(2, 250, 2.0, 21, now, layout=request.param)
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, plan)
        build_pipeline(database)
        companies = [
            c for (c,) in conn.execute("select company_id from analytics.salons order by 1")
        ]
        with (
            fake_gateway() as gateway,
            outreach(
                database, services.redis_url, settings=campaign_settings(), gateway_url=gateway.url
            ) as out,
        ):
            for company_id in companies:
                run_once(out, company_id=company_id)
        weeks = simulate_following_weeks(conn, seed=3)
        build_pipeline(database, as_of=weeks.until.isoformat())
        yield database, conn, weeks


def _one(conn, statement, params=None):
    return conn.execute(statement, params).fetchone()


def test_every_sent_or_held_out_row_has_one_outcome(measured):
    _, conn, _ = measured

    history, outcomes, converted = _one(
        conn,
        "select (select count(*) from reactivation.client_reactivation_history"
        "        where status in ('sent', 'holdout')),"
        " (select count(*) from analytics.reactivation_outcomes),"
        " (select count(*) from analytics.reactivation_outcomes where converted)",
    )
    assert outcomes == history > 0
    assert converted > 0


def test_outcomes_match_the_simulated_bookings_inside_the_window(measured):
    _, conn, weeks = measured
    # The simulation wrote one record per booking, id 900_000_000 + history_id.
    expected = {
        history_id
        for (history_id,) in conn.execute(
            """
            select r.record_id - 900000000
            from analytics.stg_yclients__records r
            join reactivation.client_reactivation_history h
                on h.history_id = r.record_id - 900000000
            where r.record_id between 900000000 and 990000000
                and r.created_at <= coalesce(h.sent_at, h.claimed_at) + interval '7 days'
            """
        )
    }
    converted = {
        history_id
        for (history_id,) in conn.execute(
            "select history_id from analytics.reactivation_outcomes where converted"
        )
    }
    assert converted == expected
    assert weeks.bookings >= len(expected)


def test_the_summary_pools_salons_and_compares_each_arm_with_the_holdout(measured):
    _, conn, _ = measured

    rows = conn.execute(
        "select company_id, arm, n, conversions, conversion_rate, ci_low, ci_high,"
        " uplift_vs_holdout, p_value from analytics.ab_conversion_summary"
    ).fetchall()
    pooled = {row[1]: row[2:] for row in rows if row[0] is None}
    per_salon = [row for row in rows if row[0] is not None]
    assert set(pooled) == {"holdout", "control", "waterfall_template", "waterfall_ai"}
    for arm, (n, conversions, *_rest) in pooled.items():
        assert n == sum(r[2] for r in per_salon if r[1] == arm)
        assert conversions == sum(r[3] for r in per_salon if r[1] == arm)
    assert pooled["holdout"][5] is None  # no uplift of the holdout over itself
    assert all(0 <= p <= 1 for (*_, p) in rows if p is not None)


def test_a_late_arriving_record_converts_on_the_next_build(measured):
    database, conn, weeks = measured
    history_id, company_id, yclients_client_id, contacted_at = _one(
        conn,
        """
        select o.history_id, o.company_id, o.client_id, o.sent_at
        from analytics.reactivation_outcomes o
        where not o.converted and o.arm = 'holdout'
        order by o.history_id limit 1
        """,
    )
    created = contacted_at + timedelta(days=3)
    record = {
        "id": LATE_RECORD_ID,
        "company_id": company_id,
        "staff_id": 1,
        "services": [],
        "client": {"id": yclients_client_id, "name": "", "phone": ""},
        "datetime": (created + timedelta(days=2)).isoformat(),
        "create_date": created.isoformat(),
        "last_change_date": created.isoformat(),
        "attendance": 1,
        "deleted": False,
    }
    # The bot's sync fetches it only days after the window closed.
    _cache_late(conn, record, fetched_at=weeks.until + timedelta(days=1))

    build_pipeline(database, as_of=(weeks.until + timedelta(days=1)).isoformat())

    converted, converted_at = _one(
        conn,
        "select converted, converted_at from analytics.reactivation_outcomes where history_id = %s",
        (history_id,),
    )
    assert converted and converted_at == created


def _cache_late(conn, record: dict, fetched_at) -> None:
    if detect_layout(conn) == "production":
        # The per-record cache: one row per record, the bot's UTC clock without a zone.
        conn.execute(
            "insert into public.appointments_cache (yclients_record_id, company_id, client_id,"
            " raw_data, created_at, updated_at) values (%s, %s, %s, %s, %s, %s)",
            (
                record["id"],
                record["company_id"],
                record["client"]["id"],
                json.dumps(record),
                *[fetched_at.astimezone(UTC).replace(tzinfo=None)] * 2,
            ),
        )
    else:
        conn.execute(
            "insert into public.appointments_cache (company_id, cache_key, appointments,"
            " cached_at, expires_at) values (%s, 'late-key', %s, %s, %s)",
            (
                record["company_id"],
                json.dumps([record]),
                fetched_at,
                fetched_at + timedelta(days=29),
            ),
        )


def test_a_stop_reply_becomes_an_opt_out_every_claim_respects(measured):
    _, conn, _ = measured
    company_id, client_id, phone = _one(
        conn,
        """
        select h.company_id, h.client_id, h.phone
        from analytics.int_opt_outs_unioned o
        join reactivation.client_reactivation_history h
            on h.company_id = o.company_id and h.phone = o.phone
        where o.opt_out_source = 'reply'
        limit 1
        """,
    )
    assert _one(
        conn,
        "select count(*) from analytics.reactivation_candidates where company_id = %s"
        " and phone = %s",
        (company_id, phone),
    ) == (0,)

    assert sync_reply_opt_outs(conn) > 0
    conn.execute(
        "delete from reactivation.client_contact_claims where company_id = %s and client_id = %s",
        (company_id, client_id),
    )
    claim = claim_client(
        conn, company_id=company_id, client_id=client_id, phone=phone, cooldown_days=30
    )
    assert claim.skip_reason == "opted_out"


def test_replies_are_measured_with_their_class(measured):
    _, conn, _ = measured

    classes = dict(
        conn.execute(
            "select reply_class, count(*) from analytics.reactivation_outcomes"
            " where replied group by 1"
        ).fetchall()
    )
    assert classes.get("positive", 0) > 0 and classes.get("negative", 0) > 0
    (reply_rate,) = _one(
        conn,
        "select reply_rate from analytics.ab_conversion_summary"
        " where company_id is null and arm = 'waterfall_ai'",
    )
    assert 0 < reply_rate < 1


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.bars, self.points, self.text = [], {}, {}, []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "rect" and attributes.get("class") == "bar":
            self.bars[attributes["data-arm"]] = float(attributes["data-rate"])
        if tag == "circle" and attributes.get("class") == "uplift":
            self.points[attributes["data-arm"]] = float(attributes["data-uplift"])

    def handle_data(self, data):
        self.text.append(data)


def test_the_report_command_writes_json_csv_and_a_self_contained_html_page(
    measured, services, tmp_path
):
    database, conn, _ = measured
    env = service_environment(database)
    page = tmp_path / "report.html"

    as_json = run_cli("report", "--format", "json", env=env)
    as_csv = run_cli("report", "--format", "csv", env=env)
    as_table = run_cli("report", "--lang", "en", "--html", str(page), env=env)

    assert as_json.returncode == as_csv.returncode == as_table.returncode == 0, as_table.stderr
    summary = {row["arm"]: row for row in json.loads(as_json.stdout)["summary"]}
    assert set(summary) == {"holdout", "control", "waterfall_template", "waterfall_ai"}
    assert as_csv.stdout.splitlines()[0].startswith("company_id,arm,n,conversions")
    assert len(as_csv.stdout.splitlines()) == 5
    assert "Timed by rhythm, AI text" in as_table.stdout
    assert "Decision rule:" in as_table.stdout and "Holm" in as_table.stdout
    assert {"p_value_holm", "beats_holdout"} <= set(summary["waterfall_ai"])

    parsed = _Page()
    parsed.feed(page.read_text(encoding="utf-8"))
    assert {tag for tag, _ in parsed.tags}.isdisjoint({"script", "link", "img", "iframe"})
    assert parsed.bars == pytest.approx(
        {arm: row["conversion_rate"] for arm, row in summary.items()}
    )
    # Per message, only the arms timed like the holdout are compared with it.
    assert set(parsed.points) == {"waterfall_template", "waterfall_ai"}
    assert summary["control"]["uplift_vs_holdout"] is None
    assert parsed.points["waterfall_ai"] == pytest.approx(
        summary["waterfall_ai"]["uplift_vs_holdout"]
    )
    text = " ".join(parsed.text)
    assert "Reactivation" in text and "Recent campaign runs" in text
    ai = summary["waterfall_ai"]
    assert f"{ai['conversion_rate'] * 100:.1f}%" in text
    runs = _one(conn, "select count(*) from reactivation.campaign_runs where is_live")[0]
    assert sum(1 for tag, a in parsed.tags if tag == "tr") >= runs
    assert "Report as of" in text and "Revenue" in text and "Replied" in text
    assert any(tag == "line" and a.get("class") == "zero" for tag, a in parsed.tags)


def test_the_russian_page_writes_numbers_dates_and_salons_as_an_owner_reads_them(
    measured, services, tmp_path
):
    database, conn, _ = measured
    page = tmp_path / "report.html"

    result = run_cli("report", "--html", str(page), env=service_environment(database))

    assert result.returncode == 0, result.stderr
    parsed = _Page()
    parsed.feed(page.read_text(encoding="utf-8"))
    text = " ".join(parsed.text)
    rate, measured_at = _one(
        conn,
        "select conversion_rate, measured_at from analytics.ab_conversion_summary"
        " where company_id is null and arm = 'waterfall_ai'",
    )
    assert f"{float(rate) * 100:.1f}".replace(".", ",") + "\u202f%" in text  # 14,4 %
    assert "п. п." in text and "Без сообщения" in text and "контроль" not in text.lower()
    assert f"Отчёт на {measured_at.date().isoformat()}" in text
    assert "7 дн." in text and "72 ч" in text  # the windows the numbers were measured with
    assert "Выручка" in text and "Ответили" in text and "₽" in text
    salon, started = _one(
        conn,
        "select s.salon_name, r.started_at at time zone s.timezone"
        " from reactivation.campaign_runs r join analytics.salons s using (company_id)"
        " where r.is_live order by r.run_id desc limit 1",
    )
    assert salon in text and started.strftime("%Y-%m-%d %H:%M") in text
    zero_lines = [a for tag, a in parsed.tags if tag == "line" and a.get("class") == "zero"]
    assert len(zero_lines) == 2  # both charts start their axis at a drawn zero


def test_without_a_key_the_ai_arm_is_simulated_exactly_like_the_template_arm(measured):
    """The demo's effect follows what each client received, never the arm's name: the
    campaign here ran without a Gemini key, so the AI arm sent templates and booked by the
    template's chance. Each booking the simulation wrote must lie under that chance."""
    _, conn, _ = measured
    rows = conn.execute(
        """
        select h.history_id, h.arm, coalesce(h.message_source, 'nothing'),
            exists (select 1 from analytics.stg_yclients__records r
                    where r.record_id = 900000000 + h.history_id) as booked
        from reactivation.client_reactivation_history h
        where h.status in ('sent', 'holdout')
        """
    ).fetchall()
    assert set(BOOKING_RATE) == {"nothing", "template", "ai"}  # no arm in the simulation
    assert {received for _, arm, received, _ in rows if arm == "waterfall_ai"} == {"template"}
    for history_id, _, received, booked in rows:
        chance = random.Random(f"3:{history_id}").random()  # the simulation's first draw
        if booked:
            assert chance < BOOKING_RATE[received], history_id
    ai = [b for _, arm, _, b in rows if arm == "waterfall_ai"]
    template = [b for _, arm, _, b in rows if arm == "waterfall_template"]
    assert ai and template


def test_intent_to_treat_compares_all_four_arms_once_the_windows_close(measured):
    """Last in the module: it builds as of two and a half months later."""
    database, conn, weeks = measured
    windows, opened = _one(
        conn,
        "select count(*), count(distinct arm) from analytics.experiment_windows",
    )
    assert windows > 0 and opened == 4

    build_pipeline(database, as_of=(weeks.until + timedelta(days=75)).isoformat())

    rows = {
        row[0]: row[1:]
        for row in conn.execute(
            "select arm, n, windows_open, uplift_vs_holdout, p_value_holm, uplift_vs_rule,"
            " srm_p_value, minimum_detectable_uplift"
            " from analytics.itt_conversion_summary where company_id is null"
        ).fetchall()
    }
    assert set(rows) == {"holdout", "control", "waterfall_template", "waterfall_ai"}
    assert all(n > 0 for n, *_ in rows.values())
    assert rows["holdout"][2] is None and rows["control"][2] is not None  # all vs the holdout
    assert rows["control"][4] is None  # the rule's arm is the timing baseline
    assert rows["waterfall_ai"][4] is not None and rows["waterfall_template"][4] is not None
    assert all(0 <= p <= 1 for _, _, _, p, _, _, _ in rows.values() if p is not None)
    assert rows["holdout"][5] > 0.001  # assignment by hash: no sample-ratio alarm
    assert all(mde is None or mde > 0 for *_, mde in rows.values())
