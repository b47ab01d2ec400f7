{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=whole_salon_shares_per_worker(unsplit_scans=true)
        + ['{{ delete_recomputed_clients() }}'],
        indexes=[
            {'columns': ['company_id', 'client_id', 'visit_date'], 'unique': True},
            {'columns': ['processed_at']},
        ],
    )
}}

{#-
    One row per client and local visit day, from every source of visits the bot keeps: cache
    records with attendance 1, completed bot bookings, and the elements of clients.visit_history
    that say the client came (their service titles matched to the salon's services by
    normalised title; a visit whose title matches nothing still counts). Deleted, cancelled and
    no-show entries are never visits. The same visit seen in several sources is one visit: a
    day is a visit, whatever and however many sources show it. Its revenue is taken from one
    source, the record first, so a visit seen twice is not paid twice.

    Incremental by client: every client touched by a newly staged record, booking or visit
    history (int_clients_to_recompute) has their old rows deleted and all of their visits
    recomputed from the staged history (macros/recomputed_clients.sql).
-#}

{%- set to_recompute = ref('int_clients_to_recompute') %}  {#- dbt's order; see the macro -#}

-- Every step read more than once is `not materialized`: a materialized step is scanned by
-- the process that computed it, which would keep the whole statement in one process (the full
-- build aggregates each share of the salons in its own worker, see visit_days), and the
-- planner does better seeing the tables each time anyway (7.0 s -> 5.0 s, one process).
with records as not materialized (
    select * from {{ ref('stg_yclients__records') }}
),

record_services as not materialized (
    select * from {{ ref('stg_yclients__record_services') }}
),

bookings as not materialized (
    select staged.* from {{ ref('stg_yclients__bookings') }} as staged
    where staged.client_id is not null
),

visit_history as not materialized (
    select * from {{ ref('stg_yclients__visit_history') }}
),

{%- if is_incremental() %}
    -- The clients to recompute (a full build recomputes everyone).
    touched_clients as not materialized (
        {{ recomputed_clients() }}
    ),
{%- endif %}

record_visits as not materialized (
    select
        records.company_id,
        records.client_id,
        records.record_id as source_id,
        'record' as source,
        records.start_date as visit_date,
        records.starts_at as visited_at
    from records
    {{ join_touched_clients('records') }}
    where
        records.attendance = 1
        and not records.is_deleted
        and records.client_id is not null
),

history_titles as not materialized (
    select * from {{ ref('int_history_titles_matched') }}
),

visit_day_services as not materialized (
    -- Each source joins only its own services, through the record (or booking) key: the
    -- incremental batch touches a few clients, not every service row.
    select
        record_visits.company_id,
        record_visits.client_id,
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
        bookings.company_id,
        bookings.client_id,
        (bookings.starts_at at time zone companies.timezone)::date as visit_date,
        bookings.starts_at as visited_at,
        'booking' as source,
        bookings.booking_id as source_id,
        booked.service_id,
        null as service_title,
        booked.service_position::integer,
        -- The cost once per booking, on its first service or alone when it names none.
        case when coalesce(booked.service_position, 1) = 1 then bookings.cost end as revenue
    from bookings
    inner join {{ ref('stg_yclients__companies') }} as companies
        on bookings.company_id = companies.company_id
    {{ join_touched_clients('bookings') }}
    left join
        lateral unnest(bookings.service_ids)
        with ordinality as booked (service_id, service_position)
        on true
    where bookings.status = 'completed'
    union all
    select
        visit_history.company_id,
        visit_history.client_id,
        visit_history.start_date as visit_date,
        visit_history.starts_at as visited_at,
        'history' as source,
        null::bigint as source_id,
        history_titles.service_id,
        titled.service_title,
        titled.service_position,
        case when coalesce(titled.service_position, 1) = 1 then visit_history.cost end as revenue
    from visit_history
    left join {{ history_service_titles('visit_history.service_titles') }} as titled on true
    left join history_titles
        on
            visit_history.company_id = history_titles.company_id
            and titled.service_title = history_titles.service_title
    {{ join_touched_clients('visit_history') }}
    where visit_history.is_visit
),

visit_days as (
    -- One branch per share of the salons (macros/salon_shares.sql): each parallel worker
    -- joins, sorts and aggregates a share whole (3.4 s against 5.5 s in one process on a
    -- million records). The nightly batch of a few clients is one branch.
    {%- set shares = 1 if is_incremental() else var('salon_shares') %}
    {%- set service_order %}
        order by
            case visit_day_services.source when 'record' then 1 when 'booking' then 2 else 3 end,
            visit_day_services.visited_at,
            visit_day_services.source_id,
            visit_day_services.service_position
    {%- endset %}
    {%- for share in range(shares) %}
        (
            select
                visit_day_services.company_id,
                visit_day_services.client_id,
                visit_day_services.visit_date,
                min(visit_day_services.visited_at) as visited_at,
                -- The main service: the first service of the day's earliest record (a
                -- record's own services first: only it carries ids and titles together).
                (
                    array_agg(visit_day_services.service_id {{ service_order }})
                    filter (where visit_day_services.service_id is not null)
                )[1
                ] as main_service_id,
                (
                    array_agg(visit_day_services.service_title {{ service_order }})
                    filter (
                        where visit_day_services.service_id is not null
                    )
                )[1
                ] as main_service_title,
                array_agg(distinct visit_day_services.service_id)
                filter (where visit_day_services.service_id is not null) as service_ids,
                bool_or(visit_day_services.source = 'booking') as has_bot_booking,
                -- One source's revenue: the record's, else the booking's, else the history's.
                coalesce(
                    sum(visit_day_services.revenue)
                    filter (where visit_day_services.source = 'record'),
                    sum(visit_day_services.revenue)
                    filter (where visit_day_services.source = 'booking'),
                    sum(visit_day_services.revenue)
                    filter (where visit_day_services.source = 'history'),
                    0
                ) as revenue
            from visit_day_services
            where {{ salon_share_filter('visit_day_services.company_id', share, shares) }}
            group by
                visit_day_services.company_id,
                visit_day_services.client_id,
                visit_day_services.visit_date
        )
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        visit_days.*,
        '{{ run_started_at }}'::timestamptz as processed_at
    from visit_days
)

select * from final
