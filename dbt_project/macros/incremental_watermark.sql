{% macro incremental_watermark(column) -%}
    {#- The newest value of `column` already in this incremental model, as a literal. Looked up
        before the model's query is planned, so the planner knows how few rows are new (a
        subquery here made it plan for millions and scan whole indexes). In a unit test `this`
        is a fixture CTE that cannot be queried ahead, so it stays a subquery there. -#}
    {%- if execute and is_incremental() and model.resource_type == 'unit_test' -%}
        (select coalesce(max({{ column }}), '-infinity'::timestamptz) from {{ this }})
    {%- elif execute and is_incremental() -%}
        {{ newest_timestamp(this, column) }}
    {%- else -%}
        '-infinity'::timestamptz
    {%- endif -%}
{%- endmacro %}

{% macro newest_timestamp(relation, column) -%}
    {#- max(column) of a relation, looked up now and written as a timestamptz literal
        ('-infinity' when empty): the planner estimates a constant, not a subquery. -#}
    {%- set query -%}
        select coalesce(max({{ column }}), '-infinity')::text from {{ relation }}
    {%- endset -%}
    '{{ run_query(query).columns[0].values()[0] }}'::timestamptz
{%- endmacro %}
