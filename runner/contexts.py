"""Dialog contexts after the send: `reactivate contexts replay` and `reactivate contexts refresh`.

Replay pushes the contexts parked in Postgres while Redis was down: one still inside its reply
window goes to Redis with the time it has left and is marked `replayed`; one past the window is
marked `expired` (the client's reply, if any, went to the bot without it, and pushing it now
would confuse a new conversation).

Refresh keeps every unanswered context alive for its whole window. The bot rewrites the hash
with a 24 h TTL on each update, and its reminders do so before the client has even replied, so
without this a context dies a day after the last touch. The last message to each phone whose
window is still open is looked at once: extended to the time left, written again when the hash
is gone and nobody answered or booked, or left alone when the bot has moved on.
"""

import json
import logging
from collections import Counter
from dataclasses import dataclass

import psycopg

from runner.adapters.dialog_context import RedisContextStore
from runner.phones import mask_phone
from runner.ports import ContextStoreError, DialogContext

log = logging.getLogger(__name__)

PARKED = """
select history.history_id, history.company_id, history.phone, history.context_payload,
    extract(epoch from history.reply_until - now()) as seconds_left
from reactivation.client_reactivation_history as history
where history.context_status = 'parked'
order by history.send_started_at
"""

MARK = """
update reactivation.client_reactivation_history
set context_status = %(status)s, updated_at = now()
where history_id = %(history_id)s and context_status = 'parked'
"""

# The newest message to each phone whose window is open and whose context reached Redis. An
# older message's context was replaced by the newer one and must never come back.
_OPEN_CONTEXTS = """
with newest as (
    select distinct on (history.company_id, history.phone)
        history.history_id,
        history.company_id,
        history.phone,
        history.context_status,
        history.context_payload,
        history.reply_until
    from reactivation.client_reactivation_history as history
    where
        history.reply_until > now()
        and history.context_payload is not null
        and history.status in ('sent', 'unknown')
    order by history.company_id, history.phone, history.send_started_at desc
)

select
    newest.history_id,
    newest.company_id,
    newest.phone,
    newest.context_payload,
    extract(epoch from newest.reply_until - now())::integer as seconds_left,
    {answered} as answered
from newest
where newest.context_status in ('saved', 'replayed')
order by newest.history_id
"""

# A reply or a booking the last build saw (the mart exists once dbt has built it).
OPEN_CONTEXTS_WITH_OUTCOMES = _OPEN_CONTEXTS.replace(
    "{answered}",
    """coalesce((
        select outcomes.converted or outcomes.replied_at is not null
        from analytics.reactivation_outcomes as outcomes
        where outcomes.history_id = newest.history_id
    ), false)""",
)
OPEN_CONTEXTS = _OPEN_CONTEXTS.replace("{answered}", "false")


@dataclass
class ReplaySummary:
    replayed: int = 0
    expired: int = 0
    failed: int = 0


def replay_parked_contexts(conn: psycopg.Connection, store: RedisContextStore) -> ReplaySummary:
    summary = ReplaySummary()
    rows = conn.execute(PARKED).fetchall()
    for history_id, company_id, phone, payload, seconds_left in rows:
        if seconds_left is None or seconds_left <= 0:
            _mark(conn, history_id, "expired")
            summary.expired += 1
            continue
        try:
            store.save(company_id, phone, _context(payload), ttl_seconds=int(seconds_left))
        except ContextStoreError as error:
            log.error("replay of %s failed: %s", mask_phone(phone), error)
            summary.failed += 1
            continue
        _mark(conn, history_id, "replayed")
        summary.replayed += 1
    return summary


def refresh_open_contexts(conn: psycopg.Connection, store: RedisContextStore) -> Counter:
    """One pass over the open windows; counts by what was done (see RedisContextStore.refresh)
    plus 'answered' (a reply or booking in the outcome mart) and 'failed' (Redis refused)."""
    query = OPEN_CONTEXTS_WITH_OUTCOMES if _has_outcomes(conn) else OPEN_CONTEXTS
    counts: Counter = Counter()
    for history_id, company_id, phone, payload, seconds_left, answered in conn.execute(query):
        if seconds_left <= 0:
            continue  # the window closed between the query and now
        if answered:
            counts["answered"] += 1
            continue
        try:
            outcome = store.refresh(company_id, phone, _context(payload), history_id, seconds_left)
            counts[outcome] += 1
        except ContextStoreError as error:
            log.error("refresh of %s failed: %s", mask_phone(phone), error)
            counts["failed"] += 1
    return counts


def _has_outcomes(conn: psycopg.Connection) -> bool:
    found = conn.execute("select to_regclass('analytics.reactivation_outcomes')").fetchone()
    return found[0] is not None


def _context(payload) -> DialogContext:
    return DialogContext.from_payload(json.loads(payload) if isinstance(payload, str) else payload)


def _mark(conn: psycopg.Connection, history_id: int, status: str) -> None:
    with conn.transaction():
        conn.execute(MARK, {"history_id": history_id, "status": status})
