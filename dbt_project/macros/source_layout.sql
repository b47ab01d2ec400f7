{#-
    The bot's tables come in two layouts (shared/facts): the migration file's ("seed": companies
    keyed by id with name and is_active, services.yclients_service_id, a TTL cache keyed by
    date) and the one salons really run ("production": companies.company_id with title and
    integration_status, services.yclients_id, bookings in local wall time, a cache of one row
    per record). Each staging model asks which one it reads from the columns present, so no
    setting is needed; the var source_layout (auto | seed | production) forces one.
    Columns a layout or a salon's sync may lack are optional: absent means null (or false)
    and one line in the build log, never an error.
-#}

{% macro relation_columns(relation) -%}
    {#- Lower-case column name -> data type of a relation; {} when it does not exist (and
        while dbt parses, when nothing can be looked up). -#}
    {%- if not execute -%}{{ return({}) }}{%- endif -%}
    {#- A unit test's fixture stands in for the table: no columns to look up (the fixtures are
        in the seed layout). -#}
    {%- if model.resource_type == 'unit_test' or not relation.schema or not relation.identifier -%}
        {{ return({}) }}
    {%- endif -%}
    {#- Straight from the catalog (no columns: no such table), never through get_relation:
        dbt's relations cache marks a schema cached when the first of its relations is added,
        so a thread that listed the bot's schema while another was still filling it in saw
        only part of it, read "no such table", and compiled for the other layout or without
        an optional column (one build in about sixty failed that way). -#}
    {%- set columns = {} -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do columns.update({column.name | lower: (column.data_type or '') | lower}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{% macro source_layout() -%}
    {#- 'production' or 'seed', from the companies table: only the production layout keys it by
        company_id (its id is an internal serial). -#}
    {%- set forced = var('source_layout', 'auto') -%}
    {%- if forced in ('seed', 'production') -%}{{ return(forced) }}{%- endif -%}
    {%- if forced != 'auto' -%}
        {{ exceptions.raise_compiler_error(
            "var source_layout must be auto, seed or production, not '" ~ forced ~ "'"
        ) }}
    {%- endif -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}{{ return('seed') }}{%- endif -%}
    {%- set companies = relation_columns(source('yclients', 'companies')) -%}
    {{ return('production' if 'company_id' in companies else 'seed') }}
{%- endmacro %}

{% macro yclients_client_id(table_name) -%}
    {#- The YClients client id of a clients row: yclients_id in production, yclients_client_id
        in the migration layout (the serial id is the bot's own). -#}
    {%- if source_layout() == 'production' -%}
        {{ table_name }}.yclients_id::bigint
    {%- else -%}
        {{ table_name }}.yclients_client_id::bigint
    {%- endif -%}
{%- endmacro %}

{% macro optional_column(columns, table_name, column, fallback, meaning) -%}
    {#- `table_name.column` when the table has it, else `fallback`, said once in the log. -#}
    {%- if column in columns -%}
        {{ table_name }}.{{ column }}
    {%- else -%}
        {%- if execute and columns -%}
            {{ log(
                "Source " ~ table_name ~ " has no column " ~ column ~ ": " ~ meaning
                ~ " (" ~ model.name ~ ")", info=True
            ) }}
        {%- endif -%}
        {{ fallback }}
    {%- endif -%}
{%- endmacro %}

{% macro as_utc_timestamptz(columns, table_name, column) -%}
    {#- The bot writes its own clocks in UTC; in the production layout without a zone. -#}
    {%- if columns.get(column, '') == 'timestamp without time zone' -%}
        ({{ table_name }}.{{ column }} at time zone 'UTC')
    {%- else -%}
        {{ table_name }}.{{ column }}::timestamptz
    {%- endif -%}
{%- endmacro %}

{% macro client_synced_at(columns, table_name, absent='null::timestamptz') -%}
    {#- When the bot last synced a clients row (UTC): the later of last_sync_at and
        updated_at, whichever the table has; `absent` when it has neither. -#}
    {%- set synced = [] -%}
    {%- for column in ('last_sync_at', 'updated_at') if column in columns -%}
        {%- do synced.append(as_utc_timestamptz(columns, table_name, column)) -%}
    {%- endfor -%}
    {%- if synced -%}
        greatest({{ synced | join(', ') }})
    {%- else -%}
        {{ absent }}
    {%- endif -%}
{%- endmacro %}

{% macro as_salon_timestamptz(columns, table_name, column, timezone_expression) -%}
    {#- A booking's time: in the production layout the salon's wall time without a zone. -#}
    {%- if columns.get(column, '') == 'timestamp without time zone' -%}
        ({{ table_name }}.{{ column }} at time zone {{ timezone_expression }})
    {%- else -%}
        {{ table_name }}.{{ column }}::timestamptz
    {%- endif -%}
{%- endmacro %}
