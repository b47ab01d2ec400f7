{#-
    Casting untrusted JSON text. A malformed record must be quarantined, not crash the build, so
    every cast of record text is guarded. Ids and numbers are guarded by a regular expression;
    timestamps need a real parse ("2025-02-30" looks right), done by `is_valid_timestamptz`,
    created at the start of every run: an inlinable wrapper of pg_input_is_valid on
    PostgreSQL 16+, a PL/pgSQL fallback (slower, same answer) on older servers.
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

{#- Digits by a plain regex plus a length check: a bounded repetition such as [0-9]{1,18}
    costs ten times more per row in PostgreSQL's regex engine (measured here). -#}
{% macro safe_bigint(text_expression) -%}
    case
        when {{ text_expression }} ~ '^-?[0-9]+$' and length({{ text_expression }}) <= 18
            then ({{ text_expression }})::bigint
    end
{%- endmacro %}

{% macro safe_integer(text_expression) -%}
    case
        when {{ text_expression }} ~ '^-?[0-9]+$' and length({{ text_expression }}) <= 9
            then ({{ text_expression }})::integer
    end
{%- endmacro %}

{% macro safe_numeric(text_expression) -%}
    case
        when {{ text_expression }} ~ '^-?[0-9]+(\.[0-9]+)?$' then ({{ text_expression }})::numeric
    end
{%- endmacro %}

{% macro safe_boolean(text_expression) -%}
    case
        when {{ text_expression }} in ('true', 'True', 'TRUE', '1', 't') then true
        when {{ text_expression }} in ('false', 'False', 'FALSE', '0', 'f', '') then false
    end
{%- endmacro %}
