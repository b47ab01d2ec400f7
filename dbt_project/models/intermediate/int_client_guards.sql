{#-
    One row per client with an interval (a visit, and a row in the bot's client list, as in
    client_intervals): the first guard that forbids a message today, or null when none does,
    and whether the client was contacted within the cooldown. The candidates leave out every
    guarded or recently contacted client; the experiment's windows exclude a client guarded
    at the window's opening, the same way in every arm. One place for the rules, so the two
    never disagree.
    Read from the last visits, not from client_intervals, which holds the same clients: so the
    guards are built beside the intervals, not after them, on the nightly build's longest
    chain (0.35 s).
-#}

with last_visits as (
    select * from {{ ref('int_clients_last_visited') }}
),

clients as (
    select * from {{ ref('stg_yclients__clients') }}
),

companies as (
    select * from {{ ref('stg_yclients__companies') }}
),

records as (
    select * from {{ ref('stg_yclients__records') }}
),

bookings as (
    select * from {{ ref('stg_yclients__bookings') }}
),

history as (
    select * from {{ ref('stg_reactivation__history') }}
),

opt_outs as (
    select * from {{ ref('int_opt_outs_unioned') }}
),

-- Each guard below is a set of keys without nulls, probed by in_key_set (macros/key_sets.sql):
-- hashed once, instead of a correlated EXISTS per client (1.1 s of this model's 1.8 s on
-- 100,000 clients, every night).
opted_out_phones as (
    select
        opt_outs.company_id,
        opt_outs.phone
    from opt_outs
    where opt_outs.phone is not null
),

bot_bookings_ahead as (
    -- A bot booking ahead, matched by client id or by phone: the bot may have written no id.
    select
        bookings.company_id,
        bookings.client_id,
        bookings.phone
    from bookings
    where
        bookings.starts_at > {{ now_or_as_of() }}
        and bookings.status in ('pending', 'confirmed', 'active')
),

booked_ahead_clients as (
    -- A record in the cache ahead of today, waiting (0) or confirmed (2), or a bot booking
    -- ahead with the client's id.
    select
        records.company_id,
        records.client_id
    from records
    where
        records.starts_at > {{ now_or_as_of() }}
        and not records.is_deleted
        and records.attendance in (0, 2)
        and records.client_id is not null
    union
    select
        bot_bookings_ahead.company_id,
        bot_bookings_ahead.client_id
    from bot_bookings_ahead
    where bot_bookings_ahead.client_id is not null
),

booked_ahead_phones as (
    select
        bot_bookings_ahead.company_id,
        bot_bookings_ahead.phone
    from bot_bookings_ahead
    where bot_bookings_ahead.phone is not null
),

recently_contacted as (
    -- Holdouts count as contacted: they stand for a message in the comparison.
    select
        history.company_id,
        history.client_id
    from history
    where
        history.status in ('claimed', 'sent', 'holdout', 'unknown')
        and history.contacted_at
        > {{ now_or_as_of() }} - interval '{{ var("cooldown_days") }} days'
        and history.client_id is not null
),

checked as (
    select
        last_visits.company_id,
        last_visits.client_id,
        clients.phone,
        clients.client_name,
        companies.is_live,
        clients.is_deleted,
        clients.is_blacklisted,
        {{ in_key_set('last_visits.company_id, clients.phone', 'opted_out_phones') }}
            as is_opted_out,
        {{ in_key_set('last_visits.company_id, last_visits.client_id', 'booked_ahead_clients') }}
        or {{ in_key_set('last_visits.company_id, clients.phone', 'booked_ahead_phones') }}
            as is_booked_ahead,
        {{ in_key_set('last_visits.company_id, last_visits.client_id', 'recently_contacted') }}
            as is_recently_contacted
    from last_visits
    inner join clients
        on
            last_visits.company_id = clients.company_id
            and last_visits.client_id = clients.client_id
    inner join companies
        on last_visits.company_id = companies.company_id
)

select
    checked.company_id,
    checked.client_id,
    checked.phone,
    checked.client_name,
    case
        when not checked.is_live then 'salon_not_live'
        when checked.is_deleted then 'deleted'
        when checked.is_blacklisted then 'blacklisted'
        when checked.phone is null then 'no_phone'
        when checked.is_opted_out then 'opted_out'
        when checked.is_booked_ahead then 'booked_ahead'
    end as guard,
    checked.is_recently_contacted
from checked
