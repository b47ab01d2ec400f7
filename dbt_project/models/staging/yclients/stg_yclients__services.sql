{#-
    One row per salon service, keyed by its YClients id (production: yclients_id; seed:
    yclients_service_id), with the salon's own "invite back after N days" setting when the
    sync keeps it (production: raw_data->>'repeat_visit_days_step', often a string).
-#}
{%- set services = source('yclients', 'services') -%}
{%- set columns = relation_columns(services) -%}

with services as (
    select * from {{ services }}
),

renamed as (
    select
        services.company_id::integer as company_id,
        {%- if source_layout() == 'production' %}
            services.yclients_id::bigint as service_id,
            {{ optional_column(columns, 'services', 'category_title', 'null::text',
                'services have no category') }}::text as category_name,
        {%- else %}
            services.yclients_service_id::bigint as service_id,
            {{ optional_column(columns, 'services', 'category_name', 'null::text',
                'services have no category') }}::text as category_name,
        {%- endif %}
        nullif(trim(services.title), '') as service_title,
        {%- if 'repeat_visit_days_step' in columns %}
            services.repeat_visit_days_step::integer as repeat_visit_days_step,
        {%- elif 'raw_data' in columns %}
            {{ safe_integer("(services.raw_data ->> 'repeat_visit_days_step')") }}
                as repeat_visit_days_step,
        {%- else %}
            {{ optional_column(columns, 'services', 'repeat_visit_days_step', 'null::integer',
                "no salon repeat-visit setting, the industry table decides") }}
                as repeat_visit_days_step,
        {%- endif %}
        {{ optional_column(columns, 'services', 'price_min', 'null::numeric',
            'no list price') }}::numeric as price_min,
        {{ optional_column(columns, 'services', 'price_max', 'null::numeric',
            'no list price') }}::numeric as price_max,
        coalesce(
            {{ optional_column(columns, 'services', 'is_active', 'null::boolean',
                'every service is active') }}, true
        ) as is_active
    from services
),

one_per_service as (
    select distinct on (renamed.company_id, renamed.service_id) renamed.*
    from renamed
    where renamed.service_id is not null and renamed.company_id is not null
    order by renamed.company_id asc, renamed.service_id asc, renamed.is_active desc
)

select * from one_per_service
