-- Every candidate is due by its own interval and not past the maximum lapse.
select candidates.*
from {{ ref('reactivation_candidates') }} as candidates
where
    candidates.days_since_last_visit < candidates.interval_days * {{ var('due_factor') }}
    or candidates.days_since_last_visit > {{ var('max_lapse_days') }}
