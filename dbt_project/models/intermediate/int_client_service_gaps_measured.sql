{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook='{{ delete_recomputed_clients() }}',
        indexes=[
            {'columns': ['company_id', 'client_id', 'service_id']},
        ],
    )
}}

{#-
    One row per client and service they received: visits, the gaps in days between consecutive
    visits that included the service, and the gap evidence summarised for the interval
    estimate.

    A gap about k times the client's median gap (k >= 2) is read as k gaps with visits skipped in
    between, not as a slower rhythm: clients miss a visit now and then, and ignoring that would
    stretch their interval.
    Incremental by client: recomputes the clients touched since its last run
    (macros/recomputed_clients.sql).
-#}

{%- set to_recompute = ref('int_clients_to_recompute') %}

with visits as not materialized (
    select visits.* from {{ ref('int_visits_deduplicated') }} as visits
    {% if is_incremental() %}
        inner join ({{ recomputed_clients() }}) as recomputed
            on
                visits.company_id = recomputed.company_id
                and visits.client_id = recomputed.client_id
    {% endif %}
),

visit_services as (
    select
        visits.company_id,
        visits.client_id,
        service.service_id,
        visits.visit_date
    from visits
    cross join lateral unnest(visits.service_ids) as service (service_id)
),

gaps as (
    select
        visit_services.*,
        visit_services.visit_date - lag(visit_services.visit_date) over (
            partition by
                visit_services.company_id,
                visit_services.client_id,
                visit_services.service_id
            order by visit_services.visit_date
        ) as gap_days
    from visit_services
),

client_medians as (
    select
        gaps.company_id,
        gaps.client_id,
        gaps.service_id,
        percentile_cont(0.5) within group (order by gaps.gap_days) as median_gap_days
    from gaps
    where gaps.gap_days > 0
    group by gaps.company_id, gaps.client_id, gaps.service_id
),

split_gaps as (
    select
        gaps.*,
        client_medians.median_gap_days,
        case
            when gaps.gap_days >= 1.6 * client_medians.median_gap_days
                then round(gaps.gap_days / client_medians.median_gap_days)::integer
            else 1
        end as gap_parts
    from gaps
    left join client_medians
        on
            gaps.company_id = client_medians.company_id
            and gaps.client_id = client_medians.client_id
            and gaps.service_id = client_medians.service_id
    where gaps.gap_days is null or gaps.gap_days > 0
),

log_gaps as (
    select
        split_gaps.*,
        ln(split_gaps.gap_days::double precision / split_gaps.gap_parts) as log_gap
    from split_gaps
),

sums as (
    -- One pass: the weighted sum of squares comes from the sums of x and x squared.
    select
        log_gaps.company_id,
        log_gaps.client_id,
        log_gaps.service_id,
        count(*)::integer as visit_count,
        count(log_gaps.gap_days)::integer as gap_count,
        coalesce(sum(log_gaps.gap_parts) filter (where log_gaps.gap_days > 0), 0)::integer
            as effective_gap_count,
        array_agg(log_gaps.gap_days order by log_gaps.visit_date)
        filter (where log_gaps.gap_days > 0) as gap_days,
        array_agg(log_gaps.visit_date order by log_gaps.visit_date)
        filter (where log_gaps.gap_days > 0) as gap_end_dates,
        max(log_gaps.median_gap_days) as median_gap_days,
        -- Float sums in a stated order: the same bits whatever plan feeds them, and so every
        -- interval built on them (the rows arrive in this order already: no extra sort).
        sum(log_gaps.gap_parts * log_gaps.log_gap order by log_gaps.visit_date)
            as weighted_log_sum,
        sum(
            log_gaps.gap_parts * log_gaps.log_gap * log_gaps.log_gap order by log_gaps.visit_date
        ) as weighted_log_square_sum,
        min(log_gaps.visit_date) as first_visit_date,
        max(log_gaps.visit_date) as last_visit_date
    from log_gaps
    group by log_gaps.company_id, log_gaps.client_id, log_gaps.service_id
),

per_client_service as (
    select
        sums.company_id,
        sums.client_id,
        sums.service_id,
        sums.visit_count,
        sums.gap_count,
        sums.effective_gap_count,
        sums.gap_days,
        sums.gap_end_dates,
        sums.median_gap_days,
        (sums.weighted_log_sum / nullif(sums.effective_gap_count, 0))::numeric as mean_log_gap,
        greatest(
            sums.weighted_log_square_sum
            - power(sums.weighted_log_sum, 2) / nullif(sums.effective_gap_count, 0),
            0
        )::numeric as log_gap_sum_squares,
        sums.first_visit_date,
        sums.last_visit_date
    from sums
),

final as (
    select
        per_client_service.*,
        '{{ run_started_at }}'::timestamptz as processed_at
    from per_client_service
)

select * from final
