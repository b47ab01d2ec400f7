{{ config(contract={'enforced': true}) }}

{#-
    One row per salon in the bot's tables, as the runner sees them: its YClients id, name,
    the timezone its dates are computed in, whether it is run (live in the bot) and, when
    not, why; and how fresh the bot's data was when this build read it. The runner reads
    only this and the other marts, never the bot's tables, so it works on either layout.
-#}

with companies as (
    select * from {{ ref('stg_yclients__companies') }}
),

records as (
    select * from {{ ref('stg_yclients__cache_records') }}
),

bookings as (
    select * from {{ ref('stg_yclients__bookings') }}
),

clients as (
    select * from {{ ref('stg_yclients__clients') }}
),

source_times as (
    -- The bot's own clock on what it wrote: cache fetches, booking syncs, client syncs.
    select
        records.company_id,
        max(records.source_cached_at) as newest_at
    from records
    group by records.company_id
    union all
    select
        bookings.company_id,
        max(bookings.updated_at) as newest_at
    from bookings
    group by bookings.company_id
    union all
    select
        clients.company_id,
        max(clients.synced_at) as newest_at
    from clients
    group by clients.company_id
),

newest_source as (
    select
        source_times.company_id,
        max(source_times.newest_at) as newest_source_at
    from source_times
    group by source_times.company_id
),

final as (
    select
        companies.company_id::integer as company_id,
        companies.salon_name::text as salon_name,
        companies.timezone::text as timezone,
        companies.configured_timezone::text as configured_timezone,
        companies.is_timezone_valid::boolean as is_timezone_valid,
        companies.integration_status::text as integration_status,
        companies.is_live::boolean as is_live,
        (
            case
                when not companies.is_live
                    then 'integration_status is ' || companies.integration_status
            end
        )::text as skip_reason,
        newest_source.newest_source_at::timestamptz as newest_source_at,
        {{ now_or_as_of() }}::timestamptz as built_at
    from companies
    left join newest_source
        on companies.company_id = newest_source.company_id
)

select * from final
