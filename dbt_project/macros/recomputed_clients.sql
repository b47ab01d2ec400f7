{#-
    Models incremental by client (int_visits_deduplicated and the models built on it) recompute
    the clients int_clients_to_recompute says were touched since the model's own newest
    processed_at. The pre-hook deletes those clients' rows first and the model appends their
    new rows, so a client left with no rows loses the old ones as well.
    Each model must also ref('int_clients_to_recompute') in its body (dbt's dependency order).
-#}

{% macro recomputed_clients() -%}
    select
        to_recompute.company_id,
        to_recompute.client_id
    from {{ ref('int_clients_to_recompute') }} as to_recompute
    where to_recompute.touched_at > {{ incremental_watermark('processed_at') }}
{%- endmacro %}

{% macro delete_recomputed_clients() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as stale
        using ({{ recomputed_clients() }}) as recomputed
        where
            stale.company_id = recomputed.company_id
            and stale.client_id = recomputed.client_id
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

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
