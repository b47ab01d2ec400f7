{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        full_refresh=false,
        indexes=[{'columns': ['company_id', 'client_id', 'experiment_salt'], 'unique': True}],
    )
}}

{#-
    The intent-to-treat record: one row per assigned client whose outcome window has opened,
    their first after assignment. The window depends on the client's history alone, never on
    the arm: it opens on the earlier of the two due dates (the waterfall's and the universal
    rule's, from the same last visit), or on the day of assignment if that is later, and
    closes var itt_horizon_days after the later due date. Every arm's message, early or late,
    falls inside it, so every arm is measured over the same days.

    Recorded by the build on the opening day and never recomputed (full_refresh=false): a
    later visit moves the due dates but not a window already open. A client guarded at the
    opening (opted out, booked ahead, deleted, blacklisted, no phone) keeps the row with the
    guard in excluded_reason, and the summaries leave them out in every arm alike. A client
    lapsed past var max_lapse_days at the opening has no window: no arm would message them.
-#}

with intervals as (
    select * from {{ ref('client_intervals') }}
),

assignments as (
    select * from {{ ref('experiment_assignments') }}
),

guards as (
    select * from {{ ref('int_client_guards') }}
),

companies as (
    select * from {{ ref('stg_yclients__companies') }}
),

due_dates as (
    select
        intervals.company_id,
        intervals.client_id,
        assignments.arm,
        assignments.experiment_salt,
        assignments.assigned_at,
        intervals.last_visit_date,
        intervals.last_visit_date + intervals.days_since_last_visit as today_local,
        intervals.due_date as waterfall_due_date,
        intervals.universal_due_date as rule_due_date,
        (assignments.assigned_at at time zone companies.timezone)::date as assigned_on
    from intervals
    inner join assignments
        on
            intervals.company_id = assignments.company_id
            and intervals.client_id = assignments.client_id
    inner join companies
        on intervals.company_id = companies.company_id
    where companies.is_live
),

opened as (
    select
        due_dates.*,
        greatest(
            least(due_dates.waterfall_due_date, due_dates.rule_due_date), due_dates.assigned_on
        ) as opens_on
    from due_dates
    where least(due_dates.waterfall_due_date, due_dates.rule_due_date) <= due_dates.today_local
),

final as (
    select
        opened.company_id::integer as company_id,
        opened.client_id::integer as client_id,
        opened.arm::text as arm,
        opened.experiment_salt::text as experiment_salt,
        opened.last_visit_date::date as last_visit_date,
        opened.waterfall_due_date::date as waterfall_due_date,
        opened.rule_due_date::date as rule_due_date,
        opened.opens_on::date as opens_on,
        (
            greatest(opened.waterfall_due_date, opened.rule_due_date, opened.opens_on)
            + {{ var('itt_horizon_days') }}
        )::date as closes_on,
        guards.guard::text as excluded_reason,
        {{ now_or_as_of() }}::timestamptz as recorded_at
    from opened
    inner join guards
        on
            opened.company_id = guards.company_id
            and opened.client_id = guards.client_id
    where opened.opens_on - opened.last_visit_date <= {{ var('max_lapse_days') }}
)

select final.*
from final
{% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as recorded
        where
            recorded.company_id = final.company_id
            and recorded.client_id = final.client_id
            and recorded.experiment_salt = final.experiment_salt
    )
{% endif %}
