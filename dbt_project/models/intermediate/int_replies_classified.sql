{#-
    One row per inbound message from a client: positive / negative / neutral by keyword rules,
    and whether it asks us to stop (an opt-out the next build and every claim respect).
-#}

with messages as (
    select * from {{ ref('stg_yclients__messages') }}
),

inbound as (
    select
        messages.company_id,
        messages.phone,
        messages.content,
        messages.created_at as replied_at,
        {{ lower_cyrillic('messages.content') }} as lowered
    from messages
    where messages.direction = 'inbound' and messages.phone is not null
),

classified as (
    select
        inbound.company_id,
        inbound.phone,
        inbound.content,
        {{ reply_class('inbound.lowered') }} as reply_class,
        coalesce({{ reply_is_opt_out('inbound.lowered') }}, false) as is_opt_out,
        inbound.replied_at
    from inbound
)

select * from classified
