{{
    config(
        materialized='table',
        post_hook='{{ analyze_when_stale() }}',
        indexes=[{'columns': ['company_id', 'client_id'], 'unique': True}],
    )
}}

{#-
    One row per salon client, keyed by the YClients client id (production: yclients_id; seed:
    yclients_client_id), the id every record and booking carries. The bot's own serial id
    never leaves this model. A client row without a YClients id matches no record: left out.
    A table: the interval mart and the guards probe it per client, and as a view each of them
    (and its two tests) sorted the bot's 100k client rows again (0.28 s in every parallel
    worker of client_intervals). Building it runs beside the history staging each night.
-#}
{%- set clients = source('yclients', 'clients') -%}
{%- set columns = relation_columns(clients) -%}

with clients as (
    select * from {{ clients }}
),

renamed as (
    select
        clients.company_id::integer as company_id,
        {{ yclients_client_id('clients') }} as client_id,
        {{ normalize_phone('clients.phone::text') }} as phone,
        nullif(trim(clients.name), '') as client_name,
        coalesce(
            {{ optional_column(columns, 'clients', 'is_deleted', 'null::boolean',
                'no client counts as deleted') }}, false
        ) as is_deleted,
        coalesce(
            {{ optional_column(columns, 'clients', 'blacklisted', 'null::boolean',
                'no client counts as blacklisted') }}, false
        ) as is_blacklisted,
        {{ optional_column(columns, 'clients', 'updated_at', 'null::timestamp',
            'no tie-break between duplicate rows') }}::timestamp as updated_at,
        {{ client_synced_at(columns, 'clients') }} as synced_at
    from clients
),

one_per_client as (
    select distinct on (renamed.company_id, renamed.client_id) renamed.*
    from renamed
    where renamed.client_id is not null and renamed.company_id is not null
    order by renamed.company_id asc, renamed.client_id asc, renamed.updated_at desc nulls last
)

select * from one_per_client
