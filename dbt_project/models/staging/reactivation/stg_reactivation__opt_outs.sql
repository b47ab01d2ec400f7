with opt_outs as (
    select * from {{ source('reactivation', 'opt_outs') }}
),

renamed as (
    select
        opt_outs.company_id,
        {{ normalize_phone('opt_outs.phone') }} as phone,
        opt_outs.reason,
        opt_outs.source,
        opt_outs.created_at as opted_out_at
    from opt_outs
)

select * from renamed
