"""Write a simulated salon into the bot's production layout (shared/facts/bot-production.md).

What each table holds is what the bot's own jobs would have written:
- `clients.visit_history`: the nightly client-records sync, every record of the last two years,
  oldest first, services by title only, as the record stood at the sync;
- `appointments_cache`: one row per record, written by the record webhook since it was set up.
  The webhook skips updates to attendance 1 and 2, so a cached record keeps the state it was
  created in unless it was deleted (is_cancelled) or marked a no-show;
- `bookings`: the bot's own bookings of the last week and ahead, wall time without a zone;
- `messages`: a little of the bot's chat log, directions `incoming` / `outgoing`, UTC.
Ids are derived, never a sequence, so the same seed writes the same rows.
"""

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from runner.synthetic.cache import MALFORMED_KINDS, MALFORMED_RATE, malformed_record
from runner.synthetic.copying import copy_rows as _copy
from runner.synthetic.records import (
    kept_bot_bookings,
    render_phone,
    render_record,
    service_cost,
    state_at,
)
from runner.synthetic.salon import Appointment, Salon

VISIT_HISTORY_DAYS = 730  # the client-records sync pulls two years back
WEBHOOK_INSTALLED_DAYS = 120  # the record webhook has written the cache this long
SYNC_HOUR_LAG = timedelta(hours=3)  # the nightly sync ran this long before as_of
CHATTY_CLIENT_RATE = 0.05
CHAT = (
    ("Здравствуйте! Можно записаться на завтра?", "Здравствуйте! Конечно, на какое время?"),
    ("Добрый день, сколько стоит стрижка?", "Добрый день! Стоимость от 1500 ₽."),
    ("Спасибо, до встречи", "Будем ждать вас!"),
)

COPY_COMPANY = (
    "copy public.companies (id, company_id, yclients_id, title, phone, timezone, currency,"
    " ai_enabled, sync_enabled, whatsapp_enabled, whatsapp_connected, integration_status,"
    " created_at, updated_at, last_sync_at) from stdin"
)
COPY_SERVICES = (
    "copy public.services (id, yclients_id, company_id, title, category_id, category_title,"
    " price_min, price_max, duration, is_active, raw_data, created_at, updated_at,"
    " last_sync_at) from stdin"
)
COPY_CLIENTS = (
    "copy public.clients (id, yclients_id, name, phone, raw_phone, company_id, visit_count,"
    " first_visit_date, last_visit_date, last_services, visit_history, blacklisted,"
    " created_at, updated_at, last_sync_at) from stdin"
)
COPY_CACHE = (
    "copy public.appointments_cache (id, yclients_record_id, company_id, client_id,"
    " client_phone, service_id, staff_id, appointment_datetime, cost, status, is_cancelled,"
    " deleted, cancellation_reason, raw_data, created_at, updated_at) from stdin"
)
COPY_BOOKINGS = (
    "copy public.bookings (yclients_record_id, company_id, client_phone, client_name,"
    " client_yclients_id, staff_id, staff_name, services, service_ids, datetime, date,"
    " duration, cost, status, visit_attendance, comment, online, created_at, updated_at,"
    " synced_at, created_by_bot) from stdin"
)
COPY_MESSAGES = (
    "copy public.messages (company_id, client_phone, direction, content, message_type,"
    " status, created_at, platform) from stdin"
)


@dataclass(frozen=True)
class ProductionCounts:
    cache_rows: int
    bookings: int
    history_entries: int
    malformed: list[tuple[int, str, str]]  # (company_id, cache key, defect)


def write_production_salon(
    cursor: psycopg.Cursor,
    rng: random.Random,
    salon: Salon,
    as_of: datetime,
    history_start: datetime,
) -> ProductionCounts:
    synced_at = _naive_utc(as_of - SYNC_HOUR_LAG)
    created = _naive_utc(history_start)
    _copy(
        cursor,
        COPY_COMPANY,
        [
            (
                salon.index + 1,  # the internal serial: never a salon id
                salon.company_id,
                salon.company_id,
                salon.name,
                f"7495{salon.company_id:07d}",
                salon.timezone.key,
                "RUB",
                True,
                True,
                True,
                True,
                "active",
                created,
                synced_at,
                synced_at,
            )
        ],
    )
    _copy(
        cursor, COPY_SERVICES, [_service_row(salon, s, created, synced_at) for s in salon.services]
    )
    history_from = as_of - timedelta(days=VISIT_HISTORY_DAYS)
    by_client: dict[int, list[Appointment]] = {}
    for appointment in salon.appointments:
        if appointment.client:
            by_client.setdefault(appointment.client.client_id, []).append(appointment)
    client_rows, entries = [], 0
    for client in salon.clients:
        appointments = sorted(by_client.get(client.client_id, []), key=lambda a: a.start_at)
        history = [
            _history_entry(salon, appointment, as_of - SYNC_HOUR_LAG)
            for appointment in appointments
            if appointment.start_at >= history_from
            and appointment.created_at <= as_of - SYNC_HOUR_LAG
        ]
        entries += len(history)
        days = [a.start_at.astimezone(salon.timezone).date() for a in appointments]
        titles: list[str] = []
        for appointment in appointments:
            for service in appointment.services:
                if service.spec.title not in titles:
                    titles.append(service.spec.title)
        client_rows.append(
            (
                client.client_id,
                client.yclients_client_id,
                f"{client.first_name} {client.surname}".strip() or None,
                client.phone,
                str(render_phone(client)),
                salon.company_id,
                len(appointments),  # like the bot: no-shows and cancellations counted too
                min(days, default=None),
                max(days, default=None),
                titles[:5],
                Jsonb(history),
                client.blacklisted,
                created,
                synced_at,
                synced_at,
            )
        )
    _copy(cursor, COPY_CLIENTS, client_rows)
    cache_rows = _cache_rows(salon, as_of)
    malformed = _malformed_rows(rng, salon, as_of, len(cache_rows))
    _copy(cursor, COPY_CACHE, cache_rows + [row for row, _ in malformed])
    bookings = _booking_rows(salon, as_of)
    _copy(cursor, COPY_BOOKINGS, bookings)
    _copy(cursor, COPY_MESSAGES, _chat_rows(rng, salon, as_of))
    return ProductionCounts(
        len(cache_rows) + len(malformed),
        len(bookings),
        entries,
        [(salon.company_id, str(row[1]), defect) for row, defect in malformed],
    )


def _service_row(salon: Salon, service, created: datetime, synced_at: datetime) -> tuple:
    # The YClients service object, scalars as strings the way its API returns them.
    raw = {
        "id": str(service.yclients_service_id),
        "title": service.spec.title,
        "category_id": str(service.service_id),
        "price_min": f"{service.spec.price_min:.2f}",
        "price_max": f"{service.spec.price_max:.2f}",
        "seance_length": str(service.spec.duration_minutes * 60),
        "repeat_visit_days_step": (
            str(service.repeat_visit_days_step) if service.repeat_visit_days_step else None
        ),
    }
    return (
        service.service_id,
        service.yclients_service_id,
        salon.company_id,
        service.spec.title,
        service.service_id,
        service.spec.category,
        service.spec.price_min,
        service.spec.price_max,
        service.spec.duration_minutes,
        True,
        Jsonb(raw),
        created,
        synced_at,
        synced_at,
    )


def _history_entry(salon: Salon, appointment: Appointment, synced_at: datetime) -> dict:
    attendance, deleted, _ = state_at(appointment, synced_at)
    if deleted:
        status = "cancelled"
    else:
        status = {1: "attended", -1: "not_attended"}.get(attendance, "confirmed")
    return {
        "date": appointment.start_at.astimezone(salon.timezone).strftime("%Y-%m-%d %H:%M:%S"),
        "services": [service.spec.title for service in appointment.services],
        "staff": appointment.staff.name,
        "cost": sum(service_cost(s, appointment.record_id) for s in appointment.services),
        "status": status,
        "attendance": attendance,
    }


def _webhook_state_at(appointment: Appointment, as_of: datetime) -> datetime:
    """When the webhook last wrote the record: it skips attendance 1 and 2, so only a deletion
    or a no-show moves a record on from how it was created."""
    attendance, deleted, changed_at = state_at(appointment, as_of)
    if deleted or attendance == -1:
        return min(changed_at, as_of)
    return appointment.created_at


def _cache_rows(salon: Salon, as_of: datetime) -> list[tuple]:
    installed = as_of - timedelta(days=WEBHOOK_INSTALLED_DAYS)
    rows = []
    for appointment in salon.appointments:
        if appointment.created_at < installed or appointment.created_at > as_of:
            continue
        written_at = _webhook_state_at(appointment, as_of)
        record = render_record(salon, appointment, written_at, legacy_api=False)
        deleted = bool(record.get("deleted"))
        services = appointment.services
        rows.append(
            (
                appointment.record_id,
                appointment.record_id,
                salon.company_id,
                appointment.client.yclients_client_id if appointment.client else None,
                appointment.client.phone if appointment.client else None,
                services[0].yclients_service_id if services else None,
                appointment.staff.staff_id,
                appointment.start_at,
                sum(service_cost(s, appointment.record_id) for s in services),
                "cancelled" if deleted else "confirmed",
                deleted,
                deleted,
                "deleted in YClients" if deleted else None,
                json.dumps(record, ensure_ascii=False),
                appointment.created_at,
                written_at,
            )
        )
    return rows


def _malformed_rows(
    rng: random.Random, salon: Salon, as_of: datetime, records: int
) -> list[tuple[tuple, str]]:
    """A few records the webhook stored broken, as a real cache has them: each must be
    quarantined with its reason, and the build go on."""
    rows = []
    for number in range(sum(1 for _ in range(records) if rng.random() < MALFORMED_RATE)):
        defect = rng.choice(MALFORMED_KINDS)
        day = (as_of - timedelta(days=rng.randint(1, WEBHOOK_INSTALLED_DAYS))).date()
        record_id = 398_000_000 + salon.index * 1_000 + number
        body = malformed_record(defect, salon, day)
        rows.append(
            (
                (
                    record_id,
                    record_id,
                    salon.company_id,
                    None,
                    None,
                    None,
                    None,
                    None,
                    0,
                    "confirmed",
                    False,
                    False,
                    None,
                    json.dumps(body, ensure_ascii=False),
                    as_of - timedelta(days=1),
                    as_of - timedelta(days=1),
                ),
                defect,
            )
        )
    return rows


def _booking_rows(salon: Salon, as_of: datetime) -> list[tuple]:
    rows = []
    for appointment in kept_bot_bookings(salon, as_of):
        if appointment.created_at > as_of:
            continue
        attendance, deleted, changed_at = state_at(appointment, as_of)
        if deleted:
            status = "cancelled"
        elif attendance == 1:
            status = "completed"
        elif attendance == -1:
            status = "no_show"
        elif appointment.start_at > as_of:
            status = "confirmed" if attendance == 2 else "active"
        else:
            status = "past"
        local_start = appointment.start_at.astimezone(salon.timezone).replace(tzinfo=None)
        services = appointment.services
        rows.append(
            (
                appointment.record_id,
                salon.company_id,
                appointment.client.phone,
                appointment.client.first_name or None,
                appointment.client.yclients_client_id,
                appointment.staff.staff_id,
                appointment.staff.name,
                [service.spec.title for service in services],
                [service.yclients_service_id for service in services],
                local_start,
                local_start.date(),
                sum(s.spec.duration_minutes for s in services) or 60,
                sum(service_cost(s, appointment.record_id) for s in services),
                status,
                attendance,
                appointment.comment,
                True,
                _naive_utc(appointment.created_at),
                _naive_utc(min(max(changed_at, appointment.created_at), as_of)),
                _naive_utc(as_of),
                True,
            )
        )
    return rows


def _chat_rows(rng: random.Random, salon: Salon, as_of: datetime) -> list[tuple]:
    rows = []
    for client in salon.clients:
        if rng.random() >= CHATTY_CLIENT_RATE:
            continue
        question, answer = rng.choice(CHAT)
        asked = as_of - timedelta(days=rng.uniform(20, 90))
        for direction, text, at in (
            ("incoming", question, asked),
            ("outgoing", answer, asked + timedelta(seconds=rng.uniform(5, 40))),
        ):
            rows.append(
                (
                    salon.company_id,
                    client.phone,
                    direction,
                    text,
                    "text",
                    "delivered",
                    _naive_utc(at),
                    "whatsapp",
                )
            )
    return rows


def _naive_utc(moment: datetime) -> datetime:
    """The bot's own clock: UTC, stored without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)
