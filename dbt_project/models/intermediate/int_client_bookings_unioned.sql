{{ config(materialized="view") }}

{#-
    One row per booking made by a client the runner has contacted (or held out), or whose
    experiment window has opened (experiment_windows, for intent to treat): YClients
    records (not deleted) and bot bookings (not cancelled) that are not also a record. Carries
    when the booking was created - what attribution compares with the message - whether the
    visit happened, and its revenue. Only those clients are kept: this stays small.
-#}

with history as (
    select * from {{ ref('stg_reactivation__history') }}
),

-- Not materialized: each reader reaches the staged records through their indexes (the
-- contacted clients' records; one record by its id) instead of a copy of every record.
records as not materialized (
    select * from {{ ref('stg_yclients__records') }}
),

record_services as (
    select * from {{ ref('stg_yclients__record_services') }}
),

bot_bookings as (
    select * from {{ ref('stg_yclients__bookings') }}
),

windows as (
    select * from {{ ref('experiment_windows') }}
),

contacted_clients as (
    select
        history.company_id,
        history.client_id
    from history
    where history.status in ('sent', 'holdout')
    union
    select
        windows.company_id,
        windows.client_id
    from windows
),

from_records as (
    select
        contacted_clients.company_id,
        contacted_clients.client_id,
        'yclients' as booking_source,
        records.record_id as booking_id,
        coalesce(record_revenue.revenue, 0)::numeric(12, 2) as revenue,
        (records.attendance = 1) as is_visit,
        records.created_at as booking_created_at,
        records.starts_at,
        records.staged_at
    from records
    inner join contacted_clients
        on
            records.company_id = contacted_clients.company_id
            and records.client_id = contacted_clients.client_id
    -- Summed for each booking kept, through the services' index, not for every record.
    left join lateral (
        select sum(record_services.cost) as revenue
        from record_services
        where
            record_services.company_id = records.company_id
            and record_services.record_id = records.record_id
    ) as record_revenue on true
    where not records.is_deleted and records.created_at is not null
),

from_bot as (
    -- created_at is when the bot's 15-minute sync first saw the booking (its clock, UTC).
    select
        bot_bookings.company_id,
        bot_bookings.client_id,
        'bot' as booking_source,
        bot_bookings.booking_id,
        coalesce(bot_bookings.cost, 0)::numeric(12, 2) as revenue,
        (bot_bookings.status = 'completed') as is_visit,
        bot_bookings.created_at as booking_created_at,
        bot_bookings.starts_at,
        bot_bookings.staged_at
    from bot_bookings
    inner join contacted_clients
        on
            bot_bookings.company_id = contacted_clients.company_id
            and bot_bookings.client_id = contacted_clients.client_id
    where
        bot_bookings.status not in ('cancelled', 'no_show')
        and bot_bookings.created_at is not null
        and not exists (
            select 1 from records
            where
                records.company_id = bot_bookings.company_id
                and records.record_id = bot_bookings.booking_id
        )
),

unioned as (
    select * from from_records
    union all
    select * from from_bot
)

select * from unioned
