{#-
    One row per salon service: how often its clients come back. The salon's median, quartiles
    and sample of gaps that ended within the recent window (tier 2 of the waterfall), and the
    population parameters the personal estimate shrinks toward: the typical client rhythm
    (log scale), how much clients differ from it, and how much one client's gaps scatter.
-#}

{#- 770 k recent gaps (100 salons) are sorted for the percentiles: in memory (58 MB) instead
    of on disk at the default 4 MB, or at 32 MB. Their unnesting is cheap per row: the planner,
    pricing every row handed from a worker at 0.1, ran it alone (145 ms against 75 ms in
    parallel workers). -#}
{{ config(pre_hook=[
    "set local work_mem = '64MB'",
    "set local parallel_tuple_cost = 0.001",
]) }}

-- Read twice (recent gaps, population), yet not materialized: a materialized step keeps the
-- statement out of parallel workers.
with client_gaps as not materialized (
    select * from {{ ref('int_client_service_gaps_measured') }}
),

recent_gaps as (
    -- The gaps that ended inside the window: the tail of each client's arrays, which are in
    -- date order, from the first end date on or after the window's first day (width_bucket
    -- counts the dates before it by binary search). Sliced before unnesting, so no filter
    -- sits above the unnest, which kept it out of parallel workers and handed all 1.4 M gaps
    -- to the leader to drop 600 k of them (0.51-0.55 s against 0.38-0.49 s for 100 salons).
    -- Unnested in the select list, which parallel workers run, not in a lateral join, which
    -- runs once per row in the leader (0.7 s against 0.35 s for 1.4 M gaps).
    select
        client_gaps.company_id,
        client_gaps.service_id,
        unnest(client_gaps.gap_days[
            width_bucket(
                {{ local_today('null') }} - {{ var('service_window_days') }} - 1,
                client_gaps.gap_end_dates
            ) + 1:
        ]) as gap_days
    from client_gaps
),

recent_stats as (
    select
        recent_gaps.company_id,
        recent_gaps.service_id,
        count(*)::integer as gap_sample_size,
        percentile_cont(0.25) within group (order by recent_gaps.gap_days) as p25_gap_days,
        percentile_cont(0.5) within group (order by recent_gaps.gap_days) as median_gap_days,
        percentile_cont(0.75) within group (order by recent_gaps.gap_days) as p75_gap_days
    from recent_gaps
    group by recent_gaps.company_id, recent_gaps.service_id
),

population as (
    -- Clients with at least two gaps tell how rhythms vary between and within clients.
    select
        client_gaps.company_id,
        client_gaps.service_id,
        count(*)::integer as client_sample_size,
        percentile_cont(0.5) within group (order by client_gaps.mean_log_gap) as prior_log_mean,
        var_samp(client_gaps.mean_log_gap) as between_client_variance,
        avg(
            client_gaps.log_gap_sum_squares / nullif(client_gaps.effective_gap_count - 1, 0)
            / client_gaps.effective_gap_count
        ) as mean_sampling_variance,
        sum(client_gaps.log_gap_sum_squares)
        / nullif(sum(client_gaps.effective_gap_count - 1), 0) as within_client_variance
    from client_gaps
    where client_gaps.gap_count >= 2
    group by client_gaps.company_id, client_gaps.service_id
),

combined as (
    select
        coalesce(recent_stats.company_id, population.company_id) as company_id,
        coalesce(recent_stats.service_id, population.service_id) as service_id,
        coalesce(recent_stats.gap_sample_size, 0) as gap_sample_size,
        coalesce(population.client_sample_size, 0) as client_sample_size,
        recent_stats.p25_gap_days,
        recent_stats.median_gap_days,
        recent_stats.p75_gap_days,
        population.prior_log_mean,
        -- Between-client spread net of sampling noise, floored so a few clients alike do not
        -- make the prior overconfident.
        sqrt(greatest(
            population.between_client_variance - coalesce(population.mean_sampling_variance, 0),
            0.01
        )) as client_log_sd,
        sqrt(greatest(population.within_client_variance, 0.0025)) as gap_log_sd
    from recent_stats
    full outer join population
        on
            recent_stats.company_id = population.company_id
            and recent_stats.service_id = population.service_id
)

select * from combined
