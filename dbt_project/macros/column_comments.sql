{% macro comment_documented_columns() -%}
    {#- The descriptions of the model's YAML columns as its table's column comments, for the
        analysts who read the marts in psql. dbt's persist_docs for columns first looked each
        table's columns up from Python, a full macro context a lookup (about 0.3 s of dbt's own
        work in a nightly build, on its longest chain); this is one statement. A documented
        column the table lacks is skipped, as dbt's was, and a comment already in place is
        left alone, so an incremental mart takes no lock for it. -#}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set names = [] -%}
    {%- set descriptions = [] -%}
    {%- for column in model.columns.values() if column.description -%}
        {%- do names.append(column.name | lower) -%}
        {%- do descriptions.append(column.description) -%}
    {%- endfor -%}
    {%- if not names -%}{{ return('') }}{%- endif %}
    do $comments$
    declare
        target constant regclass := '{{ this }}'::regclass;
        documented record;
    begin
        for documented in
            select attribute.attname, described.description
            from unnest(
                {{ text_array_literal(names) }}, {{ text_array_literal(descriptions) }}
            ) as described (column_name, description)
            inner join pg_attribute as attribute
                on attribute.attrelid = target
                and attribute.attname = described.column_name
                and attribute.attnum > 0 and not attribute.attisdropped
            where col_description(target, attribute.attnum) is distinct from described.description
        loop
            execute format(
                'comment on column %s.%I is %L', target, documented.attname, documented.description
            );
        end loop;
    end
    $comments$
{%- endmacro %}
