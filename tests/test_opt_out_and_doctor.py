"""`reactivate opt-out` and `reactivate doctor` against real Postgres, Redis and HTTP."""

import pytest
from click.testing import CliRunner

from runner.cli import cli
from runner.phones import normalize_phone, parse_operator_phone
from tests.campaign_support import COMPANY, prepare_salon
from tests.health_server import gateway_health
from tests.support import run_cli, service_environment


@pytest.fixture
def salon_env(database, conn):
    """A database with the bot's tables and one salon, 962302, as the environment names it."""
    prepare_salon(conn)
    conn.commit()
    return service_environment(database)


def opt_out(env, *args):
    return CliRunner().invoke(cli, ["opt-out", "--company", str(COMPANY), *args], env=env)


def test_opt_out_is_recorded_once_with_the_phone_normalized(salon_env):
    first = opt_out(salon_env, "--phone", "8 (916) 150-22-39", "--reason", "просил не писать")
    again = opt_out(salon_env, "--phone", "+79161502239")

    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "7916***2239 opted out of salon 962302"
    assert "150-22-39" not in first.output
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == "7916***2239 already opted out of salon 962302"


def test_opt_out_keeps_the_first_reason(salon_env, conn):
    opt_out(salon_env, "--phone", "79000000001", "--reason", "стоп")
    opt_out(salon_env, "--phone", "79000000001", "--reason", "другое")

    rows = conn.execute("select phone, reason from reactivation.opt_outs").fetchall()

    assert rows == [("79000000001", "стоп")]


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("+7 (916) 150-22-39", "79161502239"),
        ("8 916 150 22 39", "79161502239"),
        ("916 150-22-39", "79161502239"),
        ("+7-916-150-22-39", "79161502239"),
        ("79161502239", "79161502239"),
        ("+375 29 123-45-67", "375291234567"),  # foreign, with its + and country code
    ],
)
def test_every_way_an_operator_types_a_phone_reaches_the_bots_key(typed, key):
    assert parse_operator_phone(typed) == key
    assert normalize_phone(key) == key  # the matching rule agrees with what is stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("+7 (916) 150 22 39 доб. 5", "has an extension (5); understood +7 9161502239 ext. 5"),
        ("375291234567", "understood +7 375291234567, the wrong length"),
        ("12345", "understood +7 12345, too short"),
        ("n/a", "is not a phone number"),
    ],
)
def test_a_phone_that_cannot_be_stored_right_is_refused_saying_what_was_understood(
    salon_env, conn, typed, says
):
    result = opt_out(salon_env, "--phone", typed)

    assert result.exit_code == 2
    assert says in result.output
    assert conn.execute("select count(*) from reactivation.opt_outs").fetchone()[0] == 0


@pytest.mark.parametrize(
    "command",
    [
        ["opt-out", "--company", "12345", "--phone", "+79161502239"],
        ["report", "--company", "12345"],
        ["run", "--company", "12345"],
    ],
    ids=["opt-out", "report", "run"],
)
def test_a_salon_that_does_not_exist_is_refused(salon_env, conn, command):
    result = CliRunner().invoke(cli, command, env=salon_env)

    assert result.exit_code == 2, result.output
    assert "--company 12345: no such salon" in result.output
    assert conn.execute("select count(*) from reactivation.opt_outs").fetchone()[0] == 0


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
