{#-
    One row per message in the bot's log, phones normalized like everywhere else. The table is
    optional: where the bot keeps no log this model is empty (same columns) and replies are not
    measured.
-#}
{%- set messages = source('yclients', 'messages') -%}
{%- set found = adapter.get_relation(
    database=messages.database, schema=messages.schema, identifier=messages.identifier
) if execute else none -%}

{% if found %}
    with messages as (
        select * from {{ messages }}
    ),

    renamed as (
        select
            messages.company_id::integer as company_id,
            {{ normalize_phone('messages.client_phone::text') }} as phone,
            messages.direction::text as direction,
            messages.content::text as content,
            messages.created_at::timestamptz as created_at
        from messages
    )

    select * from renamed
{% else %}
    select
        null::integer as company_id,
        null::text as phone,
        null::text as direction,
        null::text as content,
        null::timestamptz as created_at
    where false
{% endif %}
