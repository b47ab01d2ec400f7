"""Claiming a client before contacting them, enforced by Postgres.

A claim is one atomic statement (see migration 0002): it re-checks the live tables (a booking
made or an opt-out recorded since the build; bookings through the build's live view
analytics.bookings_ahead, so the runner never reads the bot's tables in either layout) and
wins only if the last contact is older than the cooldown, never less than 24 hours. Two
runners, a restart or a manual re-run racing for the same client: exactly one wins, the others
are told why not.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

MINIMUM_GAP = timedelta(
    hours=24
)  # never two messages to one client within a day, whatever the cooldown

CLAIM = """
with live as (
    select
        exists (
            -- A live view over the bot's bookings, in whichever layout (dbt's bookings_ahead).
            select 1
            from analytics.bookings_ahead as booking
            where
                booking.company_id = %(company_id)s
                and (booking.client_id = %(client_id)s or booking.phone = %(phone)s)
        ) as has_booking_ahead,
        exists (
            select 1
            from reactivation.opt_outs as opt_out
            where opt_out.company_id = %(company_id)s and opt_out.phone = %(phone)s
        ) as has_opted_out
),

claimed as (
    insert into reactivation.client_contact_claims as claim
        (company_id, client_id, last_contacted_at, run_id)
    select %(company_id)s, %(client_id)s, now(), %(run_id)s
    from live
    where not live.has_booking_ahead and not live.has_opted_out
    on conflict (company_id, client_id) do update
    set
        previous_contacted_at = claim.last_contacted_at,
        last_contacted_at = excluded.last_contacted_at,
        run_id = excluded.run_id,
        history_id = null
    where claim.last_contacted_at <= excluded.last_contacted_at - %(cooldown)s
    returning claim.last_contacted_at
)

select
    (select claimed.last_contacted_at from claimed) as claimed_at,
    live.has_booking_ahead,
    live.has_opted_out
from live
"""

ATTACH_HISTORY = """
update reactivation.client_contact_claims
set history_id = %(history_id)s
where
    company_id = %(company_id)s
    and client_id = %(client_id)s
    and last_contacted_at = %(claimed_at)s
"""

# Only for a send that certainly did not deliver: the client goes back to how they were, and
# only if this claim is still the current one.
RELEASE = (
    """
    delete from reactivation.client_contact_claims
    where company_id = %(company_id)s and client_id = %(client_id)s
        and last_contacted_at = %(claimed_at)s and previous_contacted_at is null
    """,
    """
    update reactivation.client_contact_claims
    set last_contacted_at = previous_contacted_at, previous_contacted_at = null,
        history_id = null
    where company_id = %(company_id)s and client_id = %(client_id)s
        and last_contacted_at = %(claimed_at)s and previous_contacted_at is not null
    """,
)


@dataclass(frozen=True)
class Claim:
    company_id: int
    client_id: int
    claimed_at: datetime | None  # None: not claimed, see skip_reason
    skip_reason: str | None

    @property
    def won(self) -> bool:
        return self.claimed_at is not None


def claim_params(
    company_id: int, client_id: int, phone: str, cooldown_days: int, run_id: int | None
) -> dict:
    return {
        "company_id": company_id,
        "client_id": client_id,
        "phone": phone,
        "run_id": run_id,
        "cooldown": max(timedelta(days=cooldown_days), MINIMUM_GAP),
    }


def claim_client(
    conn: psycopg.Connection,
    *,
    company_id: int,
    client_id: int,
    phone: str,
    cooldown_days: int,
    run_id: int | None = None,
) -> Claim:
    """Try to claim one client, in its own transaction; commit before contacting them."""
    params = claim_params(company_id, client_id, phone, cooldown_days, run_id)
    with conn.transaction():
        return claim_within(conn, params)


def claim_within(conn: psycopg.Connection, params: dict) -> Claim:
    """The claim statement inside the caller's transaction (see `claim_client` for params)."""
    company_id, client_id = params["company_id"], params["client_id"]
    claimed_at, booked, opted_out = conn.execute(CLAIM, params).fetchone()
    if claimed_at is not None:
        return Claim(company_id, client_id, claimed_at, None)
    reason = "opted_out" if opted_out else "booked_ahead" if booked else "contacted_recently"
    return Claim(company_id, client_id, None, reason)


def attach_history(conn: psycopg.Connection, claim: Claim, history_id: int) -> None:
    """Link the claim to its history row; runs inside the caller's transaction, if any."""
    conn.execute(ATTACH_HISTORY, _claim_key(claim) | {"history_id": history_id})


def release_claim(conn: psycopg.Connection, claim: Claim) -> None:
    """Undo a claim whose message certainly was not delivered (never after a timeout).

    Runs inside the caller's transaction, if any, so the release and the history row that
    explains it commit together.
    """
    for statement in RELEASE:
        conn.execute(statement, _claim_key(claim))


def _claim_key(claim: Claim) -> dict:
    return {
        "company_id": claim.company_id,
        "client_id": claim.client_id,
        "claimed_at": claim.claimed_at,
    }
