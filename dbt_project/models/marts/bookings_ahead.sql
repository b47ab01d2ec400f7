{{ config(materialized='view') }}

{#-
    Every bot booking ahead of now, read live from the bot's table (a view over a view): the
    runner's claim checks it the moment before it contacts a client, so a booking made since
    the build still stops the message. Either layout.
-#}

select
    current_bookings.company_id,
    current_bookings.client_id,
    current_bookings.phone,
    current_bookings.booking_id,
    current_bookings.status,
    current_bookings.starts_at
from {{ ref('stg_yclients__bookings_current') }} as current_bookings
where
    current_bookings.status in ('pending', 'confirmed', 'active')
    and current_bookings.starts_at > now()
