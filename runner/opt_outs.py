"""Recording that a client must not be messaged by a salon again."""

from dataclasses import dataclass

import psycopg

from runner.phones import parse_operator_phone

# Idempotent: a second opt-out of the same phone keeps the first date and fills in a reason
# only if the first one had none.
RECORD_OPT_OUT = """
insert into reactivation.opt_outs (company_id, phone, reason, source)
values (%(company_id)s, %(phone)s, %(reason)s, %(source)s)
on conflict (company_id, phone) do update
set reason = coalesce(reactivation.opt_outs.reason, excluded.reason)
returning created_at, (xmax = 0) as is_new
"""


@dataclass(frozen=True)
class OptOut:
    company_id: int
    phone: str
    is_new: bool


def record_opt_out(
    conn: psycopg.Connection,
    company_id: int,
    raw_phone: str,
    reason: str | None,
    source: str = "operator",
) -> OptOut:
    phone = parse_operator_phone(raw_phone)
    with conn.transaction():
        _, is_new = conn.execute(
            RECORD_OPT_OUT,
            {"company_id": company_id, "phone": phone, "reason": reason, "source": source},
        ).fetchone()
    return OptOut(company_id, phone, is_new)


# Replies asking us to stop (classified by the last build) become opt-outs here, so every
# claim - which reads this table live - respects them, not only the next candidate mart.
SYNC_REPLY_OPT_OUTS = """
insert into reactivation.opt_outs (company_id, phone, reason, source, created_at)
select distinct on (replies.company_id, replies.phone)
    replies.company_id, replies.phone, left(replies.content, 200), 'reply', replies.replied_at
from analytics.int_replies_classified as replies
where replies.is_opt_out
order by replies.company_id, replies.phone, replies.replied_at
on conflict (company_id, phone) do nothing
"""


def sync_reply_opt_outs(conn: psycopg.Connection) -> int:
    """Record stop replies as opt-outs; 0 when no build has classified replies yet."""
    try:
        with conn.transaction():
            return conn.execute(SYNC_REPLY_OPT_OUTS).rowcount
    except psycopg.errors.UndefinedTable:
        return 0
