{#-
    One row per (salon, phone) that must not be messaged: opt-outs the operator recorded and
    replies that asked us to stop.
-#}

with operator_opt_outs as (
    select * from {{ ref('stg_reactivation__opt_outs') }}
),

replies as (
    select * from {{ ref('int_replies_classified') }}
),

unioned as (
    select
        operator_opt_outs.company_id,
        operator_opt_outs.phone,
        'operator' as opt_out_source,
        operator_opt_outs.opted_out_at
    from operator_opt_outs
    union all
    select
        replies.company_id,
        replies.phone,
        'reply' as opt_out_source,
        replies.replied_at as opted_out_at
    from replies
    where replies.is_opt_out
),

first_per_phone as (
    select distinct on (unioned.company_id, unioned.phone)
        unioned.company_id,
        unioned.phone,
        unioned.opt_out_source,
        unioned.opted_out_at
    from unioned
    where unioned.phone is not null
    order by unioned.company_id asc, unioned.phone asc, unioned.opted_out_at asc
)

select * from first_per_phone
