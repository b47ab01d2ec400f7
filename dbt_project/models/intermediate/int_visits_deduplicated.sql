{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company_id', 'yclients_client_id'],
        on_schema_change='fail',
        pre_hook=whole_salon_shares_per_worker(unsplit_scans=true),
        indexes=[
            {'columns': ['company_id', 'yclients_client_id', 'visit_date'], 'unique': True},
            {'columns': ['processed_at']},
        ],
    )
}}

{#-
    One row per client and local visit day: attended (attendance 1), not deleted records, plus
    completed bot bookings that no record shows. Two records (or a record and a booking) on the
    same day are one visit. Plus one marker row per client (visit_date null) saying when the
    client's visits were last recomputed.

    Incremental by client: every client touched by a newly staged record or booking has all of
    their visits recomputed from the staged history. The marker makes every touched client part
    of the batch, so the delete+insert on the client key also clears a client whose only visit
    was cancelled, and tells downstream models which clients changed.
-#}

-- Every step read more than once is `not materialized`: a materialized step is scanned by
-- the process that computed it, which would keep the whole statement in one process (the full
-- build aggregates each share of the salons in its own worker, see visit_days), and the
-- planner does better seeing the tables each time anyway (7.0 s -> 5.0 s, one process).
with records as not materialized (
    select * from {{ ref('stg_yclients__records') }}
),

cache_records as not materialized (
    select * from {{ ref('stg_yclients__cache_records') }}
),

record_services as not materialized (
    select * from {{ ref('stg_yclients__record_services') }}
),

bookings as not materialized (
    select * from {{ ref('stg_yclients__bookings') }}
),

clients as not materialized (
    select * from {{ ref('stg_yclients__clients') }}
),

companies as not materialized (
    select * from {{ ref('stg_yclients__companies') }}
),

bot_bookings_of_clients as not materialized (
    select
        bookings.*,
        clients.yclients_client_id
    from bookings
    inner join clients
        on
            bookings.company_id = clients.company_id
            and bookings.client_id = clients.client_id
    where clients.yclients_client_id is not null
),

touched_clients as not materialized (
    -- DISTINCT over UNION ALL, not UNION: PostgreSQL runs no set operation in a parallel
    -- worker, and one such step anywhere keeps the whole statement in one process.
    {%- if is_incremental() %}
        {%- set watermark = incremental_watermark('processed_at') %}
    {%- endif %}
    select distinct
        touching.company_id,
        touching.yclients_client_id
    from (
        select
            records.company_id,
            records.client_id as yclients_client_id
        from records
        where
            records.client_id is not null
        {% if is_incremental() %}
            and records.staged_at > {{ watermark }}
        {% endif %}
        union all
        select
            bot_bookings_of_clients.company_id,
            bot_bookings_of_clients.yclients_client_id
        from bot_bookings_of_clients
        {% if is_incremental() %}
            where bot_bookings_of_clients.staged_at > {{ watermark }}
        {% endif %}
    ) as touching
),

record_visits as not materialized (
    select
        records.company_id,
        records.client_id as yclients_client_id,
        records.record_id as source_id,
        'record' as source,
        records.start_date as visit_date,
        records.started_at as visited_at
    from records
    {% if is_incremental() %}
        inner join touched_clients
            on
                records.company_id = touched_clients.company_id
                and records.client_id = touched_clients.yclients_client_id
    {% endif %}
    where
        records.attendance = 1
        and not records.is_deleted
        and records.client_id is not null
),

booking_visits as not materialized (
    -- A completed bot booking counts only when no record (in any state) stands for it.
    select
        bot_bookings_of_clients.company_id,
        bot_bookings_of_clients.yclients_client_id,
        bot_bookings_of_clients.booking_id as source_id,
        'booking' as source,
        (bot_bookings_of_clients.starts_at at time zone companies.timezone)::date as visit_date,
        bot_bookings_of_clients.starts_at as visited_at
    from bot_bookings_of_clients
    inner join companies
        on bot_bookings_of_clients.company_id = companies.company_id
    {% if is_incremental() %}
        inner join touched_clients
            on
                bot_bookings_of_clients.company_id = touched_clients.company_id
                and bot_bookings_of_clients.yclients_client_id = touched_clients.yclients_client_id
    {% endif %}
    where
        bot_bookings_of_clients.status = 'completed'
        and not exists (
            -- Through the staged key, whose unique index answers this without a scan.
            select 1
            from cache_records
            where
                cache_records.company_id = bot_bookings_of_clients.company_id
                and cache_records.record_key = bot_bookings_of_clients.booking_id::text
        )
),

visit_day_services as not materialized (
    -- Each source joins only its own services, through the record (or booking) key: the
    -- incremental batch touches a few clients, not every service row.
    select
        record_visits.company_id,
        record_visits.yclients_client_id,
        record_visits.visit_date,
        record_visits.visited_at,
        record_visits.source,
        record_visits.source_id,
        record_services.service_id,
        record_services.service_title,
        record_services.service_position,
        record_services.cost * record_services.amount as revenue
    from record_visits
    left join record_services
        on
            record_visits.company_id = record_services.company_id
            and record_visits.source_id = record_services.record_id
    union all
    select
        booking_visits.company_id,
        booking_visits.yclients_client_id,
        booking_visits.visit_date,
        booking_visits.visited_at,
        booking_visits.source,
        booking_visits.source_id,
        bookings.service_id,
        null as service_title,
        1 as service_position,
        bookings.cost as revenue
    from booking_visits
    inner join bookings
        on
            booking_visits.company_id = bookings.company_id
            and booking_visits.source_id = bookings.booking_id
),

visit_days as (
    -- One branch per share of the salons (macros/salon_shares.sql): each parallel worker
    -- joins, sorts and aggregates a share whole (3.4 s against 5.5 s in one process on a
    -- million records). The nightly batch of a few clients is one branch.
    {%- set shares = 1 if is_incremental() else var('salon_shares') %}
    {%- for share in range(shares) %}
        (
            select
                visit_day_services.company_id,
                visit_day_services.yclients_client_id,
                visit_day_services.visit_date,
                min(visit_day_services.visited_at) as visited_at,
                -- The main service: the first service of the day's earliest record.
                (array_agg(
                    visit_day_services.service_id
                    order by
                        visit_day_services.visited_at,
                        visit_day_services.source_id,
                        visit_day_services.service_position
                ) filter (where visit_day_services.service_id is not null))[1] as main_service_id,
                (array_agg(
                    visit_day_services.service_title
                    order by
                        visit_day_services.visited_at,
                        visit_day_services.source_id,
                        visit_day_services.service_position
                ) filter (
                    where visit_day_services.service_id is not null
                ))[1] as main_service_title,
                array_agg(distinct visit_day_services.service_id)
                filter (where visit_day_services.service_id is not null) as service_ids,
                array_agg(distinct visit_day_services.source_id) as source_ids,
                bool_or(visit_day_services.source = 'booking') as has_bot_booking,
                coalesce(sum(visit_day_services.revenue), 0) as revenue
            from visit_day_services
            where {{ salon_share_filter('visit_day_services.company_id', share, shares) }}
            group by
                visit_day_services.company_id,
                visit_day_services.yclients_client_id,
                visit_day_services.visit_date
        )
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

with_placeholders as (
    select
        visit_days.*,
        '{{ run_started_at }}'::timestamptz as processed_at
    from visit_days
    union all
    select
        touched_clients.company_id,
        touched_clients.yclients_client_id,
        null::date,
        null::timestamptz,
        null::bigint,
        null::text,
        null::bigint[],
        null::bigint[],
        null::boolean,
        null::numeric,
        '{{ run_started_at }}'::timestamptz
    from touched_clients
)

select * from with_placeholders
