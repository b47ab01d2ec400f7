"""`reactivate contexts replay`: dialog contexts parked in Postgres while Redis was down.

A parked context still inside the reply window is pushed with the TTL it has left and marked
`replayed`; one past the window is marked `expired` (the client's reply, if any, went to the bot
without it, and pushing it now would confuse a new conversation).
"""

import json
import logging
from dataclasses import dataclass

import psycopg

from runner.adapters.dialog_context import RedisContextStore
from runner.phones import mask_phone
from runner.ports import ContextStoreError, DialogContext

log = logging.getLogger(__name__)

PARKED = """
select history.history_id, history.company_id, history.phone, history.context_payload,
    extract(epoch from history.sent_at + make_interval(hours => %(window_hours)s) - now())
        as seconds_left
from reactivation.client_reactivation_history as history
where history.context_status = 'parked'
order by history.sent_at
"""

MARK = """
update reactivation.client_reactivation_history
set context_status = %(status)s, updated_at = now()
where history_id = %(history_id)s and context_status = 'parked'
"""


@dataclass
class ReplaySummary:
    replayed: int = 0
    expired: int = 0
    failed: int = 0


def replay_parked_contexts(
    conn: psycopg.Connection, store: RedisContextStore, reply_window_hours: int
) -> ReplaySummary:
    summary = ReplaySummary()
    rows = conn.execute(PARKED, {"window_hours": reply_window_hours}).fetchall()
    for history_id, company_id, phone, payload, seconds_left in rows:
        if seconds_left is None or seconds_left <= 0:
            _mark(conn, history_id, "expired")
            summary.expired += 1
            continue
        if isinstance(payload, str):
            payload = json.loads(payload)
        try:
            store.save(
                company_id,
                phone,
                DialogContext.from_payload(payload),
                ttl_seconds=int(seconds_left),
            )
        except ContextStoreError as error:
            log.error("replay of %s failed: %s", mask_phone(phone), error)
            summary.failed += 1
            continue
        _mark(conn, history_id, "replayed")
        summary.replayed += 1
    return summary


def _mark(conn: psycopg.Connection, history_id: int, status: str) -> None:
    with conn.transaction():
        conn.execute(MARK, {"history_id": history_id, "status": status})
