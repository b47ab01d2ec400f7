"""What the bot finds when a client answers: the selection it prompts from, contexts that live for
the whole reply window despite the bot's 24 h resets, the durable copy in Postgres, and the
gateway's own word on whether WhatsApp is linked. Real Postgres and Redis; a local gateway."""

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from runner.adapters.dialog_context import RedisContextStore
from runner.cli import cli
from runner.contexts import refresh_open_contexts, replay_parked_contexts
from runner.migrations import migrate
from tests.campaign_support import (
    COMPANY,
    add_candidates,
    history_rows,
    live_run,
    prepare_salon,
)
from tests.fakes import Behaviour, fake_gateway
from tests.health_server import gateway_health
from tests.support import service_environment
from tests.test_phones import PHONE_CASES

PHONE = "79162300001"
DIALOG = f"dialog:{COMPANY}:whatsapp:{PHONE}"
MESSAGES = f"messages:{COMPANY}:whatsapp:{PHONE}"
BOT_TTL = 24 * 3600
# What the bot's context service keeps when it rewrites the hash (facts/bot-production.md).
BOT_FIELDS = (
    "phone",
    "companyId",
    "lastUpdated",
    "state",
    "selection",
    "clientName",
    "pendingAction",
    "askedForTimeSelection",
    "askedForTimeAt",
    "shownSlotsAt",
)


@pytest.fixture
def salon_db(database, conn):
    prepare_salon(conn)
    return database, conn


def bot_updates_the_dialog(redis_conn, **changes) -> None:
    """The bot's update as it behaves: delete the hash, write back its whitelisted fields with
    the changes, and a fresh 24 h TTL."""
    kept = {k: v for k, v in redis_conn.hgetall(DIALOG).items() if k in BOT_FIELDS}
    kept.update(changes)
    with redis_conn.pipeline(transaction=True) as pipe:
        pipe.delete(DIALOG)
        pipe.hset(DIALOG, mapping=kept)
        pipe.expire(DIALOG, BOT_TTL)
        pipe.expire(MESSAGES, BOT_TTL)
        pipe.execute()


def client_replies(redis_conn, text="Да, хочу") -> None:
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    redis_conn.lpush(MESSAGES, json.dumps({"sender": "user", "text": text, "timestamp": stamp}))


def messaged(salon_db, services, clients: int):
    """Given a live campaign to this many clients of the salon; its connection."""
    database, conn = salon_db
    add_candidates(conn, clients)
    with fake_gateway() as gateway:
        live_run(database, services, gateway)
    return conn


def durable_context(conn, company_id, phone):
    """What the bot's reply handler reads from Postgres when Redis lost the key."""
    query = "select reactivation.reply_context(%s, %s)"
    return conn.execute(query, (company_id, phone)).fetchone()[0]


def refresh(conn, redis_conn):
    return refresh_open_contexts(conn, RedisContextStore(redis_conn, 72))


# --- what the unmodified bot sees ----------------------------------------------------------------


def test_an_empty_selection_gets_the_suggested_service_in_the_bots_format(
    salon_db, services, redis_conn
):
    database, conn = salon_db
    add_candidates(conn, 3)
    redis_conn.hset(f"dialog:{COMPANY}:whatsapp:79162300002", "selection", "{}")
    redis_conn.hset(
        f"dialog:{COMPANY}:whatsapp:79162300003",
        "selection",
        '{"service": null, "lastCommand": "x"}',
    )

    with fake_gateway() as gateway:
        live_run(database, services, gateway)

    assert json.loads(redis_conn.hget(DIALOG, "selection")) == {"service": "Стрижка мужская"}
    assert json.loads(redis_conn.hget(f"dialog:{COMPANY}:whatsapp:79162300002", "selection")) == {
        "service": "Стрижка мужская"
    }
    merged = json.loads(redis_conn.hget(f"dialog:{COMPANY}:whatsapp:79162300003", "selection"))
    assert merged == {"service": "Стрижка мужская", "lastCommand": "x"}


def test_a_selection_the_bot_holds_is_never_overwritten(salon_db, services, redis_conn):
    database, conn = salon_db
    add_candidates(conn, 1)
    own = '{"service":"Маникюр","date":"2026-11-25"}'
    redis_conn.hset(DIALOG, "selection", own)

    with fake_gateway() as gateway:
        live_run(database, services, gateway)

    assert redis_conn.hget(DIALOG, "selection") == own
    assert json.loads(redis_conn.hget(DIALOG, "pendingAction"))["type"] == "reactivation_response"


def test_writing_the_context_drops_the_bots_full_context_cache(salon_db, services, redis_conn):
    database, conn = salon_db
    add_candidates(conn, 1)
    caches = [f"full_ctx:{COMPANY}:whatsapp:{PHONE}", f"full_ctx:{COMPANY}:{PHONE}"]
    for key in caches:
        redis_conn.set(key, '{"stale": true}', ex=300)
    other_salon = f"full_ctx:1:whatsapp:{PHONE}"
    redis_conn.set(other_salon, "{}", ex=300)

    with fake_gateway() as gateway:
        live_run(database, services, gateway)

    assert redis_conn.exists(*caches) == 0
    assert redis_conn.exists(other_salon) == 1


# --- unknown sends -------------------------------------------------------------------------------


def test_a_send_with_no_answer_still_leaves_its_context(salon_db, services, redis_conn):
    database, conn = salon_db
    add_candidates(conn, 1)

    with fake_gateway(Behaviour(delay_seconds=3)) as gateway:  # longer than the 2 s timeout
        summary = live_run(database, services, gateway)

    assert summary.counts["unknown"] == 1
    assert history_rows(conn, "status, context_status") == [("unknown", "saved")]
    action = json.loads(redis_conn.hget(DIALOG, "pendingAction"))
    assert action["type"] == "reactivation_response"
    assert durable_context(conn, COMPANY, PHONE) == action


def test_a_send_that_certainly_failed_leaves_no_context(salon_db, services, redis_conn):
    database, conn = salon_db
    add_candidates(conn, 1)

    with fake_gateway(Behaviour(status=500)) as gateway:
        live_run(database, services, gateway)

    assert history_rows(conn, "status, context_status") == [("failed", None)]
    assert redis_conn.exists(DIALOG) == 0
    assert durable_context(conn, COMPANY, PHONE) is None


# --- the durable copy ----------------------------------------------------------------------------


def test_reply_context_serves_the_last_message_inside_its_window_only(
    salon_db, services, redis_conn
):
    conn = messaged(salon_db, services, 2)
    action = json.loads(redis_conn.hget(DIALOG, "pendingAction"))

    assert durable_context(conn, COMPANY, "+7 (916) 230-00-01") == action  # any format the bot has
    assert durable_context(conn, COMPANY, "89162300001") == action
    assert durable_context(conn, COMPANY + 1, PHONE) is None  # another salon's client
    assert durable_context(conn, COMPANY, "79990000000") is None
    conn.execute(
        "update reactivation.client_reactivation_history set reply_until = now() - interval '1 s'"
        " where phone = %s",
        (PHONE,),
    )
    assert durable_context(conn, COMPANY, PHONE) is None
    assert durable_context(conn, COMPANY, "79162300002")["type"] == "reactivation_response"


def test_the_sql_phone_rule_agrees_with_the_python_one(conn):
    migrate(conn)
    for raw, expected in PHONE_CASES:
        text = None if raw is None else str(raw)
        (normalized,) = conn.execute("select reactivation.normalize_phone(%s)", (text,)).fetchone()
        assert normalized == expected, raw


# --- refresh -------------------------------------------------------------------------------------


def test_refresh_restores_the_window_after_the_bot_cut_the_ttl_to_24_hours(
    salon_db, services, redis_conn
):
    conn = messaged(salon_db, services, 1)
    bot_updates_the_dialog(redis_conn, state="reminder_sent")  # e.g. its booking monitor
    assert redis_conn.ttl(DIALOG) <= BOT_TTL

    counts = refresh(conn, redis_conn)

    assert counts["extended"] == 1
    assert 72 * 3600 - 120 < redis_conn.ttl(DIALOG) <= 72 * 3600
    assert 72 * 3600 - 120 < redis_conn.ttl(MESSAGES) <= 72 * 3600
    assert redis_conn.hget(DIALOG, "state") == "reminder_sent"  # the bot's fields untouched
    again = refresh(conn, redis_conn)
    assert (again["kept"], again["extended"]) == (1, 0)  # idempotent


def test_refresh_never_extends_past_the_time_the_window_has_left(salon_db, services, redis_conn):
    conn = messaged(salon_db, services, 1)
    conn.execute(
        "update reactivation.client_reactivation_history set reply_until = now() + interval '30 h'"
    )
    bot_updates_the_dialog(redis_conn)
    redis_conn.expire(DIALOG, 3600)

    assert refresh(conn, redis_conn)["extended"] == 1
    assert 30 * 3600 - 120 < redis_conn.ttl(DIALOG) <= 30 * 3600


def test_refresh_rewrites_a_context_dropped_without_a_reply_or_booking(
    salon_db, services, redis_conn
):
    conn = messaged(salon_db, services, 1)
    written = redis_conn.hgetall(DIALOG)
    redis_conn.delete(DIALOG, MESSAGES)  # the bot's 24 h TTL ran out

    counts = refresh(conn, redis_conn)

    assert counts["restored"] == 1
    restored = json.loads(redis_conn.hget(DIALOG, "pendingAction"))
    assert restored == json.loads(written["pendingAction"])
    assert json.loads(redis_conn.hget(DIALOG, "selection")) == {"service": "Стрижка мужская"}
    assert 71 * 3600 < redis_conn.ttl(DIALOG) <= 72 * 3600
    assert json.loads(redis_conn.lindex(MESSAGES, 0))["sender"] == "bot"


def test_refresh_leaves_alone_a_context_the_client_answered(salon_db, services, redis_conn):
    conn = messaged(salon_db, services, 2)
    client_replies(redis_conn)
    bot_updates_the_dialog(redis_conn)
    redis_conn.delete(DIALOG)  # e.g. the bot booked the client and dropped the hash
    # The other client booked through another channel; the last build saw it.
    conn.execute(
        "create table analytics.reactivation_outcomes as"
        " select history_id, phone = '79162300002' as converted, null::timestamptz as replied_at"
        " from reactivation.client_reactivation_history"
    )
    redis_conn.delete(f"dialog:{COMPANY}:whatsapp:79162300002")

    counts = refresh(conn, redis_conn)

    assert (counts["replied"], counts["answered"], counts["restored"]) == (1, 1, 0)
    assert redis_conn.exists(DIALOG, f"dialog:{COMPANY}:whatsapp:79162300002") == 0


@pytest.mark.parametrize(
    "pending_action",
    [
        "null",
        json.dumps({"type": "cancellation", "recordId": 1}),
        json.dumps({"type": "reactivation_response", "reactivationHistoryId": 999999}),
    ],
    ids=["gone", "another_type", "replaced"],
)
def test_refresh_leaves_alone_a_dialog_the_bot_moved_on_from(
    salon_db, services, redis_conn, pending_action
):
    conn = messaged(salon_db, services, 1)
    bot_updates_the_dialog(redis_conn, pendingAction=pending_action)
    redis_conn.expire(DIALOG, 600)

    counts = refresh(conn, redis_conn)

    assert counts["moved_on"] == 1
    assert redis_conn.hget(DIALOG, "pendingAction") == pending_action
    assert redis_conn.ttl(DIALOG) <= 600


def test_refresh_on_the_command_line_prints_one_line_of_counts(salon_db, services, redis_conn):
    messaged(salon_db, services, 2)
    bot_updates_the_dialog(redis_conn)
    database, _ = salon_db

    result = CliRunner().invoke(
        cli, ["contexts", "refresh"], env=service_environment(database, services.redis_url)
    )

    assert result.exit_code == 0, result.output
    assert result.output == (
        "contexts refreshed: extended 1, restored 0, kept 1, replied 0, answered 0, "
        "moved_on 0, failed 0\n"
    )


# --- replay --------------------------------------------------------------------------------------


def test_replay_gives_a_parked_context_only_the_time_its_window_has_left(
    salon_db, services, redis_conn
):
    database, conn = salon_db
    add_candidates(conn, 1)
    with fake_gateway() as gateway:
        live_run(database, services, gateway, context_redis_url="redis://127.0.0.1:1/0")
    # Redis came back ten hours before the window closes.
    conn.execute(
        "update reactivation.client_reactivation_history set reply_until = now() + interval '10 h'"
    )

    replayed = replay_parked_contexts(conn, RedisContextStore(redis_conn, 72))

    assert replayed.replayed == 1
    assert 10 * 3600 - 120 < redis_conn.ttl(DIALOG) <= 10 * 3600
    assert 10 * 3600 - 120 < redis_conn.ttl(MESSAGES) <= 10 * 3600


# --- doctor --------------------------------------------------------------------------------------


def test_doctor_fails_when_the_gateway_says_whatsapp_is_logged_out(database, services):
    env = service_environment(database, services.redis_url)
    body = json.dumps({"service": "baileys-whatsapp", "companyId": COMPANY, "connected": False})
    with gateway_health(200, body) as gateway:
        env["WHATSAPP_API_URL"] = gateway
        result = CliRunner().invoke(cli, ["doctor"], env=env)

    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if "whatsapp gateway" in x)
    assert line.startswith("FAIL") and "connected: false" in line
    assert "Re-link the salon's WhatsApp" in line
