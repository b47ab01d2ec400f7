"""The runner's records in Postgres: campaign runs, one history row per client decision, and the
per-salon send slots that pace and cap sending across every runner.

Each write is its own short transaction, committed before the next outside call, so a crash
leaves rows that say exactly how far a client got (see `recover_abandoned_runs`). The connection
is in autocommit mode: `conn.transaction()` blocks are then real transactions, and the session
advisory locks outlive them.
"""

import json
import math
from dataclasses import dataclass
from datetime import timedelta

import psycopg

from runner.claims import Claim, attach_history, claim_params, claim_within, release_claim

# Session advisory locks: a live run holds (RUN_LOCK, run_id) while it works, so another
# process can tell a crashed run (lock free) from a running one. SLOT_LOCK serializes the
# cap-and-pacing decision of one salon across runners.
RUN_LOCK = 4_242_002
SLOT_LOCK = 4_242_003

START_RUN = """
insert into reactivation.campaign_runs (company_id, command, is_live)
values (%(company_id)s, %(command)s, %(is_live)s)
returning run_id
"""

FINISH_RUN = """
update reactivation.campaign_runs
set status = %(status)s, counts = %(counts)s, errors = %(errors)s,
    stop_reason = %(stop_reason)s, finished_at = now()
where run_id = %(run_id)s
"""

INSERT_HISTORY = """
insert into reactivation.client_reactivation_history (
    run_id, company_id, client_id, phone, arm, status, skip_reason, interval_days,
    interval_tier, days_since_last_visit, last_service_title, claimed_at
) values (
    %(run_id)s, %(company_id)s, %(client_id)s, %(phone)s, %(arm)s, %(status)s, %(skip_reason)s,
    %(interval_days)s, %(interval_tier)s, %(days_since_last_visit)s, %(last_service_title)s,
    coalesce(%(claimed_at)s, now())
)
returning history_id
"""

# The salon's sends that count against its caps: anything handed to the gateway that did not
# certainly fail. Counted under SLOT_LOCK, and the winner stamps its row before unlocking.
SLOT_STATE = """
select
    count(*) filter (
        where history.send_started_at >= (
            date_trunc('day', now() at time zone %(timezone)s) at time zone %(timezone)s
        )
    ) as sent_today,
    count(*) filter (
        where history.send_started_at > now() - interval '1 hour'
    ) as sent_last_hour,
    -- When the oldest send of the last hour leaves the hourly window, and how long ago the
    -- salon's last send started: the waits are the database's clock, not the runner's.
    extract(epoch from min(history.send_started_at) filter (
        where history.send_started_at > now() - interval '1 hour'
    ) + interval '1 hour' - now())::float8 as seconds_until_hour_frees,
    extract(epoch from now() - max(history.send_started_at))::float8 as seconds_since_last
from reactivation.client_reactivation_history as history
where
    history.company_id = %(company_id)s
    and history.send_started_at > now() - interval '2 days'
    and history.status in ('claimed', 'sent', 'unknown')
"""

STAMP_SEND = """
update reactivation.client_reactivation_history
set send_started_at = now(), message_text = %(text)s, message_source = %(source)s,
    fallback_reason = %(fallback_reason)s, context_payload = %(payload)s,
    context_status = 'pending', reply_until = now() + make_interval(hours => %(window_hours)s),
    updated_at = now()
where history_id = %(history_id)s
"""

RECORD_DELIVERY = """
update reactivation.client_reactivation_history
set status = %(status)s, whatsapp_message_id = %(message_id)s, error = %(error)s,
    sent_at = case when %(status)s = 'sent' then now() end,
    context_status = %(context_status)s, updated_at = now()
where history_id = %(history_id)s
"""

MARK_SKIPPED = """
update reactivation.client_reactivation_history
set status = 'skipped', skip_reason = %(reason)s, error = %(error)s, updated_at = now()
where history_id = %(history_id)s
"""

RUNNING_RUNS = """
select run_id from reactivation.campaign_runs
where status = 'running' and company_id = %(company_id)s and run_id <> %(own)s
"""

ABANDONED_ROWS = """
select history.history_id, history.company_id, history.client_id, history.claimed_at,
    history.send_started_at is not null as send_started
from reactivation.client_reactivation_history as history
where history.run_id = %(run_id)s and history.status = 'claimed'
"""

MARK_UNKNOWN = """
update reactivation.client_reactivation_history
set status = 'unknown', updated_at = now(),
    -- It may have arrived: its context goes to Redis with `contexts replay`.
    context_status = case when context_payload is not null then 'parked' end,
    error = 'the runner stopped after handing the message to the gateway; delivery unknown'
where history_id = %(history_id)s
"""

MARK_RUN_CRASHED = """
update reactivation.campaign_runs
set status = 'failed', stop_reason = 'runner_crashed', finished_at = now()
where run_id = %(run_id)s and status = 'running'
"""


@dataclass(frozen=True)
class Slot:
    """The answer to "may this salon send now?": yes, wait this long, or not today."""

    granted: bool
    wait_seconds: float = 0.0
    cap_reached: str | None = None  # 'daily_cap' when nothing more may go out today


def start_run(conn: psycopg.Connection, company_id: int, command: str, is_live: bool) -> int:
    with conn.transaction():
        (run_id,) = conn.execute(
            START_RUN, {"company_id": company_id, "command": command, "is_live": is_live}
        ).fetchone()
    conn.execute("select pg_advisory_lock(%s, %s)", (RUN_LOCK, run_id))
    return run_id


def finish_run(
    conn: psycopg.Connection,
    run_id: int,
    *,
    status: str,
    counts: dict,
    errors: list,
    stop_reason: str | None,
) -> None:
    with conn.transaction():
        conn.execute(
            FINISH_RUN,
            {
                "run_id": run_id,
                "status": status,
                "counts": json.dumps(counts),
                "errors": json.dumps(errors, ensure_ascii=False),
                "stop_reason": stop_reason,
            },
        )
    conn.execute("select pg_advisory_unlock(%s, %s)", (RUN_LOCK, run_id))


def recover_abandoned_runs(
    conn: psycopg.Connection, company_id: int, own_run_id: int = 0
) -> dict[str, int]:
    """Close this salon's runs whose process died: a run still 'running' whose lock nobody
    holds. Another salon's runs are left to that salon's next run, so one salon's run never
    rewrites another's history, claims or run row.

    Its clients still 'claimed' either never reached the gateway (claim released, row skipped,
    so the next run may contact them) or were handed over (row 'unknown': never resent).
    """
    recovered = {"runs": 0, "released": 0, "unknown": 0}
    params = {"company_id": company_id, "own": own_run_id}
    run_ids = [r for (r,) in conn.execute(RUNNING_RUNS, params).fetchall()]
    for run_id in run_ids:
        (free,) = conn.execute("select pg_try_advisory_lock(%s, %s)", (RUN_LOCK, run_id)).fetchone()
        if not free:
            continue  # alive: another runner is working on it
        try:
            rows = conn.execute(ABANDONED_ROWS, {"run_id": run_id}).fetchall()
            for history_id, company_id, client_id, claimed_at, send_started in rows:
                if send_started:
                    with conn.transaction():
                        conn.execute(MARK_UNKNOWN, {"history_id": history_id})
                    recovered["unknown"] += 1
                else:
                    claim = Claim(company_id, client_id, claimed_at, None)
                    skip(conn, history_id, claim, "runner_stopped")
                    recovered["released"] += 1
            with conn.transaction():
                conn.execute(MARK_RUN_CRASHED, {"run_id": run_id})
            recovered["runs"] += 1
        finally:
            conn.execute("select pg_advisory_unlock(%s, %s)", (RUN_LOCK, run_id))
    return recovered


def claim_and_record(
    conn: psycopg.Connection, candidate, run_id: int, cooldown_days: int
) -> tuple[int, Claim]:
    """Claim the client and write its history row in one transaction.

    Holdouts are claimed like everyone else (their virtual send starts the cooldown and the
    attribution window) and recorded as 'holdout'; a lost claim is recorded as 'skipped'.
    """
    params = claim_params(
        candidate.company_id, candidate.client_id, candidate.phone, cooldown_days, run_id
    )
    with conn.transaction():
        claim = claim_within(conn, params)
        if not claim.won:
            status = "skipped"
        elif candidate.is_held_out:
            status = "holdout"
        else:
            status = "claimed"
        (history_id,) = conn.execute(
            INSERT_HISTORY,
            _history_params(candidate, run_id)
            | {"status": status, "skip_reason": claim.skip_reason, "claimed_at": claim.claimed_at},
        ).fetchone()
        if claim.won:
            attach_history(conn, claim, history_id)
    return history_id, claim


def reserve_send_slot(
    conn: psycopg.Connection,
    *,
    company_id: int,
    timezone: str,
    history_id: int,
    daily_cap: int,
    hourly_cap: int,
    min_gap: timedelta,
    text: str,
    source: str,
    fallback_reason: str | None,
    context_payload: dict,
    reply_window_hours: int,
) -> Slot:
    """Decide, for every runner at once, whether this salon may send now; if so stamp the row.

    The stamp - with the message's dialog context, the durable copy `reply_context` serves -
    is committed before the request leaves, so a crash after it reads 'maybe sent'.
    """
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s, %s)", (SLOT_LOCK, company_id))
        sent_today, sent_last_hour, until_hour_frees, since_last = conn.execute(
            SLOT_STATE, {"company_id": company_id, "timezone": timezone}
        ).fetchone()
        if sent_today >= daily_cap:
            return Slot(False, cap_reached="daily_cap")
        if sent_last_hour >= hourly_cap:
            return Slot(False, wait_seconds=max(until_hour_frees, 1.0))
        gap_left = min_gap.total_seconds() - (since_last if since_last is not None else math.inf)
        if gap_left > 0:
            return Slot(False, wait_seconds=gap_left)
        conn.execute(
            STAMP_SEND,
            {
                "history_id": history_id,
                "text": text,
                "source": source,
                "fallback_reason": fallback_reason,
                "payload": json.dumps(context_payload, ensure_ascii=False),
                "window_hours": reply_window_hours,
            },
        )
    return Slot(True)


def record_delivery(
    conn: psycopg.Connection,
    history_id: int,
    claim: Claim,
    status: str,
    message_id: str | None,
    error: str | None,
    context_status: str | None = None,
) -> None:
    """The gateway's answer (and, after a send, where the bot's context went), in one commit.

    A certain failure also releases the claim for a later run. Until this commits the row reads
    'claimed' with its send stamp, which recovery turns into 'unknown': never a second send.
    """
    with conn.transaction():
        conn.execute(
            RECORD_DELIVERY,
            {
                "history_id": history_id,
                "status": status,
                "message_id": message_id,
                "error": error,
                "context_status": context_status,
            },
        )
        if status == "failed":
            release_claim(conn, claim)


def skip(
    conn: psycopg.Connection, history_id: int, claim: Claim, reason: str, error: str | None = None
) -> None:
    """A claimed client we will not contact after all (run stopped, error before sending)."""
    with conn.transaction():
        conn.execute(MARK_SKIPPED, {"history_id": history_id, "reason": reason, "error": error})
        release_claim(conn, claim)


def _history_params(candidate, run_id: int) -> dict:
    return {
        "run_id": run_id,
        "company_id": candidate.company_id,
        "client_id": candidate.client_id,
        "phone": candidate.phone,
        "arm": candidate.arm,
        "interval_days": candidate.interval_days,
        "interval_tier": candidate.interval_tier,
        "days_since_last_visit": candidate.days_since_last_visit,
        "last_service_title": candidate.last_service_title,
    }
