{#-
    Casting untrusted JSON text. A malformed record must be quarantined, not crash the build, so
    every cast of record text is guarded by an `is_valid_*` function, created at the start of
    every run: on PostgreSQL 16+ an inlinable wrapper of pg_input_is_valid, which parses without
    raising; on older servers a fallback with the same answer for what the bot writes (a regular
    expression for numbers, PL/pgSQL for timestamps). Timestamps need a real parse
    ("2025-02-30" looks right). Measured on 1.5M history entries, pg_input_is_valid costs next to
    nothing for a number where a regular expression cost 0.45 s a column.
-#}

{#- Each check: its PostgreSQL 16+ body, then its body for older servers. NaN and Infinity are
    numeric input but no amount; both spellings hold an n. The older servers' numbers: a plain
    regex plus a length check (a bounded repetition such as [0-9]{1,18} costs ten times more
    per row in PostgreSQL's regex engine, measured here). -#}
{% macro _sql_checks() %}
    {{ return({
    'is_valid_timestamptz': ["pg_input_is_valid(value, 'timestamptz')", none],
    'is_valid_integer': [
        "pg_input_is_valid(value, 'integer')", "value ~ '^-?[0-9]+$' and length(value) <= 9"
    ],
    'is_valid_bigint': [
        "pg_input_is_valid(value, 'bigint')", "value ~ '^-?[0-9]+$' and length(value) <= 18"
    ],
    'is_valid_amount': [
        "pg_input_is_valid(value, 'numeric') and strpos(value, 'n') = 0 and strpos(value, 'N') = 0",
        "value ~ '^-?[0-9]+(\\.[0-9]+)?$'"
    ],
    }) }}
{% endmacro %}

{% macro create_safe_cast_functions() %}
    {%- set sql_checks = _sql_checks() %}
    create schema if not exists {{ target.schema }};
    do $do$
    begin
        if current_setting('server_version_num')::int >= 160000 then
            {%- for name, bodies in sql_checks.items() %}
                {{ _create_check(name, bodies[0]) }}
            {%- endfor %}
        else
            execute $fn$
                create or replace function {{ target.schema }}.is_valid_timestamptz(value text)
                returns boolean language plpgsql stable parallel safe as $body$
                begin
                    perform value::timestamptz;
                    return true;
                exception when others then
                    return false;
                end
                $body$
            $fn$;
            {%- for name, bodies in sql_checks.items() if bodies[1] %}
                {{ _create_check(name, bodies[1]) }}
            {%- endfor %}
        end if;
    end
    $do$;
{% endmacro %}

{% macro _create_check(name, body) -%}
    execute $fn$
        create or replace function {{ target.schema }}.{{ name }}(value text)
        returns boolean language sql stable parallel safe
        return {{ body }}
    $fn$;
{%- endmacro %}

{% macro safe_timestamptz(text_expression) -%}
    {#- pg_input_is_valid parses without raising; measured here it costs less than a strict
        regular expression would. -#}
    case
        when {{ target.schema }}.is_valid_timestamptz({{ text_expression }})
            then ({{ text_expression }})::timestamptz
    end
{%- endmacro %}

{% macro safe_bigint(text_expression) -%}
    case
        when {{ target.schema }}.is_valid_bigint({{ text_expression }})
            then ({{ text_expression }})::bigint
    end
{%- endmacro %}

{% macro safe_integer(text_expression) -%}
    case
        when {{ target.schema }}.is_valid_integer({{ text_expression }})
            then ({{ text_expression }})::integer
    end
{%- endmacro %}

{% macro safe_numeric(text_expression) -%}
    case
        when {{ target.schema }}.is_valid_amount({{ text_expression }})
            then ({{ text_expression }})::numeric
    end
{%- endmacro %}

{% macro safe_boolean(text_expression) -%}
    case
        when {{ text_expression }} in ('true', 'True', 'TRUE', '1', 't') then true
        when {{ text_expression }} in ('false', 'False', 'FALSE', '0', 'f', '') then false
    end
{%- endmacro %}
