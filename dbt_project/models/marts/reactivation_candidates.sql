{{ config(contract={'enforced': true}) }}

{#-
    One row per client to contact (or hold out) today: due by their interval, not lapsed past
    the maximum, and clear of every guard - not deleted, blacklisted or opted out, a valid
    phone, nothing booked ahead, not contacted within the cooldown. Each carries a deterministic
    experiment arm, a priority within the salon and a reason an operator can read.
    The runner reads this mart; sending hours and daily caps are applied at send time.
-#}

with intervals as (
    select * from {{ ref('client_intervals') }}
),

clients as (
    select * from {{ ref('stg_yclients__clients') }}
),

companies as (
    select * from {{ ref('stg_yclients__companies') }}
),

records as (
    select * from {{ ref('stg_yclients__records') }}
),

bookings as (
    select * from {{ ref('stg_yclients__bookings') }}
),

history as (
    select * from {{ ref('stg_reactivation__history') }}
),

opt_outs as (
    select * from {{ ref('int_opt_outs_unioned') }}
),

arms as (
    select
        experiment_arms.arm,
        sum(experiment_arms.weight) over (order by experiment_arms.arm rows unbounded preceding)
        - experiment_arms.weight as bucket_from,
        sum(experiment_arms.weight) over (order by experiment_arms.arm rows unbounded preceding)
            as bucket_to
    from {{ ref('experiment_arms') }} as experiment_arms
),

booked_ahead as (
    -- A record in the cache ahead of today, waiting (0) or confirmed (2).
    select
        records.company_id,
        records.client_id
    from records
    where
        records.starts_at > {{ now_or_as_of() }}
        and not records.is_deleted
        and records.attendance in (0, 2)
),

bot_booked_ahead as (
    -- A bot booking ahead, matched by client id or, where the bot wrote none, by phone.
    select
        bookings.company_id,
        bookings.client_id,
        bookings.phone
    from bookings
    where
        bookings.starts_at > {{ now_or_as_of() }}
        and bookings.status in ('pending', 'confirmed', 'active')
),

recently_contacted as (
    -- Holdouts count as contacted: they stand for a message in the comparison.
    select
        history.company_id,
        history.client_id
    from history
    where
        history.status in ('claimed', 'sent', 'holdout', 'unknown')
        and history.contacted_at
        > {{ now_or_as_of() }} - interval '{{ var("cooldown_days") }} days'
),

due as (
    select
        intervals.*,
        clients.phone,
        clients.client_name,
        intervals.days_since_last_visit::numeric / intervals.interval_days as overdue_ratio
    from intervals
    inner join clients
        on
            intervals.company_id = clients.company_id
            and intervals.client_id = clients.client_id
    inner join companies
        on intervals.company_id = companies.company_id
    where
        companies.is_live
        and intervals.days_since_last_visit
        >= intervals.interval_days * {{ var('due_factor') }}
        and intervals.days_since_last_visit <= {{ var('max_lapse_days') }}
        and not clients.is_deleted
        and not clients.is_blacklisted
        and clients.phone is not null
        and not exists (
            select 1 from opt_outs
            where opt_outs.company_id = intervals.company_id and opt_outs.phone = clients.phone
        )
        and not exists (
            select 1 from booked_ahead
            where
                booked_ahead.company_id = intervals.company_id
                and booked_ahead.client_id = intervals.client_id
        )
        and not exists (
            select 1 from bot_booked_ahead
            where
                bot_booked_ahead.company_id = intervals.company_id
                and (
                    bot_booked_ahead.client_id = intervals.client_id
                    or bot_booked_ahead.phone = clients.phone
                )
        )
        and not exists (
            select 1 from recently_contacted
            where
                recently_contacted.company_id = intervals.company_id
                and recently_contacted.client_id = intervals.client_id
        )
),

hashed as (
    select
        due.*,
        {{ stable_unit_hash(
            "due.company_id::text || ':' || due.client_id::text || ':' || '"
            ~ var('experiment_salt') ~ "'"
        ) }} as arm_bucket
    from due
),

assigned as (
    select
        hashed.*,
        arms.arm
    from hashed
    inner join arms
        on hashed.arm_bucket >= arms.bucket_from and hashed.arm_bucket < arms.bucket_to
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
        prioritized.interval_tier::text as interval_tier,
        prioritized.interval_source::text as interval_source,
        prioritized.last_service_title::text as last_service_title,
        (
            'последний визит ' || prioritized.days_since_last_visit || ' дн. назад ('
            || coalesce(prioritized.last_service_title, 'услуга не указана') || '); '
            || case prioritized.interval_tier
                when 'personal'
                    then
                        'обычно раз в ' || prioritized.interval_days || ' дн. по '
                        || prioritized.interval_sample_size || ' визитам'
                when 'service'
                    then
                        'клиенты салона возвращаются на эту услугу раз в '
                        || prioritized.interval_days || ' дн.'
                when 'industry'
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
        prioritized.interval_days::integer as interval_days,
        prioritized.days_since_last_visit::integer as days_since_last_visit,
        prioritized.visit_count::integer as visit_count,
        prioritized.priority::integer as priority,
        prioritized.confidence::numeric(4, 3) as confidence,
        round(prioritized.overdue_ratio, 3)::numeric(10, 3) as overdue_ratio,
        prioritized.arm_bucket::double precision as arm_bucket,
        prioritized.last_visit_date::date as last_visit_date,
        prioritized.due_date::date as due_date,
        {{ now_or_as_of() }}::timestamptz as selected_at
    from prioritized
)

select * from final
