{#-
    Casting untrusted JSON text. A malformed record must be quarantined, not crash the build, so
    every cast of record text is guarded by an `is_valid_*` function, created at the start of
    every run: on PostgreSQL 16+ an inlinable wrapper of pg_input_is_valid, which parses without
    raising; on older servers a fallback with the same answer for what the bot writes (a regular
    expression for numbers, PL/pgSQL for timestamps). Timestamps need a real parse
    ("2025-02-30" looks right). Measured on 1.5M history entries, pg_input_is_valid costs next to
    nothing for a number where a regular expression cost 0.45 s a column.
-#}

{% macro create_safe_cast_functions() %}
    create schema if not exists {{ target.schema }};
    do $do$
    begin
        if current_setting('server_version_num')::int >= 160000 then
            execute $fn$
                create or replace function {{ target.schema }}.is_valid_timestamptz(value text)
                returns boolean language sql stable parallel safe
                return pg_input_is_valid(value, 'timestamptz')
            $fn$;
            execute $fn$
                create or replace function {{ target.schema }}.is_valid_integer(value text)
                returns boolean language sql stable parallel safe
                return pg_input_is_valid(value, 'integer')
            $fn$;
            execute $fn$
                create or replace function {{ target.schema }}.is_valid_bigint(value text)
                returns boolean language sql stable parallel safe
                return pg_input_is_valid(value, 'bigint')
            $fn$;
            -- NaN and Infinity are numeric input but no amount; both spellings hold an n.
            execute $fn$
                create or replace function {{ target.schema }}.is_valid_amount(value text)
                returns boolean language sql stable parallel safe
                return pg_input_is_valid(value, 'numeric')
                    and strpos(value, 'n') = 0 and strpos(value, 'N') = 0
            $fn$;
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
            -- A plain regex plus a length check: a bounded repetition such as [0-9]{1,18}
            -- costs ten times more per row in PostgreSQL's regex engine (measured here).
            execute $fn$
                create or replace function {{ target.schema }}.is_valid_integer(value text)
                returns boolean language sql stable parallel safe
                return value ~ '^-?[0-9]+$' and length(value) <= 9
            $fn$;
            execute $fn$
                create or replace function {{ target.schema }}.is_valid_bigint(value text)
                returns boolean language sql stable parallel safe
                return value ~ '^-?[0-9]+$' and length(value) <= 18
            $fn$;
            execute $fn$
                create or replace function {{ target.schema }}.is_valid_amount(value text)
                returns boolean language sql stable parallel safe
                return value ~ '^-?[0-9]+(\.[0-9]+)?$'
            $fn$;
        end if;
    end
    $do$;
{% endmacro %}

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
