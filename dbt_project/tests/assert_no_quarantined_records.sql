-- Warns with the number of malformed cache elements in quarantine (the build stays green);
-- look in stg_yclients__quarantined_records for the raw elements and reasons.
{{ config(severity='warn') }}

select
    quarantined.company_id,
    quarantined.cache_key,
    quarantined.quarantine_reason
from {{ ref('stg_yclients__quarantined_records') }} as quarantined
