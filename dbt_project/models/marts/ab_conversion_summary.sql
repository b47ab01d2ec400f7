{#-
    Per message: one row per salon and arm, plus one row per arm with company_id null for all
    salons pooled. Clients measured (messages sent, or held out), conversions, the conversion
    rate with its 95 % Wilson interval, revenue and the reply rate.

    Like is compared with like: each message arm timed as the holdout is (the waterfall) is
    compared with the holdout of the same scope - uplift with its 95 % interval, two-sided
    p-value, the smallest uplift the sample can detect. The arm timed by the universal rule
    messages other clients on other days, so its rate is shown but not compared here: the
    intent-to-treat summary (itt_conversion_summary) compares all four arms over the same
    windows. Pooled rows stratify by salon (Mantel-Haenszel, macros/ab_statistics.sql); their
    counts and rate are the plain sums.

    Decision rule: a scope's comparisons with the holdout are adjusted together by Holm
    (p_value_holm); an arm beats the holdout (beats_holdout) when its uplift is positive and
    p_value_holm < var('alpha'). The report states this rule and only presents the decision.

    Sample ratios: srm_assigned_p_value tests every client's assignment against the seed's
    weights, srm_contacted_p_value the clients measured in the arms timed like the holdout;
    srm_p_value is the smaller of the two, and srm_warning flags it below 0.001.
-#}

with outcomes as (
    select * from {{ ref('reactivation_outcomes') }}
),

arms as (
    select * from {{ ref('experiment_arms') }}
),

assignments as (
    select * from {{ ref('experiment_assignments') }}
),

holdout_arm as (
    select
        arms.arm,
        arms.timing_rule
    from arms
    where arms.message_kind = 'none'
),

salons_measured as (
    select distinct outcomes.company_id from outcomes
),

salon_arms as (
    select
        salons_measured.company_id,
        arms.arm,
        arms.weight,
        arms.timing_rule = holdout_arm.timing_rule as is_timed_like_holdout
    from salons_measured
    cross join arms
    cross join holdout_arm
),

counted as (
    select
        salon_arms.company_id,
        salon_arms.arm,
        count(outcomes.history_id) as n,
        count(*) filter (where outcomes.converted) as conversions,
        count(*) filter (where outcomes.visited) as visits,
        count(*) filter (where outcomes.replied) as replies,
        count(*) filter (where outcomes.status = 'sent') as messages_sent,
        count(*) filter (where not outcomes.is_window_closed) as windows_open,
        coalesce(sum(outcomes.revenue), 0) as revenue
    from salon_arms
    left join outcomes
        on
            salon_arms.company_id = outcomes.company_id
            and salon_arms.arm = outcomes.arm
    group by salon_arms.company_id, salon_arms.arm
),

pairs as (
    select
        'vs_holdout' as comparison,
        arms.arm,
        holdout_arm.arm as baseline_arm
    from arms
    inner join holdout_arm on arms.timing_rule = holdout_arm.timing_rule
    where arms.arm <> holdout_arm.arm
),

{{ arm_comparisons('counted', 'pairs') }},

assigned_ratios as (
    select
        salon_arms.company_id,
        salon_arms.arm,
        salon_arms.weight,
        count(assignments.client_id) as observed
    from salon_arms
    left join assignments
        on
            salon_arms.company_id = assignments.company_id
            and salon_arms.arm = assignments.arm
    group by salon_arms.company_id, salon_arms.arm, salon_arms.weight
),

contacted_ratios as (
    select
        salon_arms.company_id,
        salon_arms.arm,
        salon_arms.weight,
        counted.n as observed
    from salon_arms
    inner join counted
        on salon_arms.company_id = counted.company_id and salon_arms.arm = counted.arm
    where salon_arms.is_timed_like_holdout
),

{{ sample_ratio_p_values('assigned_ratios', 'assigned_sample_ratios') }},

{{ sample_ratio_p_values('contacted_ratios', 'contacted_sample_ratios') }},

scoped as (
    select
        counted.company_id,
        counted.arm,
        sum(counted.n) as n,
        sum(counted.conversions) as conversions,
        sum(counted.visits) as visits,
        sum(counted.replies) as replies,
        sum(counted.messages_sent) as messages_sent,
        sum(counted.windows_open) as windows_open,
        sum(counted.revenue) as revenue
    from counted
    group by grouping sets ((counted.company_id, counted.arm), (counted.arm))
),

holdouts as (
    select scoped.*
    from scoped
    inner join holdout_arm on scoped.arm = holdout_arm.arm
),

final as (
    select
        scoped.company_id,
        scoped.arm,
        case
            when
                scoped.n < {{ var('small_sample_size') }}
                or coalesce(holdouts.n, 0) < {{ var('small_sample_size') }}
                then 'small sample: indicative only'
        end as sample_note,
        scoped.n,
        scoped.conversions,
        scoped.visits,
        scoped.messages_sent,
        scoped.replies,
        scoped.windows_open,
        scoped.revenue::numeric(14, 2) as revenue,
        {{ rate_columns('scoped.conversions', 'scoped.n') }},
        {{ comparison_columns(
            'arm_comparisons', 'uplift_vs_holdout', 'uplift_ci_low', 'uplift_ci_high',
            'p_value', 'p_value_holm', 'beats_holdout', 'minimum_detectable_uplift'
        ) }},
        {{ var('alpha') }}::float8 as alpha,
        round((scoped.replies::float8 / nullif(scoped.messages_sent, 0))::numeric, 4)
            as reply_rate,
        round(assigned_sample_ratios.p_value::numeric, 6) as srm_assigned_p_value,
        round(contacted_sample_ratios.p_value::numeric, 6) as srm_contacted_p_value,
        -- The stricter of the two checks: the one the warning reads.
        round(
            least(assigned_sample_ratios.p_value, contacted_sample_ratios.p_value)::numeric, 6
        ) as srm_p_value,
        {{ sample_ratio_alarm(
            'least(assigned_sample_ratios.p_value, contacted_sample_ratios.p_value)'
        ) }} as srm_warning,
        {{ var('attribution_window_days') }} as attribution_window_days,
        {{ var('reply_window_hours') }} as reply_window_hours,
        {{ now_or_as_of() }}::timestamptz as measured_at,
        scoped.company_id is null as is_pooled
    from scoped
    left join holdouts on scoped.company_id is not distinct from holdouts.company_id
    left join arm_comparisons
        on
            scoped.company_id is not distinct from arm_comparisons.company_id
            and scoped.arm = arm_comparisons.arm
            and arm_comparisons.comparison = 'vs_holdout'
    left join assigned_sample_ratios
        on scoped.company_id is not distinct from assigned_sample_ratios.company_id
    left join contacted_sample_ratios
        on scoped.company_id is not distinct from contacted_sample_ratios.company_id
)

select * from final
