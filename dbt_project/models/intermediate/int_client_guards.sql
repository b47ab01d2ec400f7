{#-
    One row per client with an interval (client_intervals): the first guard that forbids a
    message today, or null when none does, and whether the client was contacted within the
    cooldown. The candidates leave out every guarded or recently contacted client; the
    experiment's windows exclude a client guarded at the window's opening, the same way in
    every arm. One place for the rules, so the two never disagree.
-#}

with intervals as (
    select * from {{ ref('client_intervals') }}
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

booked_ahead as (
    -- A record in the cache ahead of today, waiting (0) or confirmed (2).
    select
        records.company_id,
        records.client_id
    from records
    where
        records.starts_at > {{ now_or_as_of() }}
        and not records.is_deleted
        and records.attendance in (0, 2)
),

bot_booked_ahead as (
    -- A bot booking ahead, matched by client id or, where the bot wrote none, by phone.
    select
        bookings.company_id,
        bookings.client_id,
        bookings.phone
    from bookings
    where
        bookings.starts_at > {{ now_or_as_of() }}
        and bookings.status in ('pending', 'confirmed', 'active')
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
),

checked as (
    select
        intervals.company_id,
        intervals.client_id,
        clients.phone,
        clients.client_name,
        companies.is_live,
        clients.is_deleted,
        clients.is_blacklisted,
        exists(
            select 1 from opt_outs
            where opt_outs.company_id = intervals.company_id and opt_outs.phone = clients.phone
        ) as is_opted_out,
        exists (
            select 1 from booked_ahead
            where
                booked_ahead.company_id = intervals.company_id
                and booked_ahead.client_id = intervals.client_id
        )
        or exists (
            select 1 from bot_booked_ahead
            where
                bot_booked_ahead.company_id = intervals.company_id
                and (
                    bot_booked_ahead.client_id = intervals.client_id
                    or bot_booked_ahead.phone = clients.phone
                )
        ) as is_booked_ahead,
        exists(
            select 1 from recently_contacted
            where
                recently_contacted.company_id = intervals.company_id
                and recently_contacted.client_id = intervals.client_id
        ) as is_recently_contacted
    from intervals
    inner join clients
        on
            intervals.company_id = clients.company_id
            and intervals.client_id = clients.client_id
    inner join companies
        on intervals.company_id = companies.company_id
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
