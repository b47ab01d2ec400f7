{#- Phones, by the bot's rule (mirrors runner/phones.py): keep the digits; 8XXXXXXXXXX ->
    7XXXXXXXXXX, 9XXXXXXXXX -> 79XXXXXXXXX; anything not 10-15 digits long is no phone. -#}

{% macro phone_digits(text_expression) -%}
    regexp_replace({{ text_expression }}, '[^0-9]', '', 'g')
{%- endmacro %}

{% macro phone_from_digits(digits) -%}
    {#- Length and prefix tests, not a regular expression: PostgreSQL's regex engine spent
        1.3 µs a phone on the counted repetitions this rule needs, these take 0.15 µs. They
        name the digits up to four times and an inlined expression is computed again for each
        mention, so on a big table pass a column that holds the digits already
        (stg_yclients__cache_records strips each record's phone once, after dedupe). -#}
    case
        when length({{ digits }}) = 11 and {{ digits }} like '8%'
            then '7' || substr({{ digits }}, 2)
        when length({{ digits }}) = 10 and {{ digits }} like '9%' then '7' || {{ digits }}
        when length({{ digits }}) between 10 and 15 then {{ digits }}
    end
{%- endmacro %}

{% macro normalize_phone(text_expression) -%}
    {#- For tables of thousands of rows: strips the text again for each mention of the digits. -#}
    {{ phone_from_digits(phone_digits(text_expression)) }}
{%- endmacro %}

{% macro lower_cyrillic(text_expression) -%}
    {#- lower() ignores Cyrillic under the C locale (as in pgserver's cluster): map it by hand. -#}
    translate(
        lower({{ text_expression }}),
        'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ',
        'абвгдеёжзийклмнопрстуфхцчшщъыьэюя'
    )
{%- endmacro %}

{% macro stable_unit_hash(text_expression) -%}
    {#- A number in [0, 1) from md5: stable across servers and versions, unlike hashtext(). -#}
    (('x' || substr(md5({{ text_expression }}), 1, 8))::bit(32)::bigint / 4294967296.0)
{%- endmacro %}

{% macro local_today(timezone_expression) -%}
    {#- Today's date in a salon's timezone ('null' = the server's). -#}
    {%- if timezone_expression == 'null' -%}
        ({{ now_or_as_of() }})::date
    {%- else -%}
        (({{ now_or_as_of() }}) at time zone {{ timezone_expression }})::date
    {%- endif -%}
{%- endmacro %}

{% macro now_or_as_of() -%}
    {#- "Now" for date logic. Pinned for tests and replays by the var as_of, or by
        REACTIVATION_AS_OF in the environment, which is how the runner passes it. A changed
        var makes dbt parse the whole project again (2 s); an environment variable read while
        dbt parses makes it parse again every file that uses it (a dozen, 1.4 s) whenever the
        value changes. So it is read only when the model runs (`execute`): the SQL dbt runs
        has the value, and the parse never depends on it. -#}
    {%- set as_of = var('as_of', none) -%}
    {%- if not as_of and execute -%}
        {%- set as_of = env_var('REACTIVATION_AS_OF', '') -%}
    {%- endif -%}
    {%- if as_of -%}'{{ as_of }}'::timestamptz{%- else -%}now(){%- endif -%}
{%- endmacro %}

{% macro normalized_title(text_expression) -%}
    {#- A service title as people vary it: case, ё, and runs of spaces ignored. -#}
    translate(
        {{ lower_cyrillic("regexp_replace(trim(" ~ text_expression ~ "), '\\s+', ' ', 'g')") }},
        'ё',
        'е'
    )
{%- endmacro %}

{% macro history_service_titles(titles_json) -%}
    {#- The service titles of a visit_history entry (staged as their JSON array), in order,
        tidied: a lateral subquery of service_title and service_position. -#}
    lateral (
        select
            nullif(trim(title.value), '') as service_title,
            title.position::integer as service_position
        from jsonb_array_elements_text({{ titles_json }}) with ordinality as title (value, position)
    )
{%- endmacro %}

{% macro no_history_day() -%}
    {#- The day columns of stg_yclients__visit_history, all null: for a row that stands for a
        client's sync, not for an entry of it. -#}
    null::date as start_date,
    null::timestamptz as starts_at,
    null::jsonb as service_titles,
    null::text as status,
    null::integer as attendance,
    null::numeric as cost
{%- endmacro %}

{% macro text_array_literal(values) -%}
    {#- A text[] literal of the values, each dollar-quoted: as written in the YAML, whatever
        quotes it holds. -#}
    array[
        {%- for value in values -%}
            $value${{ value }}$value${{ ', ' if not loop.last }}
        {%- endfor -%}
    ]::text[]
{%- endmacro %}
