-- The build's seeds (experiment arms, industry intervals) change only with their files: the
-- fingerprint of the files the last build loaded, so later builds can leave the seeds and
-- their tests out (runner/dbt_seeds.py). One row; no row means the next build loads them.
create table reactivation.loaded_seeds (
    fingerprint text primary key,
    loaded_at timestamptz not null default now()
);
