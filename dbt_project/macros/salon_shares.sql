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

{% macro whole_salon_shares_per_worker(unsplit_scans=false) -%}
    {#- Pre-hooks (`set local`: this model's transaction only):
        - no gather merge: it would merge the branches' sorted output in the leader;
        - the leader does not work a branch itself: while it did, the workers stood waiting
          for it to read their rows;
        - unsplit_scans: no scan is split between workers. Where the planner finds a parallel
          step inside each branch cheaper, it runs the branches one after another and the
          leader aggregates each alone. The price: the model's own indexes, built in the same
          transaction, are built by one process too (0.3-0.5 s more on a million rows). -#}
    {%- set settings = [
        'set local enable_gathermerge = off',
        'set local parallel_leader_participation = off',
    ] -%}
    {%- if unsplit_scans -%}
        {%- do settings.append("set local min_parallel_table_scan_size = '1TB'") -%}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}
