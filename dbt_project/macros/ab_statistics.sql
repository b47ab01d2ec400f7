{#- Two-proportion statistics at 95 %: Wilson intervals for a rate, a Wald interval for the
    difference of two rates, and the pooled two-proportion z-test's two-sided p-value. -#}

{% macro z95() %}1.959963984540054{% endmacro %}

{% macro wilson_bound(conversions, n, sign) -%}
    case when {{ n }} > 0 then
        (
            ({{ conversions }})::float8 / ({{ n }})
            + {{ z95() }} ^ 2 / (2.0 * ({{ n }}))
            {{ sign }} {{ z95() }} * sqrt(
                ({{ conversions }})::float8 / ({{ n }})
                * (1 - ({{ conversions }})::float8 / ({{ n }})) / ({{ n }})
                + {{ z95() }} ^ 2 / (4.0 * ({{ n }}) ^ 2)
            )
        ) / (1 + {{ z95() }} ^ 2 / ({{ n }}))
    end
{%- endmacro %}

{% macro difference_standard_error(p1, n1, p0, n0) -%}
    sqrt({{ p1 }} * (1 - {{ p1 }}) / ({{ n1 }}) + {{ p0 }} * (1 - {{ p0 }}) / ({{ n0 }}))
{%- endmacro %}

{% macro two_proportion_p_value(c1, n1, c0, n0) -%}
    {#- Pooled z-test; with no variance at all (both rates 0 or both 1) the arms agree: p = 1. -#}
    case
        when ({{ n1 }}) = 0 or ({{ n0 }}) = 0 then null
        when ({{ c1 }}) + ({{ c0 }}) in (0, ({{ n1 }}) + ({{ n0 }})) then 1.0
        else
            erfc(
                abs(({{ c1 }})::float8 / ({{ n1 }}) - ({{ c0 }})::float8 / ({{ n0 }}))
                / sqrt(
                    (({{ c1 }}) + ({{ c0 }}))::float8 / (({{ n1 }}) + ({{ n0 }}))
                    * (1 - (({{ c1 }}) + ({{ c0 }}))::float8 / (({{ n1 }}) + ({{ n0 }})))
                    * (1.0 / ({{ n1 }}) + 1.0 / ({{ n0 }}))
                )
                / sqrt(2.0)
            )
    end
{%- endmacro %}

{% macro z80() %}0.8416212335729143{% endmacro %}

{% macro create_statistics_functions() %}
    {#- The chi-square distribution's upper tail for a whole number of degrees of freedom, in
        closed form (no contrib extension needed): for even df, e^(-x/2) times the first df/2
        terms of the series of e^(x/2); for odd df, erfc(sqrt(x/2)) plus the half-integer
        terms. Exact to float precision for the few degrees of freedom a sample-ratio check
        has (one fewer than the arms). -#}
    create schema if not exists {{ target.schema }};
    create or replace function {{ target.schema }}.chi_square_upper_tail(x float8, df integer)
    returns float8 language plpgsql immutable parallel safe as $fn$
    declare
        half float8 := x / 2;
        term float8;
        total float8;
        i integer;
    begin
        if x is null or df is null or df < 1 then
            return null;
        end if;
        if x <= 0 then
            return 1.0;
        end if;
        if df % 2 = 0 then
            term := 1.0;
            total := 1.0;
            for i in 1 .. df / 2 - 1 loop
                term := term * half / i;
                total := total + term;
            end loop;
            return least(1.0, exp(-half) * total);
        end if;
        total := erfc(sqrt(half));
        term := sqrt(half) / (sqrt(pi()) / 2);
        for i in 1 .. (df - 1) / 2 loop
            total := total + exp(-half) * term;
            term := term * half / (i + 0.5);
        end loop;
        return least(1.0, total);
    end
    $fn$;
{% endmacro %}

{% macro arm_comparisons(counted, pairs) -%}
    {#- CTEs comparing arms within each salon and, pooled, across salons.
        `counted`: company_id, arm, n, conversions (one row per salon and arm).
        `pairs`: comparison (the family, e.g. vs_holdout), arm, baseline_arm.
        Per salon: the difference of rates with its Wald interval, the pooled z-test's p-value
        and the smallest uplift the sample can detect (80 % power, two-sided 5 %, at the pair's
        pooled rate; null while no one has booked). Pooled (company_id null): the
        Mantel-Haenszel risk difference over the salons, weights n1 n0 / (n1 + n0), with Sato's
        variance (consistent whether there are few big salons or many small ones); its p-value
        from that standard error, and the detectable uplift from the null variance of the
        same weighted sum. Adding salons together instead would let a salon with more clients
        in one arm and a different base rate make an effect appear or vanish (Simpson).
        Then Holm's step-down adjustment within each scope and family: the i-th smallest of m
        p-values is multiplied by (m - i + 1) and is at least the one before it. Yields the
        CTE `arm_comparisons`. -#}
    pair_strata as (
        select
            counted.company_id,
            pairs.comparison,
            pairs.arm,
            pairs.baseline_arm,
            counted.n::float8 as n1,
            counted.conversions::float8 as y1,
            baseline.n::float8 as n0,
            baseline.conversions::float8 as y0,
            (counted.conversions + baseline.conversions)::float8
            / (counted.n + baseline.n) as pooled_rate
        from {{ pairs }} as pairs
        inner join {{ counted }} as counted on pairs.arm = counted.arm
        inner join {{ counted }} as baseline
            on
                counted.company_id = baseline.company_id
                and pairs.baseline_arm = baseline.arm
        where counted.n > 0 and baseline.n > 0
    ),

    salon_comparisons as (
        select
            pair_strata.company_id,
            pair_strata.comparison,
            pair_strata.arm,
            pair_strata.y1 / pair_strata.n1 - pair_strata.y0 / pair_strata.n0 as uplift,
            {{ difference_standard_error(
                'pair_strata.y1 / pair_strata.n1', 'pair_strata.n1',
                'pair_strata.y0 / pair_strata.n0', 'pair_strata.n0'
            ) }} as uplift_standard_error,
            {{ two_proportion_p_value('pair_strata.y1', 'pair_strata.n1', 'pair_strata.y0', 'pair_strata.n0') }}
                as p_value,
            ({{ z95() }} + {{ z80() }}) * sqrt(
                nullif(pair_strata.pooled_rate * (1 - pair_strata.pooled_rate), 0)
                * (1 / pair_strata.n1 + 1 / pair_strata.n0)
            ) as minimum_detectable_uplift
        from pair_strata
    ),

    mantel_haenszel_sums as (
        select
            pair_strata.comparison,
            pair_strata.arm,
            sum(pair_strata.n1 * pair_strata.n0 / (pair_strata.n1 + pair_strata.n0))
                as weight_sum,
            sum(
                (pair_strata.y1 * pair_strata.n0 - pair_strata.y0 * pair_strata.n1)
                / (pair_strata.n1 + pair_strata.n0)
            ) as weighted_difference_sum,
            sum(
                (
                    pair_strata.n1 ^ 2 * pair_strata.y0 - pair_strata.n0 ^ 2 * pair_strata.y1
                    + 0.5 * pair_strata.n1 * pair_strata.n0 * (pair_strata.n0 - pair_strata.n1)
                ) / (pair_strata.n1 + pair_strata.n0) ^ 2
            ) as sato_p,
            sum(
                (
                    pair_strata.y1 * (pair_strata.n0 - pair_strata.y0)
                    + pair_strata.y0 * (pair_strata.n1 - pair_strata.y1)
                ) / (2 * (pair_strata.n1 + pair_strata.n0))
            ) as sato_q,
            sum(
                (pair_strata.n1 * pair_strata.n0 / (pair_strata.n1 + pair_strata.n0)) ^ 2
                * pair_strata.pooled_rate * (1 - pair_strata.pooled_rate)
                * (1 / pair_strata.n1 + 1 / pair_strata.n0)
            ) as null_variance_sum
        from pair_strata
        group by pair_strata.comparison, pair_strata.arm
    ),

    pooled_estimates as (
        select
            mantel_haenszel_sums.*,
            mantel_haenszel_sums.weighted_difference_sum / mantel_haenszel_sums.weight_sum
                as uplift
        from mantel_haenszel_sums
    ),

    pooled_comparisons as (
        select
            null::integer as company_id,
            pooled_estimates.comparison,
            pooled_estimates.arm,
            pooled_estimates.uplift,
            sqrt(greatest(
                pooled_estimates.uplift * pooled_estimates.sato_p + pooled_estimates.sato_q, 0
            )) / pooled_estimates.weight_sum as uplift_standard_error,
            case
                when pooled_estimates.uplift * pooled_estimates.sato_p + pooled_estimates.sato_q > 0
                    then erfc(
                        abs(pooled_estimates.uplift) * pooled_estimates.weight_sum
                        / sqrt(pooled_estimates.uplift * pooled_estimates.sato_p + pooled_estimates.sato_q)
                        / sqrt(2.0)
                    )
                when pooled_estimates.uplift = 0 then 1.0
            end as p_value,
            ({{ z95() }} + {{ z80() }}) * sqrt(nullif(pooled_estimates.null_variance_sum, 0))
            / pooled_estimates.weight_sum as minimum_detectable_uplift
        from pooled_estimates
    ),

    scoped_comparisons as (
        select * from salon_comparisons
        union all
        select * from pooled_comparisons
    ),

    holm_positions as (
        select
            scoped_comparisons.*,
            row_number() over (
                partition by scoped_comparisons.company_id, scoped_comparisons.comparison
                order by scoped_comparisons.p_value, scoped_comparisons.arm
            ) as position,
            count(scoped_comparisons.p_value) over (
                partition by scoped_comparisons.company_id, scoped_comparisons.comparison
            ) as comparisons
        from scoped_comparisons
    ),

    arm_comparisons as (
        select
            holm_positions.company_id,
            holm_positions.comparison,
            holm_positions.arm,
            holm_positions.uplift,
            holm_positions.uplift - {{ z95() }} * holm_positions.uplift_standard_error
                as uplift_ci_low,
            holm_positions.uplift + {{ z95() }} * holm_positions.uplift_standard_error
                as uplift_ci_high,
            holm_positions.p_value,
            least(
                1.0,
                max((holm_positions.comparisons - holm_positions.position + 1) * holm_positions.p_value)
                    over (
                        partition by holm_positions.company_id, holm_positions.comparison
                        order by holm_positions.position
                        rows between unbounded preceding and current row
                    )
            ) as p_value_holm,
            holm_positions.minimum_detectable_uplift
        from holm_positions
    )
{%- endmacro %}

{% macro sample_ratio_p_values(observed, name) -%}
    {#- The CTE `name`: per salon and pooled (company_id null), Pearson's chi-square of the
        observed counts per arm against the seed's weights (renormalised over the arms given),
        with (arms - 1) degrees of freedom, and its p-value. `observed`: company_id, arm,
        observed, weight - one row per salon and arm, zero counts included. A p-value below
        0.001 almost always means a bug in assignment or in who was skipped, not an effect. -#}
    {{ name }}_scopes as (
        select
            {{ observed }}.company_id,
            {{ observed }}.arm,
            sum({{ observed }}.observed) as observed,
            max({{ observed }}.weight) as weight
        from {{ observed }}
        group by grouping sets (
            ({{ observed }}.company_id, {{ observed }}.arm), ({{ observed }}.arm)
        )
    ),

    {{ name }}_expected as (
        select
            {{ name }}_scopes.*,
            sum({{ name }}_scopes.observed) over (partition by {{ name }}_scopes.company_id)
            * {{ name }}_scopes.weight
            / sum({{ name }}_scopes.weight) over (partition by {{ name }}_scopes.company_id)
                as expected,
            count(*) over (partition by {{ name }}_scopes.company_id) as arms
        from {{ name }}_scopes
    ),

    {{ name }} as (
        select
            {{ name }}_expected.company_id,
            sum(
                ({{ name }}_expected.observed - {{ name }}_expected.expected) ^ 2
                / nullif({{ name }}_expected.expected, 0)
            ) as chi_square,
            {{ target.schema }}.chi_square_upper_tail(
                sum(
                    ({{ name }}_expected.observed - {{ name }}_expected.expected) ^ 2
                    / nullif({{ name }}_expected.expected, 0)
                )::float8,
                (max({{ name }}_expected.arms) - 1)::integer
            ) as p_value
        from {{ name }}_expected
        group by {{ name }}_expected.company_id
    )
{%- endmacro %}

{% macro rate_columns(conversions, n) -%}
    {#- conversion_rate with its 95 % Wilson interval (ci_low, ci_high), rounded as the marts
        publish them; null while n is 0. -#}
    round((({{ conversions }})::float8 / nullif({{ n }}, 0))::numeric, 4) as conversion_rate,
    round(({{ wilson_bound(conversions, n, '-') }})::numeric, 4) as ci_low,
    round(({{ wilson_bound(conversions, n, '+') }})::numeric, 4) as ci_high
{%- endmacro %}

{% macro comparison_columns(
    compared, uplift, ci_low, ci_high, p_value, p_value_holm, decision, detectable
) -%}
    {#- One comparison of arm_comparisons (the relation `compared`) as published columns, under
        the given names: the uplift and its interval, the raw and Holm p-values, the decision
        (a positive uplift with p_value_holm below var alpha: the one place the rule is written)
        and the smallest detectable uplift. -#}
    round({{ compared }}.uplift::numeric, 4) as {{ uplift }},
    round({{ compared }}.uplift_ci_low::numeric, 4) as {{ ci_low }},
    round({{ compared }}.uplift_ci_high::numeric, 4) as {{ ci_high }},
    round({{ compared }}.p_value::numeric, 6) as {{ p_value }},
    round({{ compared }}.p_value_holm::numeric, 6) as {{ p_value_holm }},
    coalesce(
        {{ compared }}.uplift > 0 and {{ compared }}.p_value_holm < {{ var('alpha') }}, false
    ) as {{ decision }},
    round({{ compared }}.minimum_detectable_uplift::numeric, 4) as {{ detectable }}
{%- endmacro %}

{% macro sample_ratio_alarm(p_value) -%}
    {#- A sample-ratio p-value this small almost always means a bug, not an effect. -#}
    coalesce({{ p_value }} < 0.001, false)
{%- endmacro %}
