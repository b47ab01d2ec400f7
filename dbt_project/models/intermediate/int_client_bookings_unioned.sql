{#-
    One row per booking made by a client the runner has contacted (or held out), or whose
    experiment window has opened (experiment_windows, for intent to treat): YClients
    records (not deleted) and bot bookings (not cancelled) that are not also a record. Carries
    when the booking was created - what attribution compares with the message - whether the
    visit happened, and its revenue. Only those clients, and only the bookings they created
    since their first contact or the day before their window opened: this stays small. A
    table, not a view: both outcome marts and its own test read it, and the view computed it
    for each (three times 1.7 s on the migration layout's two years of records).
-#}

{#- The earliest `since` of any client, looked up before the query is planned: as a literal
    it lets the planner read the few recent records by the created_at index instead of
    probing every contacted client's records (42,000 clients' two years: 1.5 s a night). -#}
{#- A day early covers any salon's zone. -#}
{%- set window_since = "(windows.opens_on - 1)::timestamp at time zone 'UTC'" -%}
{%- set earliest_since -%}
    select coalesce(least(
        (
            select min(history.contacted_at) from {{ ref('stg_reactivation__history') }} as history
            where history.status in ('sent', 'holdout')
        ),
        (
            select min({{ window_since }})
            from {{ ref('experiment_windows') }} as windows
        )
    ), 'infinity')::text
{%- endset -%}
{#- Only once both exist (never in a unit test, nor while sqlfluff compiles on an empty
    database): else no bound beyond each client's own. -#}
{%- if execute and model.resource_type != 'unit_test'
    and load_relation(ref('stg_reactivation__history')) is not none
    and load_relation(ref('experiment_windows')) is not none -%}
    {%- set earliest = "'" ~ run_query(earliest_since).columns[0].values()[0] ~ "'::timestamptz" -%}
{%- else -%}
    {%- set earliest = "'-infinity'::timestamptz" -%}
{%- endif %}

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
    -- Each client once, with the earliest moment a booking can matter for them: their first
    -- contact, or the day before their window opens (a day early covers any salon's zone).
    -- Older bookings can neither convert a message nor fall inside a window, and reading them
    -- all cost seconds: the windows cover every due client, with up to two years of records.
    select
        since.company_id,
        since.client_id,
        min(since.since) as since
    from (
        select
            history.company_id,
            history.client_id,
            history.contacted_at as since
        from history
        where history.status in ('sent', 'holdout')
        union all
        select
            windows.company_id,
            windows.client_id,
            {{ window_since }} as since
        from windows
    ) as since
    group by since.company_id, since.client_id
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
    where
        not records.is_deleted
        and records.created_at >= contacted_clients.since
        and records.created_at >= {{ earliest }}
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
        and bot_bookings.created_at >= contacted_clients.since
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
