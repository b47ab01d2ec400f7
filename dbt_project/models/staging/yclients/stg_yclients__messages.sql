{#-
    One row per message in the bot's log, phones normalized like everywhere else and the
    direction in one vocabulary: inbound (the client wrote; production says 'incoming') or
    outbound ('outgoing'). The production log keeps its clock in UTC without a zone. The
    table is optional: where the bot keeps no log this model is empty (same columns) and
    replies are not measured.
-#}
{%- set messages = source('yclients', 'messages') -%}
{%- set columns = relation_columns(messages) -%}

{% if columns %}
    with messages as (
        select * from {{ messages }}
    ),

    renamed as (
        select
            messages.company_id::integer as company_id,
            {{ normalize_phone('messages.client_phone::text') }} as phone,
            case lower(messages.direction::text)
                when 'incoming' then 'inbound'
                when 'inbound' then 'inbound'
                when 'outgoing' then 'outbound'
                when 'outbound' then 'outbound'
            end as direction,
            messages.content::text as content,
            {{ as_utc_timestamptz(columns, 'messages', 'created_at') }} as created_at
        from messages
    )

    select * from renamed
{% else %}
    {%- if execute %}
        {{ log("Source messages is absent: replies are not measured", info=True) }}
    {%- endif %}
    select
        null::integer as company_id,
        null::text as phone,
        null::text as direction,
        null::text as content,
        null::timestamptz as created_at
    where false
{% endif %}
