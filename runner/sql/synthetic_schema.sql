-- Ground truth written by `reactivate generate-data`, for tests and benchmarks only.

create schema if not exists synthetic;

create table if not exists synthetic.datasets (
    seed bigint not null,
    companies integer not null,
    clients_per_company integer not null,
    years numeric not null,
    record_count bigint not null,
    cache_row_count bigint not null,
    as_of timestamptz not null,
    generated_at timestamptz not null default now()
);

comment on table synthetic.datasets is
'One row: the parameters of the synthetic data set currently in this database.';

create table if not exists synthetic.service_rhythms (
    company_id integer not null,
    yclients_service_id integer not null,
    title text not null,
    typical_interval_days numeric not null,
    primary key (company_id, yclients_service_id)
);

comment on table synthetic.service_rhythms is
'One row per salon service: the rhythm the generator drew its clients around.';

create table if not exists synthetic.client_rhythms (
    company_id integer not null,
    client_id integer not null,
    yclients_client_id integer not null,
    phone varchar(20) not null,
    segment text not null,
    gender text not null,
    favourite_yclients_service_id integer not null,
    true_interval_days numeric not null,
    prior_log_mean double precision not null,
    prior_log_sd double precision not null,
    gap_log_sd double precision not null,
    skip_probability double precision not null,
    is_churned boolean not null,
    churned_at timestamptz,
    visit_count integer not null,
    last_visit_at timestamptz,
    primary key (company_id, client_id)
);

comment on table synthetic.client_rhythms is
'One row per synthetic client: the true personal rhythm and the noise parameters behind it '
'(log-normal gaps around the rhythm, a skipped visit doubling a gap), so an ideal estimator '
'can be computed.';

create table if not exists synthetic.visits (
    company_id integer not null,
    yclients_record_id integer not null,
    yclients_client_id integer not null,
    yclients_service_ids integer[] not null,
    source text not null check (source in ('record', 'booking', 'history')),
    visited_at timestamptz not null,
    primary key (company_id, yclients_record_id)
);

comment on table synthetic.visits is
'One row per visit that really happened to a known client; source booking = only the bot '
'booking shows it, its cache rows are gone.';

create table if not exists synthetic.malformed_records (
    company_id integer not null,
    cache_key varchar(255) not null,
    defect text not null
);

comment on table synthetic.malformed_records is
'One row per malformed record element planted in appointments_cache (date-keyed rows).';
