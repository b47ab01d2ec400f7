with companies as (
    select * from {{ source('yclients', 'companies') }}
),

renamed as (
    select
        companies.id as company_id,
        companies.name as company_name,
        coalesce(nullif(companies.timezone, ''), 'Europe/Moscow') as timezone,
        coalesce(companies.is_active, true) as is_active
    from companies
)

select * from renamed
