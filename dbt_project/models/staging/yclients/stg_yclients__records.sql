-- The well-formed records: the newest version of each, one row per (company, record).
with cache_records as (
    select * from {{ ref('stg_yclients__cache_records') }}
),

well_formed as (
    select
        cache_records.company_id,
        cache_records.record_id,
        cache_records.client_id,
        cache_records.staff_id,
        cache_records.cache_key,
        cache_records.client_name,
        cache_records.client_phone,
        cache_records.staff_name,
        cache_records.comment,
        cache_records.services,
        cache_records.attendance,
        cache_records.is_deleted,
        cache_records.is_online,
        cache_records.start_date,
        cache_records.started_at,
        cache_records.created_at,
        cache_records.last_changed_at,
        cache_records.source_cached_at,
        cache_records.staged_at
    from cache_records
    where cache_records.quarantine_reason is null
)

select * from well_formed
