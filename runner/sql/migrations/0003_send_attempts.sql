-- When the runner is about to hand a message to the gateway it stamps send_started_at and
-- commits first. After a crash, a row still 'claimed' tells its story: no stamp means the
-- message never left (the claim can be released); a stamp means it may have been delivered,
-- so the row becomes 'unknown' and is never resent.

alter table reactivation.client_reactivation_history
add column send_started_at timestamptz;

comment on column reactivation.client_reactivation_history.send_started_at is
'When the message was handed to the gateway; set and committed before the request.';

-- Caps and pacing count a salon's recent send attempts across every runner.
create index client_reactivation_history_send_idx
on reactivation.client_reactivation_history (company_id, send_started_at)
where send_started_at is not null;

alter table reactivation.campaign_runs
add column stop_reason text;

comment on column reactivation.campaign_runs.stop_reason is
'Why a run ended before its last candidate: breaker, window_closed, daily_cap, signal, error.';
