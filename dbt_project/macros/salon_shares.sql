{#-
    Heavy full builds split the salons into `salon_shares` groups (a record, a visit, a client
    never crosses salons) and write one UNION ALL branch per group. With the settings below
    PostgreSQL hands each branch whole to one parallel worker, which sorts and aggregates it
    alone, and the leader only gathers finished rows and writes them. One parallel sort or
    aggregate instead leaves the leader merging and finishing millions of rows by itself.
-#}

{% macro salon_share_filter(company_id, share, shares=var('salon_shares')) -%}
    {%- if shares == 1 -%}
        true
    {%- else -%}
        abs({{ company_id }} % {{ shares }}) = {{ share }}
    {%- endif -%}
{%- endmacro %}

{% macro whole_salon_shares_per_worker() -%}
    {#- Pre-hooks (`set local`: this statement's transaction only):
        - no gather merge: it would merge the branches' sorted output in the leader;
        - the leader does not work a branch itself: while it did, the workers stood waiting
          for it to read their rows;
        - each row handed to the leader is priced as the cheap copy it is, and no scan is split
          between workers: else the planner prefers a parallel step inside every branch, whose
          results the leader then sorts and aggregates alone. -#}
    {{ return([
        'set local enable_gathermerge = off',
        'set local parallel_leader_participation = off',
        'set local parallel_tuple_cost = 0.001',
        "set local min_parallel_table_scan_size = '1TB'",
    ]) }}
{%- endmacro %}
