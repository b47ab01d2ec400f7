{#-
    Intent to treat: one row per salon and arm, plus one row per arm with company_id null for
    all salons pooled, over the closed windows of experiment_window_outcomes. Every eligible
    client whose window opened counts once in their arm, messaged or not, so the four arms are
    measured over the same days of the same kind of clients and all four can be compared:

    - vs_holdout: each arm against the arm that sends nothing - do messages bring clients back?
      The three comparisons of a scope are adjusted together by Holm (p_value_holm), and an arm
      beats the holdout when its uplift is positive and p_value_holm < var('alpha').
    - vs_rule: each waterfall arm that sends a message against the arm timed by the universal
      rule - does the waterfall's timing beat "a reminder every 30 days"? Its own Holm family.

    Open windows are counted (windows_open) but not compared: an arm that messages early would
    look better until the later arms' messages have had their days. Pooled rows stratify by
    salon (Mantel-Haenszel with Sato's variance, macros/ab_statistics.sql); their counts and
    rate are the plain sums. srm_p_value tests the windows per arm against the seed's weights
    (windows open whatever the arm, so they should split as the clients do); srm_warning
    below 0.001. minimum_detectable_uplift is the smallest uplift the closed windows can
    detect with 80 % power at two-sided 5 %: a bigger uplift not found is "too early to tell".
-#}

with outcomes as (
    select * from {{ ref('experiment_window_outcomes') }}
),

arms as (
    select * from {{ ref('experiment_arms') }}
),

holdout_arm as (
    select arms.arm from arms
    where arms.message_kind = 'none'
),

rule_arm as (
    select arms.arm from arms
    where arms.timing_rule = 'universal'
),

salon_arms as (
    select
        salons.company_id,
        arms.arm,
        arms.weight
    from (select distinct outcomes.company_id from outcomes) as salons
    cross join arms
),

counted as (
    select
        salon_arms.company_id,
        salon_arms.arm,
        salon_arms.weight,
        count(*) filter (
            where outcomes.is_eligible and outcomes.is_window_closed
        ) as n,
        count(*) filter (
            where outcomes.is_eligible and outcomes.is_window_closed and outcomes.converted
        ) as conversions,
        count(*) filter (
            where outcomes.is_eligible and outcomes.is_window_closed and outcomes.was_messaged
        ) as messaged,
        count(*) filter (
            where outcomes.is_eligible and outcomes.is_window_closed and outcomes.visited
        ) as visits,
        coalesce(sum(outcomes.revenue) filter (
            where outcomes.is_eligible and outcomes.is_window_closed
        ), 0) as revenue,
        count(*) filter (where outcomes.is_eligible and not outcomes.is_window_closed)
            as windows_open,
        count(*) filter (where not outcomes.is_eligible) as excluded,
        count(*) filter (where outcomes.is_eligible) as windows_opened
    from salon_arms
    left join outcomes
        on
            salon_arms.company_id = outcomes.company_id
            and salon_arms.arm = outcomes.arm
    group by salon_arms.company_id, salon_arms.arm, salon_arms.weight
),

pairs as (
    select
        'vs_holdout' as comparison,
        arms.arm,
        holdout_arm.arm as baseline_arm
    from arms
    cross join holdout_arm
    where arms.arm <> holdout_arm.arm
    union all
    select
        'vs_rule' as comparison,
        arms.arm,
        rule_arm.arm as baseline_arm
    from arms
    cross join rule_arm
    where
        arms.arm <> rule_arm.arm
        and arms.timing_rule = 'waterfall'
        and arms.message_kind <> 'none'
),

{{ arm_comparisons('counted', 'pairs') }},

window_ratios as (
    select
        counted.company_id,
        counted.arm,
        counted.weight,
        counted.windows_opened + counted.excluded as observed
    from counted
),

{{ sample_ratio_p_values('window_ratios', 'window_sample_ratios') }},

scoped as (
    select
        counted.company_id,
        counted.arm,
        sum(counted.n) as n,
        sum(counted.conversions) as conversions,
        sum(counted.messaged) as messaged,
        sum(counted.visits) as visits,
        sum(counted.revenue) as revenue,
        sum(counted.windows_open) as windows_open,
        sum(counted.excluded) as excluded
    from counted
    group by grouping sets ((counted.company_id, counted.arm), (counted.arm))
),

versus_holdout as (
    select * from arm_comparisons
    where arm_comparisons.comparison = 'vs_holdout'
),

versus_rule as (
    select * from arm_comparisons
    where arm_comparisons.comparison = 'vs_rule'
),

final as (
    select
        scoped.company_id,
        scoped.arm,
        case
            when scoped.n < {{ var('small_sample_size') }}
                then 'small sample: indicative only'
        end as sample_note,
        scoped.n,
        scoped.conversions,
        scoped.messaged,
        scoped.visits,
        scoped.revenue::numeric(14, 2) as revenue,
        scoped.windows_open,
        scoped.excluded,
        {{ rate_columns('scoped.conversions', 'scoped.n') }},
        {{ comparison_columns(
            'versus_holdout', 'uplift_vs_holdout', 'uplift_ci_low', 'uplift_ci_high',
            'p_value', 'p_value_holm', 'beats_holdout', 'minimum_detectable_uplift'
        ) }},
        {{ comparison_columns(
            'versus_rule', 'uplift_vs_rule', 'uplift_vs_rule_ci_low', 'uplift_vs_rule_ci_high',
            'p_value_vs_rule', 'p_value_vs_rule_holm', 'beats_rule',
            'minimum_detectable_uplift_vs_rule'
        ) }},
        {{ var('alpha') }}::float8 as alpha,
        round(window_sample_ratios.p_value::numeric, 6) as srm_p_value,
        {{ sample_ratio_alarm('window_sample_ratios.p_value') }} as srm_warning,
        {{ var('itt_horizon_days') }} as itt_horizon_days,
        {{ now_or_as_of() }}::timestamptz as measured_at,
        scoped.company_id is null as is_pooled
    from scoped
    left join versus_holdout
        on
            scoped.company_id is not distinct from versus_holdout.company_id
            and scoped.arm = versus_holdout.arm
    left join versus_rule
        on
            scoped.company_id is not distinct from versus_rule.company_id
            and scoped.arm = versus_rule.arm
    left join window_sample_ratios
        on scoped.company_id is not distinct from window_sample_ratios.company_id
)

select * from final
