{#-
    One row per scope (salon, or null for all salons pooled), arm, breakdown dimension
    (interval_tier or message_source) and its value: n, conversions, rate and 95 % Wilson
    interval. Companion to ab_conversion_summary: which tier's timing and which message source
    (AI or template) carry the effect.
-#}

with outcomes as (
    select * from {{ ref('reactivation_outcomes') }}
),

by_dimension as (
    select
        outcomes.company_id,
        outcomes.arm,
        'interval_tier' as dimension,
        outcomes.interval_tier as dimension_value,
        outcomes.converted
    from outcomes
    union all
    select
        outcomes.company_id,
        outcomes.arm,
        'message_source' as dimension,
        coalesce(outcomes.message_source, 'none (holdout)') as dimension_value,
        outcomes.converted
    from outcomes
),

counted as (
    select
        by_dimension.company_id,
        by_dimension.arm,
        by_dimension.dimension,
        by_dimension.dimension_value,
        count(*) as n,
        count(*) filter (where by_dimension.converted) as conversions
    from by_dimension
    group by grouping sets (
        (
            by_dimension.company_id,
            by_dimension.arm,
            by_dimension.dimension,
            by_dimension.dimension_value
        ),
        (by_dimension.arm, by_dimension.dimension, by_dimension.dimension_value)
    )
),

final as (
    select
        counted.company_id,
        counted.arm,
        counted.dimension,
        counted.dimension_value,
        counted.n,
        counted.conversions,
        {{ rate_columns('counted.conversions', 'counted.n') }},
        counted.n < {{ var('small_sample_size') }} as is_small_sample
    from counted
)

select * from final
