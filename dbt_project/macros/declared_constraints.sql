{% macro enforce_declared_constraints() -%}
    {#- Make the table carry the constraints its YAML declares: not_null and check on columns,
        check and unique on the model. dbt applies declared constraints only under an
        enforced contract, whose create-then-insert build gives up PostgreSQL's parallel
        CREATE TABLE AS; this post-hook adds them to the table dbt built, inside the model's
        transaction instead:
        - a violation fails the model with PostgreSQL's own message naming the column or
          the constraint, and the table the night before stays in place (a data test runs
          after the new table has replaced it);
        - an incremental table checks every later write itself, so nightly runs only look
          the constraints up in the catalog (no lock, no scan);
        - one test node less per constraint: a data test costs a nightly build 30-60 ms of
          dbt's own work each, on the critical path (docs/decisions/0007).
        A unique constraint treats nulls as equal (NULLS NOT DISTINCT, PostgreSQL 15+), as a
        grouped test would: the pooled rows of the summaries have no salon. It is left to a
        configured unique index on the same columns when that index already holds it (its
        columns all declared not_null). PostgreSQL names each index, so the table a rebuild
        replaces, still there until commit, never collides with it. Each check constraint
        keeps its declared expression as its comment, so a changed expression is replaced,
        and constraints no longer declared are dropped (an incremental model that declares
        none at all is left as it is: full-refresh it). -#}
    {#- Under an enforced contract dbt creates the table with its constraints itself. -#}
    {%- if not execute or model.contract.enforced -%}{{ return('') }}{%- endif -%}
    {%- set declared = _declared_constraints() -%}
    {%- if not (declared.not_null or declared.checks or declared.uniques) -%}
        {{ return('') }}
    {%- endif -%}
    {%- if config.get('materialized') not in ('table', 'incremental') -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ " is a " ~ config.get('materialized') ~ ": PostgreSQL enforces "
            ~ "constraints on tables only. Declare its checks as data_tests instead.") }}
    {%- endif %}
    do $constraints$
    declare
        target constant regclass := '{{ this }}'::regclass;
        not_null_columns constant text[] := {{ text_array_literal(declared.not_null) }};
        check_names constant text[] := {{ text_array_literal(declared.checks | map(attribute='name') | list) }};
        check_expressions constant text[] := {{ text_array_literal(declared.checks | map(attribute='expression') | list) }};
        -- Each unique key as its columns in declared order, comma-separated.
        unique_keys constant text[] := {{ text_array_literal(declared.uniques) }};
        unique_kind constant text := case
            when current_setting('server_version_num')::integer >= 150000
                then 'unique nulls not distinct' else 'unique' end;
        missing text;
        changes text[] := '{}';
        comments text[] := '{}';
    begin
        select string_agg(declared_name, ', ') into missing
        from unnest(not_null_columns) as declared_name
        where not exists (
            select from pg_attribute
            where attrelid = target and attname = declared_name and attnum > 0 and not attisdropped
        );
        if missing is not null then
            raise exception '% declares not_null on %, which it does not have', target, missing;
        end if;

        -- NOT NULL on exactly the declared columns (dbt never creates any itself).
        select coalesce(array_agg(
            format('alter column %I %s not null', attname, case when attnotnull then 'drop' else 'set' end)
            order by attnum), '{}')
        into changes
        from pg_attribute
        where
            attrelid = target and attnum > 0 and not attisdropped
            and attnotnull <> (attname = any(not_null_columns));

        -- Check constraints: drop those no longer declared or whose declared expression
        -- changed, add those missing.
        select changes || coalesce(array_agg(format('drop constraint %I', conname)), '{}')
        into changes
        from pg_constraint
        where
            conrelid = target and contype = 'c'
            and obj_description(oid, 'pg_constraint') is distinct from
            check_expressions[array_position(check_names, conname::text)];
        select
            changes || coalesce(array_agg(
                format('add constraint %I check (%s)', declared.name, declared.expression)
            ), '{}'),
            coalesce(array_agg(format(
                'comment on constraint %I on %s is %L', declared.name, target, declared.expression
            )), '{}')
        into changes, comments
        from unnest(check_names, check_expressions) as declared (name, expression)
        where not exists (
            select from pg_constraint
            where conrelid = target and conname = declared.name
                and obj_description(oid, 'pg_constraint') = declared.expression
        );
        -- Unique keys, compared as column sets: drop unique constraints no longer declared,
        -- add each declared key no unique index holds yet.
        with unique_indexes as (
            select
                indexes.indexrelid,
                indexes.indnullsnotdistinct as nulls_not_distinct,
                (
                    select array_agg(attname::text order by attname)
                    from pg_attribute
                    where attrelid = target and attnum = any(indexes.indkey)
                ) as key_columns
            from pg_index as indexes
            where
                indexes.indrelid = target and indexes.indisunique
                and indexes.indpred is null and indexes.indexprs is null
        ),

        declared_keys as (
            select
                declared_key,
                (
                    select array_agg(trim(key_column) order by trim(key_column))
                    from unnest(string_to_array(declared_key, ',')) as key_column
                ) as key_columns
            from unnest(unique_keys) as declared_key
        )

        select changes
            || coalesce((
                select array_agg(format('drop constraint %I', constraints.conname))
                from pg_constraint as constraints
                inner join unique_indexes on constraints.conindid = unique_indexes.indexrelid
                where
                    constraints.conrelid = target and constraints.contype = 'u'
                    and unique_indexes.key_columns not in (select key_columns from declared_keys)
            ), '{}')
            || coalesce((
                select array_agg(format('add %s (%s)', unique_kind, declared_keys.declared_key))
                from declared_keys
                where not exists (
                    select from unique_indexes
                    where
                        unique_indexes.key_columns = declared_keys.key_columns
                        and (
                            unique_indexes.nulls_not_distinct
                            or declared_keys.key_columns <@ not_null_columns
                        )
                )
            ), '{}')
        into changes;

        if cardinality(changes) > 0 then
            -- One statement: PostgreSQL verifies every added constraint in one scan.
            execute format('alter table %s %s', target, array_to_string(changes, ', '));
        end if;
        for i in 1 .. cardinality(comments) loop
            execute comments[i];
        end loop;
    end
    $constraints$
{%- endmacro %}

{% macro _declared_constraints() -%}
    {#- The model's declared not_null columns, check constraints (name, expression) and
        unique keys (columns, comma-separated). -#}
    {%- set declared = {'not_null': [], 'checks': [], 'uniques': []} -%}
    {%- for column in model.columns.values() -%}
        {%- for constraint in column.constraints -%}
            {%- if constraint.type == 'not_null' -%}
                {%- do declared.not_null.append(column.name) -%}
            {%- elif constraint.type == 'check' -%}
                {%- do declared.checks.append({
                    'name': constraint.name or (column.name ~ '_check'),
                    'expression': constraint.expression}) -%}
            {%- else -%}
                {{ _unsupported_constraint(constraint, column.name) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for constraint in model.constraints -%}
        {%- if constraint.type == 'check' and constraint.name -%}
            {%- do declared.checks.append(
                {'name': constraint.name, 'expression': constraint.expression}) -%}
        {%- elif constraint.type == 'unique' -%}
            {%- do declared.uniques.append(constraint.columns | join(', ')) -%}
        {%- else -%}
            {{ _unsupported_constraint(constraint, none) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(declared) }}
{%- endmacro %}

{% macro _unsupported_constraint(constraint, column_name) -%}
    {{ exceptions.raise_compiler_error(
        model.name ~ (("." ~ column_name) if column_name else "") ~ ": constraint type "
        ~ constraint.type ~ " is not enforced here (not_null and check on columns; check with"
        ~ " a name and unique on models). Declare it as a data test.") }}
{%- endmacro %}
