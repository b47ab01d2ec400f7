with clients as (
    select * from {{ source('yclients', 'clients') }}
),

renamed as (
    select
        clients.id as client_id,
        clients.company_id,
        clients.yclients_client_id,
        {{ normalize_phone('clients.phone') }} as phone,
        nullif(trim(clients.name), '') as client_name,
        coalesce(clients.is_deleted, false) as is_deleted,
        coalesce(clients.blacklisted, false) as is_blacklisted,
        clients.updated_at
    from clients
)

select * from renamed
