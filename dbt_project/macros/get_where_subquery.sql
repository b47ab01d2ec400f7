{% macro get_where_subquery(relation) -%}
    {#- dbt's own macro (a test's `where` config), plus one placeholder: `__newest_batch__`
        stands for the newest staged_at of the tested relation. Tests of incremental models
        check the batch the last run wrote, through the staged_at index, instead of rescanning
        every row each night; after a full build the newest batch is every row. The value is
        looked up first and written in as a literal: compared with a subquery the planner
        cannot tell one night's rows from all of them and scans the table. -#}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- if '__newest_batch__' in where -%}
            {%- set where = where | replace('__newest_batch__', newest_staged_at(relation)) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{% macro newest_staged_at(relation) -%}
    {#- The newest staged_at in a relation, as a timestamptz literal (looked up when the node
        runs; a placeholder while dbt parses, or compiles before the relation exists). -#}
    {%- if execute and load_relation(relation) is not none -%}
        {{ newest_timestamp(relation, 'staged_at') }}
    {%- else -%}
        '-infinity'::timestamptz
    {%- endif -%}
{%- endmacro %}
