{% macro in_key_set(key, key_set) -%}
    {#- Whether a key (one or more columns) is in a relation of such keys without nulls, false
        when the key is null. As `(key) in (set)` PostgreSQL hashes the set once and looks each
        row up; a correlated EXISTS (with an OR across client id and phone, as the guards had)
        was an index probe per row and set. -#}
    coalesce(({{ key }}) in (select {{ key_set }}.* from {{ key_set }}), false)
{%- endmacro %}
