{#- Phones, by the bot's rule (mirrors runner/phones.py): keep the digits; 8XXXXXXXXXX ->
    7XXXXXXXXXX, 9XXXXXXXXX -> 79XXXXXXXXX; anything not 10-15 digits long is no phone.
    Each macro names its argument once: once the planner inlines the step that computed an
    argument, every repeat is computed again (a CASE that named the digits eight times cost
    4 µs a phone, this 1.6 µs). -#}

{% macro phone_digits(text_expression) -%}
    regexp_replace({{ text_expression }}, '[^0-9]', '', 'g')
{%- endmacro %}

{% macro normalize_phone_digits(digits) -%}
    substring(
        regexp_replace({{ digits }}, '^(?:8([0-9]{10})|(9[0-9]{9}))$', '7\1\2')
        from '^[0-9]{10,15}$'
    )
{%- endmacro %}

{% macro normalize_phone(text_expression) -%}
    {{ normalize_phone_digits(phone_digits(text_expression)) }}
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
        REACTIVATION_AS_OF in the environment, which is how the runner passes it: a changed
        var makes dbt parse the whole project again (2 s), a changed environment variable
        only the few files that use it (0.3 s). -#}
    {%- set as_of = var('as_of', none) or env_var('REACTIVATION_AS_OF', '') -%}
    {%- if as_of -%}'{{ as_of }}'::timestamptz{%- else -%}now(){%- endif -%}
{%- endmacro %}
