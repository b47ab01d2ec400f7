{{ config(materialized='table', post_hook='{{ analyze_when_stale() }}') }}

{#-
    One row per salon, keyed by its YClients id in either layout (production: company_id, the
    internal id never leaves this model; seed: yclients_company_id, else id). A salon whose
    timezone PostgreSQL does not know runs on Europe/Moscow, flagged here and warned about by
    the build, so one bad zone never stops the other salons. A table, not a view: the zone
    check reads pg_timezone_names once per build, not once per query.
-#}
{%- set companies = source('yclients', 'companies') -%}
{%- set columns = relation_columns(companies) -%}

with companies as (
    select * from {{ companies }}
),

known_zones as (
    select pg_timezone_names.name as zone_name from pg_timezone_names
),

renamed as (
    select
        {%- if source_layout() == 'production' %}
            companies.company_id::integer as company_id,
            nullif(trim(companies.title), '') as salon_name,
            coalesce(companies.integration_status, 'unknown')::text as integration_status,
            {{ optional_column(columns, 'companies', 'updated_at', 'null::timestamp',
                'no tie-break between duplicate rows') }} as updated_at,
        {%- else %}
            coalesce(
                {{ optional_column(columns, 'companies', 'yclients_company_id', 'null::integer',
                    'id is the salon id') }},
                companies.id
            )::integer as company_id,
            nullif(trim(companies.name), '') as salon_name,
            case
                when coalesce(
                    {{ optional_column(columns, 'companies', 'is_active', 'null::boolean',
                        'every salon is live') }}, true
                ) then 'active'
                else 'inactive'
            end as integration_status,
            {{ optional_column(columns, 'companies', 'updated_at', 'null::timestamptz',
                'no tie-break between duplicate rows') }}::timestamp as updated_at,
        {%- endif %}
        nullif(trim(companies.timezone), '') as configured_timezone
    from companies
),

one_per_salon as (
    -- The production table's company_id index is not unique: a live row beats a stale one.
    select distinct on (renamed.company_id) renamed.*
    from renamed
    where renamed.company_id is not null
    order by
        renamed.company_id asc,
        (renamed.integration_status = 'active') desc,
        renamed.updated_at desc nulls last
),

final as (
    select
        one_per_salon.company_id,
        one_per_salon.salon_name,
        coalesce(known_zones.zone_name, 'Europe/Moscow') as timezone,
        one_per_salon.configured_timezone,
        (known_zones.zone_name is not null) as is_timezone_valid,
        one_per_salon.integration_status,
        (one_per_salon.integration_status = 'active') as is_live
    from one_per_salon
    left join known_zones
        on one_per_salon.configured_timezone = known_zones.zone_name
)

select * from final
