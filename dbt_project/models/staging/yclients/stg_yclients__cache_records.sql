{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company_id', 'record_key'],
        on_schema_change='fail',
        pre_hook=whole_salon_shares_per_worker() + ["set local work_mem = '32MB'"],
        post_hook='{{ analyze_when_stale() }}',
        indexes=[
            {'columns': ['company_id', 'record_key'], 'unique': True},
            {'columns': ['company_id', 'client_id']},
            {'columns': ['company_id', 'record_id']},
            {'columns': ['created_at']},
            {'columns': ['staged_at']},
        ],
    )
}}

{#-
    The newest version of every record the cache ever held, plus every malformed element with
    the reason it was quarantined. Incremental: each run reads only cache rows fetched since the
    newest one already staged (less a lookback), so rows the bot deletes later change nothing
    here. A version replaces the staged one only if it is newer (cached_at, then
    last_change_date), so re-reading a row changes nothing.
    Each worker sorts one salon's copies at a time (they arrive grouped by salon); 32 MB of
    sort memory holds a salon of 1,000 clients' two years, which 4 MB spilled to disk
    (0.35 s of the full build).
    The record_id index serves a bot booking's check that it is not also a record (a probe
    of the salon's records by the client index cost 0.7 ms a booking).
    The created_at index finds the bookings made since the experiment began for the outcome
    marts (int_client_bookings_unioned).
    The staged_at index finds each night's batch for the models downstream and for the tests
    of the newest batch without reading the million older rows (0.4 s once in a full build;
    0.15-0.3 s saved by every one of those reads each night).
-#}

{%- set cache = source('yclients', 'appointments_cache') -%}
{%- set columns = relation_columns(cache) -%}
{#- The TTL layout keys a day's (or a staff member's day's) records by cache_key and bumps
    cached_at; the per-record layout (production) keeps one record in raw_data, bumps
    updated_at and marks a deleted record in its own columns as well. -#}
{%- set per_record = 'cache_key' not in columns and 'raw_data' in columns -%}
{%- set key_column = 'yclients_record_id' if per_record else 'cache_key' -%}
{%- set fetched_column = 'updated_at' if per_record else 'cached_at' -%}
{%- set payload_column = 'raw_data' if per_record else 'appointments' %}

with cache_rows as (
    select
        appointments_cache.company_id,
        appointments_cache.{{ key_column }}::text as cache_key,
        appointments_cache.{{ fetched_column }}::timestamptz as cached_at,
        appointments_cache.{{ payload_column }} as payload,
        {%- if per_record %}
            (
                coalesce({{ optional_column(columns, 'appointments_cache', 'is_cancelled',
                    'null::boolean', 'cancellation is read from the record') }}, false)
                or coalesce({{ optional_column(columns, 'appointments_cache', 'deleted',
                    'null::boolean', 'deletion is read from the record') }}, false)
            ) as is_row_cancelled
        {%- else %}
            false as is_row_cancelled
        {%- endif %}
    from {{ cache }} as appointments_cache
    {% if is_incremental() %}
        where
            appointments_cache.{{ fetched_column }}
            > {{ incremental_watermark('source_cached_at') }}
            - interval '{{ var("cache_lookback_hours") }} hours'
    {% endif %}
),

elements as (
    -- One pass over each cache value. No `offset 0` fence here: it would forbid a parallel
    -- plan, and the large value is never selected again beside its own unnest.
    select
        cache_rows.company_id,
        cache_rows.cache_key,
        cache_rows.cached_at,
        cache_rows.is_row_cancelled,
        shaped.position,
        shaped.element
    from
        cache_rows
    {%- if per_record %}
        -- One row, one record: whatever raw_data holds is that record, or quarantined (SQL
        -- null as JSON null: not an object). Not wrapped in an array to be unnested again:
        -- that copied each 1.6 KB record twice (1.1 s of 4.9 s for 282k records).
        cross join lateral (
            select
                coalesce(cache_rows.payload, 'null'::jsonb) as element,
                1::bigint as position
        ) as shaped
    {%- else %}
        cross join
            lateral jsonb_array_elements(
                case jsonb_typeof(cache_rows.payload)
                    when 'array' then cache_rows.payload
                    when 'object'
                        then
                            case
                                when jsonb_typeof(cache_rows.payload -> 'data') = 'array'
                                    then cache_rows.payload -> 'data'
                                else jsonb_build_array(cache_rows.payload)
                            end
                    -- JSON null holds no record; a top-level string, number or boolean is one
                    -- unreadable element, quarantined as not_an_object rather than dropped.
                    when 'null' then '[]'::jsonb
                    else jsonb_build_array(cache_rows.payload)
                end
            ) with ordinality as shaped (element, position)
    {%- endif %}
),

extracted as (
    select
        elements.company_id,
        elements.cache_key,
        elements.cached_at,
        elements.is_row_cancelled,
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
        elements.element #>> '{staff,name}' as staff_name
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
        client jsonb
    ) on true
),

shaped as (
    -- Checks on every copy; typing waits until one copy per record is left.
    select
        extracted.*,
        case
            when extracted.element_type <> 'object' then 'not_an_object'
            when extracted.id_text is null then 'missing_id'
            when extracted.id_text !~ '^[0-9]+$' or length(extracted.id_text) > 18
                then 'non_numeric_id'
            when
                not coalesce(
                    {{ target.schema }}.is_valid_timestamptz(extracted.datetime_text), false
                )
                then 'invalid_datetime'
            when coalesce(jsonb_typeof(extracted.services), 'array') not in ('array', 'null')
                then 'services_not_array'
            when coalesce(jsonb_typeof(extracted.client), 'null') not in ('object', 'null')
                then 'client_not_object'
            when extracted.attendance_text !~ '^-?[0-9]+$' or length(extracted.attendance_text) > 3
                then 'invalid_attendance'
        end as quarantine_reason
    from extracted
),

keyed as not materialized (
    -- Read once per branch below; each branch's filter reaches the cache scan.
    select
        shaped.company_id,
        case
            when shaped.quarantine_reason is null then shaped.id_text
            else 'quarantine:' || shaped.cache_key || ':' || shaped.position
        end as record_key,
        shaped.cache_key,
        shaped.position,
        shaped.quarantine_reason,
        shaped.id_text,
        shaped.staff_id_text,
        shaped.datetime_text,
        shaped.create_date_text,
        shaped.last_change_date_text,
        shaped.attendance_text,
        shaped.deleted_text,
        shaped.online_text,
        shaped.comment,
        shaped.services,
        shaped.client ->> 'id' as client_id_text,
        shaped.client ->> 'name' as client_name_text,
        shaped.client ->> 'phone' as client_phone_text,
        shaped.staff_name,
        shaped.is_row_cancelled,
        case when shaped.quarantine_reason is not null then shaped.element end as raw_record,
        shaped.cached_at
    from shaped
),

newest_copies as (
    -- Newest copy first: latest fetch, then latest change. last_change_date is compared as
    -- written: the copies of one record share one format, so text order is time order.
    -- One branch per share of the salons (macros/salon_shares.sql): each branch sorts and
    -- types its share whole in one parallel worker. One parallel sort instead left the leader
    -- merging 3.1 M wide rows and typing 1.55 M alone: 38.8 s against 16.4 s on a million
    -- records; with the leader sorting a branch of its own, 20.7 s.
    -- A night's few rows are one share: each branch scans the bot's cache again, and the
    -- production table has no index on updated_at (4 x 0.28 s for 200 rows on 100 salons).
    {%- set shares = 1 if is_incremental() else var('salon_shares') %}
    {%- for share in range(shares) %}
        (
            -- The phone's digits are stripped here, once per record: typing names them
            -- several times (text_helpers.sql).
            select
                deduped.*,
                {{ phone_digits('deduped.client_phone_text') }} as client_phone_digits
            from (
                select distinct on (keyed.company_id, keyed.record_key) keyed.*
                from keyed
                where {{ salon_share_filter('keyed.company_id', share, shares) }}
                order by
                    keyed.company_id asc,
                    keyed.record_key asc,
                    keyed.cached_at desc,
                    keyed.last_change_date_text desc nulls last,
                    keyed.cache_key desc
            ) as deduped
        )
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

typed as (
    select
        newest_copies.company_id,
        newest_copies.record_key,
        -- id, attendance and datetime passed their checks above: cast them directly.
        case
            when newest_copies.quarantine_reason is null then newest_copies.id_text::bigint
        end as record_id,
        {{ safe_bigint('newest_copies.client_id_text') }} as client_id,
        {{ safe_bigint('newest_copies.staff_id_text') }} as staff_id,
        newest_copies.cache_key,
        nullif(trim(newest_copies.client_name_text), '') as client_name,
        {{ phone_from_digits('newest_copies.client_phone_digits') }} as client_phone,
        newest_copies.staff_name,
        newest_copies.comment,
        newest_copies.quarantine_reason,
        newest_copies.services,
        newest_copies.raw_record,
        case
            when newest_copies.quarantine_reason is null
                then newest_copies.attendance_text::integer
        end as attendance,
        (
            coalesce({{ safe_boolean('newest_copies.deleted_text') }}, false)
            or newest_copies.is_row_cancelled
        ) as is_deleted,
        coalesce({{ safe_boolean('newest_copies.online_text') }}, false) as is_online,
        case
            when newest_copies.quarantine_reason is null
                then left(newest_copies.datetime_text, 10)::date
        end as start_date,
        case
            when newest_copies.quarantine_reason is null
                then newest_copies.datetime_text::timestamptz
        end as starts_at,
        {{ safe_timestamptz('newest_copies.create_date_text') }} as created_at,
        {{ safe_timestamptz('newest_copies.last_change_date_text') }} as last_changed_at,
        newest_copies.cached_at as source_cached_at
    from newest_copies
),

newer_than_staged as (
    select typed.*
    from typed
    {% if is_incremental() %}
        left join {{ this }} as staged
            on
                typed.company_id = staged.company_id
                and typed.record_key = staged.record_key
        where
            staged.record_key is null
            or (
                typed.source_cached_at,
                coalesce(typed.last_changed_at, '-infinity'::timestamptz)
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
