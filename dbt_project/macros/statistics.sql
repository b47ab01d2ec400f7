{% macro analyze_when_stale() -%}
    {#- ANALYZE this model (or seed) when it has no statistics yet or its row
        count moved by more than a tenth since they were taken; otherwise leave it to
        autovacuum. A rebuilt table is always analyzed. A nightly incremental run adds a
        fraction of a percent: sampling a million-row table then cost more than the run's own
        work (1.2 s, and after a full build it first waited for autovacuum's lock). The
        filters on the newest rows (staged_at, processed_at) stay well estimated without it:
        they are indexed, and the planner reads the true newest value from the index.
        A model that no other model reads is not analyzed: the statistics are for the next
        model's plan, and the runner's and tests' reads of a mart are single-table scans
        (0.2 s of every night for the candidates' 35k wide rows). Autovacuum still gets to
        it. A model may name the columns its readers join and filter on (config
        analyze_columns): statistics of the others are left to autovacuum. -#}
    {%- if execute and not _is_read_by_a_model(model.unique_id) -%}
        {{ return('') }}
    {%- endif %}
    do $analyze$
    begin
        if exists (
            select 1
            from pg_stat_all_tables as stats
            inner join pg_class on stats.relid = pg_class.oid
            where
                stats.relid = '{{ this }}'::regclass
                and (
                    coalesce(stats.last_analyze, stats.last_autoanalyze) is null
                    or abs(stats.n_live_tup - pg_class.reltuples)
                    > 0.1 * greatest(pg_class.reltuples, 50)
                )
        ) then
            {%- set columns = config.get('analyze_columns') %}
            analyze {{ this }}{% if columns %} ({{ columns | join(', ') }}){% endif %};
        end if;
    end
    $analyze$
{%- endmacro %}

{% macro _is_read_by_a_model(unique_id) -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and unique_id in node.depends_on.nodes -%}
        {{ return(true) }}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}
