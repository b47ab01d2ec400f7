{% macro join_touched_clients(alias) -%}
    {#- In an incremental run, keeps only the rows of `alias` whose client is in the model's
        touched_clients step; in a full build, every row. -#}
    {%- if is_incremental() %}
        inner join touched_clients
            on
                {{ alias }}.company_id = touched_clients.company_id
                and {{ alias }}.client_id = touched_clients.client_id
    {%- endif %}
{%- endmacro %}
