{#- The two generic tests we would otherwise take from dbt_utils (no dbt packages here). -#}

{% test expression_is_true(model, expression, column_name=none, aggregate=false, where_clause=none) %}
{#- Rows (or, with aggregate, the one aggregate row) for which the expression is false. -#}
    {%- if aggregate %}
        select 1 as failure
        from {{ model }}
        having not ({{ expression }})
    {%- else %}
        select *
        from {{ model }}
        where not ({{ expression }})
        {%- if where_clause %} and ({{ where_clause }}){% endif %}
    {%- endif %}
{% endtest %}

{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
