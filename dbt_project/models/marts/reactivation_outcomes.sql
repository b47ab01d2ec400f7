{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['history_id'],
        on_schema_change='fail',
        indexes=[{'columns': ['history_id'], 'unique': True}],
    )
}}

{#-
    One row per history row that was sent or held out: did the client book again within the
    attribution window after the message (or the holdout's decision), did the visit happen, what
    it brought, and whether they replied.

    A booking counts when it was created after the message and within the window; a booking that
    existed before never does. One booking credits at most one message: the latest one before
    it. Incremental by client: each build recomputes the clients with new history, a window
    still open at the last build, or bookings or replies that arrived since - so late records
    are picked up and the cost follows what changed, not all history.
-#}

with history as (
    select * from {{ ref('stg_reactivation__history') }}
),

bookings as (
    select * from {{ ref('int_client_bookings_unioned') }}
),

replies as (
    select * from {{ ref('int_replies_classified') }}
),

measured as (
    select
        history.*,
        history.contacted_at
        + interval '{{ var("attribution_window_days") }} days' as attribution_ends_at
    from history
    where history.status in ('sent', 'holdout')
),

{% if is_incremental() %}
    touched_clients as (
        select
            measured.company_id,
            measured.client_id
        from measured
        where
            measured.updated_at > {{ incremental_watermark('computed_at') }}
            or measured.attribution_ends_at
            > {{ incremental_watermark('computed_at') }} - interval '1 day'
            or measured.contacted_at + interval '{{ var("reply_window_hours") }} hours'
            > {{ incremental_watermark('computed_at') }} - interval '1 day'
        union
        select
            bookings.company_id,
            bookings.client_id
        from bookings
        where bookings.staged_at > {{ incremental_watermark('computed_at') }}
        union
        select
            measured.company_id,
            measured.client_id
        from measured
        inner join replies
            on
                measured.company_id = replies.company_id
                and measured.phone = replies.phone
        where replies.replied_at > {{ incremental_watermark('computed_at') }}
    ),

    scoped as (
        select measured.*
        from measured
        inner join touched_clients
            on
                measured.company_id = touched_clients.company_id
                and measured.client_id = touched_clients.client_id
    ),
{% else %}
    scoped as (
        select * from measured
    ),
{% endif %}

booking_messages as (
    select
        bookings.*,
        scoped.history_id,
        scoped.attribution_ends_at,
        row_number() over (
            partition by bookings.company_id, bookings.booking_source, bookings.booking_id
            order by scoped.contacted_at desc
        ) as recency_rank
    from bookings
    inner join scoped
        on
            bookings.company_id = scoped.company_id
            and bookings.client_id = scoped.client_id
            and bookings.booking_created_at > scoped.contacted_at
),

first_conversions as (
    select distinct on (booking_messages.history_id)
        booking_messages.history_id,
        booking_messages.booking_source,
        booking_messages.revenue,
        booking_messages.is_visit,
        booking_messages.booking_created_at
    from booking_messages
    where
        booking_messages.recency_rank = 1
        and booking_messages.booking_created_at <= booking_messages.attribution_ends_at
    order by booking_messages.history_id asc, booking_messages.booking_created_at asc
),

first_replies as (
    select distinct on (scoped.history_id)
        scoped.history_id,
        replies.reply_class,
        replies.replied_at
    from scoped
    inner join replies
        on
            scoped.company_id = replies.company_id
            and scoped.phone = replies.phone
            and scoped.contacted_at < replies.replied_at
            and replies.replied_at
            <= scoped.contacted_at + interval '{{ var("reply_window_hours") }} hours'
    where scoped.status = 'sent'
    order by scoped.history_id asc, replies.replied_at asc
),

final as (
    select
        scoped.history_id,
        scoped.run_id,
        scoped.company_id,
        scoped.client_id,
        scoped.arm,
        scoped.status,
        scoped.interval_tier,
        scoped.message_source,
        first_conversions.booking_source as converting_booking_source,
        first_replies.reply_class,
        first_conversions.revenue,
        round(
            extract(epoch from first_conversions.booking_created_at - scoped.contacted_at)
            / 86400.0,
            2
        )::numeric(8, 2) as days_to_conversion,
        (first_conversions.history_id is not null) as converted,
        coalesce(first_conversions.is_visit, false) as visited,
        (first_replies.history_id is not null) as replied,
        (scoped.attribution_ends_at <= {{ now_or_as_of() }}) as is_window_closed,
        scoped.contacted_at as sent_at,
        scoped.attribution_ends_at,
        first_conversions.booking_created_at as converted_at,
        first_replies.replied_at,
        '{{ run_started_at }}'::timestamptz as computed_at
    from scoped
    left join first_conversions on scoped.history_id = first_conversions.history_id
    left join first_replies on scoped.history_id = first_replies.history_id
)

select * from final
