from datetime import time

import pytest

from runner.config import load_settings, parse_send_days, parse_send_window
from runner.errors import ConfigurationError


def test_defaults_match_the_contract():
    settings = load_settings({})

    assert settings.postgres is None
    assert settings.redis_url is None
    assert settings.send_window.start == time(10, 0)
    assert settings.send_window.end_minutes == 19 * 60
    assert settings.send_days == frozenset(range(6))  # mon-sat
    assert (settings.daily_cap, settings.gemini_rpm, settings.batch_size) == (50, 15, 5)
    assert settings.min_gap_seconds == 30
    assert settings.reply_window_hours == 72
    assert settings.breaker_failures == 5


def test_postgres_is_configured_by_libpq_variables():
    settings = load_settings({"PGHOST": "db.internal", "PGPORT": "6543", "PGDATABASE": "bot"})

    assert settings.postgres.host == "db.internal"
    assert settings.postgres.port == 6543
    assert settings.postgres.dbname == "bot"
    assert settings.postgres.user == "postgres"


def test_secrets_stay_out_of_the_settings_repr():
    settings = load_settings({"PGHOST": "h", "PGPASSWORD": "hunter2", "GEMINI_API_KEY": "AIzaXYZ"})

    assert "hunter2" not in repr(settings)
    assert "AIzaXYZ" not in repr(settings)


@pytest.mark.parametrize(
    ("value", "start", "end_minutes"),
    [
        ("10:00-19:00", time(10), 1140),
        ("00:00-24:00", time(0), 1440),
        ("9:30 - 21:15", time(9, 30), 1275),
    ],
)
def test_send_window_parses(value, start, end_minutes):
    window = parse_send_window(value)

    assert (window.start, window.end_minutes) == (start, end_minutes)


@pytest.mark.parametrize("value", ["10-19", "19:00-10:00", "25:00-26:00", "10:00-24:30"])
def test_bad_send_window_names_the_variable(value):
    with pytest.raises(ConfigurationError, match="REACTIVATION_SEND_WINDOW"):
        parse_send_window(value)


@pytest.mark.parametrize(
    ("value", "days"),
    [
        ("mon-sat", {0, 1, 2, 3, 4, 5}),
        ("mon,wed,fri", {0, 2, 4}),
        ("fri-mon", {4, 5, 6, 0}),
        ("mon-fri, sun", {0, 1, 2, 3, 4, 6}),
    ],
)
def test_send_days_parse(value, days):
    assert parse_send_days(value) == frozenset(days)


def test_bad_send_days_name_the_variable():
    with pytest.raises(ConfigurationError, match="REACTIVATION_SEND_DAYS"):
        parse_send_days("weekdays")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REACTIVATION_DAILY_CAP", "many"),
        ("REACTIVATION_GEMINI_RPM", "0"),
        ("REACTIVATION_MIN_GAP_SECONDS", "-1"),
        ("PGPORT", "five"),
    ],
)
def test_malformed_numbers_name_the_variable(variable, value):
    environ = {"PGHOST": "localhost", variable: value}

    with pytest.raises(ConfigurationError, match=variable):
        load_settings(environ)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WHATSAPP_API_URL", "not-a-url"),
        ("WHATSAPP_API_URL", "127.0.0.1:3003"),
        ("WHATSAPP_API_URL", "ftp://gateway/send"),
        ("WHATSAPP_API_URL", "http://gateway:port/"),
        ("GEMINI_BASE_URL", "localhost"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
    ],
)
def test_a_url_that_cannot_be_one_is_a_configuration_error(variable, value):
    with pytest.raises(ConfigurationError, match=f"{variable}=.*set it like"):
        load_settings({variable: value})


def test_a_bad_redis_url_is_reported_without_its_password():
    with pytest.raises(ConfigurationError) as raised:
        load_settings({"REDIS_URL": "http://:s3cret@cache:6379/0"})
    assert "s3cret" not in str(raised.value)
