{{ config(contract={'enforced': true}) }}

{#-
    One row per client to contact (or hold out) today: due by their arm's timing rule (the
    interval waterfall, or the universal 30 days), not lapsed past the maximum, clear of every
    guard (int_client_guards: a live salon, not deleted, blacklisted or opted out, a valid
    phone, nothing booked ahead) and not contacted within the cooldown. Each carries its arm
    from experiment_assignments with what the arm sends (message_kind), a priority within the
    salon and a reason an operator can read. The runner reads this mart; sending hours and daily caps are applied at send time.
-#}

with intervals as (
    select * from {{ ref('client_intervals') }}
),

guards as (
    select * from {{ ref('int_client_guards') }}
),

assignments as (
    select * from {{ ref('experiment_assignments') }}
),

timed as (
    -- Each arm's own rule says when a client is due: the waterfall's interval, or the
    -- universal rule's fixed days for the arm that stands for "a reminder every 30 days".
    select
        intervals.*,
        assignments.arm,
        assignments.message_kind,
        assignments.timing_rule,
        assignments.arm_bucket,
        -- The universal rule is the fixed days alone; the waterfall's interval is scaled by
        -- due_factor (its due_date).
        case
            when assignments.timing_rule = 'universal' then {{ var('universal_interval_days') }}
            else intervals.interval_days
        end as rule_interval_days,
        case
            when assignments.timing_rule = 'universal' then intervals.universal_due_date
            else intervals.due_date
        end as rule_due_date
    from intervals
    inner join assignments
        on
            intervals.company_id = assignments.company_id
            and intervals.client_id = assignments.client_id
),

assigned as (
    select
        timed.*,
        guards.phone,
        guards.client_name,
        timed.days_since_last_visit::numeric / timed.rule_interval_days as overdue_ratio
    from timed
    inner join guards
        on
            timed.company_id = guards.company_id
            and timed.client_id = guards.client_id
    where
        guards.guard is null
        and not guards.is_recently_contacted
        and timed.days_since_last_visit >= timed.rule_due_date - timed.last_visit_date
        and timed.days_since_last_visit <= {{ var('max_lapse_days') }}
),

prioritized as (
    -- Freshly lapsed clients first (they come back most easily), then the best-founded
    -- intervals, then the longest-standing clients.
    select
        assigned.*,
        row_number() over (
            partition by assigned.company_id
            order by
                (assigned.overdue_ratio < 2) desc,
                assigned.confidence desc,
                assigned.overdue_ratio asc,
                assigned.visit_count desc,
                assigned.client_id asc
        )::integer as priority
    from assigned
),

final as (
    select
        prioritized.company_id::integer as company_id,
        prioritized.client_id::integer as client_id,
        prioritized.last_service_id::bigint as last_service_id,
        prioritized.phone::text as phone,
        prioritized.client_name::text as client_name,
        prioritized.arm::text as arm,
        prioritized.message_kind::text as message_kind,
        prioritized.timing_rule::text as timing_rule,
        (case
            when prioritized.timing_rule = 'universal' then 'universal'
            else prioritized.interval_tier
        end)::text as interval_tier,
        (case
            when prioritized.timing_rule = 'universal' then 'universal_rule'
            else prioritized.interval_source
        end)::text as interval_source,
        prioritized.last_service_title::text as last_service_title,
        (
            'последний визит ' || prioritized.days_since_last_visit || ' дн. назад ('
            || coalesce(prioritized.last_service_title, 'услуга не указана') || '); '
            || case
                when prioritized.timing_rule = 'universal'
                    then
                        'напоминание по общему правилу: раз в '
                        || prioritized.rule_interval_days || ' дн.'
                when prioritized.interval_tier = 'personal'
                    then
                        'обычно раз в ' || prioritized.interval_days || ' дн. по '
                        || prioritized.interval_sample_size || ' визитам'
                when prioritized.interval_tier = 'service'
                    then
                        'клиенты салона возвращаются на эту услугу раз в '
                        || prioritized.interval_days || ' дн.'
                when prioritized.interval_tier = 'industry'
                    then
                        'норма для услуги ' || prioritized.interval_days || ' дн.'
                        || case
                            when prioritized.interval_source = 'salon_repeat_setting'
                                then ' (настройка салона)'
                            else ' (отраслевая)'
                        end
                else 'мало данных, стандартный интервал ' || prioritized.interval_days || ' дн.'
            end
        )::text as reason,
        prioritized.rule_interval_days::integer as interval_days,
        prioritized.days_since_last_visit::integer as days_since_last_visit,
        prioritized.visit_count::integer as visit_count,
        prioritized.priority::integer as priority,
        prioritized.confidence::numeric(4, 3) as confidence,
        round(prioritized.overdue_ratio, 3)::numeric(10, 3) as overdue_ratio,
        prioritized.arm_bucket::double precision as arm_bucket,
        prioritized.last_visit_date::date as last_visit_date,
        prioritized.rule_due_date::date as due_date,
        {{ now_or_as_of() }}::timestamptz as selected_at
    from prioritized
)

select * from final
