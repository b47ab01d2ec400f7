{% macro phone_digits(text_expression) -%}
    {#- The digits of a phone; translate() handles the usual punctuation without a regex. -#}
    case
        when translate({{ text_expression }}, '+ ()-.', '') ~ '^[0-9]*$'
            then translate({{ text_expression }}, '+ ()-.', '')
        else regexp_replace({{ text_expression }}, '[^0-9]', '', 'g')
    end
{%- endmacro %}

{% macro normalize_phone_digits(digits) -%}
    {#- The bot's rule on a digits-only value: 8XXXXXXXXXX -> 7XXXXXXXXXX, 9XXXXXXXXX ->
        79XXXXXXXXX, anything not 10-15 digits long is no phone. Mirrors runner/phones.py. -#}
    case
        when length({{ digits }}) = 11 and left({{ digits }}, 1) = '8'
            then '7' || substr({{ digits }}, 2)
        when length({{ digits }}) = 10 and left({{ digits }}, 1) = '9' then '7' || {{ digits }}
        when length({{ digits }}) between 10 and 15 then {{ digits }}
    end
{%- endmacro %}

{% macro normalize_phone(text_expression) -%}
    {#- For small tables; large ones compute phone_digits in a step of their own first. -#}
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
    {#- "Now" for date logic; the var as_of pins it for tests and replays. -#}
    {%- if var('as_of', none) -%}'{{ var("as_of") }}'::timestamptz{%- else -%}now(){%- endif -%}
{%- endmacro %}
