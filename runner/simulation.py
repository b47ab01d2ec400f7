"""The demo's "two weeks later": clients answer and book back, written where the bot would.

For each client the campaign messaged or held out, a seeded draw decides whether they book
within the next two weeks, and when. The chance depends only on what the client received -
nothing, a template or an AI text - never on the arm's name: run without a Gemini key, every
message is a template and the AI arm books exactly like the template arm. A booking is written
where the bot would keep it: in the seed layout a YClients record in the TTL cache under its
visit date; in the production layout the record in
the per-record cache (as created: the webhook skips attendance updates), the bot's own booking
and, once it happened, an entry in the client's visit_history. Some clients reply, and the
exchange goes into the bot's `messages` log (production: `incoming` / `outgoing`, UTC).
Timestamps lie in the coming two weeks: the demo builds its final report "as of" then.
"""

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from runner.bot_tables import detect_layout

# Chance to book within two weeks, by what the client received (history.message_source; a
# holdout received nothing): the effect the demo's A/B report should recover.
BOOKING_RATE = {"nothing": 0.10, "template": 0.20, "ai": 0.27}
REPLIES = {
    "positive": ("Да, запишите, пожалуйста", "Здравствуйте! Когда можно прийти?", "Давайте"),
    "neutral": ("Спасибо, подумаю", "Добрый день, сейчас в отъезде", "Хорошо, спасибо"),
    "negative": ("Нет, спасибо", "Не хочу пока", "Уже нашла другого мастера, нет"),
    "stop": ("Не пишите мне больше", "Отпишите меня, пожалуйста", "Стоп"),
}
SIMULATED_DAYS = 14
_RECORD_ID_BASE = 900_000_000  # above any id the generator uses

# Through the build's staging views: the same query on either layout of the bot's tables.
CONTACTED = """
select history.history_id, history.company_id, history.client_id,
    coalesce(history.message_source, 'nothing'), history.status, history.phone,
    history.message_text, coalesce(history.sent_at, history.claimed_at),
    clients.client_name, companies.timezone,
    intervals.last_service_id, intervals.last_service_title,
    coalesce(services.price_min, 1500)
from reactivation.client_reactivation_history as history
join analytics.stg_yclients__clients as clients
    on clients.company_id = history.company_id and clients.client_id = history.client_id
join analytics.stg_yclients__companies as companies on companies.company_id = history.company_id
left join analytics.client_intervals as intervals
    on intervals.company_id = history.company_id and intervals.client_id = history.client_id
left join analytics.stg_yclients__services as services
    on services.company_id = history.company_id
    and services.service_id = intervals.last_service_id
where history.status in ('sent', 'holdout')
order by history.history_id
"""

# The seed layout's optional message log, created where the bot keeps none.
SEED_MESSAGES_TABLE = """
create table if not exists public.messages (
    id serial primary key,
    company_id integer not null,
    client_phone varchar(20) not null,
    direction varchar(10) not null check (direction in ('inbound', 'outbound')),
    content text not null,
    created_at timestamptz not null default now()
)
"""

ADD_TO_TTL_CACHE = """
insert into public.appointments_cache as cache
    (company_id, cache_key, appointments, cached_at, expires_at)
values (%(company_id)s, %(cache_key)s, %(records)s, %(cached_at)s, %(expires_at)s)
on conflict (company_id, cache_key) do update
set appointments = case
        when jsonb_typeof(cache.appointments) = 'array'
            then cache.appointments || excluded.appointments
        else excluded.appointments
    end,
    cached_at = greatest(cache.cached_at, excluded.cached_at),
    expires_at = greatest(cache.expires_at, excluded.expires_at)
"""

# Production: the record webhook caches the record as created (attendance 0), the bot's
# bookings table holds the booking it made, and the nightly sync appends the visit to the
# client's visit_history.
ADD_TO_RECORD_CACHE = """
insert into public.appointments_cache
    (yclients_record_id, company_id, client_id, client_phone, appointment_datetime, raw_data,
     created_at, updated_at)
values (%(record_id)s, %(company_id)s, %(client_id)s, %(phone)s, %(starts_at)s, %(record)s,
    %(created_at)s, %(created_at)s)
"""
ADD_BOOKING = """
insert into public.bookings
    (yclients_record_id, company_id, client_phone, client_yclients_id, services, service_ids,
     datetime, date, cost, status, visit_attendance, created_at, updated_at, synced_at,
     created_by_bot)
values (%(record_id)s, %(company_id)s, %(phone)s, %(client_id)s, %(titles)s, %(service_ids)s,
    %(local_start)s, %(local_start)s::date, %(cost)s, %(status)s, %(attendance)s,
    %(created_utc)s, %(settled_utc)s, %(settled_utc)s, true)
"""
APPEND_VISIT_HISTORY = """
update public.clients
set visit_history = coalesce(visit_history, '[]'::jsonb) || %(entry)s,
    last_sync_at = %(settled_utc)s, updated_at = %(settled_utc)s
where company_id = %(company_id)s and yclients_id = %(client_id)s
"""

ADD_MESSAGE = """
insert into public.messages (company_id, client_phone, direction, content, created_at)
values (%s, %s, %s, %s, %s)
"""
# The production log's words for the two directions, and its UTC clock without a zone.
DIRECTIONS = {
    "seed": {"outbound": "outbound", "inbound": "inbound"},
    "production": {"outbound": "outgoing", "inbound": "incoming"},
}


@dataclass(frozen=True)
class SimulatedWeeks:
    bookings: int
    replies: int
    stop_replies: int
    until: datetime


def simulate_following_weeks(conn: psycopg.Connection, seed: int = 42) -> SimulatedWeeks:
    """Write two weeks of bookings and replies after the last campaign; return what was made.

    Runs after a build: it finds the contacted clients through the staging views, and writes
    in whichever layout the bot's tables have."""
    bookings = replies = stops = 0
    latest = None
    layout = detect_layout(conn) or "seed"
    directions = DIRECTIONS[layout]

    def add_message(company_id, phone, direction, text, at):
        if layout == "production":
            at = at.astimezone(UTC).replace(tzinfo=None)
        conn.execute(ADD_MESSAGE, (company_id, phone, directions[direction], text, at))

    with conn.transaction():
        if layout == "seed":
            conn.execute(SEED_MESSAGES_TABLE)
        for row in conn.execute(CONTACTED).fetchall():
            (
                history_id,
                company_id,
                yclients_client_id,
                received,
                status,
                phone,
                text,
                contacted_at,
                name,
                timezone,
                service_id,
                service_title,
                price,
            ) = row
            rng = random.Random(f"{seed}:{history_id}")
            latest = max(latest or contacted_at, contacted_at)
            booked = rng.random() < BOOKING_RATE[received]
            if status == "sent":
                add_message(company_id, phone, "outbound", text, contacted_at)
                reply = _reply_kind(rng, booked)
                if reply:
                    replied_at = contacted_at + timedelta(hours=rng.uniform(0.2, 30))
                    add_message(
                        company_id, phone, "inbound", rng.choice(REPLIES[reply]), replied_at
                    )
                    replies += 1
                    stops += reply == "stop"
                    booked = booked and reply != "stop"
            if booked and yclients_client_id is not None:
                created_at = contacted_at + timedelta(hours=min(rng.expovariate(1 / 60), 320))
                record = _record(
                    rng,
                    history_id,
                    company_id,
                    yclients_client_id,
                    name,
                    phone,
                    service_id,
                    service_title,
                    float(price),
                    created_at,
                    ZoneInfo(timezone),
                )
                if layout == "production":
                    _write_production_booking(conn, record, created_at, ZoneInfo(timezone))
                else:
                    conn.execute(
                        ADD_TO_TTL_CACHE,
                        {
                            "company_id": company_id,
                            "cache_key": record["datetime"][:10],
                            "records": json.dumps([record], ensure_ascii=False),
                            "cached_at": created_at + timedelta(minutes=30),
                            "expires_at": created_at + timedelta(days=30),
                        },
                    )
                bookings += 1
    until = (latest or datetime.now().astimezone()) + timedelta(days=SIMULATED_DAYS)
    return SimulatedWeeks(bookings, replies, stops, until)


def _write_production_booking(
    conn: psycopg.Connection, record: dict, created_at: datetime, zone: ZoneInfo
) -> None:
    starts_at = datetime.fromisoformat(record["datetime"])
    settled_at = starts_at + timedelta(hours=2)
    attendance = record["attendance"]
    services = record["services"]
    as_created = dict(record, attendance=0)  # the webhook skips the later attendance update
    values = {
        "record_id": record["id"],
        "company_id": record["company_id"],
        "client_id": record["client"]["id"],
        "phone": record["client"]["phone"].lstrip("+"),
        "starts_at": starts_at,
        "record": json.dumps(as_created, ensure_ascii=False),
        "created_at": created_at,
        "titles": [service["title"] for service in services],
        "service_ids": [service["id"] for service in services],
        "local_start": starts_at.astimezone(zone).replace(tzinfo=None),
        "cost": sum(service["cost"] for service in services),
        "status": "completed" if attendance == 1 else "no_show",
        "attendance": attendance,
        "created_utc": created_at.astimezone(UTC).replace(tzinfo=None),
        "settled_utc": settled_at.astimezone(UTC).replace(tzinfo=None),
    }
    conn.execute(ADD_TO_RECORD_CACHE, values)
    conn.execute(ADD_BOOKING, values)
    entry = {
        "date": record["date"],
        "services": values["titles"],
        "staff": "",
        "cost": values["cost"],
        "status": "attended" if attendance == 1 else "not_attended",
        "attendance": attendance,
    }
    conn.execute(APPEND_VISIT_HISTORY, dict(values, entry=Jsonb([entry])))


def _reply_kind(rng: random.Random, booked: bool) -> str | None:
    if booked:
        return "positive" if rng.random() < 0.6 else None
    roll = rng.random()
    if roll < 0.04:
        return "stop"
    if roll < 0.12:
        return "negative"
    if roll < 0.25:
        return "neutral"
    return None


def _record(
    rng, history_id, company_id, client_id, name, phone, service_id, title, price, created_at, zone
) -> dict:
    local_created = created_at.astimezone(zone)
    visit = (local_created + timedelta(days=rng.randint(1, 6))).replace(
        hour=rng.randint(10, 18), minute=rng.choice((0, 30)), second=0, microsecond=0
    )
    services = []
    if service_id is not None:
        services.append(
            {"id": service_id, "title": title, "cost": price, "amount": 1, "discount": 0}
        )
    return {
        "id": _RECORD_ID_BASE + history_id,
        "company_id": company_id,
        "staff_id": 1,
        "services": services,
        "client": {"id": client_id, "name": name or "", "phone": f"+{phone}"},
        "date": visit.strftime("%Y-%m-%d %H:%M:%S"),
        "datetime": visit.isoformat(),
        "create_date": local_created.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "last_change_date": local_created.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "comment": "Записан через AI администратора (WhatsApp)",
        "online": True,
        "attendance": 1 if rng.random() < 0.9 else -1,
        "deleted": False,
    }
