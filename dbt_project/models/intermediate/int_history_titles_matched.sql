{#-
    One row per salon and service title seen in clients.visit_history (which names services by
    title only): the salon's service of that title, matched by normalised title (case, ё,
    spaces), or null when none matches (the visit still counts, with no service). Its own
    model so the match is made once per build: inlined, each share of the visits model
    recomputed it from the whole history (4 scans instead of 1).
-#}

with titles as (
    select distinct
        visit_history.company_id,
        title.service_title
    from {{ ref('stg_yclients__visit_history') }} as visit_history
    cross join lateral unnest(visit_history.service_titles) as title (service_title)
    where visit_history.is_visit and title.service_title is not null
),

services as (
    select * from {{ ref('stg_yclients__services') }}
),

matched as (
    select
        titles.company_id,
        titles.service_title,
        min(services.service_id) as service_id
    from titles
    left join services
        on
            titles.company_id = services.company_id
            and {{ normalized_title('titles.service_title') }}
            = {{ normalized_title('services.service_title') }}
    group by titles.company_id, titles.service_title
)

select * from matched
