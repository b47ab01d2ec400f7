"""The campaign with Gemini, the shared rate limiter, Redis outages, sending hours, test phone."""

import json
import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest

from runner.adapters.dialog_context import RedisContextStore
from runner.adapters.gemini import retry_delay_seconds
from runner.adapters.rate_limiter import RedisRateLimiter
from runner.config import parse_send_days, parse_send_window
from runner.connections import connect
from runner.contexts import replay_parked_contexts
from runner.sending_hours import window_state
from tests.campaign_support import (
    COMPANY,
    add_candidates,
    add_salon,
    campaign_settings,
    history_rows,
    live_run,
    outreach,
    prepare_salon,
    run_once,
)
from tests.fakes import Behaviour, fake_gateway, fake_gemini, sent_messages

AI = ("waterfall_ai",)


@pytest.fixture
def salon_db(database, conn):
    prepare_salon(conn)
    return database, conn


def _sources(conn):
    return history_rows(conn, "message_source, fallback_reason")


def test_ai_messages_come_from_gemini_in_batches(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 12, arms=AI)
    settings = campaign_settings(batch_size=5)

    with fake_gemini() as gemini, fake_gateway() as gateway:
        summary = live_run(database, services, gateway, gemini=gemini, settings=settings)

    assert len(gemini.requests) == 3  # 12 clients, 5 per request
    assert summary.counts["source_ai"] == 12
    assert all(m["message"].endswith("Записать вас?") for m in sent_messages(gateway))
    assert set(_sources(conn)) == {("ai", None)}


def test_bad_model_output_falls_back_to_a_template_with_the_reason(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 3, arms=AI)
    bad = [
        {"client_ref": "0", "message": "Конечно, вот сообщение: приходите!"},
        {"client_ref": "1", "message": "Здравствуйте! Скидка 30% на стрижку. Записать вас?"},
    ]  # and client 2 is missing from the answer

    with fake_gemini(Behaviour(body=bad)) as gemini, fake_gateway() as gateway:
        summary = live_run(database, services, gateway, gemini=gemini)

    assert _sources(conn) == [
        ("template", "preamble"),
        ("template", "invented_offer"),
        ("template", "missing_in_response"),
    ]
    assert summary.counts["sent"] == 3


def test_an_answer_that_is_not_json_falls_back(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 2, arms=AI)

    with fake_gemini(Behaviour(body="Вот ваши сообщения: ...")) as gemini, fake_gateway() as gw:
        live_run(database, services, gw, gemini=gemini)

    assert _sources(conn) == [("template", "malformed_response")] * 2


def test_no_api_key_means_templates_with_the_reason(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 2, arms=AI)

    with fake_gateway() as gateway:
        live_run(database, services, gateway)

    assert _sources(conn) == [("template", "no_api_key")] * 2


def test_a_429_with_retry_delay_is_honoured_then_the_batch_succeeds(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 2, arms=AI)

    with fake_gemini() as gemini, fake_gateway() as gateway:
        gemini.then(Behaviour(status=429, retry_delay="1s"))
        live_run(database, services, gateway, gemini=gemini)

    first, second = gemini.request_times
    assert second - first >= 0.95  # the delay the API asked for
    assert _sources(conn) == [("ai", None)] * 2


def test_a_429_without_retry_delay_backs_off_and_then_a_500_too(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 1, arms=AI)

    with fake_gemini() as gemini, fake_gateway() as gateway:
        gemini.then(Behaviour(status=429), Behaviour(status=500))
        live_run(database, services, gateway, gemini=gemini)

    assert len(gemini.requests) == 3
    assert _sources(conn) == [("ai", None)]


def test_a_lasting_429_ends_in_templates_after_bounded_retries(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 2, arms=AI)

    with fake_gemini(Behaviour(status=429)) as gemini, fake_gateway() as gateway:
        summary = live_run(database, services, gateway, gemini=gemini)

    assert len(gemini.requests) == 3  # RetryPolicy(attempts=3) in the test wiring
    assert _sources(conn) == [("template", "rate_limited")] * 2
    assert summary.counts["sent"] == 2


def test_a_quota_reset_far_away_falls_back_at_once(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 1, arms=AI)

    with fake_gemini(Behaviour(status=429, retry_delay="3600s")) as gemini, fake_gateway() as gw:
        live_run(database, services, gw, gemini=gemini)

    assert len(gemini.requests) == 1
    assert _sources(conn) == [("template", "rate_limited")]


def test_a_slow_model_times_out_into_templates(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 1, arms=AI)
    settings = campaign_settings(gemini_timeout_seconds=0.3)

    with fake_gemini(Behaviour(delay_seconds=1.0)) as gemini, fake_gateway() as gateway:
        live_run(database, services, gateway, gemini=gemini, settings=settings)

    assert _sources(conn) == [("template", "timeout")]


def test_retry_delay_is_read_from_the_retry_info_entry():
    details = {
        "error": {
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure"},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"},
            ]
        }
    }
    assert retry_delay_seconds(details) == 12.0
    assert retry_delay_seconds({"error": {"details": []}}) is None
    assert retry_delay_seconds(None) is None


def _hammer(redis_url: str, name: str, attempts: int, results) -> None:
    limiter = RedisRateLimiter(redis_url, name, per_minute=5)
    results.put(sum(limiter.acquire(timeout_seconds=0.05) for _ in range(attempts)))


def test_the_limit_holds_across_processes(services, redis_conn):
    results = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_hammer, args=(services.redis_url, "gemini-x", 10, results))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    granted = sum(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=10)

    assert granted == 5  # 40 attempts within a minute, 5 allowed
    assert redis_conn.exists("ratelimit:LIMITER/gemini-x/5/1/minute")


def test_a_block_set_by_one_process_holds_for_all(services, redis_conn):
    one = RedisRateLimiter(services.redis_url, "gemini-y", per_minute=100)
    other = RedisRateLimiter(services.redis_url, "gemini-y", per_minute=100)

    one.block_for(30)

    assert not other.acquire(timeout_seconds=0.2)
    assert 25 < redis_conn.pttl("ratelimit:gemini-y:blocked_until") / 1000 <= 30


def test_a_redis_outage_parks_the_context_and_replay_pushes_it_later(
    salon_db, services, redis_conn, caplog
):
    database, conn = salon_db
    add_candidates(conn, 2)
    down = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    with fake_gateway() as gateway:
        summary = live_run(database, services, gateway, context_redis_url=down)

    assert summary.counts["sent"] == 2 and summary.counts["context_parked"] == 2
    assert history_rows(conn, "status, context_status") == [("sent", "parked")] * 2
    assert any("parked" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    assert redis_conn.keys("dialog:*") == []

    replayed = replay_parked_contexts(conn, RedisContextStore(redis_conn, 72))

    assert replayed.replayed == 2
    assert history_rows(conn, "context_status") == [("replayed",)] * 2
    action = json.loads(redis_conn.hget(f"dialog:{COMPANY}:whatsapp:79162300001", "pendingAction"))
    assert action["type"] == "reactivation_response"
    assert 70 * 3600 < redis_conn.ttl(f"dialog:{COMPANY}:whatsapp:79162300001") <= 72 * 3600


def test_replay_marks_contexts_past_the_reply_window_expired(salon_db, services, redis_conn):
    database, conn = salon_db
    add_candidates(conn, 1)
    with fake_gateway() as gateway:
        live_run(database, services, gateway, context_redis_url="redis://127.0.0.1:1/0")
    conn.execute(
        "update reactivation.client_reactivation_history set reply_until = now() - interval '8 h'"
    )

    replayed = replay_parked_contexts(conn, RedisContextStore(redis_conn, 72))

    assert (replayed.replayed, replayed.expired) == (0, 1)
    assert redis_conn.keys("dialog:*") == []


WINDOW = parse_send_window("10:00-19:00")
MON_SAT = parse_send_days("mon-sat")


@pytest.mark.parametrize(
    ("utc", "timezone", "is_open"),
    [
        ("2026-11-24T07:00", "Europe/Moscow", True),  # Tue 10:00
        ("2026-11-24T06:59", "Europe/Moscow", False),  # Tue 09:59
        ("2026-11-24T07:00", "Asia/Vladivostok", True),  # Tue 17:00
        ("2026-11-24T09:00", "Asia/Vladivostok", False),  # Tue 19:00: the window has closed
        ("2026-11-24T07:00", "Europe/Kaliningrad", False),  # Tue 09:00
        ("2026-11-28T20:30", "Asia/Kamchatka", False),  # Sun 08:30 local
        ("2026-11-29T02:00", "Asia/Yekaterinburg", False),  # Sun 07:00... and Sundays are off
        ("2026-11-28T12:00", "Asia/Yekaterinburg", True),  # Sat 17:00
        ("2026-11-24T07:00", "Not/AZone", True),  # unknown zone: Moscow
    ],
)
def test_sending_hours_are_the_salons_own(utc, timezone, is_open):
    now = datetime.fromisoformat(utc).replace(tzinfo=UTC)

    assert window_state(now, timezone, WINDOW, MON_SAT).is_open is is_open


def test_outside_sending_hours_nothing_is_sent_and_the_run_says_so(salon_db, services):
    database, conn = salon_db
    add_salon(conn, 100, "Asia/Vladivostok")
    add_candidates(conn, 2, company_id=100)
    settings = campaign_settings(send_window=WINDOW, send_days=MON_SAT)
    evening_in_vladivostok = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 20:00 local

    with (
        fake_gateway() as gateway,
        outreach(
            database,
            services.redis_url,
            settings=settings,
            gateway_url=gateway.url,
            now=lambda: evening_in_vladivostok,
        ) as out,
    ):
        summary = run_once(out, company_id=100)
        moscow = run_once(out, company_id=COMPANY)  # 13:00 in Moscow: open, but no candidates

    assert sent_messages(gateway) == []
    assert summary.stop_reason == "outside_sending_hours"
    assert "outside sending hours" in summary.notice and "20:00" in summary.notice
    assert moscow.stop_reason is None


def test_a_window_that_closes_mid_run_stops_the_run_cleanly(salon_db, services):
    database, conn = salon_db
    add_candidates(conn, 5)
    settings = campaign_settings(send_window=WINDOW, send_days=MON_SAT)
    clock = iter(
        datetime(2026, 11, 24, 15, 57, tzinfo=UTC) + timedelta(minutes=m) for m in range(99)
    )

    with fake_gateway() as gateway:
        summary = live_run(database, services, gateway, settings=settings, now=lambda: next(clock))

    sent = len(sent_messages(gateway))
    assert 0 < sent < 5
    assert (summary.status, summary.stop_reason) == ("completed", "window_closed")
    assert summary.counts["not_reached"] == 5 - sent
    assert conn.execute("select count(*) from reactivation.client_contact_claims").fetchone() == (
        sent,
    )


def test_a_test_phone_run_sends_everything_to_one_number_and_records_no_client(
    salon_db, services, redis_conn
):
    database, conn = salon_db
    add_candidates(conn, 8, arms=("control", "holdout"))

    with (
        fake_gateway() as gateway,
        outreach(
            database, services.redis_url, settings=campaign_settings(), gateway_url=gateway.url
        ) as out,
    ):
        summary = run_once(out, test_phone="79000000001", limit=3)

    # --limit counts messages sent; the holdouts on the way are passed over, and named.
    assert [m["phone"] for m in sent_messages(gateway)] == ["79000000001"] * 3
    assert summary.counts["sent"] == 3
    assert summary.counts["holdouts_passed_over"] == 2
    assert "2 holdout(s) passed over" in summary.notice
    assert "client 2 (7916***0002), client 4 (7916***0004)" in summary.notice
    assert history_rows(conn) == []
    assert conn.execute("select count(*) from reactivation.client_contact_claims").fetchone() == (
        0,
    )
    assert redis_conn.hget(f"dialog:{COMPANY}:whatsapp:79000000001", "pendingAction")
    with connect(database) as check:
        assert check.execute("select command from reactivation.campaign_runs").fetchone() == (
            "run --live --test-phone",
        )
