-- Malformed cache elements, kept with the reason, so nothing the bot cached is silently lost.
with cache_records as (
    select * from {{ ref('stg_yclients__cache_records') }}
),

quarantined as (
    select
        cache_records.company_id,
        cache_records.record_key,
        cache_records.cache_key,
        cache_records.quarantine_reason,
        cache_records.raw_record,
        cache_records.source_cached_at,
        cache_records.staged_at
    from cache_records
    where cache_records.quarantine_reason is not null
)

select * from quarantined
