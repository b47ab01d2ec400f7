with history as (
    select * from {{ source('reactivation', 'client_reactivation_history') }}
),

renamed as (
    select
        history.history_id,
        history.run_id,
        history.company_id,
        history.client_id,
        history.phone,
        history.arm,
        history.status,
        history.skip_reason,
        history.interval_tier,
        history.message_source,
        history.fallback_reason,
        history.interval_days,
        history.claimed_at,
        history.sent_at,
        history.updated_at,
        -- The moment the client was (or, for the holdout, would have been) contacted.
        coalesce(history.sent_at, history.claimed_at) as contacted_at
    from history
)

select * from renamed
