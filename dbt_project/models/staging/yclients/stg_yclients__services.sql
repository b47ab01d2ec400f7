with services as (
    select * from {{ source('yclients', 'services') }}
),

renamed as (
    select
        services.company_id,
        services.yclients_service_id as service_id,
        nullif(trim(services.title), '') as service_title,
        services.category_name,
        services.repeat_visit_days_step,
        services.price_min,
        services.price_max,
        coalesce(services.is_active, true) as is_active
    from services
)

select * from renamed
