-- The runner's own tables. The bot's tables (public.*) are never written by the runner.

create table reactivation.campaign_runs (
    run_id bigint generated always as identity primary key,
    company_id integer,
    command text not null,
    is_live boolean not null,
    status text not null default 'running'
    check (status in ('running', 'completed', 'aborted', 'interrupted', 'failed')),
    counts jsonb not null default '{}'::jsonb,
    errors jsonb not null default '[]'::jsonb,
    started_at timestamptz not null default now(),
    finished_at timestamptz
);

comment on table reactivation.campaign_runs is
'One row per campaign run of one salon: status, counts by outcome, per-client errors.';

create table reactivation.client_reactivation_history (
    history_id bigint generated always as identity primary key,
    run_id bigint references reactivation.campaign_runs (run_id),
    company_id integer not null,
    client_id integer not null,
    phone varchar(20) not null,
    arm text not null
    check (arm in ('holdout', 'control', 'waterfall_template', 'waterfall_ai')),
    status text not null
    check (status in ('claimed', 'sent', 'holdout', 'failed', 'unknown', 'skipped')),
    skip_reason text,
    interval_days integer,
    interval_tier text,
    days_since_last_visit integer,
    last_service_title text,
    message_text text,
    message_source text check (message_source in ('ai', 'template')),
    fallback_reason text,
    whatsapp_message_id text,
    context_status text
    check (context_status in ('pending', 'saved', 'parked', 'replayed', 'expired')),
    context_payload jsonb,
    error text,
    claimed_at timestamptz not null default now(),
    sent_at timestamptz,
    updated_at timestamptz not null default now()
);

comment on table reactivation.client_reactivation_history is
'One row per client per campaign decision: sent, holdout, failed, unknown or skipped.';

create index client_reactivation_history_client_idx
on reactivation.client_reactivation_history (company_id, client_id, claimed_at desc);

create table reactivation.opt_outs (
    company_id integer not null,
    phone varchar(20) not null,
    reason text,
    source text not null default 'operator',
    created_at timestamptz not null default now(),
    primary key (company_id, phone)
);

comment on table reactivation.opt_outs is
'Clients who asked not to be messaged, per salon and normalized phone.';
