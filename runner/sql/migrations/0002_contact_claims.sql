-- Claims: the database, not a read-then-write check, decides whether a client may be contacted.
-- One row per (salon, client) holding the last contact; a claim is a single INSERT .. ON
-- CONFLICT DO UPDATE .. WHERE that only succeeds when that contact is older than the cooldown,
-- so two runners, a restart or a manual re-run can never both win.

create table reactivation.client_contact_claims (
    company_id integer not null,
    client_id integer not null,
    last_contacted_at timestamptz not null,
    previous_contacted_at timestamptz,
    run_id bigint references reactivation.campaign_runs (run_id),
    history_id bigint references reactivation.client_reactivation_history (history_id),
    primary key (company_id, client_id)
);

comment on table reactivation.client_contact_claims is
'One row per salon client we contacted (or held out): the last contact, which the atomic claim '
'compares against the cooldown.';
