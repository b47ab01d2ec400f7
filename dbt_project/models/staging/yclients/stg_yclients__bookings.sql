{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company_id', 'booking_id'],
        on_schema_change='fail',
        post_hook='{{ analyze_when_stale() }}',
        indexes=[{'columns': ['company_id', 'booking_id'], 'unique': True}],
    )
}}

{#-
    One row per bot booking ever seen. The bot keeps only future bookings and the last week,
    so this model is incremental and keeps every booking after the bot purges it.
-#}

with bookings as (
    select bookings.* from {{ source('yclients', 'bookings') }} as bookings
    {% if is_incremental() %}
        where bookings.updated_at >= {{ incremental_watermark('updated_at') }}
    {% endif %}
),

renamed as (
    select
        bookings.company_id,
        coalesce(bookings.yclients_booking_id::bigint, -bookings.id) as booking_id,
        bookings.client_id,
        bookings.service_id,
        bookings.staff_id,
        bookings.status,
        bookings.source,
        bookings.cost,
        bookings.datetime as starts_at,
        bookings.created_at,
        bookings.updated_at,
        '{{ run_started_at }}'::timestamptz as staged_at
    from bookings
),

unchanged_skipped as (
    select renamed.*
    from renamed
    {% if is_incremental() %}
        left join {{ this }} as staged
            on
                renamed.company_id = staged.company_id
                and renamed.booking_id = staged.booking_id
        where staged.booking_id is null or renamed.updated_at > staged.updated_at
    {% endif %}
)

select * from unchanged_skipped
