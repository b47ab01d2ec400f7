{#-
    One row per salon service with the industry interval its title matches, if any: every
    required stem must start a word of the title, no excluded stem may, and the most specific
    matching row wins. The salon's own repeat-visit setting (YClients repeat_visit_days_step)
    is carried alongside; it outranks the industry table in the waterfall.
-#}

with services as (
    select * from {{ ref('stg_yclients__services') }}
),

industry as (
    select * from {{ ref('industry_intervals') }}
),

titles as (
    select
        services.company_id,
        services.service_id,
        services.service_title,
        services.repeat_visit_days_step,
        {{ lower_cyrillic('services.service_title') }} as title_lower
    from services
),

matches as (
    select
        titles.company_id,
        titles.service_id,
        industry.category_key,
        industry.interval_days,
        industry.min_days,
        industry.max_days,
        industry.specificity,
        cardinality(string_to_array(industry.required_stems, ';')) as required_count
    from titles
    inner join industry
        on
            not exists (
                select 1
                from unnest(string_to_array(industry.required_stems, ';')) as stem (pattern)
                where titles.title_lower !~ ('(^|[^а-яёa-z])' || stem.pattern)
            )
            and (
                industry.excluded_stems is null
                or titles.title_lower !~ ('(^|[^а-яёa-z])' || industry.excluded_stems)
            )
),

best_match as (
    select distinct on (matches.company_id, matches.service_id) matches.*
    from matches
    order by
        matches.company_id asc,
        matches.service_id asc,
        matches.specificity desc,
        matches.required_count desc,
        matches.category_key asc
),

final as (
    select
        titles.company_id,
        titles.service_id,
        titles.service_title,
        best_match.category_key as industry_category_key,
        best_match.interval_days as industry_interval_days,
        best_match.min_days as industry_min_days,
        best_match.max_days as industry_max_days,
        titles.repeat_visit_days_step
    from titles
    left join best_match
        on
            titles.company_id = best_match.company_id
            and titles.service_id = best_match.service_id
)

select * from final
