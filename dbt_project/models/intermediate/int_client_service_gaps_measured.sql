{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook='{{ delete_recomputed_clients() }}',
        indexes=[
            {'columns': ['company_id', 'client_id', 'service_id']},
            {'columns': ['processed_at']},
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

per_client_service_gaps as (
    -- Straight from the window's output, which is in this order already: no sort. (Joined
    -- back to a separate median step, the 1.5 M gaps were sorted twice more, on disk: 5.7-6.5 s
    -- against 4.0 s for the statement on 100 salons.)
    select
        gaps.company_id,
        gaps.client_id,
        gaps.service_id,
        count(*)::integer as visit_count,
        count(gaps.gap_days)::integer as gap_count,
        array_agg(gaps.gap_days order by gaps.visit_date)
        filter (where gaps.gap_days > 0) as gap_days,
        array_agg(gaps.visit_date order by gaps.visit_date)
        filter (where gaps.gap_days > 0) as gap_end_dates,
        percentile_cont(0.5) within group (order by gaps.gap_days)
        filter (where gaps.gap_days > 0) as median_gap_days,
        min(gaps.visit_date) as first_visit_date,
        max(gaps.visit_date) as last_visit_date
    from gaps
    where gaps.gap_days is null or gaps.gap_days > 0
    group by gaps.company_id, gaps.client_id, gaps.service_id
),

sums as (
    -- Each gap split by the client's median, then one pass: the weighted sum of squares comes
    -- from the sums of x and x squared.
    select
        per_client_service_gaps.*,
        coalesce(split.effective_gap_count, 0)::integer as effective_gap_count,
        split.weighted_log_sum,
        split.weighted_log_square_sum
    from per_client_service_gaps
    -- A CTE cannot see the client's row: the split reads its median, gap by gap.
    cross join lateral (  -- noqa: ST05
        select
            sum(log_gaps.gap_parts) as effective_gap_count,
            -- Float sums in a stated order (the visits'): the same bits whatever plan feeds
            -- them, and so every interval built on them.
            sum(log_gaps.gap_parts * log_gaps.log_gap order by log_gaps.position)
                as weighted_log_sum,
            sum(
                log_gaps.gap_parts * log_gaps.log_gap * log_gaps.log_gap
                order by log_gaps.position
            ) as weighted_log_square_sum
        from (
            select
                split_gaps.position,
                split_gaps.gap_parts,
                ln(split_gaps.gap_days::double precision / split_gaps.gap_parts) as log_gap
            from (
                select
                    gap.position,
                    gap.gap_days,
                    case
                        when gap.gap_days >= 1.6 * per_client_service_gaps.median_gap_days
                            then round(
                                gap.gap_days / per_client_service_gaps.median_gap_days
                            )::integer
                        else 1
                    end as gap_parts
                from
                    unnest(per_client_service_gaps.gap_days)
                    with ordinality as gap (gap_days, position)
            ) as split_gaps
        ) as log_gaps
    ) as split
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
