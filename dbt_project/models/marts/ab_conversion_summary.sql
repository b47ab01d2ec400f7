{#-
    One row per salon and arm, plus one row per arm with company_id null for all salons pooled:
    clients measured, conversions, the conversion rate with its 95 % Wilson interval, the uplift
    over the holdout of the same scope with its 95 % interval and two-sided p-value (pooled
    two-proportion z-test), and the reply rate. Small samples are labelled, never hidden.
    Pooled rows add the salons' clients together.
    Decision rule: each scope makes three comparisons with the holdout, so their p-values are
    adjusted together by Holm's step-down method (p_value_holm); an arm beats the holdout
    (beats_holdout) when its uplift is positive and p_value_holm < var('alpha'). The report
    states this rule and only presents the decision.
-#}

with outcomes as (
    select * from {{ ref('reactivation_outcomes') }}
),

counted as (
    select
        outcomes.company_id,
        outcomes.arm,
        count(*) as n,
        count(*) filter (where outcomes.converted) as conversions,
        count(*) filter (where outcomes.visited) as visits,
        count(*) filter (where outcomes.replied) as replies,
        count(*) filter (where outcomes.status = 'sent') as messages_sent,
        count(*) filter (where not outcomes.is_window_closed) as windows_open,
        coalesce(sum(outcomes.revenue), 0) as revenue
    from outcomes
    group by grouping sets ((outcomes.company_id, outcomes.arm), (outcomes.arm))
),

with_holdout as (
    select
        counted.*,
        holdout.n as holdout_n,
        holdout.conversions as holdout_conversions
    from counted
    left join counted as holdout
        on
            counted.company_id is not distinct from holdout.company_id
            and holdout.arm = 'holdout'
),

rated as (
    select
        with_holdout.*,
        with_holdout.conversions::float8 / with_holdout.n as conversion_rate,
        with_holdout.holdout_conversions::float8
        / nullif(with_holdout.holdout_n, 0) as holdout_rate
    from with_holdout
),

compared as (
    -- Each arm against the holdout of the same scope (salon, or all salons pooled).
    select
        rated.*,
        case
            when rated.arm <> 'holdout' and rated.holdout_n > 0 then
                rated.conversion_rate - rated.holdout_rate
        end as uplift,
        case
            when rated.arm <> 'holdout' and rated.holdout_n > 0 then
            {{ difference_standard_error(
                'rated.conversion_rate', 'rated.n', 'rated.holdout_rate', 'rated.holdout_n'
            ) }}
        end as uplift_standard_error,
        case
            when rated.arm <> 'holdout' and rated.holdout_n > 0 then
            {{ two_proportion_p_value(
                'rated.conversions', 'rated.n', 'rated.holdout_conversions', 'rated.holdout_n'
            ) }}
        end as uplift_p_value
    from rated
),

holm as (
    -- Holm: sort a scope's m p-values ascending; the i-th is multiplied by (m - i + 1), and
    -- each adjusted value is at least the one before it, at most 1.
    select
        ranked.company_id,
        ranked.arm,
        least(
            1.0,
            max((ranked.comparisons - ranked.position + 1) * ranked.uplift_p_value) over (
                partition by ranked.company_id
                order by ranked.position
                rows between unbounded preceding and current row
            )
        ) as p_value_holm
    from (
        select
            compared.company_id,
            compared.arm,
            compared.uplift_p_value,
            row_number() over (
                partition by compared.company_id
                order by compared.uplift_p_value, compared.arm
            ) as position,
            count(*) over (partition by compared.company_id) as comparisons
        from compared
        where compared.uplift_p_value is not null
    ) as ranked
),

final as (
    select
        compared.company_id,
        compared.arm,
        case
            when
                compared.n < {{ var('small_sample_size') }}
                or coalesce(compared.holdout_n, 0) < {{ var('small_sample_size') }}
                then 'small sample: indicative only'
        end as sample_note,
        compared.n,
        compared.conversions,
        compared.visits,
        compared.messages_sent,
        compared.replies,
        compared.windows_open,
        compared.revenue::numeric(14, 2) as revenue,
        round(compared.conversion_rate::numeric, 4) as conversion_rate,
        round(({{ wilson_bound('compared.conversions', 'compared.n', '-') }})::numeric, 4)
            as ci_low,
        round(({{ wilson_bound('compared.conversions', 'compared.n', '+') }})::numeric, 4)
            as ci_high,
        round(compared.uplift::numeric, 4) as uplift_vs_holdout,
        round((compared.uplift - {{ z95() }} * compared.uplift_standard_error)::numeric, 4)
            as uplift_ci_low,
        round((compared.uplift + {{ z95() }} * compared.uplift_standard_error)::numeric, 4)
            as uplift_ci_high,
        round(compared.uplift_p_value::numeric, 6) as p_value,
        round(holm.p_value_holm::numeric, 6) as p_value_holm,
        coalesce(
            compared.uplift > 0 and holm.p_value_holm < {{ var('alpha') }}, false
        ) as beats_holdout,
        {{ var('alpha') }}::float8 as alpha,
        round((compared.replies::float8 / nullif(compared.messages_sent, 0))::numeric, 4)
            as reply_rate,
        compared.company_id is null as is_pooled
    from compared
    left join holm
        on
            compared.company_id is not distinct from holm.company_id
            and compared.arm = holm.arm
)

select * from final
