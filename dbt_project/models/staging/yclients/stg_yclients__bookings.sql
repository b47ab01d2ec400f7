{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company_id', 'booking_id'],
        on_schema_change='fail',
        post_hook='{{ analyze_when_stale() }}',
        indexes=[
            {'columns': ['company_id', 'booking_id'], 'unique': True},
            {'columns': ['company_id', 'client_id']},
        ],
    )
}}

{#-
    One row per bot booking ever seen (stg_yclients__bookings_current has the layouts). The
    bot keeps only future bookings and the last week, so this model is incremental and keeps
    every booking after the bot purges it.
-#}

with bookings as (
    select current_bookings.* from {{ ref('stg_yclients__bookings_current') }} as current_bookings
    {% if is_incremental() %}
        where current_bookings.updated_at >= {{ incremental_watermark('updated_at') }}
    {% endif %}
),

unchanged_skipped as (
    select
        bookings.*,
        '{{ run_started_at }}'::timestamptz as staged_at
    from bookings
    {% if is_incremental() %}
        left join {{ this }} as staged
            on
                bookings.company_id = staged.company_id
                and bookings.booking_id = staged.booking_id
        where staged.booking_id is null or bookings.updated_at > staged.updated_at
    {% endif %}
)

select * from unchanged_skipped
