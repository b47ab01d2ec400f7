-- Warns with the number of malformed cache elements staged by the last run (the build stays
-- green; after a full build, all of them); stg_yclients__quarantined_records keeps every one
-- ever seen, with the raw element and the reason. Only the newest batch, through the
-- staged_at index: the count is tonight's news, and reading it costs nothing as history grows.
{{ config(severity='warn') }}

select
    quarantined.company_id,
    quarantined.cache_key,
    quarantined.quarantine_reason
from {{ ref('stg_yclients__quarantined_records') }} as quarantined
where quarantined.staged_at = {{ newest_staged_at(ref('stg_yclients__cache_records')) }}
