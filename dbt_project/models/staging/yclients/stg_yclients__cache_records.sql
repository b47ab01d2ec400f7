{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company_id', 'record_key'],
        on_schema_change='fail',
        indexes=[
            {'columns': ['company_id', 'record_key'], 'unique': True},
            {'columns': ['staged_at']},
            {'columns': ['company_id', 'client_id']},
        ],
    )
}}

{#-
    The newest version of every record the cache ever held, plus every malformed element with
    the reason it was quarantined. Incremental: each run reads only cache rows fetched since the
    newest one already staged (less a lookback), so rows the bot deletes later change nothing
    here. A version replaces the staged one only if it is newer (cached_at, then
    last_change_date), so re-reading a row changes nothing.
-#}

with cache_rows as (
    select
        appointments_cache.company_id,
        appointments_cache.{{ var('cache_key_column') }}::text as cache_key,
        -- The alias matters when the freshness column is not cached_at (raw_data layout).
        appointments_cache.{{ var('cache_freshness_column') }} as cached_at,  -- noqa: AL09
        appointments_cache.{{ var('cache_json_column') }} as payload
    from {{ source('yclients', 'appointments_cache') }} as appointments_cache
    {% if is_incremental() %}
        where appointments_cache.{{ var('cache_freshness_column') }} > (
            select
                coalesce(max(staged.source_cached_at), '-infinity'::timestamptz)
                - interval '{{ var("cache_lookback_hours") }} hours'
            from {{ this }} as staged
        )
    {% endif %}
),

elements as (
    -- The unnest sits in a lateral subquery with offset 0 so the large JSONB value is detoasted
    -- once per row, not once per element or per expression.
    select
        cache_rows.company_id,
        cache_rows.cache_key,
        cache_rows.cached_at,
        unnested.position,
        unnested.element
    from cache_rows
    cross join lateral (
        select
            shaped.element,
            shaped.position
        from
            jsonb_array_elements(
                case jsonb_typeof(cache_rows.payload)
                    when 'array' then cache_rows.payload
                    when 'object'
                        then
                            case
                                when jsonb_typeof(cache_rows.payload -> 'data') = 'array'
                                    then cache_rows.payload -> 'data'
                                else jsonb_build_array(cache_rows.payload)
                            end
                    else '[]'::jsonb
                end
            ) with ordinality as shaped (element, position)
        -- A fence for the planner, not a page: the order is irrelevant.
        offset 0  -- noqa: AM09
    ) as unnested
),

extracted as (
    select
        elements.company_id,
        elements.cache_key,
        elements.cached_at,
        elements.position,
        elements.element,
        jsonb_typeof(elements.element) as element_type,
        fields.id as id_text,
        fields.staff_id as staff_id_text,
        fields.datetime as datetime_text,
        fields.create_date as create_date_text,
        fields.last_change_date as last_change_date_text,
        coalesce(fields.attendance, fields.visit_attendance) as attendance_text,
        fields.deleted as deleted_text,
        fields.online as online_text,
        fields.comment,
        fields.services,
        fields.client,
        fields.staff
    from elements
    left join lateral jsonb_to_record(
        case when jsonb_typeof(elements.element) = 'object' then elements.element end
    ) as fields (  -- noqa: RF04
        id text,
        staff_id text,
        datetime text,
        create_date text,
        last_change_date text,
        attendance text,
        visit_attendance text,
        deleted text,
        online text,
        comment text,
        services jsonb,
        client jsonb,
        staff jsonb
    ) on true
),

validated as (
    select
        extracted.*,
        case
            when extracted.element_type <> 'object' then 'not_an_object'
            when extracted.id_text is null then 'missing_id'
            when extracted.id_text !~ '^[0-9]{1,18}$' then 'non_numeric_id'
            when
                not coalesce(
                    {{ target.schema }}.is_valid_timestamptz(extracted.datetime_text), false
                )
                then 'invalid_datetime'
            when coalesce(jsonb_typeof(extracted.services), 'array') not in ('array', 'null')
                then 'services_not_array'
            when coalesce(jsonb_typeof(extracted.client), 'null') not in ('object', 'null')
                then 'client_not_object'
            when extracted.attendance_text !~ '^-?[0-9]+$' then 'invalid_attendance'
        end as quarantine_reason
    from extracted
),

typed as (
    select
        validated.company_id,
        case
            when validated.quarantine_reason is null then validated.id_text
            else 'quarantine:' || validated.cache_key || ':' || validated.position
        end as record_key,
        {{ safe_bigint('validated.id_text') }} as record_id,
        {{ safe_bigint("validated.client ->> 'id'") }} as client_id,
        {{ safe_bigint('validated.staff_id_text') }} as staff_id,
        validated.cache_key,
        nullif(trim(validated.client ->> 'name'), '') as client_name,
        {{ normalize_phone("validated.client ->> 'phone'") }} as client_phone,
        validated.staff ->> 'name' as staff_name,
        validated.comment,
        validated.quarantine_reason,
        validated.services,
        case when validated.quarantine_reason is not null then validated.element end as raw_record,
        {{ safe_integer('validated.attendance_text') }} as attendance,
        coalesce({{ safe_boolean('validated.deleted_text') }}, false) as is_deleted,
        coalesce({{ safe_boolean('validated.online_text') }}, false) as is_online,
        case
            when validated.quarantine_reason is null then left(validated.datetime_text, 10)::date
        end as start_date,
        case
            when validated.quarantine_reason is null then validated.datetime_text::timestamptz
        end as started_at,
        {{ safe_timestamptz('validated.create_date_text') }} as created_at,
        {{ safe_timestamptz('validated.last_change_date_text') }} as last_changed_at,
        validated.cached_at as source_cached_at
    from validated
),

newest_in_batch as (
    select distinct on (typed.company_id, typed.record_key) typed.*
    from typed
    order by
        typed.company_id asc,
        typed.record_key asc,
        typed.source_cached_at desc,
        typed.last_changed_at desc nulls last,
        typed.cache_key desc
),

newer_than_staged as (
    select newest_in_batch.*
    from newest_in_batch
    {% if is_incremental() %}
        left join {{ this }} as staged
            on
                newest_in_batch.company_id = staged.company_id
                and newest_in_batch.record_key = staged.record_key
        where
            staged.record_key is null
            or (
                newest_in_batch.source_cached_at,
                coalesce(newest_in_batch.last_changed_at, '-infinity'::timestamptz)
            ) > (
                staged.source_cached_at,
                coalesce(staged.last_changed_at, '-infinity'::timestamptz)
            )
    {% endif %}
),

final as (
    select
        newer_than_staged.*,
        '{{ run_started_at }}'::timestamptz as staged_at
    from newer_than_staged
)

select * from final
