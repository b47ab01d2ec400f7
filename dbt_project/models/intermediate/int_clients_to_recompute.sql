{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company_id', 'client_id'],
        on_schema_change='fail',
        indexes=[
            {'columns': ['company_id', 'client_id'], 'unique': True},
            {'columns': ['touched_at']},
        ],
    )
}}

{#-
    One row per client, with the build that last touched them: a record, booking or visit
    history entry of theirs was staged then. Every model incremental by client recomputes the
    clients touched since its own last run (macros/recomputed_clients.sql) and first deletes
    their old rows, so a client whose only visit was cancelled is cleared too.
    A full build touches every client the sources know.
-#}

{#- A full build reads every staged row: nothing is newer than '-infinity'. -#}
{%- set watermark = incremental_watermark('touched_at') %}

with records as (
    select
        records.company_id,
        records.client_id
    from {{ ref('stg_yclients__records') }} as records
    where
        records.client_id is not null
        and records.staged_at > {{ watermark }}
),

bookings as (
    select
        bookings.company_id,
        bookings.client_id
    from {{ ref('stg_yclients__bookings') }} as bookings
    where
        bookings.client_id is not null
        and bookings.staged_at > {{ watermark }}
),

visit_history as (
    select
        visit_history.company_id,
        visit_history.client_id
    from {{ ref('stg_yclients__visit_history') }} as visit_history
    where visit_history.staged_at > {{ watermark }}
),

touched as (
    -- DISTINCT over UNION ALL, not UNION: PostgreSQL runs no set operation in a parallel
    -- worker, and one such step keeps the whole statement in one process.
    select distinct
        touching.company_id,
        touching.client_id
    from (
        select * from records
        union all
        select * from bookings
        union all
        select * from visit_history
    ) as touching
),

final as (
    select
        touched.company_id,
        touched.client_id,
        '{{ run_started_at }}'::timestamptz as touched_at
    from touched
)

select * from final
