{#-
    One row per booking in the bot's table now, keyed by the YClients record id and the
    YClients client id in both layouts: a view, so the runner's claim sees a booking made a
    minute ago (through the bookings_ahead mart) and stg_yclients__bookings keeps each one.
    Production bookings hold the salon's wall time without a zone and the bot's UTC clock
    without a zone; the seed layout keeps both as timestamptz. Statuses keep the bot's words:
    completed (came), no_show, cancelled, and pending / confirmed / active (ahead), past.
-#}
{%- set bookings_source = source('yclients', 'bookings') -%}
{%- set clients_source = source('yclients', 'clients') -%}
{%- set columns = relation_columns(bookings_source) -%}
{%- set production = source_layout() == 'production' %}

with bookings as (
    select * from {{ bookings_source }}
),

companies as (
    select * from {{ ref('stg_yclients__companies') }}
),

{% if not production %}
    clients as (
        -- The seed layout's bookings name the bot's serial client id.
        select * from {{ clients_source }}
    ),
{% endif %}

renamed as (
    select
        bookings.company_id::integer as company_id,
        {%- if production %}
            bookings.yclients_record_id::bigint as booking_id,
            bookings.client_yclients_id::bigint as client_id,
            {{ normalize_phone('bookings.client_phone::text') }} as phone,
            {{ optional_column(columns, 'bookings', 'service_ids', 'null::bigint[]',
                'bookings name no services') }}::bigint[] as service_ids,
        {%- else %}
            coalesce(bookings.yclients_booking_id::bigint, -bookings.id) as booking_id,
            clients.yclients_client_id::bigint as client_id,
            {{ normalize_phone('clients.phone::text') }} as phone,
            array_remove(array[bookings.service_id::bigint], null) as service_ids,
        {%- endif %}
        lower(bookings.status::text) as status,
        bookings.cost::numeric as cost,
        {{ as_salon_timestamptz(columns, 'bookings', 'datetime', 'companies.timezone') }}
            as starts_at,
        {{ as_utc_timestamptz(columns, 'bookings', 'created_at') }} as created_at,
        {{ as_utc_timestamptz(columns, 'bookings', 'updated_at') }} as updated_at
    from bookings
    inner join companies
        on bookings.company_id = companies.company_id
    {%- if not production %}
        left join clients
            on bookings.client_id = clients.id
    {%- endif %}
)

select * from renamed
