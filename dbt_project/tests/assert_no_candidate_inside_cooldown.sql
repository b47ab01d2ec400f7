-- No client contacted within the cooldown (holdouts included) may be a candidate again.
with candidates as (
    select * from {{ ref('reactivation_candidates') }}
),

history as (
    select * from {{ ref('stg_reactivation__history') }}
)

select
    candidates.company_id,
    candidates.client_id,
    history.contacted_at
from candidates
inner join history
    on
        candidates.company_id = history.company_id
        and candidates.client_id = history.client_id
where
    history.status in ('claimed', 'sent', 'holdout', 'unknown')
    and history.contacted_at > {{ now_or_as_of() }} - interval '{{ var("cooldown_days") }} days'
