{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company_id', 'client_id'],
        on_schema_change='fail',
        pre_hook='set local parallel_tuple_cost = 0.001',
        post_hook='{{ analyze_when_stale() }}',
        indexes=[
            {'columns': ['company_id', 'client_id', 'history_fingerprint']},
            {'columns': ['staged_at', 'source_synced_at']},
        ],
    )
}}

{#-
    One row per element of the bot's clients.visit_history (production layout): each client's
    YClients records of the last two years, written by the nightly client-records sync, with
    services by title only. Incremental on the client row's sync time and the history's
    fingerprint: a re-synced client whose history changed has all their rows replaced by the
    new history, plus the staged days that slid out of the sync's window (var
    visit_history_sync_days, the bot's two years) - those the bot no longer sends but that
    happened. A day missing from the new history inside the window was deleted or moved in
    YClients and is dropped; a history now sent empty leaves one row without a day (no
    visit) in place of the client's days. An unchanged history is not re-read.
    Where the table has no visit_history column this model is empty.
    The staged_at index holds the sync time as well: the watermark, the newest sync time of the
    newest batch, is then one index probe even when that batch is the whole table, as on the
    first night after a full build (0.2 s scan of 1.5 M rows against 0.1 ms).
    The pre-hook: the planner, guessing 100 elements a history and few clients past the
    checks, prices handing the elements to the leader too high and unnests 1.5 M of them alone
    (6.0 s against 3.7 s in parallel workers for 100k histories, best of 3 runs).
-#}
{%- set clients = source('yclients', 'clients') -%}
{%- set companies = ref('stg_yclients__companies') -%}
{%- set columns = relation_columns(clients) -%}
{%- set synced_at = client_synced_at(columns, 'clients', absent="'-infinity'::timestamptz") %}

{% if 'visit_history' in columns %}
    with clients as (
        select
            clients.company_id::integer as company_id,
            {{ yclients_client_id('clients') }} as client_id,
            clients.visit_history,
            fingerprint.history_hash::text as history_fingerprint,
            {{ synced_at }} as source_synced_at
        from {{ clients }} as clients
        -- Once per client, as a function scan beside the client row: in the select list the
        -- planner evaluated it for every element of the history, serialising the whole
        -- history each time (47 s of a 70 s build on 100 salons instead of about 1 s), and a
        -- fenced subquery instead kept every later step out of parallel workers.
        -- PostgreSQL's own 64-bit jsonb hash reads the stored value as it is; md5 first
        -- printed it as text (1.7 s against 0.4 s for 100k histories, paid again every night
        -- because the sync touches every client).
        cross join lateral jsonb_hash_extended(clients.visit_history, 0) as fingerprint (
            history_hash
        )
        {% if is_incremental() %}
            where
                {{ synced_at }}
                > {{ incremental_watermark('source_synced_at', newest_batch_column='staged_at') }}
        {% endif %}
    ),

    changed_clients as (
        select unstaged.*
        from (
            -- The bot's clients sync upserts every client every night, so the sync time
            -- moves for all of them; a history whose fingerprint is already staged changed
            -- nothing. Every staged row of a client carries its latest fingerprint, so the
            -- probe is one index-only lookup (the key index holds the fingerprint: 1.15 s ->
            -- 0.64 s for 100k clients, against a heap fetch per client). Fenced: each check
            -- below reads the whole stored history again (0.25 s for 100k), so they run for
            -- the new fingerprints only. A full build reads every history: no fence, which
            -- would keep the unnesting below out of parallel workers.
            select clients.*
            from clients
            {% if is_incremental() %}
                where not exists (
                    select from {{ this }} as staged
                    where
                        staged.company_id = clients.company_id
                        and staged.client_id = clients.client_id
                        and staged.history_fingerprint = clients.history_fingerprint
                )
                offset 0
            {% endif %}
        ) as unstaged
        where
            unstaged.client_id is not null
            and jsonb_typeof(unstaged.visit_history) = 'array'
            -- An empty history never staged is left out: it has no days, and its fingerprint
            -- matching nothing, the ~3 % of clients with none were read again every night.
            -- One emptied since a build is read: it replaces the client's staged days.
            and (
                jsonb_array_length(unstaged.visit_history) > 0
                {% if is_incremental() %}
                    or exists (
                        select from {{ this }} as staged
                        where
                            staged.company_id = unstaged.company_id
                            and staged.client_id = unstaged.client_id
                    )
                {% endif %}
            )
    ),

    companies as (
        select * from {{ companies }}
    ),

    elements as (
        select
            clients.company_id,
            clients.client_id,
            clients.history_fingerprint,
            clients.source_synced_at,
            fields.date as date_text,
            fields.services,
            fields.status,
            fields.attendance as attendance_text,
            fields.cost as cost_text
        from changed_clients as clients
        -- Unnested after the fingerprint is taken, never before: naming it here makes the
        -- planner hash each history once, whatever the row estimates (the hash never is null
        -- for a history that has elements).
        cross join lateral jsonb_array_elements(
            case when clients.history_fingerprint is not null then clients.visit_history end
        ) as element (value)
        cross join lateral jsonb_to_record(
            case when jsonb_typeof(element.value) = 'object' then element.value else '{}' end
        ) as fields (date text, services jsonb, status text, attendance text, cost text)
    ),

    typed as (
        select
            elements.company_id,
            elements.client_id,
            left(elements.date_text, 10)::date as start_date,
            (elements.date_text::timestamp at time zone companies.timezone) as starts_at,
            -- The titles stay the JSON array they came as: the readers unnest them anyway,
            -- and turning each into a text[] here cost a subquery per element (1.7 s).
            case
                when jsonb_typeof(elements.services) = 'array' then elements.services
            end as service_titles,
            lower(elements.status) as status,
            {{ safe_integer('elements.attendance_text') }} as attendance,
            {{ safe_numeric('elements.cost_text') }} as cost,
            elements.history_fingerprint,
            elements.source_synced_at,
            '{{ run_started_at }}'::timestamptz as staged_at
        from elements
        inner join companies
            on elements.company_id = companies.company_id
        -- An element without a readable local time says nothing about a visit.
        where {{ target.schema }}.is_valid_timestamptz(elements.date_text)
    ),

    {% if is_incremental() %}
        slid_out as (
            -- The changed clients' staged days older than the sync's window: they happened,
            -- the bot only stopped sending them.
            select
                staged.company_id,
                staged.client_id,
                staged.start_date,
                staged.starts_at,
                staged.service_titles,
                staged.status,
                staged.attendance,
                staged.cost,
                clients.history_fingerprint,
                clients.source_synced_at,
                '{{ run_started_at }}'::timestamptz as staged_at,
                staged.is_visit
            from {{ this }} as staged
            inner join changed_clients as clients
                on
                    staged.company_id = clients.company_id
                    and staged.client_id = clients.client_id
            inner join companies
                on staged.company_id = companies.company_id
            where
                staged.start_date
                < (clients.source_synced_at at time zone companies.timezone)::date
                - {{ var('visit_history_sync_days') }}
                -- A day the new history still has is taken from it, never twice.
                and not exists (
                    select from typed
                    where
                        typed.company_id = staged.company_id
                        and typed.client_id = staged.client_id
                        and typed.start_date = staged.start_date
                )
        ),

        emptied as (
            -- A changed client whose history the sync now sends empty: one row without a
            -- day records that sync, so their staged days are replaced like any changed
            -- history's (only the slid-out ones stay) and their visits are recomputed. It is
            -- no visit, and its fingerprint keeps the empty history from being read again.
            select
                clients.company_id,
                clients.client_id,
                {{ no_history_day() }},
                clients.history_fingerprint,
                clients.source_synced_at,
                '{{ run_started_at }}'::timestamptz as staged_at,
                false as is_visit
            from changed_clients as clients
            where jsonb_array_length(clients.visit_history) = 0
        ),
    {% endif %}

    final as (
        select
            typed.*,
            -- attendance first (1 came, -1 no-show, 0 waiting, 2 confirmed); a status alone
            -- counts only when it says the client came, and one that says they did not
            -- outweighs the attendance.
            (
                coalesce(typed.attendance = 1, typed.status = 'attended', false)
                and coalesce(typed.status, '')
                not in ('not_attended', 'cancelled', 'deleted', 'no_show')
            ) as is_visit
        from typed
    )

    select * from final
    {% if is_incremental() %}
        union all
        select * from slid_out
        union all
        select * from emptied
    {% endif %}
{% else %}
    {%- if execute %}
        {{ log(
            "Source clients has no column visit_history: visits come from the cache and bookings",
            info=True
        ) }}
    {%- endif %}
    select
        null::integer as company_id,
        null::bigint as client_id,
        {{ no_history_day() }},
        null::text as history_fingerprint,
        null::timestamptz as source_synced_at,
        '{{ run_started_at }}'::timestamptz as staged_at,
        null::boolean as is_visit
    where false
{% endif %}
