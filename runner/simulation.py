"""The demo's "two weeks later": clients answer and book back, written where the bot would.

For each client the campaign messaged or held out, a seeded draw decides whether they book
within the next two weeks - more often in the treated arms, so the A/B report has something to
find - and when. A booking becomes a YClients record in `appointments_cache` under its visit
date, as the bot's sync would store it; some clients reply, and the exchange goes into the
bot's optional `messages` log. Timestamps lie in the coming two weeks: the demo builds its
final report "as of" then.
"""

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

# Chance to book within two weeks, by arm: the effect the demo's A/B report should recover.
BOOKING_RATE = {"holdout": 0.10, "control": 0.16, "waterfall_template": 0.22, "waterfall_ai": 0.28}
REPLIES = {
    "positive": ("Да, запишите, пожалуйста", "Здравствуйте! Когда можно прийти?", "Давайте"),
    "neutral": ("Спасибо, подумаю", "Добрый день, сейчас в отъезде", "Хорошо, спасибо"),
    "negative": ("Нет, спасибо", "Не хочу пока", "Уже нашла другого мастера, нет"),
    "stop": ("Не пишите мне больше", "Отпишите меня, пожалуйста", "Стоп"),
}
SIMULATED_DAYS = 14
_RECORD_ID_BASE = 900_000_000  # above any id the generator uses

CONTACTED = """
select history.history_id, history.company_id, history.client_id, history.arm, history.status,
    history.phone, history.message_text, coalesce(history.sent_at, history.claimed_at),
    clients.yclients_client_id, clients.name, companies.timezone,
    intervals.last_service_id, intervals.last_service_title,
    coalesce(services.price_min, 1500)
from reactivation.client_reactivation_history as history
join public.clients as clients on clients.id = history.client_id
join public.companies as companies on companies.id = history.company_id
left join analytics.client_intervals as intervals on intervals.client_id = history.client_id
left join public.services as services
    on services.company_id = history.company_id
    and services.yclients_service_id = intervals.last_service_id
where history.status in ('sent', 'holdout')
order by history.history_id
"""

MESSAGES_TABLE = """
create table if not exists public.messages (
    id serial primary key,
    company_id integer not null,
    client_phone varchar(20) not null,
    direction varchar(10) not null check (direction in ('inbound', 'outbound')),
    content text not null,
    created_at timestamptz not null default now()
)
"""

ADD_TO_CACHE = """
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

ADD_MESSAGE = """
insert into public.messages (company_id, client_phone, direction, content, created_at)
values (%s, %s, %s, %s, %s)
"""


@dataclass(frozen=True)
class SimulatedWeeks:
    bookings: int
    replies: int
    stop_replies: int
    until: datetime


def simulate_following_weeks(conn: psycopg.Connection, seed: int = 42) -> SimulatedWeeks:
    """Write two weeks of bookings and replies after the last campaign; return what was made."""
    bookings = replies = stops = 0
    latest = None
    with conn.transaction():
        conn.execute(MESSAGES_TABLE)
        for row in conn.execute(CONTACTED).fetchall():
            (
                history_id,
                company_id,
                _client_id,
                arm,
                status,
                phone,
                text,
                contacted_at,
                yclients_client_id,
                name,
                timezone,
                service_id,
                service_title,
                price,
            ) = row
            rng = random.Random(f"{seed}:{history_id}")
            latest = max(latest or contacted_at, contacted_at)
            booked = rng.random() < BOOKING_RATE[arm]
            if status == "sent":
                conn.execute(ADD_MESSAGE, (company_id, phone, "outbound", text, contacted_at))
                reply = _reply_kind(rng, booked)
                if reply:
                    replied_at = contacted_at + timedelta(hours=rng.uniform(0.2, 30))
                    conn.execute(
                        ADD_MESSAGE,
                        (company_id, phone, "inbound", rng.choice(REPLIES[reply]), replied_at),
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
                visit_day = record["datetime"][:10]
                conn.execute(
                    ADD_TO_CACHE,
                    {
                        "company_id": company_id,
                        "cache_key": visit_day,
                        "records": json.dumps([record], ensure_ascii=False),
                        "cached_at": created_at + timedelta(minutes=30),
                        "expires_at": created_at + timedelta(days=30),
                    },
                )
                bookings += 1
    until = (latest or datetime.now().astimezone()) + timedelta(days=SIMULATED_DAYS)
    return SimulatedWeeks(bookings, replies, stops, until)


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
