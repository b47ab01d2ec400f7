"""The campaign engine against real Postgres and Redis, a local gateway and a local Gemini."""

import json
import logging
import threading
from datetime import timedelta

import pytest

from runner import history
from runner.campaign import CampaignRequest
from runner.candidates import load_candidates, load_salon
from runner.connections import connect
from runner.opt_outs import record_opt_out
from runner.ports import DialogContext
from tests.campaign_support import (
    COMPANY,
    OPEN_HOUR,
    add_candidates,
    add_salon,
    campaign_settings,
    history_rows,
    live_run,
    outreach,
    prepare_salon,
    run_once,
)
from tests.fakes import Behaviour, fake_gateway, sent_messages

ARMS = ("control", "waterfall_template", "holdout", "waterfall_ai")


@pytest.fixture
def salon_db(database, conn):
    prepare_salon(conn)
    return database, conn


def test_a_dry_run_shows_messages_and_sends_or_records_nothing(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 8, arms=ARMS)
    events = []

    with outreach(
        database, services.redis_url, settings=campaign_settings(), gateway_url=None, events=events
    ) as out:
        summary = run_once(out, live=False)

    assert summary.counts["would_send"] == 6 and summary.counts["would_hold_out"] == 2
    assert all(e.text for e in events if e.status == "would_send")
    assert history_rows(conn) == []
    assert conn.execute("select count(*) from reactivation.client_contact_claims").fetchone() == (
        0,
    )
    (is_live, status) = conn.execute(
        "select is_live, status from reactivation.campaign_runs"
    ).fetchone()
    assert (is_live, status) == (False, "completed")


def test_a_live_run_sends_each_client_once_records_holdouts_and_leaves_context(
    salon_db, services, redis_conn
):
    database, conn = salon_db
    add_candidates(conn, 8, arms=ARMS)
    phone = "79162300001"
    own_selection = '{"staff": "Ольга"}'
    redis_conn.hset(f"dialog:{COMPANY}:whatsapp:{phone}", mapping={"selection": own_selection})
    redis_conn.expire(f"dialog:{COMPANY}:whatsapp:{phone}", 3600)

    with fake_gateway() as gateway:
        summary = live_run(database, services, gateway)

    sent = sent_messages(gateway)
    assert len(sent) == 6 and len({m["phone"] for m in sent}) == 6
    assert summary.status == "completed"
    assert (summary.counts["sent"], summary.counts["held_out"]) == (6, 2)
    assert summary.counts["source_template"] == 6  # no Gemini key configured
    assert summary.counts["fallback_no_api_key"] == 2
    statuses = dict(history_rows(conn))
    assert sorted(statuses.values()) == ["holdout"] * 2 + ["sent"] * 6
    rows = history_rows(conn, "status, message_text, whatsapp_message_id, context_status")
    for status, text, message_id, context_status in rows:
        if status == "sent":
            assert text and message_id and context_status == "saved"

    dialog = redis_conn.hgetall(f"dialog:{COMPANY}:whatsapp:{phone}")
    assert dialog["selection"] == own_selection  # the bot's own field survived
    action = json.loads(dialog["pendingAction"])
    assert action["type"] == "reactivation_response"
    assert action["messageSent"] == next(m["message"] for m in sent if m["phone"] == phone)
    assert action["reactivationHistoryId"] is not None
    assert dialog["state"] == "active"
    ttl = redis_conn.ttl(f"dialog:{COMPANY}:whatsapp:{phone}")
    assert 72 * 3600 - 60 < ttl <= 72 * 3600
    messages = redis_conn.lrange(f"messages:{COMPANY}:whatsapp:{phone}", 0, -1)
    assert json.loads(messages[0])["sender"] == "bot"
    assert redis_conn.ttl(f"messages:{COMPANY}:whatsapp:{phone}") > 71 * 3600


def test_a_longer_ttl_on_the_dialog_is_never_shortened(salon_db, services, redis_conn):
    database, conn = salon_db
    add_candidates(conn, 1)
    key = f"dialog:{COMPANY}:whatsapp:79162300001"
    redis_conn.hset(key, mapping={"state": "booking"})
    redis_conn.expire(key, 10 * 24 * 3600)

    with fake_gateway() as gateway:
        live_run(database, services, gateway)

    assert redis_conn.ttl(key) > 9 * 24 * 3600


def test_a_rerun_the_same_day_sends_nothing_again(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 5, arms=ARMS)

    with fake_gateway() as gateway:
        for _ in range(2):
            with outreach(
                database, services.redis_url, settings=campaign_settings(), gateway_url=gateway.url
            ) as out:
                summary = run_once(out)

    assert len(sent_messages(gateway)) == 4
    assert summary.counts["sent"] == 0
    assert summary.counts["skipped_contacted_recently"] == 5


def test_two_runners_on_one_salon_at_once_send_no_duplicates(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 40, arms=("control", "waterfall_template"))
    summaries = []

    with fake_gateway(Behaviour(delay_seconds=0.01)) as gateway:

        def runner():
            with outreach(
                database, services.redis_url, settings=campaign_settings(), gateway_url=gateway.url
            ) as out:
                summaries.append(run_once(out))

        threads = [threading.Thread(target=runner) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    phones = [m["phone"] for m in sent_messages(gateway)]
    assert len(phones) == 40 and len(set(phones)) == 40
    assert sum(s.counts["sent"] for s in summaries) == 40
    assert sum(s.counts["skipped_contacted_recently"] for s in summaries) == 40


def test_a_client_who_booked_or_opted_out_since_the_build_is_skipped_with_a_reason(
    salon_db, services
):
    database, conn = salon_db
    add_candidates(conn, 3)
    conn.execute(
        "insert into public.bookings (company_id, client_id, datetime, status)"
        " values (%s, 1, now() + interval '2 days', 'confirmed')",
        (COMPANY,),
    )
    record_opt_out(conn, COMPANY, "+7 916 230-00-02", "просил не писать")

    with fake_gateway() as gateway:
        summary = live_run(database, services, gateway)

    assert [m["phone"] for m in sent_messages(gateway)] == ["79162300003"]
    assert summary.counts["skipped_booked_ahead"] == 1
    assert summary.counts["skipped_opted_out"] == 1
    assert history_rows(conn, "client_id, status, skip_reason") == [
        (1, "skipped", "booked_ahead"),
        (2, "skipped", "opted_out"),
        (3, "sent", None),
    ]


def test_a_certain_gateway_failure_is_recorded_and_the_client_stays_available(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 2)

    with fake_gateway() as gateway:
        gateway.then(Behaviour(status=500))
        with outreach(
            database, services.redis_url, settings=campaign_settings(), gateway_url=gateway.url
        ) as out:
            first = run_once(out)
            second = run_once(out)

    assert (first.counts["failed"], first.counts["sent"]) == (1, 1)
    assert second.counts["sent"] == 1  # the failed client is retried by the next run
    assert [m["phone"] for m in sent_messages(gateway)] == [
        "79162300001",
        "79162300002",
        "79162300001",
    ]


def test_a_timeout_after_the_request_left_is_unknown_and_never_resent(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 2)
    settings = campaign_settings(send_timeout_seconds=0.3)

    with fake_gateway() as gateway:
        gateway.then(Behaviour(delay_seconds=1.0))
        with outreach(
            database, services.redis_url, settings=settings, gateway_url=gateway.url
        ) as out:
            first = run_once(out)
            second = run_once(out)

    assert first.counts["unknown"] == 1 and first.counts["sent"] == 1
    assert second.counts["sent"] == 0
    phones = [m["phone"] for m in sent_messages(gateway)]
    assert phones.count("79162300001") == 1
    assert history_rows(conn, "client_id, status")[:2] == [(1, "unknown"), (2, "sent")]


def test_consecutive_gateway_failures_abort_the_run_and_leave_the_rest_untouched(
    salon_db, services
):
    database, conn = salon_db
    add_candidates(conn, 10)
    settings = campaign_settings(breaker_failures=3)

    with fake_gateway(Behaviour(status=500)) as gateway:
        summary = live_run(database, services, gateway, settings=settings)

    assert summary.status == "aborted" and summary.stop_reason == "breaker"
    assert len(sent_messages(gateway)) == 3
    assert summary.counts["not_reached"] == 7
    assert conn.execute("select count(*) from reactivation.client_contact_claims").fetchone() == (
        0,
    )
    run = conn.execute("select status, stop_reason from reactivation.campaign_runs").fetchone()
    assert run == ("aborted", "breaker")
    with connect(database, autocommit=True) as other:
        assert len(load_candidates(other, COMPANY, None)) == 10  # all available next time


CRASHED_CONTEXT = DialogContext(
    {"type": "reactivation_response", "messageSent": "Здравствуйте!"},
    None,
    "Здравствуйте!",
    "2026-11-24T07:00:00+00:00",
)


def test_a_restart_after_a_crash_between_send_and_record_never_resends(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 3)
    settings = campaign_settings()
    # Given a runner that claimed clients 1 and 2, handed client 1's message to the gateway
    # (the stamp is committed first) and died before recording the answer.
    with connect(database, autocommit=True) as crashed:
        salon = load_salon(crashed, COMPANY)
        run_id = history.start_run(crashed, COMPANY, "run --live", True)
        candidates = load_candidates(crashed, COMPANY, None)
        first, _ = history.claim_and_record(crashed, candidates[0], run_id, 30)
        history.claim_and_record(crashed, candidates[1], run_id, 30)
        history.reserve_send_slot(
            crashed,
            company_id=COMPANY,
            timezone=salon.timezone,
            history_id=first,
            daily_cap=50,
            hourly_cap=10,
            min_gap=timedelta(0),
            text="Здравствуйте!",
            source="template",
            fallback_reason=None,
            context_payload=CRASHED_CONTEXT.to_payload(),
            reply_window_hours=72,
        )
    # When the runner starts again
    with fake_gateway() as gateway:
        summary = live_run(database, services, gateway, settings=settings)

    # Then client 1 (maybe delivered) is unknown and not resent; client 2 (never sent) is sent.
    assert [m["phone"] for m in sent_messages(gateway)] == ["79162300002", "79162300003"]
    assert summary.counts["skipped_contacted_recently"] == 1
    crashed_rows = conn.execute(
        "select client_id, status from reactivation.client_reactivation_history"
        " where run_id = %s order by client_id",
        (run_id,),
    ).fetchall()
    assert crashed_rows == [(1, "unknown"), (2, "skipped")]
    # The maybe-delivered message keeps its context for the client's reply: parked for replay
    # into Redis, and served from Postgres meanwhile.
    parked = conn.execute(
        "select context_status, reactivation.reply_context(company_id, phone)"
        " from reactivation.client_reactivation_history where history_id = %s",
        (first,),
    ).fetchone()
    assert parked == ("parked", CRASHED_CONTEXT.pending_action)
    crashed_run = conn.execute(
        "select status, stop_reason from reactivation.campaign_runs where run_id = %s", (run_id,)
    ).fetchone()
    assert crashed_run == ("failed", "runner_crashed")


def test_a_live_run_leaves_another_salons_crashed_run_alone(salon_db, services, redis_conn):
    database, conn = salon_db
    other = COMPANY + 1
    add_salon(conn, other, "Asia/Yekaterinburg")
    add_candidates(conn, 2)
    add_candidates(conn, 2, company_id=other, first=50)
    # Salon B ran once (its first client's context is in Redis), then its runner claimed the
    # next client and died.
    with (
        fake_gateway() as gateway,
        outreach(
            database, services.redis_url, settings=campaign_settings(), gateway_url=gateway.url
        ) as out,
    ):
        run_once(out, company_id=other, limit=1)
    b_keys = {key: redis_conn.dump(key) for key in redis_conn.scan_iter(f"*:{other}:*")}
    b_ttls = {key: redis_conn.ttl(key) for key in b_keys}
    assert b_keys
    with connect(database, autocommit=True) as crashed:
        run_id = history.start_run(crashed, other, "run --live", True)
        candidate = load_candidates(crashed, other, None)[1]
        history.claim_and_record(crashed, candidate, run_id, 30)
    before = conn.execute(
        "select status, run_id from reactivation.client_reactivation_history where company_id = %s",
        (other,),
    ).fetchall()

    with fake_gateway() as gateway:
        summary = live_run(database, services, gateway, settings=campaign_settings())

    assert summary.counts["sent"] == 2
    assert conn.execute(
        "select status from reactivation.campaign_runs where run_id = %s", (run_id,)
    ).fetchone() == ("running",)
    after = conn.execute(
        "select status, run_id from reactivation.client_reactivation_history where company_id = %s",
        (other,),
    ).fetchall()
    assert after == before and ("claimed", run_id) in after
    # Salon B's Redis keys: the same keys, the same contents, no TTL pushed back.
    assert {key: redis_conn.dump(key) for key in redis_conn.scan_iter(f"*:{other}:*")} == b_keys
    assert all(redis_conn.ttl(key) <= ttl for key, ttl in b_ttls.items())
    # Salon B's own next run closes it.
    with connect(database, autocommit=True) as own:
        recovered = history.recover_abandoned_runs(own, other)
    assert recovered == {"runs": 1, "released": 1, "unknown": 0}


def test_the_daily_cap_stops_the_run_and_releases_the_rest(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 6)
    settings = campaign_settings(daily_cap=4)

    with fake_gateway() as gateway:
        summary = live_run(database, services, gateway, settings=settings)

    assert len(sent_messages(gateway)) == 4
    assert (summary.status, summary.stop_reason) == ("completed", "daily_cap")
    assert summary.counts["not_reached"] == 2


def test_pacing_and_the_hourly_cap_are_shared_by_every_runner_of_a_salon(salon_db):
    database, conn = salon_db
    add_candidates(conn, 3)
    with connect(database, autocommit=True) as a, connect(database, autocommit=True) as b:
        run_id = history.start_run(a, COMPANY, "run --live", True)
        rows = [
            history.claim_and_record(a, c, run_id, 30)[0] for c in load_candidates(a, COMPANY, None)
        ]

        def reserve(conn, history_id, gap_seconds=60, hourly_cap=10):
            return history.reserve_send_slot(
                conn,
                company_id=COMPANY,
                timezone="Europe/Moscow",
                history_id=history_id,
                daily_cap=50,
                hourly_cap=hourly_cap,
                min_gap=timedelta(seconds=gap_seconds),
                text="t",
                source="template",
                fallback_reason=None,
                context_payload=CRASHED_CONTEXT.to_payload(),
                reply_window_hours=72,
            )

        assert reserve(a, rows[0]).granted
        paced = reserve(b, rows[1])  # another runner, a moment later
        assert not paced.granted and 55 < paced.wait_seconds <= 60
        assert reserve(b, rows[1], gap_seconds=0).granted
        capped = reserve(a, rows[2], gap_seconds=0, hourly_cap=2)
        assert not capped.granted and capped.cap_reached is None
        assert 3500 < capped.wait_seconds <= 3600


def test_one_clients_error_never_stops_the_run(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 3)
    # A phone the history column cannot hold: this client's claim fails in Postgres.
    conn.execute(
        "update analytics.reactivation_candidates set phone = repeat('7', 30) where client_id = 2"
    )

    with fake_gateway() as gateway:
        summary = live_run(database, services, gateway)

    assert summary.status == "completed"
    assert summary.counts["sent"] == 2 and summary.counts["errors"] == 1
    assert summary.errors[0]["client_id"] == 2 and summary.errors[0]["step"] == "claim"
    (errors,) = conn.execute("select errors from reactivation.campaign_runs").fetchone()
    assert errors[0]["phone"].count("*") == 3  # masked


def test_a_high_failure_rate_raises_an_alert(salon_db, services, caplog):
    database, conn = salon_db
    add_candidates(conn, 12)
    settings = campaign_settings(breaker_failures=100)

    with fake_gateway() as gateway:
        gateway.then(*[Behaviour(status=500 if i % 2 else 200) for i in range(12)])
        with (
            caplog.at_level(logging.ERROR, logger="runner.alerts"),
            outreach(
                database, services.redis_url, settings=settings, gateway_url=gateway.url
            ) as out,
        ):
            summary = run_once(out)

    assert summary.counts["failed"] == 6
    assert any("6 of 12 sends failed" in r.getMessage() for r in caplog.records)


def test_a_stop_signal_finishes_the_client_in_flight_and_marks_the_run_interrupted(
    salon_db, services
):
    database, conn = salon_db
    add_candidates(conn, 5)
    stop = threading.Event()
    events = []

    def stop_after_first(outcome):
        events.append(outcome)
        stop.set()

    with (
        fake_gateway() as gateway,
        outreach(
            database,
            services.redis_url,
            settings=campaign_settings(),
            gateway_url=gateway.url,
            stop=stop,
        ) as out,
    ):
        out.on_event = stop_after_first
        summary = run_once(out)

    assert (summary.status, summary.stop_reason) == ("interrupted", "signal")
    assert summary.counts["sent"] == 1 and summary.counts["not_reached"] == 4
    assert history_rows(conn, "status")[0] == ("sent",)
    assert conn.execute(
        "select count(*) from reactivation.client_reactivation_history where status = 'claimed'"
    ).fetchone() == (0,)


def test_request_command_names_the_mode():
    assert CampaignRequest(salon=None, live=True).command == "run --live"
    assert (
        CampaignRequest(salon=None, live=True, test_phone="7").command == "run --live --test-phone"
    )
    assert OPEN_HOUR.hour == 7
