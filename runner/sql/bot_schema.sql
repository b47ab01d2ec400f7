-- The bot's tables, in the shape its sync jobs create them (shared/facts/source-data.md).
-- Created only for the demo, the tests and `generate-data`; in production they already exist.
-- companies.id is the YClients company id, as every other table and the Redis keys use it.

create table if not exists public.companies (
    id integer primary key,
    name text not null,
    yclients_company_id integer unique,
    phone varchar(20),
    timezone varchar(64) not null default 'Europe/Moscow',
    locale varchar(16) not null default 'ru-RU',
    is_active boolean not null default true,
    settings jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table if not exists public.clients (
    id serial primary key,
    company_id integer not null,
    yclients_client_id integer,
    phone varchar(20) not null,
    name text,
    email text,
    visits_count integer not null default 0,
    last_visit_date date,
    first_visit_date date,
    tags text[] not null default '{}',
    is_deleted boolean not null default false,
    blacklisted boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (company_id, phone)
);

create index if not exists clients_yclients_client_idx
on public.clients (company_id, yclients_client_id);

create table if not exists public.services (
    id serial primary key,
    company_id integer not null,
    yclients_service_id integer not null,
    title text not null,
    category_id integer,
    category_name text,
    price_min numeric(10, 2),
    price_max numeric(10, 2),
    duration integer,
    repeat_visit_days_step integer,
    declensions jsonb,
    is_active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (company_id, yclients_service_id)
);

create table if not exists public.bookings (
    id serial primary key,
    company_id integer not null,
    yclients_booking_id integer,
    client_id integer,
    service_id integer,
    staff_id integer,
    datetime timestamptz not null,
    duration integer,
    status varchar(20) not null default 'pending'
    check (status in ('pending', 'confirmed', 'completed', 'cancelled', 'no_show')),
    cost numeric(10, 2),
    source varchar(32) not null default 'whatsapp',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (company_id, yclients_booking_id)
);

create table if not exists public.appointments_cache (
    id serial primary key,
    company_id integer not null,
    cache_key varchar(255) not null,
    appointments jsonb not null,
    cached_at timestamptz default now(),
    expires_at timestamptz not null,
    unique (company_id, cache_key)
);

create index if not exists appointments_cache_company_idx
on public.appointments_cache (company_id);

create index if not exists appointments_cache_expires_idx
on public.appointments_cache (expires_at);
