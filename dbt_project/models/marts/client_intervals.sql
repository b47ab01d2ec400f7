{#-
    One row per client with at least one visit: when they were last seen, for what, and how
    often they come back, from the best evidence available (the interval waterfall):
      personal  - the client's own gaps for their last service (3+ visits), shrunk toward the
                  salon's rhythm for that service in proportion to how little evidence there is;
      service   - the salon's median gap for that service (enough recent gaps);
      industry  - the salon's own repeat-visit setting, else the industry table;
      universal - 30 days.
-#}

{#- The models that read this mart join and filter on these columns only: statistics of the
    other eleven (titles, sources, ranges) cost its nightly ANALYZE 0.18 s of 0.30 s. -#}
{{ config(analyze_columns=[
    'company_id', 'client_id', 'last_visit_date', 'due_date', 'universal_due_date',
    'days_since_last_visit', 'interval_days',
]) }}

with last_visits as (
    select * from {{ ref('int_clients_last_visited') }}
),

client_gaps as (
    select * from {{ ref('int_client_service_gaps_measured') }}
),

service_rhythms as (
    select * from {{ ref('int_service_rhythms_aggregated') }}
),

industry as (
    select * from {{ ref('int_services_industry_matched') }}
),

clients as (
    select * from {{ ref('stg_yclients__clients') }}
),

companies as (
    select * from {{ ref('stg_yclients__companies') }}
),

known_clients as (
    -- A client the bot's client list knows: their phone and name come from there.
    select
        last_visits.*,
        {{ local_today('companies.timezone') }} as today_local
    from last_visits
    inner join companies
        on last_visits.company_id = companies.company_id
    where exists (
        select 1 from clients
        where
            clients.company_id = last_visits.company_id
            and clients.client_id = last_visits.client_id
    )
),

evidence as (
    select
        known_clients.*,
        coalesce(industry.service_title, known_clients.last_main_service_title)
            as last_service_title,
        client_gaps.visit_count as service_visit_count,
        client_gaps.effective_gap_count,
        -- Stored as numeric so parallel sums add up the same; the arithmetic below is float
        -- (numeric power/exp/sqrt cost 0.4 s more for 100k clients).
        client_gaps.mean_log_gap::double precision as mean_log_gap,
        service_rhythms.gap_sample_size,
        service_rhythms.client_sample_size,
        service_rhythms.median_gap_days,
        service_rhythms.p25_gap_days,
        service_rhythms.p75_gap_days,
        service_rhythms.prior_log_mean,
        service_rhythms.client_log_sd::double precision as client_log_sd,
        service_rhythms.gap_log_sd::double precision as gap_log_sd,
        industry.repeat_visit_days_step,
        industry.industry_category_key,
        industry.industry_interval_days,
        industry.industry_min_days,
        industry.industry_max_days
    from known_clients
    left join client_gaps
        on
            known_clients.company_id = client_gaps.company_id
            and known_clients.client_id = client_gaps.client_id
            and known_clients.last_service_id = client_gaps.service_id
    left join service_rhythms
        on
            known_clients.company_id = service_rhythms.company_id
            and known_clients.last_service_id = service_rhythms.service_id
    left join industry
        on
            known_clients.company_id = industry.company_id
            and known_clients.last_service_id = industry.service_id
),

fallbacks as (
    -- What the client would get without personal evidence (tiers 2-4), and the prior the
    -- personal estimate shrinks toward.
    select
        evidence.*,
        case
            when evidence.gap_sample_size >= {{ var('service_min_gaps') }} then 'service'
            when coalesce(evidence.repeat_visit_days_step, evidence.industry_interval_days) > 0
                then 'industry'
            else 'universal'
        end as fallback_tier,
        case
            when evidence.gap_sample_size >= {{ var('service_min_gaps') }}
                then evidence.median_gap_days
            when evidence.repeat_visit_days_step > 0 then evidence.repeat_visit_days_step
            when evidence.industry_interval_days > 0 then evidence.industry_interval_days
            else {{ var('universal_interval_days') }}
        end::double precision as fallback_days
    from evidence
),

-- The shrinkage of the personal estimate toward the salon's prior, each quantity computed
-- once per client: in lateral steps that `limit all` keeps whole (a subquery with a limit is
-- never inlined; `offset 0` does the same, but sqlfluff cannot parse it without a FROM). As
-- chained CTEs the planner inlined every mention, and the later steps name the posterior ten
-- times (0.72-0.81 s against 0.40-0.50 s for 100k clients in parallel workers; 1.3 s
-- against 0.6-0.8 s in one process). A single-row VALUES list is inlined too.
waterfall as (
    select
        fallbacks.*,
        fallbacks.service_visit_count >= {{ var('personal_min_visits') }} as has_personal,
        shrinkage_prior.prior_sd,
        posterior.posterior_log_mean,
        posterior.posterior_log_sd
    from fallbacks
    cross join
        lateral (  -- noqa: ST05
            -- Enough clients of this service to trust the salon's own population parameters?
            select
                case
                    when fallbacks.client_sample_size >= 5 then fallbacks.prior_log_mean
                    else ln(fallbacks.fallback_days)
                end as prior_mean,
                case
                    when fallbacks.client_sample_size >= 5 then fallbacks.client_log_sd else 0.3
                end as prior_sd,
                case
                    when fallbacks.client_sample_size >= 5 then fallbacks.gap_log_sd else 0.2
                end as noise_sd
            limit all  -- noqa: AM09
        ) as shrinkage_prior
    cross join
        lateral (  -- noqa: ST05
            select
                fallbacks.effective_gap_count / power(shrinkage_prior.noise_sd, 2)
                + 1 / power(shrinkage_prior.prior_sd, 2) as posterior_precision
            limit all  -- noqa: AM09
        ) as evidence_weight
    cross join lateral (  -- noqa: ST05
        select
            (
                fallbacks.effective_gap_count
                * fallbacks.mean_log_gap
                / power(shrinkage_prior.noise_sd, 2)
                + shrinkage_prior.prior_mean / power(shrinkage_prior.prior_sd, 2)
            ) / evidence_weight.posterior_precision as posterior_log_mean,
            1 / sqrt(evidence_weight.posterior_precision) as posterior_log_sd
        limit all  -- noqa: AM09
    ) as posterior
),

chosen as (
    select
        waterfall.*,
        case when waterfall.has_personal then 'personal' else waterfall.fallback_tier end
            as interval_tier,
        greatest(1, round(
            case
                when waterfall.has_personal then exp(waterfall.posterior_log_mean)
                else waterfall.fallback_days
            end
        ))::integer as interval_days,
        case
            when waterfall.has_personal
                then exp(waterfall.posterior_log_mean - 1.2816 * waterfall.posterior_log_sd)
            when waterfall.fallback_tier = 'service' then waterfall.p25_gap_days
            when waterfall.repeat_visit_days_step > 0 then waterfall.repeat_visit_days_step
            when waterfall.fallback_tier = 'industry' then waterfall.industry_min_days
            else {{ var('universal_interval_days') }} * 0.7
        end as range_low,
        case
            when waterfall.has_personal
                then exp(waterfall.posterior_log_mean + 1.2816 * waterfall.posterior_log_sd)
            when waterfall.fallback_tier = 'service' then waterfall.p75_gap_days
            when waterfall.repeat_visit_days_step > 0 then waterfall.repeat_visit_days_step
            when waterfall.fallback_tier = 'industry' then waterfall.industry_max_days
            else {{ var('universal_interval_days') }} * 1.5
        end as range_high,
        case
            -- How far the client's own evidence narrowed the prior.
            when waterfall.has_personal
                then 1 - waterfall.posterior_log_sd / waterfall.prior_sd
            when waterfall.fallback_tier = 'service'
                then waterfall.gap_sample_size::numeric / (waterfall.gap_sample_size + 30)
            when waterfall.fallback_tier = 'industry' then 0.2
            else 0.0
        end as confidence_score
    from waterfall
),

final as (
    select
        chosen.company_id,
        chosen.client_id,
        chosen.last_service_id,
        chosen.last_service_title,
        chosen.interval_tier,
        case
            when chosen.interval_tier = 'personal' then 'client_history'
            when chosen.interval_tier = 'service' then 'salon_service_median'
            when chosen.repeat_visit_days_step > 0 then 'salon_repeat_setting'
            when chosen.interval_tier = 'industry'
                then 'industry_table:' || chosen.industry_category_key
            else 'universal_default'
        end as interval_source,
        chosen.interval_days,
        least(chosen.interval_days, round(chosen.range_low))::integer as interval_low_days,
        greatest(chosen.interval_days, round(chosen.range_high))::integer as interval_high_days,
        round(chosen.confidence_score::numeric, 3) as confidence,
        case chosen.interval_tier
            when 'personal' then coalesce(chosen.service_visit_count, 0)
            when 'service' then chosen.gap_sample_size
            else 0
        end as interval_sample_size,
        chosen.visit_count,
        coalesce(chosen.service_visit_count, 0) as last_service_visit_count,
        (chosen.today_local - chosen.last_visit_date) as days_since_last_visit,
        chosen.last_visit_date,
        (
            chosen.last_visit_date
            + ceil(chosen.interval_days * {{ var('due_factor') }})::integer
        ) as due_date,
        -- When the universal rule (the control arm's timing) says the client is due.
        chosen.last_visit_date + {{ var('universal_interval_days') }} as universal_due_date,
        chosen.last_visit_at
    from chosen
)

select * from final
