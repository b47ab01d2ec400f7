"""`reactivate run`, `nightly` and `contexts replay` as an operator runs them (child process)."""

import signal
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.campaign_support import COMPANY, add_candidates, history_rows, prepare_salon
from tests.fakes import Behaviour, fake_gateway, fake_gemini, sent_messages
from tests.support import (
    campaign_environment,
    run_cli,
    start_live_run,
    wait_for_requests,
)


@pytest.fixture
def salon_db(database, conn):
    prepare_salon(conn)
    add_candidates(conn, 4, arms=("control", "waterfall_template", "holdout", "waterfall_ai"))
    conn.commit()
    return database, conn


def _env(database, services, **extra):
    return campaign_environment(database, services.redis_url, **extra)


def _run_salon(database, services, gateway, *flags):
    env = _env(database, services, WHATSAPP_API_URL=gateway.url)
    return run_cli("run", "--company", str(COMPANY), *flags, env=env)


def test_run_without_live_prints_the_messages_and_sends_nothing(salon_db, services):
    database, conn = salon_db

    with fake_gateway() as gateway:
        result = _run_salon(database, services, gateway)

    assert result.returncode == 0, result.stderr
    assert "здравствуйте" in result.stdout.lower()
    assert "7916***0001" in result.stdout and "79162300001" not in result.stdout
    assert "Campaign summary" in result.stdout and "dry run" in result.stdout
    assert sent_messages(gateway) == []
    assert history_rows(conn) == []


def test_a_live_run_sends_and_prints_a_summary_with_masked_phones(salon_db, services):
    database, conn = salon_db

    with fake_gateway() as gateway:
        result = _run_salon(database, services, gateway, "--live")

    assert result.returncode == 0, result.stderr
    assert len(sent_messages(gateway)) == 3
    assert "completed" in result.stdout
    assert "79162300001" not in result.stdout + result.stderr
    assert sorted(status for _, status in history_rows(conn)) == ["holdout", "sent", "sent", "sent"]


def test_a_live_run_in_which_every_send_failed_exits_1(salon_db, services):
    database, conn = salon_db

    with fake_gateway() as gateway:
        gateway.default = Behaviour(status=400, body={"error": "number 79162300001 is invalid"})
        result = _run_salon(database, services, gateway, "--live")

    assert result.returncode == 1, result.stdout
    assert "nothing sent: all 3 sends failed" in result.stderr
    # The gateway named the phone: masked wherever its words are printed or stored.
    stored = conn.execute(
        "select coalesce(string_agg(error, ' '), '') from reactivation.client_reactivation_history"
        " union all select errors::text from reactivation.campaign_runs"
    ).fetchall()
    assert "7916***0001" in result.stdout + result.stderr + str(stored)
    assert "79162300001" not in result.stdout + result.stderr + str(stored)


def test_a_gateway_url_that_is_no_url_is_refused_before_any_claim(salon_db, services):
    database, conn = salon_db
    env = _env(database, services, WHATSAPP_API_URL="not-a-url")

    result = run_cli("run", "--company", str(COMPANY), "--live", env=env)

    assert result.returncode == 2
    assert "WHATSAPP_API_URL='not-a-url'" in result.stderr
    assert history_rows(conn) == []
    assert conn.execute("select count(*) from reactivation.client_contact_claims").fetchone() == (
        0,
    )


def test_a_stale_mart_is_refused(salon_db, services):
    database, conn = salon_db
    conn.execute(
        "update analytics.reactivation_candidates set selected_at = now() - interval '30h'"
    )
    conn.commit()

    result = run_cli("run", "--company", str(COMPANY), env=_env(database, services))

    assert result.returncode == 1
    assert "built 30.0 h ago" in result.stderr and "reactivate build" in result.stderr
    assert result.stdout == ""


def test_a_salon_whose_bot_data_had_stopped_at_the_build_is_refused(salon_db, services):
    database, conn = salon_db
    conn.execute("update analytics.salons set newest_source_at = built_at - interval '60 hours'")
    conn.commit()

    result = run_cli("run", "--company", str(COMPANY), env=_env(database, services))

    assert result.returncode == 1
    assert "60.0 h old at the build" in result.stderr
    assert "REACTIVATION_MAX_SOURCE_LAG_HOURS" in result.stderr


def test_live_without_a_gateway_says_what_to_set(salon_db, services):
    database, _ = salon_db

    result = run_cli("run", "--company", str(COMPANY), "--live", env=_env(database, services))

    assert result.returncode == 2
    assert "WHATSAPP_API_URL is not set" in result.stderr


def test_outside_sending_hours_the_command_says_so_and_sends_nothing(salon_db, services):
    database, _ = salon_db
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Moscow")).strftime("%a").lower()
    other_days = ",".join(
        d for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") if d != today
    )

    with fake_gateway() as gateway:
        env = _env(database, services, WHATSAPP_API_URL=gateway.url)
        env["REACTIVATION_SEND_DAYS"] = other_days
        result = run_cli("run", "--company", str(COMPANY), "--live", env=env)

    assert result.returncode == 0, result.stderr
    assert "outside sending hours" in result.stdout
    assert sent_messages(gateway) == []


def test_sigterm_finishes_the_client_in_flight_and_marks_the_run_interrupted(
    database, conn, services
):
    prepare_salon(conn)
    add_candidates(conn, 30)
    conn.commit()

    with fake_gateway(Behaviour(delay_seconds=0.3)) as gateway:
        env = _env(database, services, WHATSAPP_API_URL=gateway.url)
        child = start_live_run(COMPANY, env)
        wait_for_requests(gateway, 1)  # bounded: at most 20 s for the first send to arrive
        child.send_signal(signal.SIGTERM)
        stdout, stderr = child.communicate(timeout=60)

    assert child.returncode == 1, stderr
    assert "interrupted" in stdout
    (status,) = conn.execute("select status from reactivation.campaign_runs").fetchone()
    assert status == "interrupted"
    sent = len(sent_messages(gateway))
    assert 1 <= sent < 30
    counts = dict(
        conn.execute(
            "select status, count(*) from reactivation.client_reactivation_history group by 1"
        ).fetchall()
    )
    assert counts.get("sent") == sent and "claimed" not in counts


def test_a_lost_postgres_connection_is_one_line_a_recorded_run_and_a_rerun_finishes(
    database, conn, services
):
    prepare_salon(conn)
    add_candidates(conn, 12)
    conn.commit()

    with fake_gateway(Behaviour(delay_seconds=0.3)) as gateway:
        env = _env(database, services, WHATSAPP_API_URL=gateway.url)
        child = start_live_run(COMPANY, env)
        wait_for_requests(gateway, 1)  # bounded: at most 20 s for the first send to arrive
        # The runner's backend dies while a message is at the gateway.
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity"
            " where datname = current_database() and pid <> pg_backend_pid()"
        )
        conn.commit()
        _, stderr = child.communicate(timeout=60)
        received_first = len(gateway.requests)

        assert child.returncode == 1, stderr
        assert "Traceback" not in stderr
        failed_lines = [line for line in stderr.splitlines() if line.startswith("failed:")]
        assert len(failed_lines) == 1 and "lost the connection to Postgres" in failed_lines[0]
        run = conn.execute("select status from reactivation.campaign_runs").fetchone()
        assert run == ("failed",)
        statuses = [status for _, status in history_rows(conn)]
        assert "claimed" not in statuses  # recovered on a new connection at once
        # Every message the gateway received has its row: sent, or unknown (never resent).
        assert sum(status in ("sent", "unknown") for status in statuses) >= received_first

        rerun = run_cli("run", "--company", str(COMPANY), "--live", env=env)

    assert rerun.returncode == 0, rerun.stderr
    phones = [message["phone"] for message in sent_messages(gateway)]
    assert len(phones) == len(set(phones)) == 12
    assert _count(conn, "sent") + _count(conn, "unknown") == 12


def _count(conn, status: str) -> int:
    return conn.execute(
        "select count(*) from reactivation.client_reactivation_history where status = %s",
        (status,),
    ).fetchone()[0]


def test_nightly_never_sends_after_a_failed_build(database, services):
    with fake_gateway() as gateway:
        env = _env(database, services, WHATSAPP_API_URL=gateway.url)
        result = run_cli("nightly", "--live", env=env)  # no bot tables: the build fails

    assert result.returncode == 1
    assert "dbt build failed" in result.stderr
    assert gateway.requests == []


def test_contexts_replay_reports_what_it_did(salon_db, services):
    database, _ = salon_db

    result = run_cli("contexts", "replay", env=_env(database, services))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("contexts replayed: 0")


def test_a_verbose_dry_run_with_gemini_shows_ai_messages_and_never_the_key(salon_db, services):
    database, _ = salon_db
    secret = "AIza-secret-test-key-123"

    with fake_gemini() as gemini:
        env = _env(database, services, GEMINI_API_KEY=secret, GEMINI_BASE_URL=gemini.url)
        result = run_cli("-v", "run", "--company", str(COMPANY), env=env)

    assert result.returncode == 0, result.stderr
    assert len(gemini.requests) == 1
    assert "[waterfall_ai] (ai)" in result.stdout
    assert secret not in result.stdout + result.stderr
    assert "79162300001" not in result.stdout + result.stderr


def test_off_a_terminal_each_client_is_one_unwrapped_line(capsys):
    from runner.campaign import ClientOutcome
    from runner.candidates import Candidate
    from runner.display import CampaignDisplay

    candidate = Candidate(
        COMPANY,
        7,
        "79161502239",
        "Анна",
        "control",
        "plain_template",
        30,
        "personal",
        None,
        40,
        None,
        None,
        None,
        None,
        1,
        "последний визит 40 дн. назад",
    )
    detail = "gateway HTTP 500: " + "WhatsApp not connected for company company_962302. " * 3

    with CampaignDisplay(live=True) as display:
        display.on_event(ClientOutcome(candidate, "failed", detail=detail))

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and len(lines[0]) > 120
    assert lines[0].startswith("failed   7916***2239 client 7 [control]: gateway HTTP 500")
