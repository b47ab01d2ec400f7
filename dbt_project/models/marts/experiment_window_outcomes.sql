{#-
    Intent to treat, per client: one row per experiment window of the current experiment
    (experiment_windows, var experiment_salt) - did the client book inside the window,
    messaged or not, and was the window still open. A booking counts when it was created
    (the salon's local day) between opens_on and closes_on inclusive, whatever the arm and
    whether the arm's message had gone out: that is what makes the arms comparable.
-#}

with windows as (
    select * from {{ ref('experiment_windows') }}
),

bookings as (
    select * from {{ ref('int_client_bookings_unioned') }}
),

history as (
    select * from {{ ref('stg_reactivation__history') }}
),

companies as (
    select * from {{ ref('stg_yclients__companies') }}
),

current_windows as (
    select
        windows.*,
        companies.timezone,
        {{ local_today('companies.timezone') }} as today_local
    from windows
    inner join companies on windows.company_id = companies.company_id
    where windows.experiment_salt = '{{ var("experiment_salt") }}'
),

window_bookings as (
    select
        current_windows.company_id,
        current_windows.client_id,
        min(bookings.booking_created_at) as first_booked_at,
        bool_or(bookings.is_visit) as visited,
        sum(bookings.revenue) as revenue
    from current_windows
    inner join bookings
        on
            current_windows.company_id = bookings.company_id
            and current_windows.client_id = bookings.client_id
            and (bookings.booking_created_at at time zone current_windows.timezone)::date
            between current_windows.opens_on and current_windows.closes_on
    group by current_windows.company_id, current_windows.client_id
),

window_contacts as (
    select
        current_windows.company_id,
        current_windows.client_id,
        bool_or(history.status = 'sent') as was_messaged,
        min(history.contacted_at) as first_contacted_at
    from current_windows
    inner join history
        on
            current_windows.company_id = history.company_id
            and current_windows.client_id = history.client_id
            and history.status in ('sent', 'holdout')
            and (history.contacted_at at time zone current_windows.timezone)::date
            between current_windows.opens_on and current_windows.closes_on
    group by current_windows.company_id, current_windows.client_id
),

final as (
    select
        current_windows.company_id,
        current_windows.client_id,
        current_windows.arm,
        current_windows.opens_on,
        current_windows.closes_on,
        current_windows.excluded_reason,
        current_windows.excluded_reason is null as is_eligible,
        current_windows.closes_on < current_windows.today_local as is_window_closed,
        window_bookings.first_booked_at is not null as converted,
        coalesce(window_bookings.visited, false) as visited,
        coalesce(window_bookings.revenue, 0)::numeric(12, 2) as revenue,
        window_bookings.first_booked_at as converted_at,
        coalesce(window_contacts.was_messaged, false) as was_messaged,
        window_contacts.first_contacted_at
    from current_windows
    left join window_bookings
        on
            current_windows.company_id = window_bookings.company_id
            and current_windows.client_id = window_bookings.client_id
    left join window_contacts
        on
            current_windows.company_id = window_contacts.company_id
            and current_windows.client_id = window_contacts.client_id
)

select * from final
