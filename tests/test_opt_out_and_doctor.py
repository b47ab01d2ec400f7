"""`reactivate opt-out` and `reactivate doctor` against real Postgres, Redis and HTTP."""

from tests.health_server import gateway_health
from tests.support import run_cli, service_environment


def test_opt_out_is_recorded_once_with_the_phone_normalized(database):
    env = service_environment(database)

    first = run_cli(
        "opt-out",
        "--company",
        "962302",
        "--phone",
        "8 (916) 150-22-39",
        "--reason",
        "просил не писать",
        env=env,
    )
    again = run_cli("opt-out", "--company", "962302", "--phone", "+79161502239", env=env)

    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "7916***2239 opted out of salon 962302"
    assert "150-22-39" not in first.stdout + first.stderr
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "7916***2239 already opted out of salon 962302"


def test_opt_out_keeps_the_first_reason(database, conn):
    env = service_environment(database)
    run_cli("opt-out", "--company", "1", "--phone", "79000000001", "--reason", "стоп", env=env)
    run_cli("opt-out", "--company", "1", "--phone", "79000000001", "--reason", "другое", env=env)

    rows = conn.execute("select phone, reason from reactivation.opt_outs").fetchall()

    assert rows == [("79000000001", "стоп")]


def test_opt_out_of_something_that_is_not_a_phone_is_a_usage_error(database):
    result = run_cli(
        "opt-out", "--company", "1", "--phone", "n/a", env=service_environment(database)
    )

    assert result.returncode == 2
    assert "is not a phone number" in result.stderr


def test_doctor_reports_every_service_ok(database, services):
    env = service_environment(database, services.redis_url)
    run_cli("db", "migrate", env=env)
    run_cli(
        "generate-data", "--companies", "1", "--clients-per-company", "5", "--years", "0.2", env=env
    )  # the bot's tables, as the demo has them
    env["GEMINI_API_KEY"] = "test-key-not-printed"
    with gateway_health(200, '{"status": "connected"}') as gateway:
        env["WHATSAPP_API_URL"] = gateway
        result = run_cli("doctor", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    labels = {line[5:].split(":")[0]: line[:4].strip() for line in result.stdout.splitlines()}
    assert labels == {
        "postgres": "OK",
        "schema": "OK",
        "bot tables": "OK",
        "redis": "OK",
        "whatsapp gateway": "OK",
        "gemini": "OK",
    }
    assert "connected" in result.stdout
    assert "test-key-not-printed" not in result.stdout + result.stderr


def test_doctor_says_plainly_what_is_wrong_and_exits_1(database, services):
    env = service_environment(database, services.redis_url)  # schema not migrated
    env["REDIS_URL"] = "redis://:secret@127.0.0.1:1/0"
    env.pop("GEMINI_API_KEY", None)
    with gateway_health(500, '{"success": false, "error": "WhatsApp not connected"}') as gateway:
        env["WHATSAPP_API_URL"] = gateway
        result = run_cli("doctor", env=env)

    assert result.returncode == 1
    out = result.stdout
    assert "migration(s) pending: run `reactivate db migrate`" in out
    assert "FAIL bot tables: missing in public: companies" in out
    assert "FAIL redis: cannot reach Redis" in out and "secret" not in out
    assert "FAIL whatsapp gateway:" in out and "WhatsApp not connected" in out
    assert "WARN gemini: GEMINI_API_KEY is not set" in out
