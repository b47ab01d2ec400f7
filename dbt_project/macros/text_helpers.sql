{% macro normalize_phone(text_expression) -%}
    {#- The bot's rule: digits only; 8XXXXXXXXXX -> 7XXXXXXXXXX; 9XXXXXXXXX -> 79XXXXXXXXX;
        anything not 10-15 digits long is no phone. Mirrors runner/phones.py. Nested so the
        value is read once per row. -#}
    nullif(
        regexp_replace(
            regexp_replace(
                regexp_replace(
                    regexp_replace({{ text_expression }}, '[^0-9]', '', 'g'),
                    '^8([0-9]{10})$', '7\1'
                ),
                '^(9[0-9]{9})$', '7\1'
            ),
            '^([0-9]{0,9}|[0-9]{16,})$', ''
        ),
        ''
    )
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
