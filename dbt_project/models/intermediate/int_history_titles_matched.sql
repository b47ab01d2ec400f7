{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company_id', 'service_title'],
        on_schema_change='fail',
    )
}}

{#-
    One row per salon and service title seen in clients.visit_history (which names services by
    title only): the salon's service of that title, matched by normalised title (case, ё,
    spaces), or null when none matches (the visit still counts, with no service). Its own
    model so the match is made once per build: inlined, each share of the visits model
    recomputed it from the whole history (4 scans instead of 1).
    Incremental: a nightly run reads only the titles of the newly staged history and matches
    them with every title already known against today's services, so a service the salon
    adds or renames is matched the same night (reading the whole history each night cost
    0.9 s on 100 salons; the known titles are a few thousand rows).
-#}

with new_titles as (
    select distinct
        visit_history.company_id,
        title.service_title
    from {{ ref('stg_yclients__visit_history') }} as visit_history
    cross join {{ history_service_titles('visit_history.service_titles') }} as title
    where
        visit_history.is_visit
        and title.service_title is not null
        -- '-infinity' in a full build: every title
        and visit_history.staged_at > {{ incremental_watermark('matched_at') }}
),

titles as (
    select * from new_titles
    {% if is_incremental() %}
        union
        select known.company_id, known.service_title from {{ this }} as known
    {% endif %}
),

services as (
    select * from {{ ref('stg_yclients__services') }}
),

matched as (
    select
        titles.company_id,
        titles.service_title,
        min(services.service_id) as service_id,
        '{{ run_started_at }}'::timestamptz as matched_at
    from titles
    left join services
        on
            titles.company_id = services.company_id
            and {{ normalized_title('titles.service_title') }}
            = {{ normalized_title('services.service_title') }}
    group by titles.company_id, titles.service_title
)

select * from matched
